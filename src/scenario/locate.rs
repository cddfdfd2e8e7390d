//! Pointing into a scenario file: lines, steps and the parser's messages.

/// saphyr's messages start with "error: line L column C: "; we say where ourselves.
pub(super) fn strip_location(msg: &str) -> String {
    let m = msg.strip_prefix("error: ").unwrap_or(msg);
    match m.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((loc, rest)) if loc.contains("column") => rest.to_owned(),
        _ => m.to_owned(),
    }
}

/// The 1-based step that line `line` falls in, from the items under `steps:`.
pub(super) fn step_at(text: &str, line: u64) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("steps:"))?;
    let mut indent = None;
    let mut step = 0;
    for l in lines.iter().take(line as usize).skip(start + 1) {
        let trimmed = l.trim_start();
        let here = l.len() - trimmed.len();
        if trimmed.starts_with("- ") && indent.is_none_or(|i| i == here) {
            indent = Some(here);
            step += 1;
        } else if !trimmed.is_empty() && !trimmed.starts_with('#') && here == 0 {
            return None;
        }
    }
    (step > 0).then_some(step)
}

pub(super) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_owned()
}

pub(super) fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i as u64 + 1)
}

/// serde's and the YAML parser's phrases said in a scenario writer's
/// words: no Rust type names (`invalid u32`, `expected usize`) and no
/// parser events (`expected sequence start`).
pub(super) fn plain_words(msg: &str) -> String {
    const NUMBERS: [&str; 8] = ["u8", "u16", "u32", "u64", "usize", "i32", "i64", "f64"];
    let mut out = msg.to_owned();
    for ty in NUMBERS {
        out = out
            .replace(&format!("invalid {ty}"), "expected a whole number")
            .replace(&format!("expected {ty}"), "expected a whole number");
    }
    out.replace(
        "expected sequence start",
        "expected a list, e.g. `[T1, T2]` or one `- item` a line",
    )
    .replace(
        "expected mapping start",
        "expected a mapping of `key: value`",
    )
    .replace("expected a sequence", "expected a list")
    .replace("expected a boolean", "expected true or false")
}

/// The key of serde's "missing field `KEY`".
pub(super) fn missing_key(msg: &str) -> Option<&str> {
    msg.strip_prefix("missing field `")?.split('`').next()
}
