use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::scenario::file::{ExpectFile, FlowFile, RawFile, ShapeFile, StatusFile, WhenFile};

/// Text with what YAML quotes: templates, spaces at either end, quotes,
/// `: `, `#`, YAML words (`null`, `yes`, `1`), non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        Just("{{token.t0}}".to_owned()),
        Just(" {{flow.s0}}".to_owned()),
        Just("null".to_owned()),
        Just("yes".to_owned()),
        Just("200".to_owned()),
        Just("a: b # c".to_owned()),
        "\\PC{0,8}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9-]{0,10}"
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), json_value(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn statuses() -> impl Strategy<Value = StatusFile> {
    prop::collection::vec(100u16..600, 1..4).prop_map(StatusFile)
}

fn alternative() -> impl Strategy<Value = ExpectFile> {
    (
        prop::option::of(statuses()),
        prop::option::of(key()),
        prop::option::of(object()),
    )
        .prop_map(|(status, error, body)| ExpectFile {
            status,
            error,
            body,
            ..ExpectFile::default()
        })
}

fn expect() -> impl Strategy<Value = ExpectFile> {
    (
        alternative(),
        prop::option::of("[1-9][0-9]?s"),
        prop::collection::btree_map("[a-zA-Z.]{1,12}", 0usize..9, 0..3),
        prop::collection::btree_map(100u16..600, 0usize..9, 0..3),
        prop::collection::vec(prop::collection::vec(100u16..600, 1..4), 0..3),
        any::<bool>(),
        prop::collection::vec(alternative(), 0..3),
    )
        .prop_map(
            |(base, eventually, distinct, status_count, statuses_in_order, no_response, one_of)| {
                ExpectFile {
                    eventually,
                    distinct,
                    status_count,
                    statuses_in_order,
                    no_response,
                    one_of,
                    ..base
                }
            },
        )
}

fn action() -> impl Strategy<Value = StepFile> {
    prop_oneof![
        object().prop_map(|b| StepFile {
            start_flow: Some(b),
            ..StepFile::default()
        }),
        object().prop_map(|b| StepFile {
            describe_flow_execution_records: Some(b),
            ..StepFile::default()
        }),
        object().prop_map(|b| StepFile {
            list_flows: Some(b),
            ..StepFile::default()
        }),
        (text(), prop::option::of(0usize..100_000)).prop_map(|(body, pad_to)| StepFile {
            raw: Some(RawFile {
                operation: "StartFlow".into(),
                body,
                pad_to,
            }),
            ..StepFile::default()
        }),
        "[1-9][0-9]?[hms]".prop_map(|d| StepFile {
            advance_clock: Some(d),
            ..StepFile::default()
        }),
        "[1-9][0-9]?[ms]".prop_map(|d| StepFile {
            wait: Some(d),
            ..StepFile::default()
        }),
        object().prop_map(|c| StepFile {
            configure: Some(c),
            ..StepFile::default()
        }),
    ]
}

fn step_file() -> impl Strategy<Value = StepFile> {
    (
        action(),
        prop::option::of(text()),
        prop::option::of(1u32..1000),
        prop::collection::btree_map(key(), prop::collection::vec(json_value(), 1..4), 0..2),
        any::<bool>(),
        prop::option::of(expect()),
        prop::collection::btree_map(key(), "[a-zA-Z.]{1,12}", 0..3),
        prop::option::of((
            1usize..9,
            statuses(),
            prop::collection::vec(prop_oneof![Just(0u16), Just(200), Just(409)], 0..4),
        )),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                a,
                name,
                concurrent,
                each,
                needs_control,
                expect,
                capture,
                when,
                all_pages,
                with_previous,
            )| {
                StepFile {
                    with_previous,
                    name,
                    concurrent,
                    each,
                    needs_control,
                    expect,
                    capture,
                    when: when.map(|(step, status, statuses_in_order)| WhenFile {
                        step,
                        status: Some(status),
                        body: None,
                        statuses_in_order,
                    }),
                    all_pages,
                    ..a
                }
            },
        )
}

