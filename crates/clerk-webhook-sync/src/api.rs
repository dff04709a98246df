//! [`ClerkApi`]: the three listings of Clerk's Backend API that a backfill reads.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::BackfillError;

/// The environment variable holding the instance's Secret Key (`sk_live_…`, `sk_test_…`).
pub const SECRET_KEY_VAR: &str = "CLERK_SECRET_KEY";

/// The environment variable that overrides the Backend API's base URL.
pub const API_URL_VAR: &str = "CLERK_API_URL";

/// Clerk's Backend API.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";

/// The largest page the listings serve.
pub const MAX_PAGE_SIZE: usize = 500;

/// What a backfill lists, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `GET /v1/users`: a JSON array of users.
    Users,
    /// `GET /v1/organizations`: `{"data": [...], "total_count": N}`.
    Organizations,
    /// `GET /v1/organization_memberships`: `{"data": [...], "total_count": N}`.
    OrganizationMemberships,
}

impl Resource {
    /// Every resource, in listing order (organizations before their memberships).
    pub const ALL: [Self; 3] = [
        Self::Users,
        Self::Organizations,
        Self::OrganizationMemberships,
    ];

    fn path(self) -> &'static str {
        match self {
            Self::Users => "/v1/users",
            Self::Organizations => "/v1/organizations",
            Self::OrganizationMemberships => "/v1/organization_memberships",
        }
    }

    /// The event type whose `data` has the listed objects' shape, used to parse them.
    pub(crate) fn event_type(self) -> &'static str {
        match self {
            Self::Users => "user.updated",
            Self::Organizations => "organization.updated",
            Self::OrganizationMemberships => "organizationMembership.updated",
        }
    }

    /// The `object` a tombstone written by a prune carries.
    pub(crate) fn object(self) -> &'static str {
        match self {
            Self::Users => "user",
            Self::Organizations => "organization",
            Self::OrganizationMemberships => "organization_membership",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Users => "users",
            Self::Organizations => "organizations",
            Self::OrganizationMemberships => "organization memberships",
        })
    }
}

/// How hard to try before a listing is declared incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per page, the first included (a 429, a 5xx, a connection error or a
    /// timeout each uses one).
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles after each further one.
    pub first_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
    /// How long one request may take.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            first_delay: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A client for the listings, authenticated with the instance's Secret Key. `Debug` shows
/// only the key's first characters.
#[derive(Clone)]
pub struct ClerkApi {
    client: reqwest::Client,
    base: reqwest::Url,
    key: String,
    retry: RetryPolicy,
}

impl fmt::Debug for ClerkApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkApi")
            .field("base", &self.base.as_str())
            .field("key", &self.key_hint())
            .field("retry", &self.retry)
            .finish()
    }
}

/// One page of a listing.
pub(crate) struct Page {
    pub(crate) items: Vec<Box<RawValue>>,
    pub(crate) total_count: Option<u64>,
}

/// The paginated shape: `{"data": [...], "total_count": N}` (the users listing answers a
/// bare array instead).
#[derive(Deserialize)]
struct Paginated {
    data: Vec<Box<RawValue>>,
    total_count: Option<u64>,
}

/// Why a page could not be read.
pub(crate) enum PageError {
    /// Stop everything: the key is refused.
    Fatal(BackfillError),
    /// This listing is incomplete (retries ran out, or an answer made no sense).
    Incomplete(String),
}

impl ClerkApi {
    /// A client for the Backend API at `base_url` with `secret_key`.
    ///
    /// # Errors
    /// [`BackfillError::InvalidKey`] for a blank key or one that is not a Secret Key,
    /// [`BackfillError::InvalidUrl`] for a URL that is not absolute http(s).
    pub fn new(secret_key: &str, base_url: &str) -> Result<Self, BackfillError> {
        let key = secret_key.trim();
        if !key.starts_with("sk_") || key.len() < 8 {
            return Err(BackfillError::InvalidKey);
        }
        let invalid = |reason: String| BackfillError::InvalidUrl {
            url: base_url.to_owned(),
            reason,
        };
        let base = reqwest::Url::parse(base_url).map_err(|error| invalid(error.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("expected http:// or https://".to_owned()));
        }
        let retry = RetryPolicy::default();
        Ok(Self {
            client: Self::client(retry)?,
            base,
            key: key.to_owned(),
            retry,
        })
    }

