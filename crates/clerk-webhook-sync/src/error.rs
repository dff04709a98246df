//! What can go wrong in the store.

/// A store failure. The transaction was rolled back: nothing was half-written, and the
/// delivery should be answered 503 so that Svix retries it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The database URL names a backend this crate does not support.
    #[error(
        "unsupported DATABASE_URL scheme {scheme:?}: use sqlite://path.db or postgres://user@host/db"
    )]
    UnsupportedUrl {
        /// The scheme found.
        scheme: String,
    },
    /// Running the embedded migrations failed.
    #[error("could not create the clerk-webhook-sync tables: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database did not answer in time (see
    /// [`StoreOptions::wait`](crate::StoreOptions::wait)); nothing was committed.
    #[error("the database did not answer within {0:?}")]
    TimedOut(std::time::Duration),
    /// The [`SyncHook`](crate::SyncHook) failed; the delivery was rolled back with it.
    #[error("the sync hook failed: {0}")]
    Hook(#[source] crate::HookError),
}

/// Why a backfill could not run at all. (A listing that stops part-way is not an error: the
/// [`BackfillReport`](crate::BackfillReport) says which one and why, and nothing is pruned.)
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackfillError {
    /// No Secret Key.
    #[error(
        "CLERK_SECRET_KEY is not set: a backfill reads Clerk's Backend API with the instance's Secret Key (sk_live_… or sk_test_…, Dashboard > API keys)"
    )]
    MissingKey,
    /// The key is not a Secret Key.
    #[error(
        "CLERK_SECRET_KEY is not a Clerk Secret Key: expected sk_live_… or sk_test_… (the Publishable Key, pk_…, cannot list users)"
    )]
    InvalidKey,
    /// The API URL is unusable.
    #[error("invalid CLERK_API_URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The Backend API refused the key.
    #[error(
        "Clerk's Backend API answered {status} at {url} to the Secret Key {key_hint}: check that CLERK_SECRET_KEY is this instance's Secret Key (Dashboard > API keys; development and production keys differ) and that it has not been revoked or rotated"
    )]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The request refused.
        url: String,
        /// The key's first characters.
        key_hint: String,
    },
    /// The store failed; what was applied before stays applied.
    #[error(transparent)]
    Store(#[from] SyncError),
}
