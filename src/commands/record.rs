//! `record`: resolves the target, serves the recording proxy on the
//! address asked for until Ctrl-C/SIGTERM, `--calls N` or `--time`, prints
//! each contract line as its answer passes, then writes the recording as a
//! scenario file (redacted) with its fingerprint.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{CommandError, Console, Outcome};
use crate::endpoint::{self, Environment, TargetOptions};
use crate::record::{Answered, Recorder, fingerprint, scenario};

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
}

/// Runs `record` on `options.listen`.
///
/// # Errors
/// The address is not loopback or cannot be bound (usage), the target
/// cannot be resolved, the file cannot be written.
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
    let kind_choice = options.target.choice.clone();
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
    let kind = match kind_choice {
        endpoint::TargetChoice::Aws => "aws",
        endpoint::TargetChoice::Url(_) => "url",
        endpoint::TargetChoice::Embedded => "embedded",
    };
    let text = scenario::write(
        &calls,
        &print,
        &scenario::RecordedFrom {
            kind,
            region: &target.region,
            date: today(),
        },
    )
    .map_err(|e| CommandError::Internal(e.to_string()))?;
    let text = redactor.clean(&text);
    let unanswered = calls
        .iter()
        .filter(|c| matches!(c.answer, Answered::Transport(_)))
        .count();
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
        }
        None => {
            let _ = write!(console.out, "{text}");
        }
    }
    for line in print.lines() {
        let _ = writeln!(console.out, "fingerprint: {line}");
    }
    console.note_pacing(target.endpoint.pace());
    Ok(Outcome::from_passed(broken == 0))
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

/// Today's date (UTC) as `YYYY-MM-DD`, for the file's provenance.
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    let days = i64::try_from(days).unwrap_or(0);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
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

    #[test]
    fn today_is_a_date() {
        let d = super::today();
        assert_eq!(d.len(), 10, "YYYY-MM-DD, got {d}");
        assert!(d.starts_with("20"), "a year of this century, got {d}");
    }
}
