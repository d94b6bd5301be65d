//! Password hashing with argon2id (OWASP parameters by default: m=19 MiB, t=2, p=1).
//! Hashing runs on the blocking pool so it never stalls the async workers. A hash
//! made with other parameters verifies and is flagged for rehash.

use std::sync::Arc;

use anyhow::anyhow;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use artel_core::Error;

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// A real hash to verify against when the account does not exist, so unknown
    /// and known e-mails take the same time.
    dummy_hash: Arc<String>,
}

/// The result of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The stored hash used other parameters and should be replaced.
    pub needs_rehash: bool,
}

impl Passwords {
    pub fn new(memory_kib: u32, iterations: u32) -> anyhow::Result<Self> {
        let params =
            Params::new(memory_kib, iterations, 1, None).map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let salt = SaltString::generate(&mut OsRng);
        let dummy = argon
            .hash_password(b"artel-dummy-password", &salt)
            .map_err(|e| anyhow!("argon2: {e}"))?
            .to_string();
        Ok(Self { params, dummy_hash: Arc::new(dummy) })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let argon = self.argon();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("argon2 hash: {e}")))
        })
        .await
        .map_err(|e| Error::Internal(format!("hash task: {e}")))?
    }

    /// Checks a password against a stored PHC string.
    pub async fn verify(&self, password: String, stored: String) -> Result<Verified, Error> {
        let argon = self.argon();
        let wanted = self.params.clone();
        tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Verified { ok: false, needs_rehash: false };
            };
            let ok = argon.verify_password(password.as_bytes(), &parsed).is_ok();
            let same_params = parsed.algorithm.as_str() == "argon2id"
                && Params::try_from(&parsed).is_ok_and(|p| {
                    p.m_cost() == wanted.m_cost()
                        && p.t_cost() == wanted.t_cost()
                        && p.p_cost() == wanted.p_cost()
                });
            Verified { ok, needs_rehash: ok && !same_params }
        })
        .await
        .map_err(|e| Error::Internal(format!("verify task: {e}")))
    }

    /// Spends the same time as a real verification; for unknown accounts.
    pub async fn verify_dummy(&self, password: String) -> Result<(), Error> {
        self.verify(password, self.dummy_hash.as_ref().clone()).await.map(|_| ())
    }
}
