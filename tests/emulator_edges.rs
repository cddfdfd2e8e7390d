//! The emulator where clients get AWS wrong (issue 20): signatures for the
//! wrong region, service or hour (W7), large bodies refused at the edge
//! (W6: an answer, never a reset), and SIGTERM to `serve` (graceful).

use std::time::{Duration, SystemTime};

use appflow_harness::appflow::TriggerType;
use appflow_harness::client::sigv4::Signer;
use appflow_harness::emulator::{Config, Emulator};
use aws_sdk_appflow::Client;
use aws_sdk_appflow::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_appflow::error::ProvideErrorMetadata;
use serde_json::{Value, json};

const KEY: &str = "AKIDHARNESSEDGE1";
const SECRET: &str = "edge-secret-abcdef";

async fn verifying_emulator() -> Emulator {
    Emulator::start_with(Config {
        verify_sigv4: Some(format!("{KEY}:{SECRET}")),
        ..Config::default()
    })
    .await
    .expect("emulator")
}

fn sdk(url: &str, region: &str) -> Client {
    let conf = aws_sdk_appflow::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(KEY, SECRET, None, None, "test"))
        .endpoint_url(url)
        .build();
    Client::from_conf(conf)
}

#[tokio::test]
async fn the_sdk_configured_for_another_region_is_refused_and_the_right_one_passes() {
    let emu = verifying_emulator().await;
    let err = sdk(&emu.url(), "eu-west-1")
        .list_flows()
        .send()
        .await
        .expect_err("a signature scoped to eu-west-1 is refused by a us-east-1 endpoint");
    let status = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(status, Some(403), "{err:?}");
    assert_eq!(err.code(), Some("InvalidSignatureException"), "{err:?}");
    assert!(
        err.message().is_some_and(|m| m.contains("'eu-west-1'")),
        "the message names the region: {:?}",
        err.message()
    );
    let flows = sdk(&emu.url(), "us-east-1").list_flows().send().await;
    assert!(flows.is_ok(), "the right region passes: {flows:?}");
}

/// The error type an answer names (header `x-amzn-ErrorType`, as the SDKs read it).
fn error_type(response: &reqwest::Response) -> Option<String> {
    let v = response.headers().get("x-amzn-errortype")?;
    Some(v.to_str().ok()?.to_owned())
}

/// StartFlow with `headers`, as reqwest sends it: the status and the body,
/// with the error type under `type`.
async fn post_signed(url: &str, body: &[u8], headers: &[(String, String)]) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{url}/start-flow"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let kind = error_type(&response);
    let mut json: Value = response.json().await.unwrap_or(Value::Null);
    json["type"] = json!(kind);
    (status, json)
}

/// Signature headers for `service` in us-east-1 at `time`, made with aws-sigv4.
fn sign_for(service: &str, url: &str, body: &[u8], time: SystemTime) -> Vec<(String, String)> {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let identity = Credentials::new(KEY, SECRET, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let headers = [("content-type", "application/json")];
    let request = SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(body))
        .expect("signable");
    let (instructions, _) = sign(request, &params).expect("signed").into_parts();
    let (headers, _) = instructions.into_parts();
    headers
        .iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect()
}

#[tokio::test]
async fn hand_signed_for_s3_or_16_minutes_off_is_refused_with_the_part_named() {
    let emu = verifying_emulator().await;
    let url = emu.url();
    let body = br#"{"flowName":"no-such-flow"}"#;
    let target = format!("{url}/start-flow");
    let now = SystemTime::now();

    let good = Signer::new(KEY, SECRET, None, "us-east-1")
        .sign("POST", &target, body, now)
        .expect("sign");
    let (status, answer) = post_signed(&url, body, &good).await;
    assert_eq!(
        (status, answer["type"].as_str()),
        (404, Some("ResourceNotFoundException")),
        "a right signature reaches the operation: {answer}"
    );

    let s3 = sign_for("s3", &target, body, now);
    let (status, answer) = post_signed(&url, body, &s3).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["type"], "InvalidSignatureException", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("correct service: 'appflow'")),
        "{answer}"
    );

    // Signed 16 minutes off the server's clock, either way.
    let sixteen = Duration::from_secs(16 * 60);
    for (time, starts) in [
        (now - sixteen, "Signature expired: "),
        (now + sixteen, "Signature not yet current: "),
    ] {
        let off = Signer::new(KEY, SECRET, None, "us-east-1")
            .sign("POST", &target, body, time)
            .expect("sign");
        let (status, answer) = post_signed(&url, body, &off).await;
        assert_eq!(status, 403, "{answer}");
        assert_eq!(answer["type"], "InvalidSignatureException", "{answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(starts), "{answer}");
    }
    // A client that follows the emulator's clock, moved 16 minutes ahead,
    // passes; so does one signing with the wall clock.
    emu.handle().clock().advance(16 * 60_000);
    let ahead = Signer::new(KEY, SECRET, None, "us-east-1")
        .sign("POST", &target, body, now + sixteen)
        .expect("sign");
    for headers in [&ahead, &good] {
        let (status, answer) = post_signed(&url, body, headers).await;
        assert_eq!(status, 404, "{answer}");
    }
}

/// A JSON object of about `bytes` bytes: a StartFlow on a missing flow,
/// padded with spaces.
fn padded_start(bytes: usize) -> Vec<u8> {
    let mut body = br#"{"flowName":"no-such-flow"}"#.to_vec();
    body.resize(bytes, b' ');
    body
}

