//! Endpoints that attack the harness: echoing credentials, answering huge
//! or control-character bodies, or 200 to everything. Each test asserts what
//! the user should see.

use std::path::Path;

use appflow_harness::commands::Console;
use appflow_harness::endpoint::Environment;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use clap::Parser;

const ACCESS_KEY: &str = "AKIAHARNESSTEST12345";
const SECRET: &str = "hArNeSsSeCrEtKeY/0123456789abcdefEXAMPLE";
const SESSION: &str = "FwoGZXIvYXdzEJr//////////wEaDHarnessSessionToken0123456789";

async fn serve(app: Router) -> String {
    crate::support::serve_app(app).await
}

fn json(status: StatusCode, body: String, error: Option<&str>) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert("content-type", "application/json".parse().expect("value"));
    h.insert("x-amzn-requestid", "hostile-1".parse().expect("value"));
    if let Some(e) = error {
        h.insert("x-amzn-errortype", e.parse().expect("value"));
    }
    r
}

/// Runs `check` as a user would, with credentials in the environment; answers
/// the exit code and every byte the harness wrote (console and files).
async fn check(args: &[&str], dir: &Path) -> (i32, String) {
    let root = env!("CARGO_MANIFEST_DIR");
    let junit = dir.join("junit.xml");
    let json = dir.join("report.json");
    let snaps = dir.join("snapshots");
    let mut argv: Vec<String> = vec!["appflow-harness".into(), "check".into()];
    argv.extend(args.iter().map(|a| a.replace("{root}", root)));
    argv.extend([
        "--junit".into(),
        junit.display().to_string(),
        "--json".into(),
        json.display().to_string(),
        "--snapshot-dir".into(),
        snaps.display().to_string(),
    ]);
    let cli = appflow_harness::cli::Cli::try_parse_from(argv).expect("args");
    let env = Environment {
        access_key_id: Some(ACCESS_KEY.into()),
        secret_access_key: Some(SECRET.into()),
        session_token: Some(SESSION.into()),
        ..Environment::default()
    };
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let mut console = Console {
        out: &mut out,
        log: &mut log,
    };
    let result = appflow_harness::cli::run_with(cli, &env, &mut console).await;
    let mut written = String::from_utf8_lossy(&out).into_owned();
    written.push_str(&String::from_utf8_lossy(&log));
    for f in [&junit, &json] {
        written.push_str(&std::fs::read_to_string(f).unwrap_or_default());
    }
    for e in std::fs::read_dir(&snaps).into_iter().flatten().flatten() {
        written.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
    }
    (crate::support::exit_code(&result), written)
}

fn tempdir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("appflow-harness-hostile-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Echoes every request header into the error message of every answer.
async fn echo_headers(uri: Uri, headers: HeaderMap) -> Response {
    let all: Vec<String> = headers
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("?")))
        .collect();
    let message = format!("denied; you sent {}", all.join("; "));
    match uri.path() {
        "/create-flow" => json(
            StatusCode::OK,
            serde_json::json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/x", "flowStatus": "Active", "echo": message}).to_string(),
            None,
        ),
        // The probe passes, so that the scenarios run into the echoes.
        "/list-flows" => json(StatusCode::OK, r#"{"flows":[]}"#.into(), None),
        _ => json(
            StatusCode::FORBIDDEN,
            serde_json::json!({ "message": message }).to_string(),
            Some("AccessDeniedException"),
        ),
    }
}

#[tokio::test]
async fn credentials_an_endpoint_echoes_reach_no_written_byte() {
    let url = serve(Router::new().fallback(echo_headers)).await;
    let dir = tempdir();
    let (code, written) = check(
        &[
            "{root}/scenarios/on_demand_start.yaml",
            "--target",
            &url,
            "--sign",
        ],
        &dir,
    )
    .await;
    assert_eq!(code, 1, "the scenario fails on the 403s");
    assert!(
        written.contains("denied; you sent"),
        "the echo itself is reported: {written}"
    );
    assert!(written.contains("<redacted>"), "{written}");
    for secret in [ACCESS_KEY, SECRET, SESSION] {
        assert!(
            !written.contains(secret),
            "{secret} was written:\n{written}"
        );
    }
    let signature = regex::Regex::new(r"Signature=[0-9a-f]{16}").expect("re");
    assert!(
        !signature.is_match(&written),
        "a signature was written:\n{written}"
    );
    assert!(!written.contains("Credential=AKIA"), "{written}");
}