    /// [`ClerkApi::new`] with [`SECRET_KEY_VAR`] and [`API_URL_VAR`] (default
    /// [`DEFAULT_API_URL`]).
    ///
    /// # Errors
    /// [`BackfillError::MissingKey`] when the key is unset, and as [`ClerkApi::new`].
    pub fn from_env() -> Result<Self, BackfillError> {
        let key = std::env::var(SECRET_KEY_VAR)
            .ok()
            .filter(|key| !key.trim().is_empty())
            .ok_or(BackfillError::MissingKey)?;
        let url = std::env::var(API_URL_VAR)
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        Self::new(&key, url.trim())
    }

    /// The same client with another retry policy.
    ///
    /// # Errors
    /// [`BackfillError::InvalidUrl`] if the HTTP client cannot be built.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Result<Self, BackfillError> {
        self.client = Self::client(retry)?;
        self.retry = retry;
        Ok(self)
    }

    fn client(retry: RetryPolicy) -> Result<reqwest::Client, BackfillError> {
        reqwest::Client::builder()
            .timeout(retry.request_timeout)
            .user_agent(concat!("clerk-webhook-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| BackfillError::InvalidUrl {
                url: String::new(),
                reason: error.to_string(),
            })
    }

    /// The key's kind and first characters (`sk_test_ab…`), to say which key was used
    /// without revealing it.
    #[must_use]
    pub fn key_hint(&self) -> String {
        let shown: String = self.key.chars().take(10).collect();
        format!("{shown}…")
    }

    /// The base URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// One page, retried as the policy says.
    pub(crate) async fn page(
        &self,
        resource: Resource,
        limit: usize,
        offset: usize,
    ) -> Result<Page, PageError> {
        let mut url = self.base.clone();
        url.set_path(resource.path());
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string())
            .append_pair("offset", &offset.to_string())
            .append_pair("order_by", "+created_at");
        match self.fetch(&url).await? {
            Fetched::Found(body) => parse_page(&url, &body),
            Fetched::NotFound => Err(PageError::Incomplete(format!("{url} answered 404"))),
        }
    }

    /// Asks Clerk whether one mirrored object still exists, before a prune tombstones it:
    /// `GET /v1/users/{id}` or `/v1/organizations/{id}`; for a membership, the
    /// organization's memberships of its user. `row` is the stored row (a membership's
    /// `organization_id` and `user_id` come from it).
    pub(crate) async fn presence(
        &self,
        resource: Resource,
        row: &serde_json::Value,
    ) -> Result<Presence, PageError> {
        let text = |name: &str| row.get(name).and_then(serde_json::Value::as_str);
        let id = text("id").unwrap_or_default();
        let mut url = self.base.clone();
        let unknown =
            |what: &str| PageError::Incomplete(format!("cannot ask Clerk about {id}: {what}"));
        let mut segments = |parts: &[&str]| {
            url.path_segments_mut()
                .map(|mut path| {
                    path.clear().extend(parts);
                })
                .map_err(|()| unknown("the API URL cannot hold a path"))
        };
        match resource {
            Resource::Users => segments(&["v1", "users", id])?,
            Resource::Organizations => segments(&["v1", "organizations", id])?,
            Resource::OrganizationMemberships => {
                let (Some(organization), Some(user)) = (text("organization_id"), text("user_id"))
                else {
                    return Err(unknown("the row names no organization_id or user_id"));
                };
                segments(&["v1", "organizations", organization, "memberships"])?;
                url.query_pairs_mut()
                    .append_pair("user_id", user)
                    .append_pair("limit", &MAX_PAGE_SIZE.to_string());
            }
        }
        let body = match self.fetch(&url).await? {
            Fetched::NotFound => return Ok(Presence::Gone),
            Fetched::Found(body) => body,
        };
        if resource != Resource::OrganizationMemberships {
            return serde_json::from_slice::<Box<RawValue>>(&body)
                .map(Presence::Present)
                .map_err(|error| {
                    PageError::Incomplete(format!(
                        "{url} answered something that is not JSON: {error}"
                    ))
                });
        }
        // The membership is there if the organization lists it for its user.
        let page = parse_page(&url, &body)?;
        #[derive(Deserialize)]
        struct Id<'a> {
            #[serde(borrow)]
            id: Option<std::borrow::Cow<'a, str>>,
        }
        Ok(page
            .items
            .into_iter()
            .find(|item| {
                serde_json::from_str::<Id<'_>>(item.get())
                    .is_ok_and(|found| found.id.as_deref() == Some(id))
            })
            .map_or(Presence::Gone, Presence::Present))
    }

    /// GET `url`, retried as the policy says: 429 (honouring `Retry-After`), 5xx,
    /// connection errors and timeouts are retried; 401/403 stop everything; 404 is an
    /// answer; any other status makes this listing incomplete.
    async fn fetch(&self, url: &reqwest::Url) -> Result<Fetched, PageError> {
        let mut delay = self.retry.first_delay;
        let mut last_failure = String::new();
        for attempt in 1..=self.retry.max_attempts.max(1) {
            let wait = match self
                .client
                .get(url.clone())
                .bearer_auth(&self.key)
                .send()
                .await
            {
                Ok(response) => match response.status().as_u16() {
                    200..=299 => {
                        return response.bytes().await.map(Fetched::Found).map_err(|error| {
                            PageError::Incomplete(format!("{url}: {}", root_cause(&error)))
                        });
                    }
                    404 => return Ok(Fetched::NotFound),
                    status @ (401 | 403) => {
                        return Err(PageError::Fatal(BackfillError::Unauthorized {
                            status,
                            url: url.to_string(),
                            key_hint: self.key_hint(),
                        }));
                    }
                    429 => {
                        last_failure = "429 Too Many Requests".to_owned();
                        retry_after(&response)
                            .map_or(delay, |wait| wait.min(self.retry.max_retry_after))
                    }
                    status @ 500..=599 => {
                        last_failure = format!("{status} from the server");
                        delay
                    }
                    status => {
                        let body = response.text().await.unwrap_or_default();
                        let body: String = body.chars().take(200).collect();
                        return Err(PageError::Incomplete(format!(
                            "{url} answered {status}: {body}"
                        )));
                    }
                },
                Err(error) => {
                    last_failure = root_cause(&error);
                    delay
                }
            };
            if attempt < self.retry.max_attempts {
                tracing::warn!(
                    url = %url, attempt, failure = %last_failure, wait = ?wait,
                    "Backend API request failed; retrying"
                );
                tokio::time::sleep(wait).await;
                delay = delay.saturating_mul(2);
            } else {
                tracing::warn!(
                    url = %url, attempt, failure = %last_failure,
                    "Backend API request failed; giving up"
                );
            }
        }
        Err(PageError::Incomplete(format!(
            "{url} failed {} times; last: {last_failure}",
            self.retry.max_attempts
        )))
    }
}

/// What a GET found.
enum Fetched {
    Found(bytes::Bytes),
    NotFound,
}

/// Whether Clerk still has an object.
pub(crate) enum Presence {
    /// 404, or a membership its organization no longer lists.
    Gone,
    /// Still there, as Clerk answered it.
    Present(Box<RawValue>),
}

fn parse_page(url: &reqwest::Url, body: &[u8]) -> Result<Page, PageError> {
    // Untagged enums cannot hold `RawValue`s: tell the two shapes apart by their first
    // byte.
    let parsed = match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice::<Vec<Box<RawValue>>>(body).map(|items| Page {
            items,
            total_count: None,
        }),
        _ => serde_json::from_slice::<Paginated>(body).map(|page| Page {
            items: page.data,
            total_count: page.total_count,
        }),
    };
    parsed.map_err(|error| {
        PageError::Incomplete(format!(
            "{url} answered something that is not a listing: {error}"
        ))
    })
}

/// `Retry-After` in seconds (the form Clerk sends); an HTTP date is not honoured.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}
