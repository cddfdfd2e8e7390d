//! Stage one of reading a scenario file: its text into the file model
//! (serde), with serde's messages said in a scenario writer's words, a
//! did-you-mean for a misspelled key, and every mistake inside a step
//! found (the file is read again without each broken step).

use super::file::ScenarioFile;
use super::locate::{first_line, missing_key, plain_words, step_at, strip_location};
use super::plan::ScenarioError;
use super::validate::At;

/// At most this many mistakes are reported for one file.
pub(super) const MAX_ERRORS: usize = 10;

/// Stage one with every mistake inside a step: after each, the file is
/// read again with that step's lines made comments (lines keep their
/// numbers), until it reads or a mistake is outside a step.
pub(super) fn read_file_all(at: &At<'_>) -> Result<ScenarioFile, Vec<ScenarioError>> {
    let mut masked = at.text.to_owned();
    let mut errors: Vec<ScenarioError> = Vec::new();
    // The last line made a comment: a mistake found after that is a new
    // one only if it lies past it (the parser reads in order; one before
    // it is an echo of the masking, e.g. `steps:` left empty).
    let mut masked_to = 0;
    loop {
        let e = match read_file(at, &masked) {
            Ok(file) if errors.is_empty() => return Ok(file),
            Ok(_) => return Err(errors),
            Err(e) => e,
        };
        if !errors.is_empty() && e.line as usize <= masked_to {
            return Err(errors);
        }
        let step = step_lines(&masked, e.line);
        errors.push(e);
        match step {
            Some((from, to)) if errors.len() < MAX_ERRORS => {
                masked = comment_out(&masked, from, to);
                masked_to = to;
            }
            _ => return Err(errors),
        }
    }
}

/// The 1-based lines [from, to] of the step under `steps:` that holds line
/// `line`, when it is inside one.
fn step_lines(text: &str, line: u64) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("steps:"))?;
    let line = line as usize;
    if line <= start + 1 || line > lines.len() {
        return None;
    }
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let item = |l: &str| l.trim_start().starts_with("- ");
    let first = (start + 1..line).rev().find(|&i| item(lines[i]))?;
    let indent = indent_of(lines[first]);
    let mut last = first;
    for (i, l) in lines.iter().enumerate().skip(first + 1) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if indent_of(l) <= indent {
            break;
        }
        last = i;
    }
    (line <= last + 1).then_some((first + 1, last + 1))
}

/// `text` with lines [from, to] (1-based) made comments.
fn comment_out(text: &str, from: usize, to: usize) -> String {
    let mut out = String::with_capacity(text.len() + 8 * (to - from + 1));
    for (i, l) in text.lines().enumerate() {
        if (from..=to).contains(&(i + 1)) {
            out.push('#');
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Stage one: the file as written, with serde's messages said in words
/// and a missing top-level key located at the top of the file.
fn read_file(at: &At<'_>, parsed: &str) -> Result<ScenarioFile, ScenarioError> {
    let text = at.text;
    serde_saphyr::from_str(parsed).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let message = plain_words(&strip_location(&first_line(&e.to_string())));
        if let Some(key) = missing_key(&message)
            && step_at(text, line).is_none()
        {
            // serde notices a missing key at the end of the mapping; say
            // it at the top, where the key belongs.
            return at.err(
                1,
                1,
                String::new(),
                format!("the scenario has no `{key}`"),
                Some(&format!(
                    "a scenario file starts with `{key}:` (see the scenario format in README.md)"
                )),
            );
        }
        let suggestion = did_you_mean(&message);
        ScenarioError {
            path: at.shown.clone(),
            line,
            column,
            context: step_at(text, line).map_or_else(String::new, |n| format!("step {n}: ")),
            message,
            hint: text.lines().nth(line.saturating_sub(1) as usize).map(|l| {
                let suggestion =
                    suggestion.map_or_else(String::new, |k| format!("did you mean `{k}`? "));
                format!(
                    "{suggestion}the line reads `{}`; see the scenario format in README.md",
                    l.trim()
                )
            }),
        }
    })
}

/// The expected key closest to a misspelled one, from serde's "unknown
/// field `expcet`, expected one of a, b, ..." (as clap suggests a flag).
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (typo, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest
        .split_once("expected one of ")?
        .1
        .split(',')
        .map(|k| k.trim().trim_matches('`'))
        .collect();
    super::expect_check::did_you_mean(typo, &expected).map(str::to_owned)
}