/// POSTs `body` to StartFlow over a socket with a small send buffer, as a
/// client that writes its whole body before it reads (so a server that
/// answers without reading the body and closes makes the write fail: the
/// reset of issue 20). Answers the status, or what went wrong.
async fn post_whole_then_read(
    addr: std::net::SocketAddr,
    path: &str,
    body: &[u8],
) -> Result<u16, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .set_send_buffer_size(16 * 1024)
        .map_err(|e| e.to_string())?;
    let mut stream = socket.connect(addr).await.map_err(|e| e.to_string())?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| format!("writing the head: {e}"))?;
    stream
        .write_all(body)
        .await
        .map_err(|e| format!("writing the body: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("reading the answer: {e}"))?;
    let text = String::from_utf8_lossy(&answer);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    if !text.contains("\"message\"") {
        return Err(format!("no AWS error JSON: {text}"));
    }
    status.ok_or_else(|| format!("no status line: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_refused_by_the_throttle_get_an_answer_never_a_reset() {
    let emu = Emulator::start_with(Config {
        throttle_rps: Some(3),
        ..Config::default()
    })
    .await
    .expect("emulator");
    let body = padded_start(600 * 1024);
    // One after another, as a client's retries would come.
    let mut statuses = Vec::new();
    for n in 0..8 {
        let status = post_whole_then_read(emu.addr(), "/start-flow", &body)
            .await
            .unwrap_or_else(|e| panic!("request {n}: {e}"));
        statuses.push(status);
    }
    // And at once, with reqwest.
    let client = reqwest::Client::new();
    let sends = (0..8).map(|_| {
        client
            .post(format!("{}/start-flow", emu.url()))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
    });
    for answer in futures_util::future::join_all(sends).await {
        let response = answer.unwrap_or_else(|e| panic!("a dropped connection: {e:?}"));
        statuses.push(response.status().as_u16());
        let kind = error_type(&response);
        let json: Value = response.json().await.expect("the AWS error JSON");
        assert!(
            json["message"].is_string() && kind.is_some(),
            "{kind:?} {json}"
        );
    }
    assert!(
        statuses.iter().all(|s| [404, 429].contains(s)),
        "every answer a 429 or the operation's 404: {statuses:?}"
    );
    assert!(
        statuses.contains(&429),
        "3 rps let 16 through? {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_a_400_with_and_without_the_edge_layer() {
    for config in [
        Config::default(),
        Config {
            verify_sigv4: Some(format!("{KEY}:{SECRET}")),
            ..Config::default()
        },
    ] {
        let edges = config.has_edges();
        let emu = Emulator::start_with(config).await.expect("emulator");
        let status = post_whole_then_read(emu.addr(), "/start-flow", &padded_start(3 << 20))
            .await
            .unwrap_or_else(|e| panic!("edges {edges}: {e}"));
        assert_eq!(status, 400, "edges {edges}: W6's ValidationException");
        if !edges {
            // A route that is no operation answers its 404 after the body too.
            let status =
                post_whole_then_read(emu.addr(), "/no-such-operation", &padded_start(600 << 10))
                    .await
                    .unwrap_or_else(|e| panic!("unknown route: {e}"));
            assert_eq!(status, 404, "UnknownOperationException");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_the_request_in_flight_and_exits_0() {
    let (mut serve, url) = crate::support::spawn_serve(&[]);
    let api = crate::support::Api::new(&url);
    api.create("sigterm-flow", TriggerType::OnDemand).await;
    api.control(
        "faults",
        json!({"kind": "latency", "latencyMs": 1500, "count": 1, "operation": "StartFlow"}),
    )
    .await;
    let before = api.counters().await["requests"].as_u64().unwrap_or(0);
    let in_flight = tokio::spawn({
        let url = url.clone();
        async move {
            crate::support::Api::new(&url)
                .start("sigterm-flow", Some("sigterm-token"))
                .await
        }
    });
    // Waits (by polling, not by a fixed sleep) until the slow StartFlow arrived.
    let mut arrived = false;
    for _ in 0..200 {
        if api.counters().await["requests"].as_u64().unwrap_or(0) > before {
            arrived = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(arrived, "the StartFlow reached serve");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let answer = in_flight.await.expect("the request task");
    assert_eq!(
        answer.status,
        200,
        "the request in flight was answered: {}",
        answer.body_text()
    );
    let mut exit = None;
    for _ in 0..500 {
        exit = serve.try_wait().expect("wait");
        if exit.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let Some(status) = exit else {
        let _ = serve.kill();
        panic!("serve did not exit within 10 s of SIGTERM");
    };
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM exits 0 like Ctrl-C: {status:?}"
    );
}

#[tokio::test]
async fn run_records_past_the_retention_are_evicted_and_counted() {
    let emu = Emulator::start_with(Config {
        max_runs_per_flow: 2,
        token_ttl_ms: 60_000,
        run_time_ms: 1_000,
        ..Config::default()
    })
    .await
    .expect("emulator");
    let api = crate::support::Api::new(&emu.url());
    api.create("kept", TriggerType::OnDemand).await;
    for n in 0..4 {
        let r = api.start("kept", Some(&format!("t{n}"))).await;
        assert_eq!(r.status, 200, "{}", r.body_text());
    }
    assert_eq!(
        api.counters().await["runsEvicted"],
        json!(0),
        "no run goes while its token can be replayed"
    );
    emu.handle().clock().advance(61_000);
    let replay = api.start("kept", Some("t0")).await;
    let records = api
        .call("DescribeFlowExecutionRecords", json!({"flowName": "kept"}))
        .await;
    let listed = records
        .json
        .as_ref()
        .map(|j| j["flowExecutions"].as_array().map(Vec::len));
    assert_eq!(replay.status, 200, "{}", replay.body_text());
    assert_eq!(
        api.counters().await["runsEvicted"],
        json!(3),
        "the four old runs, less the newest kept beside the new one"
    );
    assert_eq!(listed, Some(Some(2)), "the newest 2 are listed");
}
