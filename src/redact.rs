//! Secrets never leave the process: the credentials in use, and anything
//! shaped like a SigV4 signature or security token, become `<redacted>` in
//! everything the harness writes (terminal, reports, snapshots), including
//! text an endpoint echoed back. Control characters are escaped on the way
//! out too, so an answer cannot drive a terminal.
//!
//! [`Redactor::clean`] is the one function every writer goes through:
//! [`RedactingWriter`] for the console, [`Redactor::clean`] on whole files.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::{Arc, OnceLock};

use regex::Regex;

/// What a secret becomes in everything the harness writes.
pub const REDACTED: &str = "<redacted>";

/// Shapes of secrets, whoever's they are.
fn patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        [
            // A whole SigV4 Authorization value, up to the end of its string.
            (
                r#"AWS4-HMAC-SHA256[^"\\\r\n]*"#,
                "AWS4-HMAC-SHA256 <redacted>",
            ),
            (r"(?i)(Signature=)[0-9a-f]{8,}", "${1}<redacted>"),
            (
                r#"(?i)(X-Amz-Security-Token["']?\s*[=:]\s*["']?)[^&\s"',;\\]+"#,
                "${1}<redacted>",
            ),
            (
                r#"(?i)(X-Amz-Credential["']?\s*[=:]\s*["']?)[^&\s"',;\\]+"#,
                "${1}<redacted>",
            ),
            (r"(?i)(Credential=)[^,\s&\\]+", "${1}<redacted>"),
            // Access key ids, long-term (AKIA) and temporary (ASIA).
            (r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", "<redacted>"),
        ]
        .into_iter()
        .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, r)))
        .collect()
    })
}

/// Secrets at least this long are redacted wherever they appear.
pub const ANYWHERE_CHARS: usize = 16;

/// Whether a secret reads as an ordinary word (`test`, `stackyard`):
/// shorter than 4 characters, or than [`ANYWHERE_CHARS`] and only
/// letters, `-` or `_`. Such a
/// value is redacted only where it stands as a credential, since replacing
/// every occurrence would destroy paths and prose (`<redacted>-s1/...`)
/// without hiding anything a reader could not guess.
fn ordinary_word(s: &str) -> bool {
    let n = s.chars().count();
    // Under 4 characters anything is ordinary text (`a1`, `42`).
    n < 4
        || n < ANYWHERE_CHARS
            && s.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_')
}

/// The places a credential stands in text: after a key, secret, token or
/// password name and `=` or `:` (an env line, a JSON member, a header).
const CREDENTIAL_NAME: &str = r#"(?i)((?:access[_-]?key(?:[_-]?id)?|secret(?:[_-]?access[_-]?key)?|session[_-]?token|security[_-]?token|password|credentials?)["']?\s*[=:]\s*["']?)"#;

/// Knows the secrets of one run.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Redacted wherever they appear, longest first.
    secrets: Vec<String>,
    /// Ordinary words that are secrets: redacted where they stand as a
    /// credential only (see [`ordinary_word`]).
    words: Vec<Regex>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Redactor({} secrets)",
            self.secrets.len() + self.words.len()
        )
    }
}

