//! VAPID keys: a P-256 private key, kept base64url-encoded (the raw 32-byte
//! scalar) in `<data dir>/vapid_private_key` with mode 0600, generated on first
//! start; or given in the configuration. Never logged: `Debug` shows only the
//! public key.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use web_push::{PartialVapidSignatureBuilder, VapidSignatureBuilder};

/// File name in the data dir.
pub const KEY_FILE: &str = "vapid_private_key";

#[derive(Clone)]
pub struct VapidKeys {
    signer: PartialVapidSignatureBuilder,
    public: String,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys").field("public", &self.public).field("private", &"***").finish()
    }
}

impl VapidKeys {
    /// A key from its base64url private scalar.
    pub fn from_private(encoded: &str) -> anyhow::Result<Self> {
        let signer = VapidSignatureBuilder::from_base64_no_sub(encoded.trim())
            .map_err(|_| anyhow::anyhow!("the VAPID private key is not a base64url P-256 private key"))?;
        let public = URL_SAFE_NO_PAD.encode(signer.get_public_key());
        Ok(Self { signer, public })
    }

    /// The configured key, else the one in the data dir, else a new one saved there.
    pub fn load_or_create(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<Self> {
        if let Some(key) = configured.map(str::trim).filter(|k| !k.is_empty()) {
            return Self::from_private(key).context("ARTEL_VAPID_PRIVATE_KEY");
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                return Self::from_private(&text).with_context(|| format!("reading {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        let (encoded, keys) = Self::generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(encoded.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
                file.sync_all().ok();
                tracing::info!(path = %path.display(), "generated a VAPID key for Web Push");
                Ok(keys)
            }
            // Another process sharing the data dir won the race: use its key.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text =
                    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                Self::from_private(&text)
            }
            Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }

    /// A fresh random key: (its base64url private scalar, the keys).
    pub fn generate() -> anyhow::Result<(String, Self)> {
        // A random 32-byte string is a valid P-256 scalar except with probability
        // ~2^-32 (zero or ≥ the group order): draw again then.
        for _ in 0..16 {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let encoded = URL_SAFE_NO_PAD.encode(bytes);
            if let Ok(keys) = Self::from_private(&encoded) {
                return Ok((encoded, keys));
            }
        }
        anyhow::bail!("could not generate a VAPID key")
    }

    /// The public key, base64url (uncompressed point): the browser's applicationServerKey.
    pub fn public_key(&self) -> String {
        self.public.clone()
    }

    pub(crate) fn signer(&self) -> PartialVapidSignatureBuilder {
        self.signer.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_kept_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("artel-vapid-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = VapidKeys::load_or_create(&dir, None).expect("created");
        let b = VapidKeys::load_or_create(&dir, None).expect("loaded");
        assert_eq!(a.public_key(), b.public_key());
        let raw = URL_SAFE_NO_PAD.decode(a.public_key()).expect("base64url");
        assert_eq!((raw.len(), raw[0]), (65, 4));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE)).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{a:?}").contains(&std::fs::read_to_string(dir.join(KEY_FILE)).expect("key")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
