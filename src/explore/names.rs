//! A step's calls made concrete: the sequence's own flow names and fresh
//! tokens (or the templates a scenario file writes for them), and the
//! request bodies.

use serde_json::{Value, json};

use super::generate::{Move, TokenArg, Variant, Write};
use crate::appflow::{Operation, TriggerType};
use crate::fixtures::FixtureVars;
use crate::scenario::template::Filter;

/// What names, tokens and executionIds become in a request.
pub trait Namer {
    /// The flow name of `slot`, or a near miss of it.
    fn name(&self, slot: u8, v: Variant) -> String;
    /// Pool token `k`, or a near miss of it.
    fn token(&self, k: u8, v: Variant) -> String;
    /// The executionId of run `i` (modulo their number, in the order
    /// answered) among the runs answered on flow `slot`, or among all the
    /// sequence's runs when that flow has none; an id no run has for `None`.
    fn run(&self, slot: u8, i: Option<usize>) -> String;
}

/// Real values: names under the harness's prefix (`ah-`, so `cleanup`
/// finds what a killed run left) and UUID tokens, fresh per sequence.
#[derive(Debug, Clone)]
pub struct Concrete {
    /// 10 random lowercase letters and digits, fresh per sequence.
    pub sequence: String,
    tokens: Vec<String>,
    /// executionIds answered so far, in order.
    pub runs: Vec<String>,
    /// The flow slot each of `runs` was answered on.
    pub run_slots: Vec<u8>,
    /// The target's configuration before the sequence's first quota step
    /// (put back after the sequence).
    pub saved_config: Option<serde_json::Value>,
}

impl Concrete {
    /// Fresh names and tokens.
    pub fn fresh() -> Self {
        Self {
            sequence: crate::names::run_id(10),
            tokens: (0..super::generate::TOKENS)
                .map(|_| crate::names::scenario_token())
                .collect(),
            runs: Vec::new(),
            run_slots: Vec::new(),
            saved_config: None,
        }
    }
}

/// `base` with a near miss applied.
pub fn vary(base: &str, v: Variant) -> String {
    match v {
        Variant::Plain => base.to_owned(),
        Variant::Lead => format!(" {base}"),
        Variant::Trail => format!("{base} "),
        // As a saved file's `{{...|upper}}` and `|length:N` make them.
        Variant::Upper => Filter::Upper.apply(base),
        Variant::Len(n) => Filter::Length(usize::from(n)).apply(base),
    }
}

impl Namer for Concrete {
    fn name(&self, slot: u8, v: Variant) -> String {
        vary(
            &format!("{}x{}-s{slot}", crate::names::CHECK_PREFIX, self.sequence),
            v,
        )
    }

    fn token(&self, k: u8, v: Variant) -> String {
        vary(&self.tokens[k as usize % self.tokens.len()], v)
    }

    // A cancel names one of its own flow's runs (one of several running
    // there after a burst, or under C2 accept), else any of the sequence's.
    fn run(&self, slot: u8, i: Option<usize>) -> String {
        let own: Vec<&String> = (self.runs.iter().zip(&self.run_slots))
            .filter(|(_, s)| **s == slot)
            .map(|(r, _)| r)
            .collect();
        let runs = if own.is_empty() {
            self.runs.iter().collect()
        } else {
            own
        };
        match i {
            Some(i) if !runs.is_empty() => runs[i % runs.len()].clone(),
            _ => format!("{}norun-{}", crate::names::CHECK_PREFIX, self.sequence),
        }
    }
}

/// The clientToken value of `t`, if any.
pub fn token_of(n: &dyn Namer, t: TokenArg) -> Option<String> {
    match t {
        TokenArg::None => None,
        TokenArg::Pool(k, v) => Some(n.token(k, v)),
    }
}

/// The description that tells two inputs apart (T13); `cleanup` matches
/// flows by name prefix, so the text may vary.
fn description(variant: u8) -> String {
    if variant == 0 {
        crate::fixtures::DESCRIPTION.to_owned()
    } else {
        format!("{}, variant {variant}", crate::fixtures::DESCRIPTION)
    }
}

