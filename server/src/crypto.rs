//! Secrets at rest and random credentials.
//!
//! Stored secrets are sealed with XChaCha20-Poly1305 under a key from `PUSHDESK_SECRET_KEY_FILE`.
//! The file holds one key per line, `<version> <base64 key>`, newest first: new ciphertexts use the
//! first key and carry its version (`v1.<base64 nonce‖ciphertext>`), so older keys can stay for
//! reading while secrets are re-sealed under a new one.

pub mod usersig;

use std::fmt;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, rand_core::RngCore};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// A secret in memory: never printed, never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// All but the last four characters hidden, as the console shows stored secrets.
    pub fn masked(&self) -> String {
        let tail: String = {
            let chars: Vec<char> = self.0.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        format!("****{tail}")
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(****)")
    }
}

struct VersionedKey {
    version: String,
    cipher: XChaCha20Poly1305,
    /// For [`SecretBox::mac`]: derived from the key, never the key itself.
    mac_key: [u8; 32],
}

/// Seals and opens secrets stored in the database.
pub struct SecretBox {
    keys: Vec<VersionedKey>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let versions: Vec<&str> = self.keys.iter().map(|k| k.version.as_str()).collect();
        f.debug_struct("SecretBox")
            .field("key_versions", &versions)
            .finish()
    }
}

