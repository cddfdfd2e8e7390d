//! One answer from an endpoint, read as the AWS SDKs read it: plain data
//! (status, error type, request id, body), no I/O, so the contract and the
//! reports can hold it without the client.

use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

/// One HTTP answer: its status, the headers the contract reads (W2, W3) and its
/// body, raw and parsed.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status (W2's table, for errors).
    pub status: u16,
    /// The error name: `x-amzn-ErrorType`, else body `code`, else `__type`.
    pub error_type: Option<String>,
    /// `x-amzn-RequestId`, if sent (W2, W3: every answer has one of its own).
    pub request_id: Option<String>,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// The host (and port) a redirect's `Location` names, if one was sent:
    /// only the host, never a path, query or user info, so that nothing
    /// secret a `Location` may carry reaches a report (W10).
    pub location_host: Option<String>,
    /// The parsed body; `None` when the body is not JSON.
    pub json: Option<Value>,
    /// The body as sent (kept for reports when it is not JSON).
    pub raw: Bytes,
}

impl Reply {
    /// Reads an answer: the error type by the SDKs' rule ([`error_type`], W2),
    /// the request id and content type from `headers`, and `raw` as JSON unless
    /// it is blank or not JSON.
    pub fn new(status: u16, headers: &HeaderMap, raw: Bytes) -> Self {
        Self::unparsed(status, headers, raw).parsed()
    }

    /// An answer whose body is not parsed yet (`json` is `None`; the error
    /// type comes from the header alone): for bulk reads whose caller parses
    /// `raw` into a shape of its own and calls [`Reply::parsed`] only when
    /// that fails or the answer is an error.
    pub fn unparsed(status: u16, headers: &HeaderMap, raw: Bytes) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            status,
            error_type: error_type(header("x-amzn-errortype").as_deref(), None),
            request_id: header("x-amzn-requestid"),
            content_type: header("content-type"),
            location_host: header("location").as_deref().and_then(location_host),
            json: None,
            raw,
        }
    }

    /// This answer with `raw` parsed as JSON (unless it is blank, not JSON,
    /// or parsed already) and the error type read by the SDKs' rule
    /// ([`error_type`], W2): the header first, then the body.
    pub fn parsed(mut self) -> Self {
        if self.json.is_none() && !self.raw.iter().all(u8::is_ascii_whitespace) {
            self.json = serde_json::from_slice(&self.raw).ok();
            if self.error_type.is_none() {
                self.error_type = error_type(None, self.json.as_ref());
            }
        }
        self
    }

    /// For a redirect (3xx), what to tell a user instead of its body: the
    /// status, the host it points to, and that it is not followed (W10).
    pub fn redirect(&self) -> Option<String> {
        (300..400).contains(&self.status).then(|| {
            format!(
                "{} redirect{}: not an AppFlow answer, and not followed (W10)",
                self.status,
                self.location_host
                    .as_deref()
                    .map_or_else(String::new, |h| format!(" to {h}"))
            )
        })
    }

    /// The error message, `message` or `Message`.
    pub fn message(&self) -> Option<&str> {
        let j = self.json.as_ref()?;
        j.get("message")
            .or_else(|| j.get("Message"))
            .and_then(Value::as_str)
    }

    /// The body for people: JSON, or the first bytes of whatever came, with
    /// control characters escaped.
    pub fn body_text(&self) -> String {
        match &self.json {
            Some(v) => crate::safe_text::escape_control(&v.to_string()),
            None => crate::safe_text::show_bytes(&self.raw, 512),
        }
    }

    /// What the body is, when it is not JSON: `not JSON (N bytes): ...`.
    pub fn body_summary(&self) -> String {
        match &self.json {
            Some(_) => self.body_text(),
            None if self.raw.is_empty() => "an empty body".into(),
            None => format!(
                "not JSON ({} bytes): `{}`",
                self.raw.len(),
                crate::safe_text::show_bytes(&self.raw, 120)
            ),
        }
    }
}

/// The SDKs' rule: the header first, then body `code`, then `__type`;
/// keep what stands after `#` and before `:`.
pub fn error_type(header: Option<&str>, body: Option<&Value>) -> Option<String> {
    let member = |k: &str| body.and_then(|b| b.get(k));
    // `code` wins over `__type` when present, even when it is not a string.
    let from_body = member("code").or_else(|| member("__type"));
    error_name(header, from_body.and_then(Value::as_str))
}

/// The SDKs' rule on the error name already taken from the answer: the
/// header first (unless empty), else the body's (`code`, else `__type`);
/// keep what stands after `#` and before `:`. `None` when neither names one.
pub fn error_name(header: Option<&str>, body: Option<&str>) -> Option<String> {
    let raw = header.filter(|h| !h.is_empty()).or(body)?;
    let name = raw.split(':').next().unwrap_or(raw);
    let name = name.rsplit('#').next().unwrap_or(name);
    (!name.is_empty()).then(|| name.to_owned())
}

/// The host (and port) of an absolute `Location` (`https://user:pw@host:1/p?q`
/// gives `host:1`); `None` for a relative one (the same host) or one with
/// no host. User info, path and query are dropped: they may carry secrets.
pub fn location_host(location: &str) -> Option<String> {
    let (_, rest) = location.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    (!host.is_empty()).then(|| crate::safe_text::escape_control(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_type_is_read_as_the_sdks_read_it() {
        assert_eq!(
            error_type(Some("ConflictException:http://internal"), None).as_deref(),
            Some("ConflictException")
        );
        let body = json!({"__type": "com.amazonaws.appflow#ResourceNotFoundException"});
        assert_eq!(
            error_type(None, Some(&body)).as_deref(),
            Some("ResourceNotFoundException")
        );
        let both = json!({"code": "ThrottlingException", "__type": "X"});
        assert_eq!(
            error_type(None, Some(&both)).as_deref(),
            Some("ThrottlingException")
        );
        assert_eq!(error_type(None, Some(&json!({}))), None);
    }

    #[test]
    fn a_location_gives_its_host_and_nothing_secret() {
        assert_eq!(
            location_host("https://AKIA:secret@evil.example:8443/p?X-Amz-Security-Token=t")
                .as_deref(),
            Some("evil.example:8443")
        );
        assert_eq!(location_host("/relative/path"), None);
        assert_eq!(location_host("http:///nohost"), None);
    }
}
