//! Which database to use, parsed once from configuration.

use crate::{StoreError, StoreResult};
use std::fmt;
use std::path::{Path, PathBuf};

/// The SQLite file inside the data directory.
pub const SQLITE_FILE_NAME: &str = "haven.db";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A parsed database location. The PostgreSQL URL may hold a password, so
/// `Display` and `Debug` show it redacted.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl DatabaseTarget {
    /// Parses a database URL, or uses `data_dir/haven.db` when there is none.
    ///
    /// Accepts `sqlite:PATH`, `sqlite://PATH`, `postgres://…` and
    /// `postgresql://…`. Anything else is refused, so that a typo never
    /// silently creates an empty SQLite database somewhere else.
    ///
    /// # Errors
    /// An unknown scheme or an empty path.
    pub fn parse(url: Option<&str>, data_dir: &Path) -> StoreResult<Self> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(Self::Sqlite {
                path: data_dir.join(SQLITE_FILE_NAME),
            });
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            url::Url::parse(url).map_err(|e| {
                StoreError::Config(format!("the PostgreSQL URL is not a valid URL: {e}"))
            })?;
            return Ok(Self::Postgres {
                url: url.to_owned(),
            });
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::Config(
                    "a SQLite URL must name a file, e.g. sqlite:///var/lib/haven/haven.db".into(),
                ));
            }
            return Ok(Self::Sqlite {
                path: PathBuf::from(path),
            });
        }
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::Config(format!(
            "unknown database URL scheme \"{scheme}\": use sqlite:PATH or postgres://HOST/DB"
        )))
    }

    #[must_use]
    pub const fn backend(&self) -> Backend {
        match self {
            Self::Sqlite { .. } => Backend::Sqlite,
            Self::Postgres { .. } => Backend::Postgres,
        }
    }
}

impl fmt::Display for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path } => write!(f, "sqlite:{}", path.display()),
            Self::Postgres { url } => match url::Url::parse(url) {
                Ok(u) => write!(
                    f,
                    "postgres://{}:{}{}",
                    u.host_str().unwrap_or("localhost"),
                    u.port().unwrap_or(5432),
                    u.path()
                ),
                Err(_) => f.write_str("postgres://<invalid>"),
            },
        }
    }
}

impl fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_means_sqlite_in_the_data_dir() {
        let t = DatabaseTarget::parse(None, Path::new("/srv/haven")).unwrap();
        assert_eq!(
            t,
            DatabaseTarget::Sqlite {
                path: "/srv/haven/haven.db".into()
            }
        );
    }

    #[test]
    fn sqlite_urls_name_a_file() {
        let d = Path::new("x");
        for (url, path) in [
            ("sqlite:///var/h.db", "/var/h.db"),
            ("sqlite://rel/h.db", "rel/h.db"),
            ("sqlite:h.db", "h.db"),
            ("sqlite:h.db?mode=rwc", "h.db"),
        ] {
            assert_eq!(
                DatabaseTarget::parse(Some(url), d).unwrap(),
                DatabaseTarget::Sqlite { path: path.into() },
                "{url}"
            );
        }
        assert!(DatabaseTarget::parse(Some("sqlite::memory:"), d).is_err());
        assert!(DatabaseTarget::parse(Some("sqlite://"), d).is_err());
    }

    #[test]
    fn unknown_schemes_are_refused_by_name() {
        let err = DatabaseTarget::parse(Some("mysql://db/haven"), Path::new("x")).unwrap_err();
        assert!(err.to_string().contains("\"mysql\""), "{err}");
        assert!(DatabaseTarget::parse(Some("haven.db"), Path::new("x")).is_err());
    }

    #[test]
    fn postgres_passwords_never_display() {
        let t = DatabaseTarget::parse(
            Some("postgres://haven:s3cret@db.example:6543/haven"),
            Path::new("x"),
        )
        .unwrap();
        let shown = format!("{t} {t:?}");
        assert!(!shown.contains("s3cret"));
        assert!(shown.contains("db.example:6543/haven"));
    }
}
