//! Reports render a [`Summary`](crate::runner::Summary): for people on a
//! terminal, for CI as JUnit XML, and as JSON (schema: docs/report.schema.json).

pub mod json;
pub mod junit;
pub mod terminal;
