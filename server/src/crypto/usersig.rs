//! UserSig: Tencent's TLS signature v2, so the public `tls-sig-api-v2` generators (in every
//! language) make signatures this server accepts.
//!
//! A UserSig is a JSON object (`TLS.ver` "2.0", `TLS.identifier`, `TLS.sdkappid`, `TLS.time`,
//! `TLS.expire`, `TLS.sig`, optionally `TLS.userbuf`), zlib-compressed, base64 with `+`→`*`,
//! `/`→`-`, `=`→`_`. `TLS.sig` is base64 of HMAC-SHA256, keyed by the app's secret key, over
//! `TLS.identifier:…\nTLS.sdkappid:…\nTLS.time:…\nTLS.expire:…\n` (and `TLS.userbuf:…\n`).

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Why a UserSig was refused, with Tencent's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// 70002: empty.
    #[error("UserSig is empty")]
    Empty,
    /// 70003: not base64, not zlib, not the JSON of a v2 signature.
    #[error("UserSig is malformed")]
    Malformed,
    /// 70001: `TLS.time + TLS.expire` has passed.
    #[error("UserSig has expired")]
    Expired,
    /// 70009: the HMAC does not match: made with another key.
    #[error("UserSig verification failed: it was not made with this app's key")]
    BadSignature,
    /// 70013: made for another identifier.
    #[error("the identifier differs from the one the UserSig was made for")]
    WrongIdentifier,
    /// 70014: made for another SDKAppID.
    #[error("the SDKAppID differs from the one the UserSig was made for")]
    WrongApp,
}

impl SigError {
    pub fn code(self) -> i64 {
        match self {
            Self::Expired => 70001,
            Self::Empty => 70002,
            Self::Malformed => 70003,
            Self::BadSignature => 70009,
            Self::WrongIdentifier => 70013,
            Self::WrongApp => 70014,
        }
    }
}

/// What a valid UserSig says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub identifier: String,
    pub sdkappid: i64,
    pub time: i64,
    pub expire: i64,
    pub userbuf: Option<Vec<u8>>,
}

/// The longest inflated UserSig accepted: real ones are a few hundred bytes.
const MAX_JSON: u64 = 16 * 1024;

fn content(
    identifier: &str,
    sdkappid: i64,
    time: i64,
    expire: i64,
    userbuf: Option<&str>,
) -> String {
    let mut s = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    if let Some(b) = userbuf {
        s.push_str(&format!("TLS.userbuf:{b}\n"));
    }
    s
}

fn mac(key: &str, content: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    m.update(content.as_bytes());
    m
}

fn to_tencent_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

/// A UserSig for `identifier`, valid from `now` for `expire` seconds.
pub fn generate(
    sdkappid: i64,
    key: &str,
    identifier: &str,
    now: i64,
    expire: i64,
    userbuf: Option<&[u8]>,
) -> String {
    let userbuf = userbuf.map(|b| STANDARD.encode(b));
    let sig = STANDARD.encode(
        mac(
            key,
            &content(identifier, sdkappid, now, expire, userbuf.as_deref()),
        )
        .finalize()
        .into_bytes(),
    );
    let mut doc = json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": now,
        "TLS.sig": sig,
    });
    if let Some(b) = userbuf {
        doc["TLS.userbuf"] = Value::String(b);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, doc.to_string().as_bytes()).expect("writing to memory");
    to_tencent_base64(&z.finish().expect("writing to memory"))
}

fn number(doc: &Value, key: &str) -> Result<i64, SigError> {
    match doc.get(key) {
        Some(Value::Number(n)) => n.as_i64().ok_or(SigError::Malformed),
        Some(Value::String(s)) => s.parse().map_err(|_| SigError::Malformed),
        _ => Err(SigError::Malformed),
    }
}

