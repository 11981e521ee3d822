//! Identifiers in Xiaomi's formats (docs/mipush-server-api.md §2.4, §3.3).

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::crypto::random_bytes;

fn digits(n: usize) -> String {
    random_bytes(n)
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

fn letters(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    random_bytes(n)
        .iter()
        .map(|b| char::from(ALPHABET[*b as usize % ALPHABET.len()]))
        .collect()
}

/// 19 digits, not starting with 0.
pub fn app_id() -> String {
    format!(
        "{}{}",
        char::from(b'1' + random_bytes(1)[0] % 9),
        digits(18)
    )
}

/// 13 digits, not starting with 0.
pub fn app_key() -> String {
    format!(
        "{}{}",
        char::from(b'1' + random_bytes(1)[0] % 9),
        digits(12)
    )
}

/// Standard base64 of 16 random bytes, as Xiaomi's console shows it.
pub fn app_secret() -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes(16))
}

/// The current regId form: 64 characters of the base64 alphabet, no padding.
pub fn reg_id() -> String {
    STANDARD_NO_PAD.encode(random_bytes(48))
}

/// `s` (regId target) + datacenter `dm` + 17 digits + 2 letters: 22 characters.
pub fn message_id(now_ms: i64) -> String {
    format!(
        "sdm{:013}{}{}",
        now_ms.rem_euclid(10_i64.pow(13)),
        digits(4),
        letters(2)
    )
}

/// Like a message id, with the prefix `X`.
pub fn trace_id(now_ms: i64) -> String {
    format!(
        "Xdm{:013}{}{}",
        now_ms.rem_euclid(10_i64.pow(13)),
        digits(4),
        letters(2)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_xiaomis_shapes() {
        let id = app_id();
        assert_eq!(id.len(), 19);
        assert!(id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0'));
        assert_eq!(app_key().len(), 13);
        assert_eq!(app_secret().len(), 24);
        let r = reg_id();
        assert_eq!(r.len(), 64);
        assert!(
            r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        );
        let m = message_id(1_795_651_200_123);
        assert_eq!(m.len(), 22);
        assert!(m.starts_with("sdm1795651200123"));
        assert_eq!(trace_id(5).len(), 22);
        assert_ne!(reg_id(), reg_id());
    }
}
