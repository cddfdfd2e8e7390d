//! The house's rules over the whole tree: no command prints a Rust `{:?}`
//! dump to a person (struct dumps such as `Profile { active_start: .. }`,
//! `Some(..)`, `Ok(..)`, `Err(..)` are the program's insides, not words a
//! user can act on; `serve`'s banner printed one twice in this project's
//! history); every module is named where a reader looks for it; no import
//! cycle between top-level modules; files stay readable in size.

use appflow_harness::endpoint::Environment;

/// What a Rust debug dump looks like in text: `Name { field: `, or one of
/// the std wrappers around a value.
fn dumps(text: &str) -> Vec<String> {
    let pattern = regex::Regex::new(
        r"\b[A-Z][A-Za-z0-9]* \{ [a-z_][a-z0-9_]*: |\b(Some|Ok|Err)\([^)]|\bNone\b,",
    )
    .expect("regex");
    text.lines()
        .filter(|l| pattern.is_match(l))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_pattern_finds_a_dump_and_spares_prose() {
    assert_eq!(
        dumps("listening (profile Profile { active_start: Conflict })").len(),
        1,
        "a struct dump is found"
    );
    assert_eq!(dumps("answer Some(\"x\")").len(), 1, "Some(..) is found");
    assert!(
        dumps("FAIL start: 409 ConflictException (C1), Some flows { were } here").is_empty(),
        "prose with capitals and braces is not a dump"
    );
}

#[test]
fn the_serve_banner_has_no_debug_dump() {
    let (mut serve, line) = crate::support::spawn_serve_banner(&["--stopped-status", "draft"]);
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(
        line.contains("--stopped-status draft"),
        "the banner names the profile as flags: {line}"
    );
    assert!(dumps(&line).is_empty(), "no debug dump in: {line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_prints_a_debug_dump() {
    let env = Environment::default();
    let runs: &[&[&str]] = &[
        &[
            "check",
            "scenarios/on_demand_start.yaml",
            "scenarios/start_when_active.yaml",
        ],
        &["check", "--list-coverage"],
        &["check", "--dry-run", "--target", "aws"],
        &["doctor"],
        &["cleanup"],
        &["explore", "--cases", "5", "--seed", "3"],
        &[
            "compare",
            "scenarios/start_when_active.yaml",
            "--baseline",
            "embedded",
            "--target",
            "embedded:active-start=idempotent",
        ],
    ];
    for args in runs {
        let (_code, text) = crate::support::run_cli(args, &env).await;
        assert!(
            !text.trim().is_empty(),
            "`appflow-harness {}` printed something to scan: {text}",
            args.join(" ")
        );
        let found = dumps(&text);
        assert!(
            found.is_empty(),
            "`appflow-harness {}` printed a Rust debug dump:\n{}",
            args.join(" "),
            found.join("\n")
        );
    }
}

/// Every top-level module of the library is named in the crate's module
/// map (`src/lib.rs`'s header) and in README's "Where things live", so a
/// reader of either finds every part.
#[test]
fn every_module_is_named_in_the_module_map_and_the_readme() {
    let lib = std::fs::read_to_string("src/lib.rs").expect("src/lib.rs");
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let layout = readme
        .split("## Where things live")
        .nth(1)
        .expect("README has a \"Where things live\" section");
    let header: String = lib
        .lines()
        .filter(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';'))
        .collect();
    assert!(
        modules.len() > 10,
        "the library's modules were read: {modules:?}"
    );
    for m in modules {
        assert!(
            header.contains(&format!("[`{m}`]")),
            "src/lib.rs's module map names `{m}`"
        );
        assert!(
            layout.contains(&format!("src/{m}/")) || layout.contains(&format!("src/{m}.rs")),
            "README's \"Where things live\" names src/{m}"
        );
    }
}

/// The top-level modules of `src/` and, for each, the other top-level
/// modules its files name through `crate::` (in code, tests, doc links and
/// re-exports alike).
fn module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut modules = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir("src").expect("src/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut files = Vec::new();
        let mut stack = vec![path.clone()];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                for e in std::fs::read_dir(&p).expect("dir") {
                    stack.push(e.expect("entry").path());
                }
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
        modules.insert(name, files);
    }
    let names: std::collections::BTreeSet<String> = modules.keys().cloned().collect();
    let pattern = regex::Regex::new(r"crate::([a-z_]+)").expect("regex");
    modules
        .into_iter()
        .map(|(m, files)| {
            let mut to = std::collections::BTreeSet::new();
            for f in files {
                let text = std::fs::read_to_string(&f).expect("source");
                for c in pattern.captures_iter(&text) {
                    if names.contains(&c[1]) && c[1] != *m {
                        to.insert(c[1].to_owned());
                    }
                }
            }
            (m, to)
        })
        .collect()
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = module_graph();
    assert!(graph.len() > 10, "the modules of src/ were read: {graph:?}");
    assert!(
        graph["commands"].contains("runner"),
        "the graph sees crate:: paths (commands uses runner)"
    );
    // Every module reachable from each; a module that reaches itself is on a cycle.
    for start in graph.keys() {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = graph[start]
            .iter()
            .map(|n| (n.clone(), vec![start.clone(), n.clone()]))
            .collect();
        while let Some((m, path)) = stack.pop() {
            assert!(
                m != *start,
                "import cycle between top-level modules: {}",
                path.join(" -> ")
            );
            if seen.insert(m.clone()) {
                for n in &graph[&m] {
                    let mut p = path.clone();
                    p.push(n.clone());
                    stack.push((n.clone(), p));
                }
            }
        }
    }
}

/// Files of roughly 100-400 lines, one concept each (STYLE.md): a file past
/// 400 lines mixes concepts and is split.
#[test]
fn no_source_file_is_over_400_lines() {
    let mut long = Vec::new();
    let mut stack = vec![std::path::PathBuf::from("src")];
    let mut seen = 0;
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).expect("dir") {
                stack.push(e.expect("entry").path());
            }
        } else if p.extension().is_some_and(|e| e == "rs") {
            seen += 1;
            let lines = std::fs::read_to_string(&p).expect("source").lines().count();
            if lines > 400 {
                long.push(format!("{} ({lines} lines)", p.display()));
            }
        }
    }
    assert!(seen > 50, "the sources were read ({seen} files)");
    assert!(long.is_empty(), "files over 400 lines: {}", long.join(", "));
}

/// One word per thing: no two public types of the library share a name
/// (16 did: `Summary` for a check and an exploration, `Call` for a sent
/// request and a model invocation, `State` for the emulator and the model,
/// ...). `LoadArgs` is one type in two feature twins (`cli/load.rs` with the
/// `load` feature, `cli/load_absent.rs` without), never both in a build.
#[test]
fn no_two_public_types_share_a_name() {
    let pattern = regex::Regex::new(r"(?m)^\s*pub (?:struct|enum|type|trait) ([A-Z][A-Za-z0-9]*)")
        .expect("regex");
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).expect("dir") {
                stack.push(e.expect("entry").path());
            }
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).expect("source");
            for c in pattern.captures_iter(&text) {
                seen.entry(c[1].to_owned())
                    .or_default()
                    .push(p.display().to_string());
            }
        }
    }
    assert!(
        seen.len() > 100,
        "the public types were read ({})",
        seen.len()
    );
    let twice: Vec<String> = seen
        .iter()
        .filter(|(name, files)| files.len() > 1 && name.as_str() != "LoadArgs")
        .map(|(name, files)| format!("{name}: {}", files.join(", ")))
        .collect();
    assert!(
        twice.is_empty(),
        "public type names defined twice:\n{}",
        twice.join("\n")
    );
}
