//! Which event types an endpoint subscribes to, as Svix's `filterTypes` (the Dashboard's
//! "Subscribe to events"), with `user.*`-style wildcards.

use std::fmt;

/// The event types an endpoint receives: every type, or those matching one of its
/// patterns. A pattern is an event type (`organization.created`), a prefix ending in `.*`
/// (`user.*`: every `user.` type), or `*` (every type). A message without a string `type`
/// goes only to endpoints receiving every type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    patterns: Option<Vec<String>>,
}

/// A pattern that is not an event type, `prefix.*` or `*`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an event type filter: use an event type (user.created), a prefix and .* (user.*), or *"
)]
pub struct FilterError(pub String);

impl EventFilter {
    /// Every event type (no filter).
    #[must_use]
    pub fn all() -> Self {
        Self { patterns: None }
    }

    /// Only the event types matching one of `patterns`.
    ///
    /// # Errors
    /// [`FilterError`] for a malformed pattern, or when there is none.
    pub fn only<I, S>(patterns: I) -> Result<Self, FilterError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let patterns: Vec<String> = patterns
            .into_iter()
            .map(|p| p.into().trim().to_owned())
            .collect();
        if patterns.is_empty() {
            return Err(FilterError(String::new()));
        }
        if let Some(bad) = patterns.iter().find(|p| !is_pattern(p)) {
            return Err(FilterError(bad.clone()));
        }
        Ok(Self {
            patterns: Some(patterns),
        })
    }

    /// A comma-separated list, as `--filter user.*,organization.created` takes it.
    ///
    /// # Errors
    /// As [`EventFilter::only`].
    pub fn parse_list(list: &str) -> Result<Self, FilterError> {
        Self::only(list.split(',').filter(|p| !p.trim().is_empty()))
    }

    /// The patterns; `None` for every type.
    #[must_use]
    pub fn patterns(&self) -> Option<&[String]> {
        self.patterns.as_deref()
    }

    /// Whether a message of `event_type` goes to the endpoint.
    #[must_use]
    pub fn matches(&self, event_type: Option<&str>) -> bool {
        let Some(patterns) = &self.patterns else {
            return true;
        };
        let Some(event_type) = event_type else {
            return false;
        };
        patterns
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => event_type.starts_with(prefix),
                None => pattern == event_type,
            })
    }

    /// The patterns that match none of Clerk's event types (a typo, most likely).
    #[must_use]
    pub fn matching_no_known_type(&self) -> Vec<&str> {
        self.patterns
            .iter()
            .flatten()
            .filter(|pattern| {
                let single = Self {
                    patterns: Some(vec![(*pattern).clone()]),
                };
                !clerk_webhook_core::EVENT_TYPES
                    .iter()
                    .any(|t| single.matches(Some(t)))
            })
            .map(String::as_str)
            .collect()
    }
}

impl fmt::Display for EventFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.patterns {
            None => f.write_str("every event type"),
            Some(patterns) => f.write_str(&patterns.join(", ")),
        }
    }
}

/// `*`, `a.b`, or `a.*` (letters, digits, `_`, `-`, dot-separated).
fn is_pattern(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let name = pattern.strip_suffix(".*").unwrap_or(pattern);
    !name.is_empty()
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_by_prefix_and_exact_types_exactly() {
        let filter = EventFilter::only(["user.*", "organization.created"]).unwrap();
        assert!(filter.matches(Some("user.created")));
        assert!(filter.matches(Some("user.deleted")));
        assert!(filter.matches(Some("organization.created")));
        assert!(!filter.matches(Some("organization.updated")));
        assert!(
            !filter.matches(Some("userX.created")),
            "user.* needs the dot"
        );
        assert!(!filter.matches(None));
        assert!(EventFilter::all().matches(None));
        assert!(EventFilter::only(["*"]).unwrap().matches(Some("anything")));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "",
            "user.",
            "*.created",
            "user.*.x",
            "user*",
            "us er.created",
            ".x",
        ] {
            assert!(EventFilter::only([bad]).is_err(), "{bad:?}");
        }
        assert!(EventFilter::parse_list(" , ").is_err());
        let list = EventFilter::parse_list("user.*, session.created").unwrap();
        assert_eq!(
            list.patterns().unwrap(),
            ["user.*".to_owned(), "session.created".to_owned()]
        );
    }

    #[test]
    fn typos_are_found() {
        let filter = EventFilter::only(["user.*", "usr.created", "organization.*"]).unwrap();
        assert_eq!(filter.matching_no_known_type(), ["usr.created"]);
    }
}