/// The requests of one step (one, or a burst's), none for a control step.
/// `trigger` is the slot's trigger type (for UpdateFlow's body).
pub fn requests(
    step: &Move,
    n: &dyn Namer,
    fixtures: &FixtureVars,
    trigger: TriggerType,
) -> Vec<(Operation, Value)> {
    let with = |mut body: Value, token: TokenArg, variant: u8| {
        body["description"] = json!(description(variant));
        if let Some(t) = token_of(n, token) {
            body["clientToken"] = json!(t);
        }
        body
    };
    let plain = |slot: u8| n.name(slot, Variant::Plain);
    let one = |op: Operation, body: Value| vec![(op, body)];
    match step {
        Move::Create {
            slot,
            trigger,
            token,
            variant,
        } => one(
            Operation::CreateFlow,
            with(fixtures.body(&plain(*slot), *trigger), *token, *variant),
        ),
        Move::Update {
            slot,
            token,
            variant,
        } => one(
            Operation::UpdateFlow,
            with(fixtures.body(&plain(*slot), trigger), *token, *variant),
        ),
        Move::Lost { slot, token, .. } | Move::Large { slot, token } => one(
            Operation::StartFlow,
            start_body(plain(*slot), token_of(n, *token)),
        ),
        Move::Start { slot, name, token } => one(
            Operation::StartFlow,
            start_body(n.name(*slot, *name), token_of(n, *token)),
        ),
        Move::Burst { slot, tokens } => tokens
            .iter()
            .map(|t| {
                (
                    Operation::StartFlow,
                    start_body(plain(*slot), token_of(n, *t)),
                )
            })
            .collect(),
        // Neither create carries a token: whichever wins, the account ends
        // the same (a token is remembered for the winner only, T13), so
        // what follows does not depend on the order, and a saved file
        // needs no guard that a replay in the other order would skip.
        Move::Race {
            slot,
            with: Write::Create { trigger },
            ..
        } => [TokenArg::None, TokenArg::None]
            .into_iter()
            .map(|t| {
                let body = with(fixtures.body(&plain(*slot), *trigger), t, 0);
                (Operation::CreateFlow, body)
            })
            .collect(),
        Move::Race {
            slot,
            with: w,
            token,
        } => {
            let start = start_body(plain(*slot), token_of(n, *token));
            let flow = json!({ "flowName": plain(*slot) });
            let write = match w {
                Write::Update => (
                    Operation::UpdateFlow,
                    with(fixtures.body(&plain(*slot), trigger), TokenArg::None, 1),
                ),
                Write::Delete { force } => (
                    Operation::DeleteFlow,
                    json!({ "flowName": plain(*slot), "forceDelete": force }),
                ),
                Write::Stop | Write::Create { .. } => (Operation::StopFlow, flow),
            };
            vec![(Operation::StartFlow, start), write]
        }
        Move::Stop { slot } => one(Operation::StopFlow, json!({ "flowName": plain(*slot) })),
        Move::Delete { slot, force } => one(
            Operation::DeleteFlow,
            json!({ "flowName": plain(*slot), "forceDelete": force }),
        ),
        Move::Describe { slot } => {
            one(Operation::DescribeFlow, json!({ "flowName": plain(*slot) }))
        }
        Move::List { page } => one(Operation::ListFlows, json!({ "maxResults": page })),
        Move::Records { slot, page } => one(
            Operation::DescribeFlowExecutionRecords,
            json!({ "flowName": plain(*slot), "maxResults": page }),
        ),
        Move::Settle { slot } => one(
            Operation::DescribeFlowExecutionRecords,
            json!({ "flowName": plain(*slot), "maxResults": super::generate::SETTLE_PAGE }),
        ),
        Move::Cancel { slot, run } => one(
            Operation::CancelFlowExecutions,
            json!({ "flowName": plain(*slot), "executionIds": [n.run(*slot, run.map(usize::from))] }),
        ),
        Move::Clock | Move::Pause | Move::Quota { .. } => Vec::new(),
    }
}

fn start_body(name: String, token: Option<String>) -> Value {
    match token {
        Some(t) => json!({ "flowName": name, "clientToken": t }),
        None => json!({ "flowName": name }),
    }
}

/// The model's view of a request: the same names and tokens.
pub fn model_call(
    step: &Move,
    op: Operation,
    body: &Value,
    trigger: TriggerType,
) -> crate::model::Invocation {
    use crate::model::Invocation;
    let s = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    let token = body["clientToken"].as_str().map(str::to_owned);
    let name = s("flowName");
    match (op, step) {
        (
            Operation::CreateFlow,
            Move::Create {
                trigger, variant, ..
            },
        ) => Invocation::CreateFlow {
            name,
            trigger: *trigger,
            token,
            variant: *variant,
        },
        (Operation::UpdateFlow, Move::Update { variant, .. }) => Invocation::UpdateFlow {
            name,
            trigger,
            token,
            variant: *variant,
        },
        // A race's writes: two creates of one input, an update to another.
        (
            Operation::CreateFlow,
            Move::Race {
                with: Write::Create { trigger },
                ..
            },
        ) => Invocation::CreateFlow {
            name,
            trigger: *trigger,
            token,
            variant: 0,
        },
        (Operation::UpdateFlow, Move::Race { .. }) => Invocation::UpdateFlow {
            name,
            trigger,
            token,
            variant: 1,
        },
        (Operation::StartFlow, Move::Large { .. }) => Invocation::LargeStart {
            name,
            token,
            bytes: super::generate::LARGE_BODY,
        },
        (Operation::StopFlow, _) => Invocation::StopFlow { name },
        (Operation::DeleteFlow, _) => Invocation::DeleteFlow {
            name,
            force: body["forceDelete"] == true,
        },
        (Operation::DescribeFlow, _) => Invocation::DescribeFlow { name },
        (Operation::ListFlows, Move::List { page }) => Invocation::ListFlows { page: *page },
        (Operation::DescribeFlowExecutionRecords, Move::Records { page, .. }) => {
            Invocation::Records { name, page: *page }
        }
        (Operation::DescribeFlowExecutionRecords, _) => Invocation::Records {
            name,
            page: super::generate::SETTLE_PAGE,
        },
        (Operation::CancelFlowExecutions, _) => Invocation::Cancel {
            name,
            execution_id: body["executionIds"][0]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        },
        _ => Invocation::StartFlow { name, token },
    }
}
