//! A stop is prompt (issue 26): after SIGTERM, against an endpoint that
//! never answers, nothing but clean-up is sent and `load` ends within the
//! grace period of deploy/kubernetes/load-job.yaml.

use std::time::Duration;

/// Request lines an endpoint read, with when.
type Log = std::sync::Arc<std::sync::Mutex<Vec<(std::time::Instant, String)>>>;

/// An endpoint that reads every request and never answers: the request
/// lines it read, with when.
fn silent_endpoint() -> (String, Log) {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200).flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut lines = BufReader::new(stream).lines();
                // Request lines only; the connection is held open, unanswered.
                while let Some(Ok(line)) = lines.next() {
                    if line.starts_with("POST ")
                        || line.starts_with("GET ")
                        || line.starts_with("DELETE ")
                    {
                        log.lock()
                            .expect("log")
                            .push((std::time::Instant::now(), line));
                    }
                }
            });
        }
    });
    (url, seen)
}

#[test]
fn after_sigterm_against_a_silent_endpoint_only_clean_up_is_sent_and_load_exits_within_the_grace_period()
 {
    use std::process::{Command, Stdio};
    let (url, seen) = silent_endpoint();
    let load = Command::new(env!("CARGO_BIN_EXE_appflow-harness"))
        .args([
            "load",
            "--target",
            &url,
            "--timeout-secs",
            "25",
            "--flows",
            "2",
            "--run-time",
            "30s",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("load");
    let mut waited = 0;
    while seen.lock().expect("log").is_empty() {
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
        assert!(waited < 600, "load never sent its first request");
    }
    std::thread::sleep(Duration::from_secs(2));
    let signalled = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM".to_owned(), load.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = load.wait_with_output().expect("load ends");
    let took = signalled.elapsed();
    let after: Vec<String> = seen
        .lock()
        .expect("log")
        .iter()
        .filter(|(at, _)| *at > signalled)
        .map(|(_, line)| line.clone())
        .collect();
    assert!(
        after.iter().all(|l| l.contains("/delete-flow")),
        "after SIGTERM only clean-up is sent, no retry or new request: {after:?}"
    );
    // The contract of deploy/kubernetes/load-job.yaml: 60 s of grace.
    assert!(
        took < Duration::from_secs(60),
        "load ended {took:?} after SIGTERM, past the 60 s grace period: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
