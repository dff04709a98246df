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
}
