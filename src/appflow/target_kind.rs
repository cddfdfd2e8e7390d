//! The kinds of endpoint the harness talks to, as reports and reference
//! directories name them. Kept in the vocabulary so that scenario plans,
//! results and comparisons can name a kind without resolving a target.

/// What kind of endpoint a run talked to: the embedded emulator, an
/// endpoint at a URL (an emulator), or real AWS. Serialised kebab-case
/// (`embedded`, `url`, `aws`), which is also the reference directory name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// The emulator started in-process (`--target embedded`).
    Embedded,
    /// An endpoint at an http(s) URL (`--target URL`).
    Url,
    /// Real AWS (`--target aws`), signed with SigV4.
    Aws,
}

impl TargetKind {
    /// Every kind, in report order.
    pub const ALL: [TargetKind; 3] = [Self::Embedded, Self::Url, Self::Aws];

    /// The kind's name: `embedded`, `url` or `aws`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::Url => "url",
            Self::Aws => "aws",
        }
    }
}
