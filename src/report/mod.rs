//! Reports render a [`Summary`](crate::runner::Summary): for people on a
//! terminal, for CI as JUnit XML, and as JSON (schema: docs/report.schema.json);
//! and a [`Comparison`](crate::compare::Comparison): terminal, Markdown, JSON
//! (docs/compare.schema.json) and a self-contained HTML page; and an
//! exploration's JUnit report ([`explore_junit`]).

pub mod compare;
pub mod compare_html;
pub mod compare_junit;
pub mod explore;
pub mod explore_junit;
pub mod json;
pub mod junit;
/// `load`'s charts (inline SVG), its HTML page and its terminal report.
#[cfg(feature = "load")]
pub mod load_charts;
#[cfg(feature = "load")]
pub mod load_html;
#[cfg(feature = "load")]
pub mod load_junit;
#[cfg(feature = "load")]
mod load_terminal;
pub mod terminal;
