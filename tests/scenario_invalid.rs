//! Each file in scenarios/invalid/ is refused with the error text stored
//! beside it (`NAME.expected`), pointing at the file, line and step.

use std::path::PathBuf;

#[test]
fn invalid_scenarios_are_refused_with_located_errors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/invalid")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let shown = PathBuf::from("scenarios/invalid").join(f.file_name().expect("name"));
        // Every mistake of the file, one error each, in file order.
        let errors = appflow_harness::scenario::parse_all(&shown, &text)
            .expect_err(&format!("{} must be refused", f.display()));
        let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let expected =
            std::fs::read_to_string(f.with_extension("expected")).expect("a .expected file");
        assert_eq!(said.join("\n").trim(), expected.trim(), "{}", f.display());
    }
}

#[test]
fn check_exits_with_invalid_input_on_a_bad_scenario() {
    use clap::Parser;
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/invalid/two_actions.yaml");
    let cli = appflow_harness::cli::Cli::try_parse_from([
        "appflow-harness",
        "check",
        file.to_str().expect("utf8"),
    ])
    .expect("args");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    assert_eq!(
        crate::support::exit_code(&rt.block_on(appflow_harness::cli::run(cli))),
        appflow_harness::exit_codes::INVALID_INPUT
    );
}

#[test]
fn a_missing_scenario_file_is_named_without_a_line() {
    let errors = appflow_harness::scenario::load(&[PathBuf::from("no/such/scenario.yaml")])
        .expect_err("a missing file is refused");
    assert_eq!(
        errors[0].to_string(),
        "no/such/scenario.yaml: failed to read scenario: no such file or folder",
        "a file that could not be read has no line and column (not `:0:0`)"
    );
}
