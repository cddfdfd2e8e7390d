//! The JSON report: the summary as data, versioned by `schema`.

use std::io::{self, Write};

use crate::runner::Summary;

pub const SCHEMA: &str = "appflow-harness/check-report/v1";

pub fn render(summary: &Summary, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let mut v = serde_json::to_value(summary).map_err(io::Error::other)?;
    v["schema"] = serde_json::Value::String(SCHEMA.into());
    serde_json::to_writer_pretty(&mut *w, &v).map_err(io::Error::other)?;
    writeln!(w)
}
