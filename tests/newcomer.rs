//! A newcomer's first hour, as they run it: their own first scenario,
//! without a recording, is judged by its expectations and the contract
//! (a missing recording is a note with the command that makes one), and
//! nothing is written into the snapshot folder.

use appflow_harness::emulator::Emulator;
use appflow_harness::endpoint::Environment;

fn tempdir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("appflow-harness-newcomer-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).expect("dir") {
                stack.push(e.expect("entry").path());
            }
        } else {
            found.push(p.strip_prefix(dir).expect("under").display().to_string());
        }
    }
    found
}

/// The first scenario README's quick start tells a newcomer to write (the
/// YAML block that starts `# my/replay.yaml`), so the README stays true.
fn my_replay() -> String {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let start = readme
        .find("# my/replay.yaml")
        .expect("README's quick start has a first scenario");
    let end = readme[start..].find("```").expect("its block ends") + start;
    readme[start..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_own_scenario_without_a_recording_passes_and_writes_nothing() {
    let dir = tempdir();
    let file = dir.join("replay.yaml");
    std::fs::write(&file, my_replay()).expect("write the scenario");
    let snapshots = dir.join("snapshots");
    let emulator = Emulator::start().await.expect("emulator");
    let url = format!("http://{}", emulator.addr());
    for target in [url.as_str(), "embedded"] {
        let (code, text) = crate::support::run_cli(
            &[
                "check",
                "--target",
                target,
                "--snapshot-dir",
                snapshots.to_str().expect("utf8"),
                file.to_str().expect("utf8"),
            ],
            &Environment::default(),
        )
        .await;
        assert_eq!(
            code,
            appflow_harness::exit_codes::OK,
            "a correct scenario without a recording passes on {target}: {text}"
        );
        assert!(
            text.contains("no recording of this scenario") && text.contains("--record"),
            "the missing recording is a note naming the command that makes one ({target}): {text}"
        );
        assert!(
            !text.contains("FAIL"),
            "nothing is reported failed ({target}): {text}"
        );
        assert_eq!(
            files_under(&dir),
            vec!["replay.yaml".to_owned()],
            "nothing is written beside the scenario or into the snapshot folder ({target})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_snapshots_still_ask_for_a_recording() {
    let dir = tempdir();
    let file = dir.join("replay.yaml");
    std::fs::write(&file, my_replay()).expect("write the scenario");
    let snapshots = dir.join("snapshots");
    let (code, text) = crate::support::run_cli(
        &[
            "check",
            "--snapshots",
            "strict",
            "--snapshot-dir",
            snapshots.to_str().expect("utf8"),
            file.to_str().expect("utf8"),
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(
        code,
        appflow_harness::exit_codes::FAILURES,
        "--snapshots strict fails a scenario without a recording: {text}"
    );
    assert!(
        text.contains("no snapshot at"),
        "the failure names the missing recording: {text}"
    );
}

#[test]
fn the_readme_contents_link_to_its_sections() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    // GitHub's anchors: lower case, spaces to '-', punctuation other than
    // '-' and '_' dropped.
    let anchors: Vec<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .map(|h| {
            h.to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let contents = readme
        .split("## Contents")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a table of contents");
    let links = regex::Regex::new(r"\]\(#([^)]+)\)").expect("regex");
    let mut n = 0;
    for c in links.captures_iter(contents) {
        n += 1;
        assert!(
            anchors.iter().any(|a| a == &c[1]),
            "the contents link #{} names a heading of README",
            &c[1]
        );
    }
    assert!(n >= 10, "the contents link every part ({n} links)");
}

/// A 429 a scenario injects on purpose (`fault: {kind: throttle}`) is no
/// news about the target's capacity: it does not pace the scenarios after
/// it, and the run's pacing line does not count it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_throttle_does_not_pace_the_run() {
    let scenario = |n: &str| format!("{}/scenarios/{n}.yaml", env!("CARGO_MANIFEST_DIR"));
    let (code, text) = crate::support::run_cli(
        &[
            "check",
            "--no-snapshots",
            &scenario("throttled_then_retried"),
            &scenario("token_replay_after_8h"),
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, appflow_harness::exit_codes::OK, "{text}");
    assert!(
        text.contains("PASS throttled_then_retried"),
        "the injected 429 was answered and judged: {text}"
    );
    assert!(
        !text.contains("pacing:"),
        "no pacing line for a throttle the harness injected itself: {text}"
    );
}

/// On the embedded target the harness owns the run time: a scenario that
/// waits for runs to end (`execution_records_paging` waits twice) ends them
/// through the emulator (`/_harness/finish-runs`) instead of waiting out
/// their run time. With runs of an hour, only that lets it pass within its
/// 60 s `eventually`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_embedded_target_the_harness_ends_runs_instead_of_waiting() {
    let scenario = format!(
        "{}/scenarios/execution_records_paging.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, text) = crate::support::run_cli(
        &[
            "check",
            "--no-snapshots",
            "--run-time-ms",
            "3600000",
            &scenario,
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, appflow_harness::exit_codes::OK, "{text}");
    assert!(
        text.contains("PASS execution_records_paging"),
        "the runs of an hour were ended by the harness, so the scenario saw them end: {text}"
    );
}

/// `doctor --target aws` without credentials is a diagnosis (where the
/// target is, what to set), not one error line; `explore --target aws
/// --dry-run` prices a run without credentials, as `check --dry-run` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_without_credentials_gets_a_diagnosis_and_dry_runs_need_none() {
    let env = Environment::default();
    let (code, text) = crate::support::run_cli(
        &["doctor", "--target", "aws", "--region", "eu-west-1"],
        &env,
    )
    .await;
    assert_ne!(code, appflow_harness::exit_codes::OK, "{text}");
    for line in [
        "target:      https://appflow.eu-west-1.amazonaws.com (aws)",
        "credentials: FAILED: none found",
        "fix: keys: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        "fix: a profile: --profile NAME or AWS_PROFILE=NAME",
    ] {
        assert!(text.contains(line), "doctor says `{line}`: {text}");
    }
    let (code, text) = crate::support::run_cli(
        &[
            "explore",
            "--target",
            "aws",
            "--region",
            "eu-west-1",
            "--dry-run",
        ],
        &env,
    )
    .await;
    assert_eq!(code, appflow_harness::exit_codes::OK, "{text}");
    assert!(
        text.contains("explore would play up to")
            && text.contains("https://appflow.eu-west-1.amazonaws.com")
            && text.contains("flow runs"),
        "the dry run prices the run against AWS's endpoint without credentials: {text}"
    );
}

/// The emulator's settings have one syntax: compare's `embedded:` spec takes
/// every flag of `serve` (it was refused for `token-ttl-secs`), and the
/// emulator's flags with a target that is not the embedded emulator are
/// refused (they were silently ignored), exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_settings_have_one_syntax_and_are_never_silently_ignored() {
    let scenario = format!(
        "{}/scenarios/on_demand_start.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, text) = crate::support::run_cli(
        &[
            "compare",
            &scenario,
            "--target",
            "embedded:token-ttl-secs=5,active-start=idempotent",
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(
        code,
        appflow_harness::exit_codes::OK,
        "compare takes serve's flags in embedded:FLAG=VALUE: {text}"
    );
    let emulator = Emulator::start().await.expect("emulator");
    let url = format!("http://{}", emulator.addr());
    for command in ["check", "explore"] {
        let (code, text) = crate::support::run_cli(
            &[
                command,
                "--target",
                &url,
                "--active-start",
                "idempotent",
                "--max-flows",
                "5",
            ],
            &Environment::default(),
        )
        .await;
        assert_eq!(
            code,
            appflow_harness::exit_codes::USAGE,
            "{command}: emulator flags with a URL target are refused: {text}"
        );
        assert!(
            text.contains("--active-start, --max-flows") && text.contains("serve"),
            "{command}: the refusal names the flags and where they belong: {text}"
        );
    }
}

/// `[chosen]` scenarios are marked on their line, and the open questions a
/// recording would settle are said once at the end (30 of 47 lines carried
/// them); each scenario names only the questions it tests (`body_too_large`
/// claimed question 5, which the validation scenarios test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_questions_are_said_once_by_the_scenarios_that_test_them() {
    let scenario = |n: &str| format!("{}/scenarios/{n}.yaml", env!("CARGO_MANIFEST_DIR"));
    let (code, text) = crate::support::run_cli(
        &[
            "check",
            &scenario("body_too_large"),
            &scenario("validation_flow_name"),
            &scenario("validation_client_token"),
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, appflow_harness::exit_codes::OK, "{text}");
    let pass_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("PASS")).collect();
    assert_eq!(pass_lines.len(), 3, "{text}");
    assert!(
        pass_lines.iter().all(|l| l.ends_with("[chosen]")),
        "each line is marked, briefly: {pass_lines:?}"
    );
    assert_eq!(
        text.matches("open questions").count(),
        1,
        "the questions are said once: {text}"
    );
    assert!(
        text.contains("3 scenarios rest on rules")
            && text.contains("5 (Does StartFlow answer ValidationException"),
        "the closing line counts the scenarios and names question 5: {text}"
    );
    let (_, alone) = crate::support::run_cli(
        &["check", &scenario("body_too_large")],
        &Environment::default(),
    )
    .await;
    assert!(
        !alone.contains("open questions 5"),
        "body_too_large does not claim question 5: {alone}"
    );
}

/// A `--var` key that names no fixture variable is a command-line error
/// (exit 2, found before anything runs), not an invalid-input exit 3.
#[test]
fn a_misspelled_var_is_a_usage_error() {
    use clap::Parser;
    let parsed =
        appflow_harness::cli::Cli::try_parse_from(["appflow-harness", "check", "--var", "foo=bar"]);
    let Err(e) = parsed else {
        panic!("--var foo=bar is refused while parsing");
    };
    assert_eq!(e.exit_code(), appflow_harness::exit_codes::USAGE);
    assert!(
        e.to_string()
            .contains("no such fixture variable (source_bucket"),
        "the refusal lists the variables: {e}"
    );
}

/// The same situation gets the same answer from every command: a URL with
/// nothing listening is exit 4 (TARGET_UNREACHABLE) with "unreachable" in
/// the message, from a probe before any set-up (doctor claimed abilities
/// and retried for 11 s, load retried its set-up for 10 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_url_is_exit_4_from_every_command() {
    // A port that was bound and is closed again: nothing listens there.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["check", "--target", &dead],
        vec!["compare", "--target", &dead],
        vec!["explore", "--target", &dead, "--cases", "2"],
        vec!["cleanup", "--target", &dead],
        vec!["doctor", "--target", &dead],
        vec![
            "record",
            "--listen",
            "127.0.0.1:0",
            "--target",
            &dead,
            "--calls",
            "1",
        ],
    ];
    if cfg!(feature = "load") {
        commands.push(vec!["load", "--target", &dead, "--run-time", "2s"]);
    }
    for args in commands {
        let (code, text) = crate::support::run_cli(&args, &Environment::default()).await;
        assert_eq!(
            code,
            appflow_harness::exit_codes::TARGET_UNREACHABLE,
            "`{}` on a dead URL: {text}",
            args.join(" ")
        );
        assert!(
            text.contains("unreachable"),
            "`{}` says the target is unreachable: {text}",
            args.join(" ")
        );
    }
}

/// Every JSON report says what it is: explore's carries `schema` as
/// check's and compare's do, and follows docs/explore.schema.json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explores_json_report_names_and_follows_its_schema() {
    let dir = tempdir();
    let json = dir.join("explore.json");
    let (code, text) = crate::support::run_cli(
        &[
            "explore",
            "--cases",
            "5",
            "--seed",
            "2",
            "--json",
            json.to_str().expect("utf8"),
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, appflow_harness::exit_codes::OK, "{text}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("report written")).expect("json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/explore.schema.json").expect("schema"))
            .expect("schema json");
    assert_eq!(
        report["schema"], schema["$id"],
        "the report names its schema"
    );
    let mut errors = Vec::new();
    crate::support::conforms(&report, &schema, &schema, "report", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
}

/// README's price of the catalogue on AWS is what `check --dry-run` prints
/// (they disagreed: "54 flows, up to 58 runs, about $0.06" against "62
/// flows ... up to 51 flow runs ... about $0.051").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_price_of_the_catalogue_is_the_dry_runs() {
    let (code, text) = crate::support::run_cli(
        &["check", "--dry-run", "--target", "aws"],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, appflow_harness::exit_codes::OK, "{text}");
    let total = text
        .lines()
        .find(|l| l.starts_with("total:"))
        .expect("the dry run prints a total");
    let pick = |pattern: &str, from: &str| {
        regex::Regex::new(pattern)
            .expect("regex")
            .captures(from)
            .map(|c| c[1].to_owned())
            .unwrap_or_else(|| panic!("{pattern} in {from}"))
    };
    let flows = pick(r"(\d+) flows created", total);
    let runs = pick(r"up to (\d+) flow runs", total);
    let price = pick(r"about (\$[0-9.]+)", total);
    let readme = std::fs::read_to_string("README.md")
        .expect("README.md")
        .replace('\n', " ");
    let readme = regex::Regex::new(r"\s+")
        .expect("regex")
        .replace_all(&readme, " ")
        .into_owned();
    let said = format!(
        "the catalogue: {flows} flows created and deleted, up to {runs} flow runs, about {price}"
    );
    assert!(
        readme.contains(&said),
        "README says the dry run's figures (\"{said}\"); the dry run printed: {total}"
    );
}

/// One name per thing across every command's `--help`: the HTML report is
/// `--html` (load said `--report-file`), a run's duration is `--run-time`
/// (explore and record said `--time`); the old names stay as hidden
/// aliases, so old command lines still work.
#[test]
fn every_commands_help_uses_the_same_names() {
    use clap::CommandFactory;
    let cli = appflow_harness::cli::Cli::command();
    let flag = regex::Regex::new(r"--[a-z][a-z0-9-]*").expect("regex");
    let mut seen = 0;
    for sub in cli.get_subcommands() {
        let mut sub = sub.clone();
        let help = sub.render_long_help().to_string();
        let flags: std::collections::BTreeSet<&str> =
            flag.find_iter(&help).map(|m| m.as_str()).collect();
        seen += flags.len();
        for old in ["--report-file", "--time", "--throttle-rps"] {
            assert!(
                !flags.contains(old),
                "`{}` shows the old name {old}:\n{help}",
                sub.get_name()
            );
        }
    }
    assert!(seen > 50, "the help texts were read ({seen} flags)");
    let has = |name: &str, wanted: &str| {
        let mut c = appflow_harness::cli::Cli::command();
        let sub = c.find_subcommand_mut(name).expect(name).clone();
        sub.get_arguments()
            .any(|a| a.get_long() == Some(wanted.trim_start_matches("--")))
    };
    for (command, wanted) in [
        ("compare", "--html"),
        ("compare", "--junit"),
        ("check", "--junit"),
        ("explore", "--junit"),
        ("explore", "--run-time"),
        ("record", "--run-time"),
    ] {
        assert!(has(command, wanted), "`{command}` names it {wanted}");
    }
    if cfg!(feature = "load") {
        assert!(
            has("load", "--html") && has("load", "--run-time") && has("load", "--junit"),
            "load's names"
        );
    }
}

/// A report's counts agree with what happened: explore's `calls` are at
/// least the AppFlow requests the target received (a single call whose
/// answer ended its read counted 0, and the report said 343 calls where the
/// emulator had answered 724).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explores_call_count_covers_every_request_the_target_received() {
    let emulator = Emulator::start().await.expect("emulator");
    let url = format!("http://{}", emulator.addr());
    let dir = tempdir();
    let json = dir.join("explore.json");
    let (code, text) = crate::support::run_cli(
        &[
            "explore",
            "--target",
            &url,
            "--cases",
            "20",
            "--seed",
            "1",
            "--json",
            json.to_str().expect("utf8"),
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, appflow_harness::exit_codes::OK, "{text}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("report")).expect("json");
    let received = crate::support::Api::new(&url).counters().await["requests"]
        .as_u64()
        .expect("the emulator counts requests");
    let reported = report["calls"].as_u64().expect("calls");
    assert!(received > 20, "the exploration sent requests ({received})");
    assert!(
        reported >= received,
        "explore reported {reported} calls; the target received {received} AppFlow requests"
    );
}

/// A rule no answer of the run could break is not "held": the README's
/// first scenario has no error answer, so W2 is "not exercised"; the
/// catalogue, which has error answers, holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_no_answer_applies_to_is_not_exercised_rather_than_held() {
    let dir = tempdir();
    let file = dir.join("replay.yaml");
    std::fs::write(&file, my_replay()).expect("write");
    let path = file.display().to_string();
    let (code, text) =
        crate::support::run_cli(&["check", "--no-snapshots", &path], &Environment::default()).await;
    assert_eq!(code, appflow_harness::exit_codes::OK, "{text}");
    assert!(
        text.contains("(W2): not exercised (no answer it applies to)")
            && !text.contains("(W2): held"),
        "two 200s hold W2 to nothing: {text}"
    );
    assert!(
        text.contains("(W3): held"),
        "every answer has a request id: {text}"
    );
    let scenario = format!("{}/scenarios/unknown_flow.yaml", env!("CARGO_MANIFEST_DIR"));
    let (_, text) = crate::support::run_cli(
        &["check", "--no-snapshots", &scenario],
        &Environment::default(),
    )
    .await;
    assert!(text.contains("(W2): held"), "a 404 answer holds W2: {text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every command's `--help` has one layout, as a user sees it: the flags
/// apart, each with its text under it (load, doctor and cleanup printed
/// theirs packed, the others spaced).
#[test]
fn every_commands_help_has_one_layout() {
    let bin = env!("CARGO_BIN_EXE_appflow-harness");
    let mut flags = 0;
    for command in [
        "check", "compare", "explore", "serve", "doctor", "cleanup", "record", "load",
    ] {
        let out = std::process::Command::new(bin)
            .args([command, "--help"])
            .output()
            .expect("help");
        let help = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate().skip(1) {
            let t = line.trim_start();
            let is_flag =
                t.starts_with("--") || (t.starts_with('-') && t.chars().nth(2) == Some(','));
            // Flags are indented 2 or 6 spaces; their texts 10.
            if is_flag && !line.starts_with("          ") {
                flags += 1;
                let before = lines[i - 1];
                assert!(
                    before.trim().is_empty() || before.ends_with(':'),
                    "`{command} --help`: {line:?} follows {before:?} without a blank line\n{help}"
                );
            }
        }
    }
    assert!(flags > 50, "the help texts were read ({flags} flags)");
}
