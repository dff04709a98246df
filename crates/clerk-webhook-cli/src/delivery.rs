//! Signing a delivery and posting it.

use std::time::{Duration, Instant};

use clerk_webhook_core::WebhookVerifier;

use crate::ids::message_id;
pub(crate) use clerk_webhook_dev::sender::{root_cause, svix_like_client};

pub use clerk_webhook_core::testing::{SignedDelivery, unix_now};

/// `body` signed now, with a fresh random message id, as Svix sends a new message.
///
/// # Errors
/// When no random id can be made.
pub fn sign_now(signer: &WebhookVerifier, body: Vec<u8>) -> Result<SignedDelivery, CliError> {
    Ok(SignedDelivery::sign(
        signer,
        message_id()?,
        unix_now(),
        body,
    ))
}

/// What an endpoint answered, or that it closed the connection without answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP response.
    Status {
        /// The status code.
        code: u16,
        /// The body, lossily decoded.
        body: String,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// The `webhook-delivery` header (Svix's delivery control), if any.
        delivery_control: Option<String>,
    },
    /// The connection was closed or reset after it was opened (some servers do this to
    /// refuse an oversized body).
    Closed,
}

impl Answer {
    /// Whether this is a 2xx response.
    #[must_use]
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Status { code, .. } if (200..300).contains(code))
    }

    /// A response answering `code` with `body` and no headers of note.
    #[must_use]
    pub fn status(code: u16, body: impl Into<String>) -> Self {
        Self::Status {
            code,
            body: body.into(),
            content_type: None,
            delivery_control: None,
        }
    }

    /// The `webhook-delivery` header's value, if the answer had one.
    #[must_use]
    pub fn delivery_control(&self) -> Option<&str> {
        match self {
            Self::Status {
                delivery_control, ..
            } => delivery_control.as_deref(),
            Self::Closed => None,
        }
    }
}

/// One delivery's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What came back.
    pub answer: Answer,
    /// From sending to the end of the response.
    pub latency: Duration,
}

/// Errors the CLI reports in one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Nothing listens at the URL.
    #[error(
        "could not connect to {url}: {reason}. Is the server running on that port? (Start one with `cargo run -p example-axum`.)"
    )]
    Connect {
        /// The URL.
        url: String,
        /// The underlying error, shortened.
        reason: String,
    },
    /// The URL is not usable.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Any other HTTP failure.
    #[error("request to {url} failed: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A secret or verification problem.
    #[error(transparent)]
    Webhook(#[from] clerk_webhook_core::WebhookError),
    /// Reading an input file.
    #[error("could not read {path}: {source}")]
    Read {
        /// The path (`-` for standard input).
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A problem with the command line that clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// No randomness.
    #[error("no random numbers available: {0}")]
    Random(#[from] getrandom::Error),
}

/// Posts deliveries over HTTP.
#[derive(Debug, Clone)]
pub struct Deliverer {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl Deliverer {
    /// A client for `url`.
    ///
    /// # Errors
    /// [`CliError::InvalidUrl`] when `url` is not an absolute http(s) URL.
    pub fn new(url: &str) -> Result<Self, CliError> {
        Self::build(url, true)
    }

    /// A client for `url` that opens a new connection for every delivery. A server may
    /// answer a too-large body early and close the connection while the body is still
    /// being sent; on a pooled connection that race can cost the *next* delivery.
    ///
    /// # Errors
    /// As [`Deliverer::new`].
    pub fn without_reuse(url: &str) -> Result<Self, CliError> {
        Self::build(url, false)
    }

    fn build(url: &str, reuse_connections: bool) -> Result<Self, CliError> {
        let parsed = http_url(url)?;
        let mut client = svix_like_client(
            concat!("clerk-webhook-cli/", env!("CARGO_PKG_VERSION")),
            Duration::from_secs(30),
        );
        if !reuse_connections {
            client = client.pool_max_idle_per_host(0);
        }
        let client = client.build().map_err(|e| CliError::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            client,
            url: parsed,
        })
    }

    /// The URL deliveries go to.
    #[must_use]
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Posts `body` with `headers` (and `Content-Type: application/json`).
    ///
    /// # Errors
    /// [`CliError::Connect`] when nothing listens; other failures after connecting are an
    /// [`Answer::Closed`].
    pub async fn post(
        &self,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Outcome, CliError> {
        let mut request = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let started = Instant::now();
        let answer = match request.body(body).send().await {
            Ok(response) => {
                let code = response.status().as_u16();
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                };
                let content_type = header("content-type");
                let delivery_control = header("webhook-delivery");
                let body = response.text().await.unwrap_or_default();
                Answer::Status {
                    code,
                    body,
                    content_type,
                    delivery_control,
                }
            }
            Err(error) if error.is_connect() => {
                return Err(CliError::Connect {
                    url: self.url.to_string(),
                    reason: root_cause(&error),
                });
            }
            Err(error) if error.is_builder() => {
                return Err(CliError::Http {
                    url: self.url.to_string(),
                    reason: root_cause(&error),
                });
            }
            Err(_) => Answer::Closed,
        };
        Ok(Outcome {
            answer,
            latency: started.elapsed(),
        })
    }

    /// Signs and posts one delivery.
    ///
    /// # Errors
    /// As [`Deliverer::post`].
    pub async fn deliver(&self, delivery: &SignedDelivery) -> Result<Outcome, CliError> {
        self.post(&delivery.headers(), delivery.body.clone()).await
    }
}

/// `url` parsed, when it is an absolute http(s) URL.
///
/// # Errors
/// [`CliError::InvalidUrl`] otherwise.
pub fn http_url(url: &str) -> Result<reqwest::Url, CliError> {
    let invalid = |reason: String| CliError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if matches!(parsed.scheme(), "http" | "https") {
        Ok(parsed)
    } else {
        Err(invalid("expected http:// or https://".to_owned()))
    }
}