/// Decodes without checking: what a UserSig claims.
fn decode(sig: &str) -> Result<(Value, Claims), SigError> {
    let sig = sig.trim();
    if sig.is_empty() {
        return Err(SigError::Empty);
    }
    let b64 = sig.replace('*', "+").replace('-', "/").replace('_', "=");
    let compressed = STANDARD.decode(b64).map_err(|_| SigError::Malformed)?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(MAX_JSON)
        .read_to_end(&mut json)
        .map_err(|_| SigError::Malformed)?;
    let doc: Value = serde_json::from_slice(&json).map_err(|_| SigError::Malformed)?;
    if doc.get("TLS.ver").and_then(Value::as_str) != Some("2.0") {
        return Err(SigError::Malformed);
    }
    let identifier = doc
        .get("TLS.identifier")
        .and_then(Value::as_str)
        .ok_or(SigError::Malformed)?
        .to_owned();
    let userbuf = match doc.get("TLS.userbuf") {
        None => None,
        Some(Value::String(b)) => Some(STANDARD.decode(b).map_err(|_| SigError::Malformed)?),
        Some(_) => return Err(SigError::Malformed),
    };
    let claims = Claims {
        identifier,
        sdkappid: number(&doc, "TLS.sdkappid")?,
        time: number(&doc, "TLS.time")?,
        expire: number(&doc, "TLS.expire")?,
        userbuf,
    };
    Ok((doc, claims))
}

