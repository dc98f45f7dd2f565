//! Identifiers, secrets and their keyed hashes.
//!
//! Client secrets and registration access tokens are 256-bit random values. They are returned to
//! the client once and stored only as `HMAC-SHA256(server key, purpose | client_id | value)`, so a
//! dump of the database holds nothing usable, and a token is bound to the client it was issued to.

use crate::base64url;
use crate::error::ApiError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;

/// The block-level `Hmac` keeps both padded-key states, so a hash costs two compressions less
/// than with `SimpleHmac` (which would keep the wasm a little smaller).
type HmacSha256 = Hmac<Sha256>;

/// Bytes of randomness in a `client_id` (128 bits).
const CLIENT_ID_BYTES: usize = 16;
/// Bytes of randomness in a client secret or registration access token (256 bits).
const SECRET_BYTES: usize = 32;
/// Shortest server key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

fn random_b64(n: usize) -> Result<String, ApiError> {
    let mut buf = [0u8; 32];
    let buf = &mut buf[..n];
    getrandom::fill(buf).map_err(|e| ApiError::Internal(format!("getrandom: {e}")))?;
    Ok(base64url::encode(buf))
}

/// A new random, URL-safe identifier (128 bits, 22 characters): request ids without `CF-Ray`,
/// KV record versions, initial access token ids. (Client ids come with the rest of a
/// registration's credentials, [`new_credentials`].)
pub fn random_id() -> Result<String, ApiError> {
    random_b64(CLIENT_ID_BYTES)
}

/// What a registration issues: a `client_id`, a client secret when the auth method uses one,
/// and the registration access token.
pub struct NewCredentials {
    pub client_id: String,
    pub secret: Option<Secret>,
    pub access_token: Secret,
}

/// New credentials from one call to the system's random source (one `crypto.getRandomValues`
/// in the Worker instead of three).
pub fn new_credentials(with_secret: bool) -> Result<NewCredentials, ApiError> {
    let mut buf = [0u8; CLIENT_ID_BYTES + 2 * SECRET_BYTES];
    getrandom::fill(&mut buf).map_err(|e| ApiError::Internal(format!("getrandom: {e}")))?;
    let (id, rest) = buf.split_at(CLIENT_ID_BYTES);
    let (secret, token) = rest.split_at(SECRET_BYTES);
    Ok(NewCredentials {
        client_id: base64url::encode(id),
        secret: with_secret.then(|| Secret(base64url::encode(secret))),
        access_token: Secret(base64url::encode(token)),
    })
}

/// Whether `s` could be a `client_id` this server issued; anything else is not looked up.
pub fn is_client_id_shaped(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Lowercase hex of `bytes` (digests in KV keys, tags and the projection's secret form).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// A secret value: never printed by `Debug`, reached only through [`Secret::expose`]. No
/// `PartialEq`: `==` on strings stops at the first differing byte, so a presented secret is
/// checked only through [`HashKey::verify`]'s constant-time comparison of keyed hashes.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn generate() -> Result<Self, ApiError> {
        random_b64(SECRET_BYTES).map(Secret)
    }

    pub fn from_presented(s: &str) -> Self {
        Secret(s.to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// What a hashed value is, mixed into the hash so a client secret never verifies as a token.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    ClientSecret,
    RegistrationAccessToken,
    InitialAccessToken,
    AdminToken,
    /// The authorization server API's bearer token (`AS_API_TOKEN`).
    AsApiToken,
    /// Client IP addresses in the audit log.
    ClientIp,
    /// The dashboard's signed session cookie (`crate::signin::seal`).
    SessionCookie,
    /// The cookie that carries `state`, `nonce` and the PKCE verifier through a sign-in.
    SignInCookie,
    /// A client's owner: a signed-in person's issuer and subject (`StoredClient::owner`).
    Owner,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::ClientSecret => b"client_secret",
            Purpose::RegistrationAccessToken => b"registration_access_token",
            Purpose::InitialAccessToken => b"initial_access_token",
            Purpose::AdminToken => b"admin_token",
            Purpose::AsApiToken => b"as_api_token",
            Purpose::ClientIp => b"client_ip",
            Purpose::SessionCookie => b"session_cookie",
            Purpose::SignInCookie => b"signin_cookie",
            Purpose::Owner => b"owner",
        }
    }
}

/// A keyed hash as stored ([`HashKey::hash`]): base64url of an HMAC-SHA256, the form D1's
/// columns and KV's JSON hold, byte for byte. No `PartialEq` with a string: a presented value is
/// checked only through [`HashKey::verify`]. Two stored hashes compare in constant time (a
/// compare-and-set on the registration token hash, a token looked up by its hash).
#[derive(Debug, Clone, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    /// A hash as read back from a store (or a fixed value that matches no secret).
    pub fn from_stored(stored: String) -> Self {
        TokenHash(stored)
    }

    /// The stored form: what a store writes, binds or puts in a key.
    pub fn as_stored(&self) -> &str {
        &self.0
    }
}