#[tokio::test]
async fn a_huge_answer_is_refused_at_the_limit_and_reported() {
    // 50 MB for every StartFlow: the harness reads up to its limit and stops.
    async fn huge(uri: Uri) -> Response {
        match uri.path() {
            "/create-flow" | "/delete-flow" => json(
                StatusCode::OK,
                r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/x","flowStatus":"Active"}"#.into(),
                None,
            ),
            _ => json(StatusCode::OK, "x".repeat(50 << 20), None),
        }
    }
    let url = serve(Router::new().fallback(huge)).await;
    let dir = tempdir();
    let (code, written) = check(
        &[
            "{root}/scenarios/unknown_flow.yaml",
            "--target",
            &url,
            "--max-answer-bytes",
            "1048576",
        ],
        &dir,
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        written.contains(
            "no answer (\"too-large\"): answer larger than 1048576 bytes (Content-Length 52428800)"
        ),
        "{written}"
    );
    assert!(
        written.len() < 1 << 20,
        "nothing of the body was written: {} bytes",
        written.len()
    );
}

#[tokio::test]
async fn control_characters_from_an_endpoint_never_reach_the_terminal_raw() {
    async fn garbage(uri: Uri) -> Response {
        match uri.path() {
            "/create-flow" | "/delete-flow" => json(
                StatusCode::OK,
                r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/x","flowStatus":"Active"}"#.into(),
                None,
            ),
            _ => {
                let mut r = json(
                    StatusCode::NOT_FOUND,
                    "\u{1b}[2J\u{1b}]0;pwned\u{7}\r\u{9b}31m boom".into(),
                    Some("ResourceNotFoundException"),
                );
                r.headers_mut().insert("content-type", "text/plain".parse().expect("v"));
                r
            }
        }
    }
    let url = serve(Router::new().fallback(garbage)).await;
    let dir = tempdir();
    let (code, written) = check(
        &["{root}/scenarios/unknown_flow.yaml", "--target", &url],
        &dir,
    )
    .await;
    assert_eq!(code, 1);
    let raw: Vec<char> = written
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(raw.is_empty(), "raw control characters written: {raw:?}");
    assert!(written.contains("\\u{1b}[2J"), "shown escaped: {written}");
}

#[tokio::test]
async fn an_endpoint_that_answers_200_to_everything_has_no_test_control_api() {
    async fn yes() -> Response {
        json(StatusCode::OK, "{}".into(), None)
    }
    let url = serve(Router::new().fallback(yes)).await;
    let target = crate::support::url_target(&url, std::time::Duration::from_secs(5)).await;
    assert!(!target.abilities.control);
    let dir = tempdir();
    let (_, written) = check(
        &[
            "{root}/scenarios/quota_concurrent_runs.yaml",
            "--target",
            &url,
        ],
        &dir,
    )
    .await;
    assert!(
        written.contains("no test-control API: steps that need it are skipped"),
        "{written}"
    );
}

#[tokio::test]
async fn an_endpoint_that_wants_signatures_gets_a_hint_for_sign() {
    let (mut serve, url) = crate::support::spawn_serve(&["--verify-sigv4", "AKIDEXAMPLE:secret"]);
    let dir = tempdir();
    let (code, out) = check(
        &["{root}/scenarios/unknown_flow.yaml", "--target", &url],
        &dir,
    )
    .await;
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(code, 1, "unsigned requests are refused: {out}");
    assert!(
        out.contains("hint: the endpoint answered 403 MissingAuthenticationToken")
            && out.contains("add --sign"),
        "the user is told what to do: {out}"
    );
}
