//! Sign-in rate limiting: a sliding window of failed attempts per account (e-mail)
//! and per client address. Counts live in the database, so every node of a
//! cluster enforces the same limit.

use artel_core::{Error, Result};
use chrono::{DateTime, Utc};

use crate::state::AppState;

/// Refuses with `RateLimited` when the e-mail or the address has too many recent failures.
pub async fn check(state: &AppState, email: &str, ip: &str) -> Result<()> {
    let now = state.clock.now();
    let s = &state.settings;
    let since = now - s.login_window;
    let (by_email, oldest_email) = state.store.login_failures_for_email(email, since).await?;
    if by_email >= s.login_max_failures_per_account {
        return Err(limited(oldest_email, state, now));
    }
    let (by_ip, oldest_ip) = state.store.login_failures_for_ip(ip, since).await?;
    if by_ip >= s.login_max_failures_per_ip {
        return Err(limited(oldest_ip, state, now));
    }
    Ok(())
}

/// Records a failed attempt.
pub async fn failed(state: &AppState, email: &str, ip: &str) -> Result<()> {
    let now = state.clock.now();
    state.store.record_login_failure(email, ip, now).await?;
    // Housekeeping on the failure path only: old rows are useless for any window.
    state.store.prune_login_failures(now - state.settings.login_window * 4).await?;
    Ok(())
}

/// A successful sign-in forgets the account's failures.
pub async fn succeeded(state: &AppState, email: &str) -> Result<()> {
    state.store.clear_login_failures(email).await.map_err(Into::into)
}

fn limited(oldest: Option<DateTime<Utc>>, state: &AppState, now: DateTime<Utc>) -> Error {
    let free_at = oldest.map(|t| t + state.settings.login_window).unwrap_or(now);
    let secs = (free_at - now).num_seconds().max(1);
    Error::RateLimited { retry_after_secs: u64::try_from(secs).unwrap_or(1) }
}
