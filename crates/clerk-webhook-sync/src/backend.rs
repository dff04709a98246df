//! The two backends and the little SQL that differs between them.

use crate::error::SyncError;

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded: a file (created if missing), in WAL mode.
    Sqlite,
    /// PostgreSQL: for several receivers sharing one database.
    Postgres,
}

impl Backend {
    /// The backend of a `sqlite:` or `postgres:`/`postgresql:` URL.
    ///
    /// # Errors
    /// [`SyncError::UnsupportedUrl`] for any other scheme.
    pub fn of_url(url: &str) -> Result<Self, SyncError> {
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            other => Err(SyncError::UnsupportedUrl {
                scheme: other.to_owned(),
            }),
        }
    }

    /// The SQL type JSON columns have: `JSONB` on PostgreSQL, `TEXT` on SQLite.
    pub(crate) fn json_type(self) -> &'static str {
        match self {
            Self::Sqlite => "TEXT",
            Self::Postgres => "JSONB",
        }
    }

    /// The collation that orders text by its bytes (svix-ids compare the same way on both
    /// backends, whatever the database's default collation).
    pub(crate) fn binary_collation(self) -> &'static str {
        match self {
            Self::Sqlite => "BINARY",
            Self::Postgres => "\"C\"",
        }
    }

    /// How a write transaction starts. SQLite takes its write lock up front, so concurrent
    /// writers wait (busy timeout) instead of failing on a lock upgrade.
    pub(crate) fn begin(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }

    /// The most bind parameters one statement may hold: SQLite's
    /// `SQLITE_MAX_VARIABLE_NUMBER` in the bundled build (32,766), PostgreSQL's protocol
    /// limit (65,535).
    pub(crate) fn max_bind_parameters(self) -> usize {
        match self {
            Self::Sqlite => 32_766,
            Self::Postgres => 65_535,
        }
    }

    /// The `n`th bind parameter (from 1) of a statement that uses each of its parameters
    /// once, in order: `$n` on PostgreSQL, a bare `?` on SQLite. (SQLite looks a named or
    /// numbered parameter up by a linear scan, which makes a statement with thousands of
    /// them quadratic to prepare and to bind: most of a page's time.)
    pub(crate) fn param(self, n: usize) -> String {
        match self {
            Self::Sqlite => "?".to_owned(),
            Self::Postgres => format!("${n}"),
        }
    }

    /// The schema of temporary tables, to name one without ever reaching a table of the
    /// same name in the application's schema.
    pub(crate) fn temp_schema(self) -> &'static str {
        match self {
            Self::Sqlite => "temp",
            Self::Postgres => "pg_temp",
        }
    }

    /// Adds what the URL needs: SQLite creates the file when missing.
    pub(crate) fn connect_url(self, url: &str) -> String {
        match self {
            Self::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            Backend::of_url("sqlite://clerk-sync.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::of_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::of_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(matches!(
            Backend::of_url("mysql://x"),
            Err(SyncError::UnsupportedUrl { scheme }) if scheme == "mysql"
        ));
        assert_eq!(
            Backend::Sqlite.connect_url("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            Backend::Sqlite.connect_url("sqlite://a.db?x=1"),
            "sqlite://a.db?x=1&mode=rwc"
        );
    }
}
