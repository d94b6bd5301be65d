//! Password hashing with argon2id (OWASP parameters by default: m=19 MiB, t=2, p=1).
//! Hashing runs on the blocking pool so it never stalls the async workers, with
//! memory from a bounded pool (`hash_pool`): a flood of sign-ins waits for a slot
//! or is told to retry instead of allocating without bound. A hash made with other
//! parameters verifies and is flagged for rehash.

use std::sync::Arc;

use anyhow::anyhow;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use artel_core::Error;

use super::hash_pool::HashPool;

/// Most hashes run at once however much memory is allowed: more than the cores
/// can run only adds memory, not throughput.
fn max_parallel() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    u32::try_from(cores * 2).unwrap_or(16)
}

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// A real hash to verify against when the account does not exist, so unknown
    /// and known e-mails take the same time.
    dummy_hash: Arc<String>,
    pool: Arc<HashPool>,
}

/// The result of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The stored hash used other parameters and should be replaced.
    pub needs_rehash: bool,
}

impl Passwords {
    /// `max_memory_kib` bounds the memory of hashes running at once: it allows
    /// `max_memory_kib / memory_kib` of them (at least one).
    pub fn new(memory_kib: u32, iterations: u32, max_memory_kib: u64) -> anyhow::Result<Self> {
        let params =
            Params::new(memory_kib, iterations, 1, None).map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        let fit = u32::try_from(max_memory_kib / u64::from(memory_kib.max(1))).unwrap_or(u32::MAX);
        let pool = Arc::new(HashPool::new(fit.clamp(1, max_parallel()), params.block_count()));
        let mut blocks = vec![Block::default(); params.block_count()];
        let dummy = hash_with(&params, b"artel-dummy-password", &mut blocks)?;
        Ok(Self { params, dummy_hash: Arc::new(dummy), pool })
    }

    /// How many hashes may run at once.
    pub fn parallel(&self) -> u32 {
        self.pool.size()
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, Error> {
        let params = self.params.clone();
        self.pool
            .run(params.block_count(), move |blocks| hash_with(&params, password.as_bytes(), blocks))
            .await?
            .map_err(|e| Error::Internal(format!("argon2 hash: {e}")))
    }

    /// Checks a password against a stored PHC string.
    pub async fn verify(&self, password: String, stored: String) -> Result<Verified, Error> {
        let no = Verified { ok: false, needs_rehash: false };
        // An unreadable hash still costs a full check, so it cannot be told apart by time.
        let (stored, blocks) = match PasswordHash::new(&stored).ok().and_then(|h| Params::try_from(&h).ok()) {
            Some(p) => (stored, p.block_count()),
            None => (self.dummy_hash.as_ref().clone(), self.params.block_count()),
        };
        let wanted = self.params.clone();
        let checked =
            self.pool.run(blocks, move |mem| verify_with(password.as_bytes(), &stored, mem)).await?;
        let Some((ok, params)) = checked else { return Ok(no) };
        let same_params = params.m_cost() == wanted.m_cost()
            && params.t_cost() == wanted.t_cost()
            && params.p_cost() == wanted.p_cost();
        Ok(Verified { ok, needs_rehash: ok && !same_params })
    }

    /// Spends the same time as a real verification; for unknown accounts.
    pub async fn verify_dummy(&self, password: String) -> Result<(), Error> {
        self.verify(password, self.dummy_hash.as_ref().clone()).await.map(|_| ())
    }
}

/// An argon2id PHC string for `password`, computed in `blocks`.
fn hash_with(params: &Params, password: &[u8], blocks: &mut [Block]) -> anyhow::Result<String> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_buf).map_err(|e| anyhow!("salt: {e}"))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon
        .hash_password_into_with_memory(password, salt_bytes, &mut out, blocks)
        .map_err(|e| anyhow!("{e}"))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow!("{e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow!("{e}"))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `stored` (compared in constant
/// time), and the parameters it was made with; None when `stored` is not an
/// argon2 hash.
fn verify_with(password: &[u8], stored: &str, blocks: &mut [Block]) -> Option<(bool, Params)> {
    let parsed = PasswordHash::new(stored).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
    let params = Params::try_from(&parsed).ok()?;
    let (salt, expected) = (parsed.salt?, parsed.hash?);
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf).ok()?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let ok = argon.hash_password_into_with_memory(password, salt, &mut out, blocks).is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected);
    Some((ok, params))
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn pooled_hashes_are_standard_phc_strings() {
        let passwords = Passwords::new(256, 1, 1024).expect("passwords");
        assert_eq!(passwords.parallel(), 4.min(max_parallel()));
        let ours = passwords.hash("secret".into()).await.expect("hash");
        let parsed = PasswordHash::new(&ours).expect("phc");
        let params = Params::new(256, 1, 1, None).expect("params");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        assert!(argon.verify_password(b"secret", &parsed).is_ok());
        assert!(argon.verify_password(b"other", &parsed).is_err());

        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon.hash_password(b"secret", &salt).expect("hash").to_string();
        let v = passwords.verify("secret".into(), theirs.clone()).await.expect("verify");
        assert_eq!(v, Verified { ok: true, needs_rehash: false });
        assert!(!passwords.verify("wrong".into(), theirs).await.expect("verify").ok);

        // Other parameters, larger than the pool's buffers: verified and flagged.
        let bigger =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(512, 1, 1, None).expect("p"));
        let old = bigger.hash_password(b"secret", &salt).expect("hash").to_string();
        let v = passwords.verify("secret".into(), old).await.expect("verify");
        assert_eq!(v, Verified { ok: true, needs_rehash: true });
        assert!(!passwords.verify("secret".into(), "not a hash".into()).await.expect("verify").ok);
    }
}
