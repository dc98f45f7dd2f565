//! Values the server hands to the browser in a cookie and must get back unchanged: the JSON,
//! base64url-encoded, then `.` and its HMAC under the server key (`REGISTRAR_HMAC_KEY`, with a
//! purpose of its own). Signed, not encrypted: what they hold (a subject, a display name, the
//! sign-in's nonce and PKCE verifier) is the person's own and never leaves their browser
//! (`HttpOnly`); tampering is what must be impossible, and the MAC makes it so.

use crate::base64url;
use crate::token::{HashKey, Purpose};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Longest cookie value read back, in bytes.
pub const MAX_SEALED_BYTES: usize = 3 * 1024;

/// Something sealed into a cookie: it knows when it stops being good.
pub trait Expiring {
    fn expires_at(&self) -> i64;
}

pub fn seal<T: Serialize>(key: &HashKey, purpose: Purpose, value: &T) -> String {
    // A struct of strings, numbers and booleans always serialises.
    let json = serde_json::to_vec(value).unwrap_or_default();
    let body = base64url::encode(&json);
    let mac = key.mac(purpose, b"", body.as_bytes());
    format!("{body}.{mac}")
}

/// The value `sealed` holds when its MAC is right (compared in constant time), it parses, and it
/// has not expired at `now`; otherwise `None`, with no hint of which check failed.
pub fn open<T: DeserializeOwned + Expiring>(
    key: &HashKey,
    purpose: Purpose,
    sealed: &str,
    now: i64,
) -> Option<T> {
    if sealed.len() > MAX_SEALED_BYTES {
        return None;
    }
    let (body, mac) = sealed.rsplit_once('.')?;
    let expected = key.mac(purpose, b"", body.as_bytes());
    if !crate::token::same_secret(&expected, mac) {
        return None;
    }
    let value: T = serde_json::from_slice(&base64url::decode(body)?).ok()?;
    (value.expires_at() > now).then_some(value)
}