impl SecretBox {
    /// Loads the key file, creating it (mode 0600, one fresh key `v1`) if it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            let mut key = [0u8; 32];
            OsRng.fill_bytes(&mut key);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .with_context(|| format!("creating secret key file {}", path.display()))?;
            writeln!(file, "v1 {}", STANDARD.encode(key))?;
            tracing::info!(path = %path.display(), "created a new secret key file");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading secret key file {}", path.display()))?;
        Self::from_key_file(&text).with_context(|| format!("secret key file {}", path.display()))
    }

    pub fn from_key_file(text: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((version, b64)) = line.split_once(char::is_whitespace) else {
                bail!("line {}: expected `<version> <base64 key>`", n + 1);
            };
            if version.is_empty() || version.contains('.') {
                bail!(
                    "line {}: a key version must be non-empty and without '.'",
                    n + 1
                );
            }
            let bytes = STANDARD
                .decode(b64.trim())
                .with_context(|| format!("line {}: the key is not base64", n + 1))?;
            if bytes.len() != 32 {
                bail!(
                    "line {}: a key must be 32 bytes, found {}",
                    n + 1,
                    bytes.len()
                );
            }
            let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
                .map_err(|_| anyhow::anyhow!("line {}: unusable key", n + 1))?;
            let mut mac_key = [0u8; 32];
            mac_key.copy_from_slice(&Sha256::digest(
                [b"pushdesk mac key\n".as_slice(), &bytes].concat(),
            ));
            keys.push(VersionedKey {
                version: version.to_owned(),
                cipher,
                mac_key,
            });
        }
        if keys.is_empty() {
            bail!("no key found");
        }
        Ok(Self { keys })
    }

    pub fn seal(&self, plaintext: &str) -> String {
        let key = &self.keys[0];
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = key
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        format!("{}.{}", key.version, STANDARD.encode(blob))
    }

    /// A tag only this deployment can make for `message` (HMAC-SHA256 under the newest key, hex):
    /// for URLs handed to outside parties, such as the vendors' receipt callbacks.
    pub fn mac(&self, message: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.keys[0].mac_key)
            .expect("HMAC takes any key length");
        m.update(message.as_bytes());
        m.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `tag` is [`Self::mac`] of `message` under any key, compared in constant time.
    pub fn verify_mac(&self, message: &str, tag: &str) -> bool {
        use hmac::{Hmac, Mac};
        let Some(bytes) = hex_bytes(tag) else {
            return false;
        };
        self.keys.iter().any(|k| {
            let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&k.mac_key)
                .expect("HMAC takes any key length");
            m.update(message.as_bytes());
            m.verify_slice(&bytes).is_ok()
        })
    }

    pub fn open(&self, sealed: &str) -> anyhow::Result<SecretString> {
        let (version, b64) = sealed
            .split_once('.')
            .context("sealed secret without key version")?;
        let key = self
            .keys
            .iter()
            .find(|k| k.version == version)
            .with_context(|| format!("no key with version {version} in the key file"))?;
        let blob = STANDARD
            .decode(b64)
            .context("sealed secret is not base64")?;
        if blob.len() < 24 {
            bail!("sealed secret too short");
        }
        let (nonce, ciphertext) = blob.split_at(24);
        let plain = key
            .cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| anyhow::anyhow!("sealed secret failed authentication"))?;
        Ok(SecretString(
            String::from_utf8(plain).context("sealed secret is not UTF-8")?,
        ))
    }
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new personal API token: `pdt_` and 32 random bytes, URL-safe.
pub fn new_api_token() -> SecretString {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    SecretString(format!("pdt_{}", URL_SAFE_NO_PAD.encode(bytes)))
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

/// How API tokens are stored: only their SHA-256, enough for lookup, useless if leaked.
pub fn token_digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "v2 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const KEY_B: &str = "v1 HxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwIBAB8eHRw=";

    #[test]
    fn secrets_round_trip_and_carry_the_key_version() {
        let b = SecretBox::from_key_file(KEY_A).unwrap();
        let sealed = b.seal("密钥-secret");
        assert!(sealed.starts_with("v2."));
        assert!(!sealed.contains("secret"));
        assert_eq!(b.open(&sealed).unwrap().expose(), "密钥-secret");
        assert_ne!(b.seal("x"), b.seal("x"), "a fresh nonce every time");
    }

    #[test]
    fn older_keys_still_open_after_rotation() {
        let old = SecretBox::from_key_file(KEY_B).unwrap();
        let sealed = old.seal("kept");
        let rotated = SecretBox::from_key_file(&format!("{KEY_A}\n{KEY_B}\n")).unwrap();
        assert_eq!(rotated.open(&sealed).unwrap().expose(), "kept");
        assert!(rotated.seal("new").starts_with("v2."));
    }

    #[test]
    fn tampering_and_unknown_versions_are_refused() {
        let b = SecretBox::from_key_file(KEY_A).unwrap();
        let sealed = b.seal("x");
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(b.open(std::str::from_utf8(&tampered).unwrap()).is_err());
        assert!(b.open(&sealed.replacen("v2.", "v9.", 1)).is_err());
        assert!(SecretBox::from_key_file("v1 c2hvcnQ=").is_err());
        assert!(SecretBox::from_key_file("").is_err());
    }

    #[test]
    fn macs_verify_under_any_key_and_nothing_else() {
        let b = SecretBox::from_key_file(KEY_B).unwrap();
        let tag = b.mac("receipts:7");
        assert_eq!(tag.len(), 64);
        assert_eq!(tag, b.mac("receipts:7"), "the same for the same message");
        assert!(b.verify_mac("receipts:7", &tag));
        assert!(!b.verify_mac("receipts:8", &tag));
        assert!(!b.verify_mac("receipts:7", &tag[..62]));
        assert!(!b.verify_mac("receipts:7", "zz"));
        assert!(!b.verify_mac("receipts:7", "é"));
        let rotated = SecretBox::from_key_file(&format!("{KEY_A}\n{KEY_B}\n")).unwrap();
        assert!(
            rotated.verify_mac("receipts:7", &tag),
            "older keys still verify"
        );
        assert_ne!(
            rotated.mac("receipts:7"),
            tag,
            "new tags use the newest key"
        );
    }

    #[test]
    fn key_file_is_created_private() {
        let dir = std::env::temp_dir().join(format!("pushdesk-key-{}", random_hex(6)));
        let path = dir.join("secret.key");
        let b = SecretBox::load_or_create(&path).unwrap();
        let again = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(
            again.open(&b.seal("same key")).unwrap().expose(),
            "same key"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn secrets_are_redacted_and_masked() {
        let s = SecretString::new("abcdef123456".into());
        assert_eq!(format!("{s:?}"), "SecretString(****)");
        assert_eq!(s.masked(), "****3456");
        assert!(new_api_token().expose().starts_with("pdt_"));
        assert_eq!(token_digest("abc").len(), 64);
    }
}