/// Whether two secret strings (hashes, tokens, MACs, nonces) are equal, without stopping at the
/// first differing byte; only the lengths, which are public, are compared first.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl PartialEq for TokenHash {
    fn eq(&self, other: &Self) -> bool {
        same_secret(&self.0, &other.0)
    }
}

/// The server key for keyed hashes (the `REGISTRAR_HMAC_KEY` Worker secret), kept as an HMAC
/// already keyed: each hash clones it instead of absorbing the padded key again.
#[derive(Clone)]
pub struct HashKey(HmacSha256);

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashKey([redacted])")
    }
}

impl HashKey {
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the hash key must be at least {MIN_KEY_BYTES} bytes (got {})",
                key.len()
            ));
        }
        Ok(HashKey(
            HmacSha256::new_from_slice(key).expect("HMAC accepts any key length"),
        ))
    }

    /// The stored form of `secret`: base64url of the HMAC over purpose, client id and value.
    pub fn hash(&self, purpose: Purpose, client_id: &str, secret: &Secret) -> TokenHash {
        TokenHash(self.mac(purpose, client_id.as_bytes(), secret.expose().as_bytes()))
    }

    /// base64url of the HMAC over purpose, context and data: a stored hash, or the signature of
    /// a value the server hands out and must get back unchanged (a cookie).
    pub fn mac(&self, purpose: Purpose, context: &[u8], data: &[u8]) -> String {
        let mut mac = self.0.clone();
        for part in [purpose.label(), context, data] {
            // Length-prefix each part so no two different triples hash the same input.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        base64url::encode(mac.finalize().into_bytes())
    }

    /// Constant-time check of a presented secret against a stored hash.
    pub fn verify(
        &self,
        purpose: Purpose,
        client_id: &str,
        presented: &Secret,
        stored: &TokenHash,
    ) -> bool {
        self.hash(purpose, client_id, presented) == *stored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> HashKey {
        HashKey::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn secrets_are_256_bits_and_unique() {
        let a = Secret::generate().unwrap();
        let b = Secret::generate().unwrap();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn new_credentials_are_independent_random_values() {
        let a = new_credentials(true).unwrap();
        let b = new_credentials(true).unwrap();
        assert_eq!(a.client_id.len(), 22);
        assert!(is_client_id_shaped(&a.client_id));
        let (sa, ta) = (a.secret.unwrap(), a.access_token);
        assert_eq!((sa.expose().len(), ta.expose().len()), (43, 43));
        // Three slices of one buffer: no two equal, and nothing repeats across calls.
        assert_ne!(sa.expose(), ta.expose());
        assert_ne!(a.client_id, b.client_id);
        assert_ne!(sa.expose(), b.secret.unwrap().expose());
        assert!(new_credentials(false).unwrap().secret.is_none());
    }

    #[test]
    fn random_ids_are_url_safe_128_bits() {
        let id = random_id().unwrap();
        assert!(is_client_id_shaped(&id), "{id}");
        assert!(!is_client_id_shaped("../../etc/passwd"));
    }

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::from_presented("hunter2-hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{:?}", key()).contains('7'));
    }

    #[test]
    fn hash_is_bound_to_client_and_purpose() {
        let k = key();
        let s = Secret::generate().unwrap();
        let h = k.hash(Purpose::RegistrationAccessToken, "client-a", &s);
        assert!(k.verify(Purpose::RegistrationAccessToken, "client-a", &s, &h));
        assert!(!k.verify(Purpose::RegistrationAccessToken, "client-b", &s, &h));
        assert!(!k.verify(Purpose::ClientSecret, "client-a", &s, &h));
        assert!(!k.verify(
            Purpose::RegistrationAccessToken,
            "client-a",
            &Secret::from_presented("wrong"),
            &h
        ));
        assert!(!h.as_stored().contains(s.expose()));
    }

    /// A stored hash must stay verifiable across releases: the value from Python's `hmac`
    /// module for the same key and length-prefixed parts.
    #[test]
    fn hash_matches_an_independent_hmac_sha256() {
        let s = Secret::from_presented("s3cret");
        assert_eq!(
            key().hash(Purpose::ClientSecret, "abc", &s).as_stored(),
            "eoACPF0yG4dnL0f5w4lXWSncStlXd8zhYrxRC9cew6A"
        );
    }

    /// D1 binds and KV writes the stored form: a hash serialises as the bare string it was
    /// before it had a type, so rows and records written by earlier releases still read.
    #[test]
    fn a_stored_hash_is_its_bare_string_on_the_wire() {
        let h = key().hash(
            Purpose::InitialAccessToken,
            "",
            &Secret::from_presented("t"),
        );
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{}\"", h.as_stored()));
        assert_eq!(serde_json::from_str::<TokenHash>(&json).unwrap(), h);
        assert_ne!(TokenHash::from_stored("x".into()), h);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(HashKey::new(b"too short").is_err());
    }
}
