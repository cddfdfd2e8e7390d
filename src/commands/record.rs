//! `record`: resolves the target, serves the recording proxy on the
//! address asked for until Ctrl-C/SIGTERM, `--calls N` or `--time`, prints
//! each contract line as its answer passes, then writes the recording as a
//! scenario file (redacted) with its fingerprint, and its transcript as a
//! reference recording (`<snapshot root>/<reference>/<file stem>.snap`,
//! the reference named after the target's kind as `check --record` names
//! it), which `check` and `compare` find as any reference.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use super::{CommandError, Console, Outcome};
use crate::endpoint::{self, Environment, TargetOptions};
use crate::record::{Answered, Recorder, fingerprint, scenario};
use crate::runner::SnapshotMode;
use crate::runner::snapshot_check::{ReferenceRecording, write_reference};

/// How long calls in flight may take to finish once recording stops.
const DRAIN: Duration = Duration::from_secs(5);

/// `record`'s options.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// The target the calls are forwarded to, resolved as `check` resolves it.
    pub target: TargetOptions,
    /// Where the proxy listens (`127.0.0.1:PORT`).
    pub listen: SocketAddr,
    /// The scenario file written at the end; `None`: printed on stdout.
    pub save: Option<PathBuf>,
    /// Stop after this many calls were recorded.
    pub calls: Option<usize>,
    /// Stop after this long.
    pub time: Option<Duration>,
    /// Stop on Ctrl-C / SIGTERM; off in tests that run in-process.
    pub watch_signals: bool,
    /// The snapshot root the transcript is written under (with `save`);
    /// `None` writes no transcript.
    pub snapshot_root: Option<PathBuf>,
    /// The reference the transcript joins (a directory under the root;
    /// default: the target's kind, `aws`, `url` or `embedded`).
    pub reference: Option<String>,
}

/// Runs `record` on `options.listen`. The outcome: passed when calls were
/// recorded, every answer met the contract and the saved file reads back
/// as a scenario; failed on a contract line or a file that does not read
/// back (said, and no transcript written); inconclusive with no call.
///
/// # Errors
/// The address is not loopback or cannot be bound (usage), the target
/// cannot be resolved, the file or its transcript cannot be written.
pub async fn run(
    options: RecordOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    if !options.listen.ip().is_loopback() {
        // Whoever reaches the proxy calls the target with the harness's credentials.
        return Err(CommandError::Usage(format!(
            "record listens on a loopback address only (127.0.0.1 or ::1), not {}: every call it receives is signed with your credentials",
            options.listen.ip()
        )));
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| CommandError::Usage(format!("cannot listen on {}: {e}", options.listen)))?;
    run_on(options, listener, env, console).await
}

/// Runs `record` on a listener already bound (tests bind `127.0.0.1:0`).
///
/// # Errors
/// As [`run`].
pub async fn run_on(
    options: RecordOptions,
    listener: tokio::net::TcpListener,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let redactor = env.redactor();
    let target = endpoint::resolve(options.target, env).await?;
    let addr = listener
        .local_addr()
        .map_err(CommandError::io("failed to read the listening address"))?;
    if forwards_to_itself(target.endpoint.base_url(), addr) {
        // AWS_ENDPOINT_URL_APPFLOW set for the harness too: each call would loop back.
        return Err(CommandError::Usage(format!(
            "the target {} is record's own address: set AWS_ENDPOINT_URL_APPFLOW for the application only, not for the harness (or give --endpoint-url)",
            target.endpoint.base_url()
        )));
    }
    // A target that does not answer is said at once, exit 4, as every
    // command says it, before an application is pointed at the proxy.
    target.probe().await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let done = Arc::new(tokio::sync::Notify::new());
    let recorder = Recorder::new(
        target.endpoint.clone(),
        &target.region,
        tx,
        done.clone(),
        options.calls,
    );
    console.note(format_args!(
        "recording on http://{addr}, forwarding to {} ({}{}); point the application at it (AWS_ENDPOINT_URL_APPFLOW=http://{addr}); Ctrl-C writes the scenario",
        target.endpoint.base_url(),
        target.kind.as_str(),
        if target.signer.is_some() { ", signed with the harness's credentials" } else { "" },
    ));
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut server = {
        let stop = stop.clone();
        let router = recorder.clone().router();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.notified().await })
                .await
        })
    };
    let interrupt = Arc::new(AtomicBool::new(false));
    let signals = options
        .watch_signals
        .then(|| super::watch_signals(interrupt.clone()));
    let deadline = tokio::time::sleep(options.time.unwrap_or(Duration::MAX / 4));
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut broken = 0usize;
    loop {
        tokio::select! {
            Some(line) = rx.recv() => {
                broken += 1;
                let _ = writeln!(console.out, "contract: {}", redactor.clean(&line));
            }
            () = done.notified() => break,
            () = &mut deadline => break,
            _ = tick.tick() => if interrupt.load(Ordering::Relaxed) { break },
        }
    }
    stop.notify_one();
    // Calls in flight get their answers; a connection the application
    // keeps open does not hold the recording back longer than this.
    match tokio::time::timeout(DRAIN, &mut server).await {
        Ok(joined) => joined
            .map_err(|e| CommandError::Internal(format!("the proxy stopped: {e}")))?
            .map_err(CommandError::io("the proxy failed"))?,
        Err(_) => server.abort(),
    }
    if let Some(s) = signals {
        s.abort();
    }
    while let Ok(line) = rx.try_recv() {
        broken += 1;
        let _ = writeln!(console.out, "contract: {}", redactor.clean(&line));
    }
    let calls = recorder.calls();
    if calls.is_empty() {
        // No evidence: nothing is written, and the run does not pass.
        console.note(format_args!("no call was recorded: no scenario written"));
        return Ok(Outcome::Inconclusive);
    }
    let print = fingerprint::of(&calls);
    let today = crate::appflow::today(SystemTime::now());
    // The transcript needs the file's name (the scenario's): none without --save.
    let reference = match (&options.save, &options.snapshot_root) {
        (Some(_), Some(root)) => Some((
            root.clone(),
            options.reference.clone().unwrap_or_else(|| {
                super::check::default_reference(root, target.kind, SnapshotMode::Record)
            }),
        )),
        _ => None,
    };
    let text = scenario::write(
        &calls,
        &print,
        &scenario::RecordedFrom {
            kind: target.kind.as_str(),
            region: &target.region,
            date: today.clone(),
            replay_flags: replay_flags(reference.as_ref()),
        },
    )
    .map_err(|e| CommandError::Internal(e.to_string()))?;
    let text = redactor.clean(&text);
    let unanswered = calls
        .iter()
        .filter(|c| matches!(c.answer, Answered::Transport(_)))
        .count();
    let mut replayable = true;
    match &options.save {
        Some(path) => {
            std::fs::write(path, &text).map_err(CommandError::io(format!(
                "failed to write {}",
                path.display()
            )))?;
            let _ = writeln!(
                console.out,
                "recorded {} calls ({unanswered} unanswered, {broken} contract line(s)); saved {}",
                calls.len(),
                path.display()
            );
            // The file must replay: one that does not read back is reported
            // and fails the run (no transcript is written for it).
            replayable = match crate::scenario::parse(path, &text) {
                Err(e) => {
                    let _ = writeln!(
                        console.out,
                        "the saved file does not read back as a scenario, so it cannot be replayed and no transcript was written: {e}"
                    );
                    false
                }
                Ok(recorded) => {
                    if let Some(at_ref @ (_, name)) = &reference {
                        let written =
                            save_transcript(&recorded, &calls, &target, at_ref, &today, &redactor)?;
                        let _ = writeln!(
                            console.out,
                            "transcript: {} (reference `{name}`; replay: appflow-harness check {} {})",
                            written.display(),
                            path.display(),
                            replay_flags(Some(at_ref))
                        );
                    }
                    true
                }
            };
        }
        None => {
            let _ = write!(console.out, "{text}");
        }
    }
    for line in print.lines().into_iter().chain(print.refused_line()) {
        let _ = writeln!(console.out, "fingerprint: {line}");
    }
    console.note_pacing(target.endpoint.pace());
    Ok(Outcome::from_passed(broken == 0 && replayable))
}

