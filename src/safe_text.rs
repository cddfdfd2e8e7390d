//! Text that came from an endpoint, made safe to show: control characters
//! (ESC, BEL, CR ...) escaped so that they cannot drive a terminal, and
//! long text cut with its length said; and text escaped for HTML.

/// Escapes control characters (C0, DEL, C1) as `\u{..}`; `\n` and `\t` too,
/// so one answer stays on one line.
pub fn escape_control(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Text made safe inside HTML (element text and quoted attribute values):
/// `&`, `<`, `>`, `"` and `'` as entities. Every HTML report uses this one.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Bytes shown to a person: lossy UTF-8, at most `max` characters, escaped.
pub fn show_bytes(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut shown: String = text.chars().take(max).collect();
    if text.chars().nth(max).is_some() {
        shown.push('…');
    }
    escape_control(&shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_reach_a_terminal() {
        let shown = escape_control("a\u{1b}[2Jb\u{7}c\r\nd\u{9b}");
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert_eq!(shown, "a\\u{1b}[2Jb\\u{7}c\\u{d}\\u{a}d\\u{9b}");
        assert_eq!(show_bytes(b"abcdef", 3), "abc…");
        assert_eq!(show_bytes(&[0xff, b'a'], 10), "\u{fffd}a");
    }
}
