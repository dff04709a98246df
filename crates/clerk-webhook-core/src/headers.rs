//! Finding the three signature headers, whatever the framework.

use crate::error::WebhookError;

/// The header names Clerk (through Svix) sends.
pub(crate) const SVIX_HEADERS: HeaderNames = HeaderNames {
    id: "svix-id",
    timestamp: "svix-timestamp",
    signature: "svix-signature",
};

/// The Standard Webhooks names, used when none of the `svix-*` headers is present.
pub(crate) const STANDARD_HEADERS: HeaderNames = HeaderNames {
    id: "webhook-id",
    timestamp: "webhook-timestamp",
    signature: "webhook-signature",
};

/// The names of one family of signature headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderNames {
    /// The message id header (the idempotency key).
    pub(crate) id: &'static str,
    /// The Unix-seconds timestamp header.
    pub(crate) timestamp: &'static str,
    /// The space-separated `v1,<base64>` signature list header.
    pub(crate) signature: &'static str,
}

/// Looks up a request header by its lower-case name.
///
/// Every framework can provide this without copying its header map:
/// - any closure `Fn(&str) -> Option<&str>`, for example
///   `|name| req.headers().get(name).and_then(|v| std::str::from_utf8(v.as_bytes()).ok())`
///   (not `HeaderValue::to_str`, which refuses any byte that is not visible ASCII, so
///   `svix-id: msg_été` would look missing);
/// - `&http::HeaderMap` with the `http` feature;
/// - a slice or array of `(name, value)` pairs, with `&str` or `String` values, handy in
///   tests (`SignedDelivery::headers()` of the `testing` feature is one).
///
/// Implementations match names case-insensitively, and return `None` for a value that is
/// not valid UTF-8 (such a header cannot carry a valid id, timestamp or signature).
pub trait HeaderSource<'h> {
    /// The value of the header called `name` (lower case), if present.
    fn header(&self, name: &str) -> Option<&'h str>;
}

impl<'h, F> HeaderSource<'h> for F
where
    F: Fn(&str) -> Option<&'h str>,
{
    fn header(&self, name: &str) -> Option<&'h str> {
        self(name)
    }
}

impl<'h> HeaderSource<'h> for &'h [(&'h str, &'h str)] {
    fn header(&self, name: &str) -> Option<&'h str> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }
}

impl<'h, const N: usize> HeaderSource<'h> for &'h [(&'h str, &'h str); N] {
    fn header(&self, name: &str) -> Option<&'h str> {
        self.as_slice().header(name)
    }
}

impl<'h> HeaderSource<'h> for &'h [(&'h str, String)] {
    fn header(&self, name: &str) -> Option<&'h str> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl<'h, const N: usize> HeaderSource<'h> for &'h [(&'h str, String); N] {
    fn header(&self, name: &str) -> Option<&'h str> {
        self.as_slice().header(name)
    }
}

#[cfg(feature = "http")]
impl<'h> HeaderSource<'h> for &'h http::HeaderMap {
    fn header(&self, name: &str) -> Option<&'h str> {
        // Not `HeaderValue::to_str`: it accepts visible ASCII only, and a value is refused
        // here only when it is not UTF-8.
        self.get(name)
            .and_then(|value| std::str::from_utf8(value.as_bytes()).ok())
    }
}

/// The three values a delivery is signed with, trimmed and non-blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SignatureHeaders<'h> {
    pub(crate) id: &'h str,
    pub(crate) timestamp: &'h str,
    pub(crate) signature: &'h str,
}

impl<'h> SignatureHeaders<'h> {
    /// Reads the `svix-*` headers, or the `webhook-*` ones when no `svix-*` header is present.
    pub(crate) fn read(source: &impl HeaderSource<'h>) -> Result<Self, WebhookError> {
        let svix = Lookup::new(source, SVIX_HEADERS);
        let lookup = if svix.is_empty() {
            let standard = Lookup::new(source, STANDARD_HEADERS);
            if standard.is_empty() { svix } else { standard }
        } else {
            svix
        };
        lookup.complete()
    }
}

struct Lookup<'h> {
    names: HeaderNames,
    id: Option<&'h str>,
    timestamp: Option<&'h str>,
    signature: Option<&'h str>,
}

impl<'h> Lookup<'h> {
    fn new(source: &impl HeaderSource<'h>, names: HeaderNames) -> Self {
        let get = |name| source.header(name).map(str::trim).filter(|v| !v.is_empty());
        Self {
            names,
            id: get(names.id),
            timestamp: get(names.timestamp),
            signature: get(names.signature),
        }
    }

    fn is_empty(&self) -> bool {
        self.id.is_none() && self.timestamp.is_none() && self.signature.is_none()
    }

    fn complete(self) -> Result<SignatureHeaders<'h>, WebhookError> {
        match (self.id, self.timestamp, self.signature) {
            (Some(id), Some(timestamp), Some(signature)) => Ok(SignatureHeaders {
                id,
                timestamp,
                signature,
            }),
            (id, timestamp, signature) => {
                let missing = [
                    (id, self.names.id),
                    (timestamp, self.names.timestamp),
                    (signature, self.names.signature),
                ]
                .into_iter()
                .filter(|(value, _)| value.is_none())
                .map(|(_, name)| name)
                .collect();
                Err(WebhookError::MissingHeaders { missing })
            }
        }
    }
}
