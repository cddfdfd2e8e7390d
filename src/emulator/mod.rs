//! The embedded AppFlow emulator: StartFlow and its neighbour operations,
//! faithful to APPFLOW.md, plus a test-control API under `/_harness/`.
//!
//! [`Emulator`] is the fixture for tests and the `check`/`load` commands;
//! [`router`] serves the same thing in-process (benches) or behind any
//! listener (`appflow-harness serve`).

pub mod clock;
pub mod config;
pub mod control;
mod edges;
pub mod error;
pub mod faults;
pub mod fields;
pub mod flags;
mod http;
pub mod ops;
pub mod sigv4;
pub mod state;
mod token_index;
pub mod tokens;
pub mod transport;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Config, Profile};
pub use http::BODY_LIMIT;

use clock::Clock;
use faults::{Fault, FaultRule, Faults};
use ops::OperationRequest;
use state::State;

/// The emulator's shared state: one cheap-to-clone handle.
#[derive(Clone)]
pub struct Handle(Arc<Shared>);

struct Shared {
    launch: Config,
    // A std Mutex: every critical section is short, synchronous work on
    // in-memory maps, and none is held across an `.await`, so an async mutex
    // would only add cost. One lock also makes "check token, then run" atomic,
    // which is what makes concurrent same-token starts create one execution.
    state: Mutex<State>,
    faults: Mutex<Faults>,
    /// Lets the hot path skip the faults lock when none are set.
    any_faults: AtomicBool,
    clock: Clock,
    requests: AtomicU64,
    /// The throttle's token bucket (used only when the edge layer is on).
    bucket: edges::Bucket,
}

impl Handle {
    /// A fresh emulator state with `config` as its launch configuration (the one
    /// `/_harness/reset` restores); the clock starts at the wall clock.
    pub fn new(config: Config) -> Self {
        Self(Arc::new(Shared {
            state: Mutex::new(State::new(config.clone())),
            launch: config,
            faults: Mutex::new(Faults::default()),
            any_faults: AtomicBool::new(false),
            clock: Clock::default(),
            requests: AtomicU64::new(0),
            bucket: edges::Bucket::default(),
        }))
    }

    /// The state, locked. A panic while locked cannot leave a half-applied
    /// operation visible (apply validates before it mutates), so poisoning is ignored.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The emulator's clock (epoch milliseconds, moved forward by `/_harness/clock`).
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    /// The injected faults, locked (poisoning is ignored, as for [`Self::lock`]).
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.0.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a fault rule for the next AppFlow requests.
    ///
    /// # Errors
    /// The message of [`Faults::add`] when the rule is inconsistent.
    pub fn add_fault(&self, rule: FaultRule) -> Result<(), String> {
        self.faults().add(rule)?;
        self.0.any_faults.store(true, Ordering::Release);
        Ok(())
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.faults().clear();
        self.0.any_faults.store(false, Ordering::Release);
    }

    fn take_fault(&self, operation: &str) -> Option<Fault> {
        if !self.0.any_faults.load(Ordering::Acquire) {
            return None;
        }
        let mut faults = self.faults();
        let fault = faults.take(operation);
        if faults.is_empty() {
            self.0.any_faults.store(false, Ordering::Release);
        }
        fault
    }

    /// Forgets all flows, runs, tokens and faults; the launch configuration
    /// comes back. The clock keeps its offset: it never runs backwards.
    pub fn reset(&self) {
        self.lock().reset(self.0.launch.clone());
        self.clear_faults();
    }

    fn count_request(&self) {
        self.0.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn bucket(&self) -> &edges::Bucket {
        &self.0.bucket
    }

    /// Whether the emulator was launched with the edge layer (signatures,
    /// throttling), which `/_harness/config` can then tune.
    pub fn has_edges(&self) -> bool {
        self.0.launch.has_edges()
    }

    /// AppFlow operation requests received since launch (faulted ones included; control-API
    /// requests and unknown routes not), as `/_harness/counters` shows. Not reset by `reset`.
    pub fn requests(&self) -> u64 {
        self.0.requests.load(Ordering::Relaxed)
    }
}

fn op<O: OperationRequest>(r: Router<Handle>) -> Router<Handle> {
    r.route(O::PATH, post(http::operation::<O>))
}

/// The emulator's routes over `handle`.
pub fn router(handle: Handle) -> Router {
    let mut r = Router::new();
    r = op::<ops::CreateFlow>(r);
    r = op::<ops::DescribeFlow>(r);
    r = op::<ops::ListFlows>(r);
    r = op::<ops::UpdateFlow>(r);
    r = op::<ops::DeleteFlow>(r);
    r = op::<ops::StartFlow>(r);
    r = op::<ops::StopFlow>(r);
    r = op::<ops::DescribeFlowExecutionRecords>(r);
    r = op::<ops::CancelFlowExecutions>(r);
    r = r
        .nest(control::PREFIX, control::routes())
        .fallback(http::unknown_route)
        .method_not_allowed_fallback(http::wrong_method);
    // Signatures and throttling sit in front of the AppFlow routes only when
    // asked for at launch, so the hot path without them is untouched.
    if handle.has_edges() {
        r = r.layer(axum::middleware::from_fn_with_state(
            handle.clone(),
            edges::guard,
        ));
    }
    r.with_state(handle)
}

/// A running emulator on a loopback port; it shuts down when dropped.
pub struct Emulator {
    addr: SocketAddr,
    handle: Handle,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator with the default configuration on `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(Config::default()).await
    }

    /// Starts an emulator with `config` on `127.0.0.1:0`, in a task of the current runtime.
    ///
    /// # Errors
    /// The I/O error if the listener cannot bind.
    pub async fn start_with(config: Config) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Self::serve(listener, config)
    }

    /// Serves on an already-bound listener, in a task of the current runtime.
    pub fn serve(listener: TcpListener, config: Config) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let handle = Handle::new(config);
        let app = router(handle.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            if let Err(e) =
                transport::serve(listener, app, transport::HEADER_READ_TIMEOUT, stop).await
            {
                eprintln!("emulator stopped: {e}");
            }
        });
        Ok(Self {
            addr,
            handle,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The loopback address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its shared state: control it (reset, clock, faults, config) without HTTP.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// An emulator on its own runtime threads, so that a load generator in the
/// same process does not share a scheduler with it. Stops when dropped.
pub struct DetachedEmulator {
    url: String,
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DetachedEmulator {
    /// Starts an emulator with `config` on `127.0.0.1:0` in a new thread with its own tokio
    /// runtime of `threads` worker threads (at least 1); returns once it listens.
    ///
    /// # Errors
    /// The I/O error if the thread or runtime cannot be made or the listener cannot bind.
    pub fn start(config: Config, threads: usize) -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("appflow-emulator".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads.max(1))
                    .thread_name("appflow-emulator")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    match Emulator::start_with(config).await {
                        Ok(emu) => {
                            let _ = ready_tx.send(Ok((emu.url(), emu.handle().clone())));
                            let _ = stop_rx.await;
                            drop(emu);
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (url, handle) = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the emulator thread ended before it started"))??;
        Ok(Self {
            url,
            handle,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its shared state: control it (reset, clock, faults, config) without HTTP.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Drop for DetachedEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            // Open keep-alive connections would hold a graceful shutdown; a
            // dropped fixture must free its port at once.
            task.abort();
        }
    }
}
