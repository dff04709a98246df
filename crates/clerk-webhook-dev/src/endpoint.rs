//! An endpoint as configured: where it is, what it subscribes to, and how it signs.

use crate::filter::EventFilter;
use crate::sender::Sender;

/// What the API shows about a signing secret: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretInfo {
    /// The secret's first characters, `whsec_MfKQ…`.
    pub hint: String,
    /// Whether it is (or, in a list, includes) the public development secret from
    /// `.env.example`, in either spelling: `whsec_…` or bare base64.
    pub is_development_secret: bool,
}

impl SecretInfo {
    /// The hint for `secret` (its first 10 characters) and whether it is the public one.
    #[must_use]
    pub fn of(secret: &str) -> Self {
        let hint: String = secret.chars().take(10).collect();
        Self {
            hint: format!("{hint}…"),
            is_development_secret: clerk_webhook_core::uses_development_secret(secret),
        }
    }
}

/// One endpoint of the engine: its URL, its filter, and a sender signing with its secret.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Where attempts are POSTed.
    pub url: String,
    /// The event types it receives.
    pub filter: EventFilter,
    /// Signs with the endpoint's secret and posts.
    pub sender: Sender,
    /// What the API shows about the secret; `None`: what [`serve`](crate::serve) is given.
    pub secret: Option<SecretInfo>,
}

impl EndpointConfig {
    /// An endpoint at `url` receiving every event type, signing with `sender`.
    #[must_use]
    pub fn new(url: impl Into<String>, sender: Sender) -> Self {
        Self {
            url: url.into(),
            filter: EventFilter::all(),
            sender,
            secret: None,
        }
    }

    /// Receives only what `filter` matches.
    #[must_use]
    pub fn filter(mut self, filter: EventFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Shows `secret` in the API (its hint, never the secret).
    #[must_use]
    pub fn secret_info(mut self, secret: SecretInfo) -> Self {
        self.secret = Some(secret);
        self
    }
}

/// The id of the `index`-th endpoint (from 0): `ep_1`, `ep_2`…
#[must_use]
pub fn endpoint_id(index: usize) -> String {
    format!("ep_{}", index.saturating_add(1))
}

/// `url` when it is an absolute http(s) URL; why not otherwise.
///
/// # Errors
/// The reason, in one line.
pub fn check_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if matches!(parsed.scheme(), "http" | "https") {
        Ok(parsed)
    } else {
        Err(format!("{url:?} is not an http:// or https:// URL"))
    }
}
