//! Where the contract leaves room: a difference between two answers that
//! APPFLOW.md says mean the same, or that timing the contract allows
//! explains, is an allowed difference, never a gap. Each carries the rule
//! that allows it: W2 (`message` or `Message`, `__type` and `code` beside
//! the header), W5 (members the model does not list), S2/S4 (list order),
//! S3 (`CancelStarted` or `Canceled`), L2 (a run still `InProgress` on one
//! side, already ended on the other).

use serde_json::Value;

use crate::appflow::Operation;
use crate::diff::Difference as FieldDiff;

/// The rule of APPFLOW.md that allows the difference `d` in one step's
/// answers (`x` the baseline's transcript entry, `y` the target's), or
/// `None` when the contract leaves no room there.
pub fn allowed(op: Option<Operation>, d: &FieldDiff, x: &Value, y: &Value) -> Option<&'static str> {
    // One answer (`response.`) or one of a concurrent step's
    // (`responses.3.`): the pointer to that answer on each side.
    let (answer, path) = match d.path.strip_prefix("response.body.") {
        Some(p) => ("/response".to_owned(), p),
        None => {
            let rest = d.path.strip_prefix("responses.")?;
            let (n, p) = rest.split_once('.')?;
            (format!("/responses/{n}"), p.strip_prefix("body.")?)
        }
    };
    let x = x.pointer(&answer).unwrap_or(&Value::Null);
    let y = y.pointer(&answer).unwrap_or(&Value::Null);
    let status = |v: &Value| v.get("status").and_then(Value::as_u64);
    let error_answer = |v: &Value| status(v).is_some_and(|s| s >= 400);
    if error_answer(x) && error_answer(y) {
        return error_body(path, d, x, y);
    }
    let op = op?;
    if let Some(rule) = order(op, path, x, y) {
        return Some(rule);
    }
    if path.to_ascii_lowercase().ends_with("executionstatus") {
        return status_room(d.left.as_ref(), d.right.as_ref());
    }
    // S3: a run that had ended before the cancel (L2 lets runs end at any
    // time) is returned in invalidExecutions.
    if op == Operation::CancelFlowExecutions && path.starts_with("invalidExecutions") {
        return Some("S3");
    }
    // One side answers a member the other leaves out: allowed where the
    // model does not list it (W5) in the 200 answer that has it.
    let side = match (&d.left, &d.right) {
        (Some(_), None) => x,
        (None, Some(_)) => y,
        _ => return None,
    };
    let body = side.get("body")?;
    (status(side) == Some(200) && unlisted(op, body, path)).then_some("W5")
}

/// In two error answers: `message` on one side and `Message` on the other,
/// `__type` or `code` beside the header (W2); other members, which no
/// error shape lists, are W5.
fn error_body(path: &str, d: &FieldDiff, x: &Value, y: &Value) -> Option<&'static str> {
    let has = |v: &Value, k: &str| v.pointer(&format!("/body/{k}")).is_some();
    let one_message = |v: &Value| has(v, "message") != has(v, "Message");
    match path {
        "message" | "Message" => (one_message(x) && one_message(y)).then_some("W2"),
        // Another spelling of the error type, once the type read as the SDKs
        // read it (header first) is the same on both sides.
        "__type" | "code" => (x.get("error") == y.get("error")).then_some("W2"),
        _ => (d.left.is_none() || d.right.is_none()).then_some("W5"),
    }
}

/// S2 (S4 for ListFlows): the field differs only because the listing
/// holds its items in another order: another item (by `executionId`,
/// `flowName`) stands at this index, or the item at this index on each
/// side has the same value here as its namesake on the other side. An
/// item listed wrongly is the expectations' to catch (a violation first).
fn order(op: Operation, path: &str, x: &Value, y: &Value) -> Option<&'static str> {
    let member = op.list_member()?;
    let identity = if op == Operation::ListFlows {
        "flowName"
    } else {
        "executionId"
    };
    let rest = path.strip_prefix(member)?.strip_prefix('.')?;
    let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
    let index: usize = index.parse().ok()?;
    let at_list = format!("/body/{member}");
    let a = x.pointer(&at_list).and_then(Value::as_array)?;
    let b = y.pointer(&at_list).and_then(Value::as_array)?;
    let pointer = format!("/{}", field.replace('.', "/"));
    let at = |item: &Value| {
        if field.is_empty() {
            Some(item.clone())
        } else {
            item.pointer(&pointer).cloned()
        }
    };
    // The item at `index` on `here` has a namesake on `there` with the same value.
    let matched = |here: &[Value], there: &[Value]| {
        let item = here.get(index)?;
        let id = item.get(identity)?;
        let twin = there.iter().find(|t| t.get(identity) == Some(id))?;
        Some(at(item) == at(twin))
    };
    // Another item at this place (a page of one shows whichever comes
    // first), or the same items elsewhere with this field alike.
    let other_item = match (a.get(index), b.get(index)) {
        (Some(p), Some(q)) => p.get(identity).is_some() && p.get(identity) != q.get(identity),
        _ => false,
    };
    let moved = other_item
        || (a.len() == b.len() && matched(a, b) == Some(true) && matched(b, a) == Some(true));
    moved.then_some(if op == Operation::ListFlows {
        "S4"
    } else {
        "S2"
    })
}