/// Checks a UserSig presented for (`sdkappid`, `identifier`) at `now`, in Tencent's order:
/// readable, same app, same identifier, signed with this key, not expired.
pub fn verify(
    sig: &str,
    sdkappid: i64,
    key: &str,
    identifier: &str,
    now: i64,
) -> Result<Claims, SigError> {
    let (doc, claims) = decode(sig)?;
    if claims.sdkappid != sdkappid {
        return Err(SigError::WrongApp);
    }
    if claims.identifier != identifier {
        return Err(SigError::WrongIdentifier);
    }
    let given = doc
        .get("TLS.sig")
        .and_then(Value::as_str)
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or(SigError::Malformed)?;
    let userbuf = doc.get("TLS.userbuf").and_then(Value::as_str);
    mac(
        key,
        &content(
            &claims.identifier,
            claims.sdkappid,
            claims.time,
            claims.expire,
            userbuf,
        ),
    )
    .verify_slice(&given)
    .map_err(|_| SigError::BadSignature)?;
    if now > claims.time.saturating_add(claims.expire) {
        return Err(SigError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    const NOW: i64 = 1_795_651_200;

    // Made by the public Python generator (PyPI `tls-sig-api-v2`, TLSSigAPIv2) with this key,
    // SDKAppID 1400000001 (1400000002 for OTHER_APP) and time.time() fixed at NOW.
    const ADMIN: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDCDAECqXWlGQWZQKkjE1NTUCSkDFSzJzwaLmlqZmpoZGcPHizHSQPZaGnhllFWYBrsXmSf6R2fl5VU6WlcHuIdrJySVuZa5*5W7mXpGFka5VOcm2SrUA2JI2kw__";
    /// "小明_01", 86400 s.
    const CJK: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkYkpNkw3SYkrNzAxS4w0MYYqKU7ITCwoyU4BKDE0MIMAQKpdaUZBZlAqUsTADSkEFSzJzQUKG5pamZqaGRnDx4sx0kDXFzh5OVdqeOWXu5lHmzoWRmfmhpWYBlYFh5abGaWFVwamORSUWEQbuES7Ztkq1AOchNLo_";
    /// "alice", 600 s, userbuf "abc".
    const USERBUF: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkEnMyk1NhUsUp2YkFBZkpQAlDEwMIMITKpVYUZBalAmXMDAygQiWZuSABQ3NLUzNTQyO4eGlxalFSaRrI*Mhwryy46ZnpIKH0JIPSCAt3rxwPL5Nk11y3MFOTUOOwtBAf13C3nAJ-o6hcH-eAKsu0ohALW6VaAD*kN7M_";
    /// "alice", made 200 days before NOW for 180 days.
    const EXPIRED: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkEnMyk1NhUsUp2YkFBZkpQAlDEwMIMITKpVYUZBalgmRMTU2NgBJQ8ZLMXLCoubmFsbmhEVy8ODMdZH5yZmpeQWF2Zmi2dn5Oor53hLuva5Gvq0*ac6hbRE5kZHmwY4VnkKe*sW*xrVItAJRCMvo_";
    /// "alice", for SDKAppID 1400000002.
    const OTHER_APP: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkEnMyk1NhUsUp2YkFBZkpQAlDEwMIMILKpVYUZBalAmUszIBSUMGSzFyQkKG5pamZqaERXLw4Mx1keGV4dopfenCxsWN5lFuoS2VhYHCyd5JRZUR4dqJFdmBEiluhT5KLS2FmUrmtUi0AGIgzBA__";

    #[test]
    fn signatures_of_the_public_generator_verify() {
        let c = verify(ADMIN, 1_400_000_001, KEY, "administrator", NOW).unwrap();
        assert_eq!((c.time, c.expire), (NOW, 180 * 86_400));
        let c = verify(CJK, 1_400_000_001, KEY, "小明_01", NOW + 86_400).unwrap();
        assert_eq!(c.identifier, "小明_01");
        let c = verify(USERBUF, 1_400_000_001, KEY, "alice", NOW).unwrap();
        assert_eq!(c.userbuf.as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn refusals_carry_tencents_codes() {
        let err = |sig: &str, app: i64, key: &str, id: &str, now: i64| {
            verify(sig, app, key, id, now).unwrap_err().code()
        };
        assert_eq!(err(EXPIRED, 1_400_000_001, KEY, "alice", NOW), 70001);
        assert_eq!(err(CJK, 1_400_000_001, KEY, "小明_01", NOW + 86_401), 70001);
        assert_eq!(err("", 1_400_000_001, KEY, "alice", NOW), 70002);
        assert_eq!(err("not a sig", 1_400_000_001, KEY, "alice", NOW), 70003);
        assert_eq!(
            err(&ADMIN[..60], 1_400_000_001, KEY, "administrator", NOW),
            70003
        );
        let other_key = "0".repeat(64);
        assert_eq!(
            err(ADMIN, 1_400_000_001, &other_key, "administrator", NOW),
            70009
        );
        assert_eq!(err(ADMIN, 1_400_000_001, KEY, "admin", NOW), 70013);
        assert_eq!(err(OTHER_APP, 1_400_000_001, KEY, "alice", NOW), 70014);
    }

    #[test]
    fn generated_signatures_round_trip_and_decode_like_the_generators() {
        for id in ["alice", "小明_01", "user@example.com"] {
            let sig = generate(1_400_000_001, KEY, id, NOW, 600, None);
            assert!(!sig.contains(['+', '/', '=']), "{sig}");
            let c = verify(&sig, 1_400_000_001, KEY, id, NOW + 600).unwrap();
            assert_eq!(c.identifier, id);
        }
        let with_buf = generate(1_400_000_001, KEY, "alice", NOW, 600, Some(b"abc"));
        assert_eq!(
            verify(&with_buf, 1_400_000_001, KEY, "alice", NOW)
                .unwrap()
                .userbuf,
            Some(b"abc".to_vec())
        );
        // A tampered payload fails the HMAC, not the parser.
        let (mut doc, _) = decode(&generate(1_400_000_001, KEY, "alice", NOW, 600, None)).unwrap();
        doc["TLS.expire"] = json!(999_999_999);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, doc.to_string().as_bytes()).unwrap();
        let forged = to_tencent_base64(&z.finish().unwrap());
        assert_eq!(
            verify(&forged, 1_400_000_001, KEY, "alice", NOW).unwrap_err(),
            SigError::BadSignature
        );
    }
}
