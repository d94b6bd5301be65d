//! Domain errors. Adapters return their own narrow errors (`StoreError`) which
//! convert here; the API crate maps each variant to a status and a stable code once.

use crate::ports::store::StoreError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object does not exist *for this caller*: also used for objects of
    /// another workspace, so their existence never leaks.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No valid credentials.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// The request clashes with the current state (duplicate, stale version, used invite).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The object existed but can no longer be used (spent or expired invite).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// The input is well-formed JSON but breaks a rule.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Too many attempts; try again after the given number of seconds.
    #[error("too many attempts, retry in {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency is briefly out of reach (the database dropped a connection):
    /// the client should try again shortly, with the same idempotency key.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// A fault of ours (I/O, a bug). Logged, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), reason: reason.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Error::NotFound(what),
            StoreError::Conflict(what) => {
                Error::Conflict { code: "conflict", message: format!("{what} already exists") }
            }
            StoreError::Invalid { field, reason } => Error::invalid(field, reason),
            StoreError::NotAllowed(rule) => Error::forbidden(rule),
            StoreError::Unavailable(msg) => Error::Unavailable(msg),
            StoreError::Backend(msg) => Error::Internal(msg),
        }
    }
}