impl Redactor {
    /// Redacts `secrets` and the shapes of all secrets. A secret that reads
    /// as an ordinary word (shorter than [`ANYWHERE_CHARS`], letters only:
    /// LocalStack's `test`) is redacted only where it stands as a
    /// credential (`Credential=`, `secretAccessKey: ...`); any other is
    /// redacted everywhere.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let (words, mut secrets): (Vec<String>, Vec<String>) = secrets
            .into_iter()
            .filter(|s| !s.is_empty())
            .partition(|s| ordinary_word(s));
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        let words = words
            .iter()
            .filter_map(|w| Regex::new(&format!(r"{CREDENTIAL_NAME}{}\b", regex::escape(w))).ok())
            .collect();
        Self { secrets, words }
    }

    /// `text` with secrets replaced.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), REDACTED));
            }
        }
        for re in &self.words {
            if re.is_match(&out) {
                out = Cow::Owned(re.replace_all(&out, "${1}<redacted>").into_owned());
            }
        }
        for (re, with) in patterns() {
            if re.is_match(&out) {
                out = Cow::Owned(re.replace_all(&out, *with).into_owned());
            }
        }
        out
    }

    /// What may be written: secrets redacted, control characters other than
    /// newline and tab escaped.
    pub fn clean(&self, text: &str) -> String {
        let redacted = self.redact(text);
        let mut out = String::with_capacity(redacted.len());
        for c in redacted.chars() {
            if c.is_control() && c != '\n' && c != '\t' {
                out.push_str(&c.escape_unicode().to_string());
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// A writer that cleans each line ([`Redactor::clean`]) before passing it on.
/// Lines are held until their newline (or a flush), so that a secret is
/// never split across two writes.
pub struct RedactingWriter<W: Write> {
    inner: W,
    redactor: Arc<Redactor>,
    line: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    /// Writes to `inner` what `redactor` lets through.
    pub fn new(inner: W, redactor: Arc<Redactor>) -> Self {
        Self {
            inner,
            redactor,
            line: Vec::new(),
        }
    }

    fn emit(&mut self, upto: usize) -> io::Result<()> {
        let rest = self.line.split_off(upto);
        let text = String::from_utf8_lossy(&self.line).into_owned();
        self.line = rest;
        self.inner.write_all(self.redactor.clean(&text).as_bytes())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        while let Some(i) = self.line.iter().position(|b| *b == b'\n') {
            self.emit(i + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.emit(self.line.len())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_signature_shapes_are_redacted() {
        let r = Redactor::new([
            "wJalrXUtnFEMIsecret".to_owned(),
            "FwoGZXIvYXdzEXAMPLETOKEN".to_owned(),
        ]);
        let echoed = r#"{"message":"denied: Authorization=AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261127/us-east-1/appflow/aws4_request, SignedHeaders=host, Signature=0123456789abcdef0123","token":"FwoGZXIvYXdzEXAMPLETOKEN","url":"?X-Amz-Security-Token=abc%2Fdef&X-Amz-Credential=AKIA/x&X-Amz-Signature=deadbeefdeadbeef","k":"wJalrXUtnFEMIsecret"}"#;
        let clean = r.clean(echoed);
        for secret in [
            "AKIAIOSFODNN7EXAMPLE",
            "0123456789abcdef0123",
            "FwoGZXIvYXdzEXAMPLETOKEN",
            "abc%2Fdef",
            "deadbeefdeadbeef",
            "wJalrXUtnFEMIsecret",
        ] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(
            clean.contains(r#""message":"denied: Authorization=AWS4-HMAC-SHA256 <redacted>""#),
            "{clean}"
        );
        assert_eq!(r.clean("plain \u{1b}[31mtext\n"), "plain \\u{1b}[31mtext\n");
    }

    #[test]
    fn a_credential_that_is_an_ordinary_word_is_redacted_where_it_is_a_credential_only() {
        let r = Redactor::new(["test".to_owned(), "stackyard".to_owned(), "test".to_owned()]);
        let prose = "saved to stackyard-s1/test_report.json; 3 tests passed on stackyard";
        assert_eq!(r.clean(prose), prose, "paths and prose keep their words");
        let creds = r#"AWS_SECRET_ACCESS_KEY=test {"accessKeyId": "stackyard", "secretAccessKey":"test"} Credential=stackyard/20261206/us-east-1/appflow/aws4_request X-Amz-Security-Token: test"#;
        let clean = r.clean(creds);
        assert_eq!(
            clean,
            r#"AWS_SECRET_ACCESS_KEY=<redacted> {"accessKeyId": "<redacted>", "secretAccessKey":"<redacted>"} Credential=<redacted> X-Amz-Security-Token: <redacted>"#,
            "where the word stands as a credential it is redacted"
        );
    }

    #[test]
    fn a_secret_not_shaped_like_a_word_is_redacted_everywhere() {
        let r = Redactor::new(["s3cr3t".to_owned(), "averyveryverylongword".to_owned()]);
        assert_eq!(
            r.clean("a s3cr3t in prose, averyveryverylongword too"),
            "a <redacted> in prose, <redacted> too"
        );
    }

    #[test]
    fn the_writer_never_splits_a_secret() {
        let r = Arc::new(Redactor::new(["supersecretvalue".to_owned()]));
        let mut out = Vec::new();
        {
            let mut w = RedactingWriter::new(&mut out, r);
            w.write_all(b"a super").expect("write");
            w.write_all(b"secretvalue b\nnext").expect("write");
        }
        assert_eq!(String::from_utf8_lossy(&out), "a <redacted> b\nnext");
    }
}
