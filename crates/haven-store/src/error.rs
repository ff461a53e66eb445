use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage layer's one error type. Messages never contain row data.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database URL or data directory is unusable.
    #[error("{0}")]
    Config(String),
    /// The database cannot be reached or opened.
    #[error("{0}")]
    Unavailable(String),
    /// A uniqueness rule was broken; `field` names what clashed.
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    /// A row that must exist does not.
    #[error("not found")]
    NotFound,
    /// The operation does not exist for this backend.
    #[error("{0}")]
    Unsupported(&'static str),
    /// The database holds a value this binary cannot read.
    #[error("corrupt value in {0}")]
    Corrupt(&'static str),
    /// The disk (or the database's size limit) is full: nothing was written.
    #[error("the database's disk is full: nothing was saved")]
    Full,
    /// The audit chain in the database is shorter than, or differs from,
    /// the head this process last saw committed: entries were removed or
    /// re-chained. Nothing is chained until an operator looks.
    #[error("the audit chain was tampered with: {0}")]
    AuditTampered(String),
    /// No connection came free in time (the pool is exhausted or the
    /// server is slow): a retry may succeed.
    #[error("the database did not answer in time: {0}")]
    Timeout(String),
    /// The database refused a value as malformed (PostgreSQL: NUL in text,
    /// SQLSTATE 22021). Fields validate first; this is the net.
    #[error("the database refused a value: {0}")]
    BadInput(&'static str),
    /// Any other database failure: a fault, not the caller's input.
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // SQLITE_FULL (13) and PostgreSQL's disk_full (53100) say the same
        // thing: the write was refused for want of space.
        if let sqlx::Error::Database(db) = &e
            && matches!(db.code().as_deref(), Some("13" | "53100"))
        {
            return Self::Full;
        }
        match &e {
            sqlx::Error::PoolTimedOut => Self::Timeout(e.to_string()),
            sqlx::Error::PoolClosed | sqlx::Error::Io(_) => Self::Unavailable(e.to_string()),
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => {
                Self::BadInput("text with a NUL character")
            }
            _ => Self::Database(e.to_string()),
        }
    }
}

impl StoreError {
    /// Maps a unique-constraint violation to a conflict on `field`; other
    /// errors pass through.
    pub(crate) fn unique(err: sqlx::Error, field: &'static str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict { field },
            _ => Self::from(err),
        }
    }
}
