//! The JSON report: the summary as data, versioned by `schema`.

use std::io::{self, Write};

use crate::runner::Summary;

/// The `schema` member of a check report (docs/report.schema.json).
pub const SCHEMA: &str = "appflow-harness/check-report/v1";

/// Writes `summary` as pretty-printed JSON with its `schema`, then a newline.
/// Errors: serialisation and write failures.
pub fn render(summary: &Summary, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let mut v = serde_json::to_value(summary).map_err(io::Error::other)?;
    v["schema"] = serde_json::Value::String(SCHEMA.into());
    // Ctrl-C cut the run short: no verdict (docs/report.schema.json).
    v["interrupted"] = serde_json::Value::Bool(summary.interrupted() > 0);
    serde_json::to_writer_pretty(&mut *w, &v).map_err(io::Error::other)?;
    writeln!(w)
}