fn flow() -> impl Strategy<Value = FlowFile> {
    (
        prop_oneof![Just("OnDemand"), Just("Scheduled"), Just("Event")],
        prop::option::of(object()),
        prop::option::of((prop::option::of(2usize..1024), "[!@#.-]{0,4}")),
        any::<bool>(),
    )
        .prop_map(|(trigger, create, name, exists)| FlowFile {
            trigger: trigger.into(),
            create,
            name: name.map(|(length, include)| ShapeFile { length, include }),
            exists,
        })
}

fn scenario_file() -> impl Strategy<Value = ScenarioFile> {
    (
        text(),
        prop::option::of(prop_oneof![Just("model"), Just("chosen")]),
        any::<bool>(),
        prop::collection::vec("[A-Z][0-9]{1,2}", 0..4),
        prop::collection::btree_map(key(), flow(), 0..3),
        prop::collection::btree_map(
            key(),
            (prop::option::of(1usize..1024), "[a-z]{0,3}")
                .prop_map(|(length, include)| ShapeFile { length, include }),
            0..3,
        ),
        prop::collection::vec(step_file(), 0..5),
        prop::collection::btree_map(key(), prop::collection::vec(text(), 0..3), 0..2),
    )
        .prop_map(
            |(description, contract, exclusive, covers, flows, tokens, steps, known)| {
                ScenarioFile {
                    description,
                    contract: contract.map(str::to_owned),
                    exclusive,
                    covers,
                    flows,
                    tokens,
                    steps: steps.into_iter().map(step).collect(),
                    known_differences: known,
                    ..ScenarioFile::default()
                }
            },
        )
}

/// The file with every step's location forgotten (a written file was not
/// read from anywhere; a read one was).
fn unspanned(mut f: ScenarioFile) -> ScenarioFile {
    f.steps = f.steps.into_iter().map(|s| step(s.value)).collect();
    f
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// What the writer writes, the reader reads as the same file: the
    /// format has one owner and no value is lost or changed on the way.
    #[test]
    fn a_written_scenario_file_reads_back_as_the_same_file(
        file in scenario_file(),
        header in prop::collection::vec("[ -~]{0,30}", 0..3),
    ) {
        let text = write(&file, &header).expect("every generated file can be written");
        let back = read(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(unspanned(back), file, "read(write(x)) == x for:\n{}", text);
    }
}

#[test]
fn a_written_file_with_a_header_is_a_valid_scenario() {
    let mut flows = BTreeMap::new();
    flows.insert(
        "s0".to_owned(),
        FlowFile {
            trigger: "OnDemand".into(),
            create: None,
            name: None,
            exists: true,
        },
    );
    let file = ScenarioFile {
        description: "a start with a token, then its replay: one run".into(),
        contract: Some("model".into()),
        covers: vec!["T1".into()],
        flows,
        steps: vec![
            step(StepFile {
                start_flow: Some(
                    json!({ "flowName": "{{flow.s0}}", "clientToken": "{{token.a}}" }),
                ),
                expect: Some(ExpectFile {
                    status: Some(StatusFile(vec![200])),
                    ..ExpectFile::default()
                }),
                capture: [("r0".to_owned(), "executionId".to_owned())].into(),
                ..StepFile::default()
            }),
            step(StepFile {
                start_flow: Some(
                    json!({ "flowName": "{{flow.s0}}", "clientToken": "{{token.a}}" }),
                ),
                expect: Some(ExpectFile {
                    body: Some(json!({ "executionId": "{{r0}}" })),
                    ..ExpectFile::default()
                }),
                ..StepFile::default()
            }),
        ],
        ..ScenarioFile::default()
    };
    let text = write(&file, &["Replay: appflow-harness check THIS_FILE".into()]).expect("write");
    assert!(
        text.starts_with("# Replay: appflow-harness check THIS_FILE\n"),
        "the header is a comment on top:\n{text}"
    );
    let s = crate::scenario::parse(std::path::Path::new("written.yaml"), &text)
        .unwrap_or_else(|e| panic!("the written file validates: {}\n{text}", e.message));
    assert_eq!(s.steps.len(), 2, "both steps are read:\n{text}");
}
