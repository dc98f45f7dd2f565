//! The ID token checks of OIDC Core §3.1.3.7, for a token the dashboard got from the token
//! endpoint itself (so TLS already authenticates where it came from; the signature is checked
//! all the same, as the issue asks and as a provider's key rotation would show a fault).

use super::jws::{self, CompactJws};
use serde_json::{Map, Value};
use std::future::Future;

/// How far a clock may be off, in seconds, for `exp`, `iat` and `nbf`.
pub const CLOCK_LEEWAY: i64 = 60;
/// Longest `sub` (OIDC Core §2: at most 255 ASCII characters).
pub const MAX_SUB_CHARS: usize = 255;

/// Verifies a JWS signature with a JWK: WebCrypto in the Worker, a test double on the host.
pub trait Verifier {
    /// `Ok(true)` when `signature` over `input` verifies with `jwk` under `alg`; `Err` when the
    /// key cannot be used at all (WebCrypto refused to import it).
    fn verify(
        &self,
        alg: &str,
        jwk: &Map<String, Value>,
        input: &[u8],
        signature: &[u8],
    ) -> impl Future<Output = Result<bool, String>>;
}

/// What the token must say: this provider, this client, this sign-in's nonce, now.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: i64,
    /// The algorithms the provider advertises (and this server verifies).
    pub algs: &'a [String],
}

/// The person the token names, and the claims the admin rule may look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub sub: String,
    /// `name`, else `preferred_username`, else `email`: how the dashboard greets them.
    pub display_name: Option<String>,
    pub claims: Map<String, Value>,
}

/// Parses `token`, verifies its signature with the one fitting key of `jwks`, then its claims.
/// The error is for the log and the sign-in page; it names the rule, never a secret.
pub async fn verify<V: Verifier>(
    token: &str,
    jwks: &Value,
    verifier: &V,
    expected: &Expected<'_>,
) -> Result<Identity, String> {
    let jws = jws::parse(token)?;
    if !expected.algs.iter().any(|a| a == &jws.alg) {
        return Err(format!(
            "the ID token's alg {} is not one the provider advertises",
            jws.alg
        ));
    }
    let key = jws::select_key(jwks, &jws.alg, jws.kid.as_deref())?;
    match verifier
        .verify(&jws.alg, key, jws.signing_input.as_bytes(), &jws.signature)
        .await
    {
        Ok(true) => {}
        Ok(false) => return Err("the ID token's signature does not verify".into()),
        Err(e) => return Err(format!("the provider's key cannot be used: {e}")),
    }
    check_claims(jws, expected)
}

/// The claims rules (OIDC Core §3.1.3.7, items 2–3, 9–11): `iss` equal, `aud` holding the client
/// (and `azp` equal to it when present, required with several audiences), `exp` ahead, `iat`
/// not ahead, `nbf` passed, `nonce` equal, `sub` present.
pub fn check_claims(jws: CompactJws, expected: &Expected<'_>) -> Result<Identity, String> {
    let claims = jws.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    if text("iss") != Some(expected.issuer) {
        return Err("the ID token's iss is not the configured issuer".into());
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err("the ID token's aud does not name this dashboard's client".into());
    }
    match text("azp") {
        Some(azp) if azp != expected.client_id => {
            return Err("the ID token's azp is another client".into())
        }
        None if audiences.len() > 1 => {
            return Err("the ID token has several audiences and no azp".into())
        }
        _ => {}
    }
    let now = expected.now;
    match time("exp") {
        Some(exp) if exp > now - CLOCK_LEEWAY => {}
        Some(_) => return Err("the ID token has expired".into()),
        None => return Err("the ID token has no exp".into()),
    }
    match time("iat") {
        Some(iat) if iat <= now + CLOCK_LEEWAY => {}
        Some(_) => return Err("the ID token was issued in the future".into()),
        None => return Err("the ID token has no iat".into()),
    }
    if time("nbf").is_some_and(|nbf| nbf > now + CLOCK_LEEWAY) {
        return Err("the ID token is not valid yet".into());
    }
    // Compared in constant time: the nonce is this sign-in's secret.
    let nonce_ok = text("nonce").is_some_and(|n| crate::token::same_secret(n, expected.nonce));
    if !nonce_ok {
        return Err("the ID token's nonce is not this sign-in's".into());
    }
    let sub = match text("sub") {
        // Printable: it becomes the audit actor `person:<sub>`.
        Some(s)
            if !s.is_empty()
                && s.len() <= MAX_SUB_CHARS
                && s.bytes().all(|b| (0x20..=0x7e).contains(&b)) =>
        {
            s.to_string()
        }
        _ => {
            return Err(
                "the ID token's sub is missing or not 1 to 255 printable ASCII characters".into(),
            )
        }
    };
    let display_name = ["name", "preferred_username", "email"]
        .into_iter()
        .filter_map(text)
        .map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect::<String>()
        })
        .find(|n| !n.trim().is_empty());
    Ok(Identity {
        sub,
        display_name,
        claims,
    })
}
