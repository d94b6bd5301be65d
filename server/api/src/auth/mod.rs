//! Authentication: password hashing, JWT access tokens, opaque rotating refresh
//! tokens, the `AuthUser` extractor and sign-in rate limiting.

pub mod bot_tokens;
pub mod extractor;
mod hash_pool;
pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod sessions;
pub mod tokens;

pub use extractor::AuthUser;
