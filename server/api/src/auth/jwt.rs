//! Access tokens: short-lived HS256 JWTs with a `kid` header so keys can rotate.
//! Keys live in `<data dir>/jwt-keys.json` (created on first start, mode 0600) or
//! come from `ARTEL_JWT_SECRET`. The newest key signs; every listed key verifies.
//! Only HS256 is accepted: `alg: none` or any other algorithm fails.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use artel_core::Error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::DataConfig;

pub const ISSUER: &str = "artel";
pub const AUDIENCE: &str = "artel-api";
const KEY_FILE: &str = "jwt-keys.json";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: Uuid,
    /// Workspace id.
    pub ws: Uuid,
    /// Session (refresh-token family) id: revoking it kills the access token too.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    /// Base64url, 32 random bytes.
    secret: String,
    created_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    /// Newest first; the first signs.
    keys: Vec<StoredKey>,
}

struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

pub struct JwtKeys {
    keys: Vec<Key>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("JwtKeys").field("kids", &kids).finish()
    }
}

impl JwtKeys {
    /// From `ARTEL_JWT_SECRET` if set, else from the data dir (creating the key file).
    pub fn load_or_create(data: &DataConfig) -> anyhow::Result<Self> {
        if let Some(secret) = &data.jwt_secret {
            let secret = secret.expose().as_bytes();
            if secret.len() < 32 {
                bail!("ARTEL_JWT_SECRET must be at least 32 bytes");
            }
            let kid = format!("cfg-{}", &hex::encode(Sha256::digest(secret))[..12]);
            return Ok(Self { keys: vec![Key::new(kid, secret)] });
        }
        let path = key_path(&data.data_dir);
        if !path.exists() {
            std::fs::create_dir_all(&data.data_dir)
                .with_context(|| format!("creating data dir {}", data.data_dir.display()))?;
            write_key_file(&path, &KeyFile { keys: vec![new_key()] })?;
            tracing::info!(path = %path.display(), "generated a new JWT signing key");
        }
        Self::from_file(&path)
    }

    fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: KeyFile =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if file.keys.is_empty() {
            bail!("{} lists no keys", path.display());
        }
        let keys = file
            .keys
            .iter()
            .map(|k| {
                let secret = URL_SAFE_NO_PAD.decode(&k.secret).context("key secret is not base64url")?;
                anyhow::ensure!(secret.len() >= 32, "key {} is shorter than 32 bytes", k.kid);
                Ok(Key::new(k.kid.clone(), &secret))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { keys })
    }

    /// Puts a new signing key in front of the data dir's key file; returns its kid.
    /// Running servers pick it up at their next start.
    pub fn rotate(data_dir: &Path) -> anyhow::Result<String> {
        let path = key_path(data_dir);
        let mut file: KeyFile = if path.exists() {
            serde_json::from_str(&std::fs::read_to_string(&path)?).context("parsing the key file")?
        } else {
            std::fs::create_dir_all(data_dir)?;
            KeyFile { keys: vec![] }
        };
        let key = new_key();
        let kid = key.kid.clone();
        file.keys.insert(0, key);
        // Old keys only need to outlive the access tokens they signed; keep a few.
        file.keys.truncate(4);
        write_key_file(&path, &file)?;
        Ok(kid)
    }

    /// Id of the key that signs new tokens.
    pub fn current_kid(&self) -> &str {
        self.keys.first().map(|k| k.kid.as_str()).unwrap_or("")
    }

    /// Signs claims with the current key.
    pub fn sign(&self, claims: &Claims) -> Result<String, Error> {
        let key = self.keys.first().ok_or_else(|| Error::Internal("no signing key".into()))?;
        let header = Header { kid: Some(key.kid.clone()), ..Header::new(Algorithm::HS256) };
        encode(&header, claims, &key.encoding).map_err(|e| Error::Internal(format!("jwt encode: {e}")))
    }

    /// Verifies signature, algorithm, issuer, audience and expiry (against our clock).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, Error> {
        let invalid = || Error::unauthorized("invalid_token", "the access token is invalid");
        if token.len() > 4096 {
            return Err(invalid());
        }
        let header = decode_header(token).map_err(|_| invalid())?;
        if header.alg != Algorithm::HS256 {
            return Err(invalid());
        }
        let kid = header.kid.ok_or_else(invalid)?;
        let key = self.keys.iter().find(|k| k.kid == kid).ok_or_else(invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against the injected clock, not the system time.
        validation.validate_exp = false;
        let data = decode::<Claims>(token, &key.decoding, &validation).map_err(|_| invalid())?;
        if data.claims.exp <= now.timestamp() {
            return Err(Error::unauthorized("token_expired", "the access token has expired; refresh it"));
        }
        Ok(data.claims)
    }
}

impl Key {
    fn new(kid: String, secret: &[u8]) -> Self {
        Self { kid, encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }
}

fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

fn new_key() -> StoredKey {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let mut kid = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut kid);
    StoredKey { kid: hex::encode(kid), secret: URL_SAFE_NO_PAD.encode(secret), created_at: Utc::now() }
}

/// Writes the key file readable by the owner only, via a temp file and rename so a
/// crash never leaves a half-written key file.
fn write_key_file(path: &Path, file: &KeyFile) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(serde_json::to_string_pretty(file)?.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