/// Whether `base` (the target's URL) is the proxy's own address `addr`.
fn forwards_to_itself(base: &str, addr: SocketAddr) -> bool {
    let Ok(url) = reqwest::Url::parse(base) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .ok();
    let ours = addr.ip();
    let host_is_ours = match ip {
        Some(ip) => ip == ours || (ip.is_loopback() && ours.is_loopback()) || ours.is_unspecified(),
        None => host == "localhost" && (ours.is_loopback() || ours.is_unspecified()),
    };
    host_is_ours && url.port_or_known_default() == Some(addr.port())
}

/// The `check` flags that replay the file against its transcript.
fn replay_flags(reference: Option<&(PathBuf, String)>) -> String {
    match reference {
        None => "--no-snapshots".into(),
        Some((root, name)) if root == std::path::Path::new("snapshots") => {
            format!("--reference {name}")
        }
        Some((root, name)) => format!("--reference {name} --snapshot-dir {}", root.display()),
    }
}

/// Writes the transcript of `calls`, as the steps of `scenario` (the
/// saved file, read back), as the recording of reference `name` under
/// `root` (cleaned by `redactor`), through the runner's one writer of
/// references; answers its path.
fn save_transcript(
    scenario: &crate::scenario::Scenario,
    calls: &[crate::record::Exchange],
    target: &endpoint::Target,
    (root, name): &(PathBuf, String),
    today: &str,
    redactor: &crate::redact::Redactor,
) -> Result<PathBuf, CommandError> {
    let transcript = crate::record::transcript::of_recording(scenario, calls, redactor);
    let request_ids: Vec<String> = calls
        .iter()
        .filter_map(|c| match &c.answer {
            Answered::Reply(r) => r.request_id.clone(),
            Answered::Transport(_) => None,
        })
        .collect();
    let recorded = ReferenceRecording {
        scenario,
        target,
        today,
        profile: target.profile.clone(),
        skipped: Vec::new(),
        request_ids: &request_ids,
    };
    write_reference(root, name, &recorded, &transcript).map_err(CommandError::io(format!(
        "failed to write the transcript under {}",
        root.join(name).display()
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_target_at_the_proxys_own_address_is_refused() {
        let addr = "127.0.0.1:27001".parse().expect("addr");
        assert!(
            super::forwards_to_itself("http://127.0.0.1:27001", addr),
            "itself"
        );
        assert!(
            super::forwards_to_itself("http://localhost:27001/", addr),
            "itself by name"
        );
        assert!(
            !super::forwards_to_itself("http://127.0.0.1:27002", addr),
            "another port"
        );
        assert!(
            !super::forwards_to_itself("https://appflow.us-east-1.amazonaws.com", addr),
            "AWS"
        );
    }
}
