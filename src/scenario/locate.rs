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
