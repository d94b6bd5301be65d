//! Rate limits a cluster shares: sign-in per account and per client address,
//! password changes per user, incoming hooks per hook. Each attempt is counted in
//! the database before the work it pays for (password hashing above all), in the
//! same transaction as the check, so neither concurrent requests nor other nodes
//! can slip past a full limit.

use artel_core::ports::store::{RateDecision, RateLimit};
use artel_core::{Error, Result};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::state::AppState;

/// Calls one incoming hook may take per minute, on all nodes together.
pub const HOOK_CALLS_PER_MINUTE: i64 = 60;

fn email_bucket(email: &str) -> String {
    format!("login:email:{email}")
}

fn ip_bucket(ip: &str) -> String {
    format!("login:ip:{ip}")
}

fn password_bucket(user: Uuid) -> String {
    format!("password:{user}")
}

fn reset_bucket(ip: &str) -> String {
    format!("reset:ip:{ip}")
}

fn hook_bucket(hook: Uuid) -> String {
    format!("hook:{hook}")
}

/// Counts a sign-in attempt for the e-mail and the address, or refuses with
/// `RateLimited` when either has had too many attempts in the window.
pub async fn take_login(state: &AppState, email: &str, ip: &str) -> Result<()> {
    let s = &state.settings;
    let (by_email, by_ip) = (email_bucket(email), ip_bucket(ip));
    let limits = [
        (by_email.as_str(), s.login_max_failures_per_account),
        (by_ip.as_str(), s.login_max_failures_per_ip),
    ];
    take(state, &limits, s.login_window).await
}

/// The password was wrong: the attempt stays counted. Old hits are swept here,
/// on the path an attacker pays for, so the log stays small.
pub async fn login_failed(state: &AppState) -> Result<()> {
    let keep = state.settings.login_window.max(Duration::minutes(1)) * 4;
    state.store.prune_rate_limits(state.clock.now() - keep).await?;
    Ok(())
}

/// The password was right (or the attempt was never checked): the account's
/// attempts are forgotten and the address gets this attempt back, so an office
/// behind one address is limited by its failures only.
pub async fn login_succeeded(state: &AppState, email: &str, ip: &str) -> Result<()> {
    state.store.clear_rate_limit(&email_bucket(email)).await?;
    state.store.refund_rate_limit(&ip_bucket(ip)).await?;
    Ok(())
}

/// Gives back an attempt that was counted but never checked (hashing was busy).
pub async fn login_not_checked(state: &AppState, email: &str, ip: &str) -> Result<()> {
    state.store.refund_rate_limit(&email_bucket(email)).await?;
    state.store.refund_rate_limit(&ip_bucket(ip)).await?;
    Ok(())
}

/// Counts an attempt to change the user's password (which checks the current
/// one), with the sign-in limit per account.
pub async fn take_password_change(state: &AppState, user: Uuid) -> Result<()> {
    let s = &state.settings;
    let bucket = password_bucket(user);
    take(state, &[(bucket.as_str(), s.login_max_failures_per_account)], s.login_window).await
}

/// The current password was right: the user's attempts are forgotten.
pub async fn password_change_succeeded(state: &AppState, user: Uuid) -> Result<()> {
    state.store.clear_rate_limit(&password_bucket(user)).await.map_err(Into::into)
}

/// Gives back a password-change attempt that was never checked (hashing was busy).
pub async fn password_change_not_checked(state: &AppState, user: Uuid) -> Result<()> {
    state.store.refund_rate_limit(&password_bucket(user)).await.map_err(Into::into)
}

/// Counts an attempt to look up or use a password-reset link from this address,
/// with the sign-in limit per address: guessing links costs what guessing
/// passwords does.
pub async fn take_reset(state: &AppState, ip: &str) -> Result<()> {
    let s = &state.settings;
    let bucket = reset_bucket(ip);
    take(state, &[(bucket.as_str(), s.login_max_failures_per_ip)], s.login_window).await
}

/// The link was real: the address gets the attempt back, so only wrong guesses count.
pub async fn reset_found(state: &AppState, ip: &str) -> Result<()> {
    state.store.refund_rate_limit(&reset_bucket(ip)).await.map_err(Into::into)
}

/// Counts a call to an incoming hook against its per-minute budget.
pub async fn take_hook_call(state: &AppState, hook: Uuid) -> Result<()> {
    let bucket = hook_bucket(hook);
    take(state, &[(bucket.as_str(), HOOK_CALLS_PER_MINUTE)], Duration::minutes(1)).await
}

async fn take(state: &AppState, limits: &[(&str, i64)], window: Duration) -> Result<()> {
    let now = state.clock.now();
    let since = now - window;
    let limits: Vec<RateLimit<'_>> =
        limits.iter().map(|(bucket, max)| RateLimit { bucket, max: *max, since }).collect();
    match state.store.take_rate_limit(&limits, now).await? {
        RateDecision::Taken => Ok(()),
        RateDecision::Refused { oldest, .. } => Err(limited(oldest + window, now)),
    }
}

fn limited(free_at: DateTime<Utc>, now: DateTime<Utc>) -> Error {
    // Rounded up: a client that waits exactly this long finds the slot free.
    let secs = (free_at - now + Duration::milliseconds(999)).num_seconds().max(1);
    Error::RateLimited { retry_after_secs: u64::try_from(secs).unwrap_or(1) }
}