/// S3: a cancelled run `CancelStarted` or `Canceled`; L2: a run still
/// `InProgress` where the other side's has ended (`Successful`), which
/// timing alone decides.
fn status_room(a: Option<&Value>, b: Option<&Value>) -> Option<&'static str> {
    let (a, b) = (a?.as_str()?, b?.as_str()?);
    let pair = |p: &str, q: &str| (a == p && b == q) || (a == q && b == p);
    if pair("CancelStarted", "Canceled") {
        Some("S3")
    } else if pair("InProgress", "Successful") {
        Some("L2")
    } else {
        None
    }
}

/// Whether `path` (below `body`, list indexes as numbers) is, or lies
/// under, a member the model's output shape of `op` does not list.
fn unlisted(op: Operation, body: &Value, path: &str) -> bool {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    crate::contract::model().check_output(op.name(), body, &mut out, &mut notes);
    let at = format!("body.{path}");
    notes
        .iter()
        .any(|n| at == n.at || at.starts_with(&format!("{}.", n.at)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diff(path: &str, left: Option<Value>, right: Option<Value>) -> FieldDiff {
        FieldDiff {
            path: path.to_owned(),
            left,
            right,
        }
    }

    #[test]
    fn message_or_message_and_type_spellings_are_allowed_by_w2() {
        let x = json!({"response": {"status": 409, "error": "ConflictException", "body": {"message": "<message>"}}});
        let y = json!({"response": {"status": 409, "error": "ConflictException", "body": {"Message": "<message>", "__type": "ConflictException"}}});
        let m = diff("response.body.message", Some(json!("<message>")), None);
        assert_eq!(allowed(Some(Operation::StartFlow), &m, &x, &y), Some("W2"));
        let t = diff(
            "response.body.__type",
            None,
            Some(json!("ConflictException")),
        );
        assert_eq!(allowed(Some(Operation::StartFlow), &t, &x, &y), Some("W2"));
        let none = json!({"response": {"status": 409, "error": "ConflictException", "body": {}}});
        assert_eq!(
            allowed(Some(Operation::StartFlow), &m, &x, &none),
            None,
            "an error without any message is no spelling of it"
        );
    }

    #[test]
    fn an_unlisted_member_is_w5_and_a_listed_one_is_no_room() {
        let x = json!({"response": {"status": 200, "body": {"flowStatus": "Active"}}});
        let y = json!({"response": {"status": 200, "body": {"flowStatus": "Active", "extra": 1, "executionId": "<execution-id:1>"}}});
        let extra = diff("response.body.extra", None, Some(json!(1)));
        assert_eq!(
            allowed(Some(Operation::StartFlow), &extra, &x, &y),
            Some("W5")
        );
        let id = diff(
            "response.body.executionId",
            None,
            Some(json!("<execution-id:1>")),
        );
        assert_eq!(allowed(Some(Operation::StartFlow), &id, &x, &y), None);
    }

    #[test]
    fn list_order_cancel_and_run_timing_are_allowed() {
        let run = |id: &str, s: &str| json!({"executionId": id, "executionStatus": s});
        let x = json!({"response": {"status": 200, "body": {"flowExecutions": [run("a", "Successful"), run("b", "Successful")]}}});
        let y = json!({"response": {"status": 200, "body": {"flowExecutions": [run("b", "Successful"), run("a", "Successful")]}}});
        let d = diff(
            "response.body.flowExecutions.0.executionId",
            Some(json!("a")),
            Some(json!("b")),
        );
        let op = Some(Operation::DescribeFlowExecutionRecords);
        assert_eq!(allowed(op, &d, &x, &y), Some("S2"));
        let one = |s: &str| json!({"response": {"status": 200, "body": {"flowExecutions": [run("a", s)]}}});
        let status = |l: &str, r: &str| {
            let d = diff(
                "response.body.flowExecutions.0.executionStatus",
                Some(json!(l)),
                Some(json!(r)),
            );
            allowed(op, &d, &one(l), &one(r))
        };
        assert_eq!(status("CancelStarted", "Canceled"), Some("S3"));
        assert_eq!(status("InProgress", "Successful"), Some("L2"));
        assert_eq!(
            status("Error", "Successful"),
            None,
            "a run that failed is no timing"
        );
    }

    #[test]
    fn another_item_on_a_page_of_one_and_a_concurrent_answer_s_member_are_allowed() {
        let page = |name: &str, d: &str| json!({"response": {"status": 200, "body": {"flows": [{"flowName": name, "description": d}]}}});
        let (x, y) = (page("<flow:a>", "one"), page("<flow:b>", "two"));
        let d = diff(
            "response.body.flows.0.description",
            Some(json!("one")),
            Some(json!("two")),
        );
        assert_eq!(allowed(Some(Operation::ListFlows), &d, &x, &y), Some("S4"));
        let same = page("<flow:a>", "two");
        assert_eq!(
            allowed(Some(Operation::ListFlows), &d, &x, &same),
            None,
            "the same flow described otherwise is no order"
        );
        let x = json!({"responses": [{"status": 200, "body": {"flowStatus": "Active"}}]});
        let y = json!({"responses": [{"status": 200, "body": {"flowStatus": "Active", "emulator": "x"}}]});
        let d = diff("responses.0.body.emulator", None, Some(json!("x")));
        assert_eq!(allowed(Some(Operation::StartFlow), &d, &x, &y), Some("W5"));
    }
}
