# appflow-harness in a container: the emulator (`serve`) and load workers
# (`load`) for Kubernetes (deploy/kubernetes/). Build: docker build -t appflow-harness .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin appflow-harness

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/appflow-harness /usr/local/bin/appflow-harness
COPY --from=build /src/scenarios /opt/appflow-harness/scenarios
COPY --from=build /src/snapshots /opt/appflow-harness/snapshots
WORKDIR /opt/appflow-harness
ENTRYPOINT ["appflow-harness"]
CMD ["serve", "--bind", "0.0.0.0", "--port", "4566"]
