//! A compact JWS as an ID token comes (RFC 7515 §7.1): its protected header, its claims, the
//! bytes that were signed, and the key of a JWK set (RFC 7517) that should verify it. The
//! signature is checked by WebCrypto in the glue ([`crate::signin::id_token::Verifier`]).

use crate::base64url;
use serde_json::{Map, Value};

/// Longest ID token read, in bytes: far above any real one, and a bound on what is parsed.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The signature algorithms an ID token may use here: the asymmetric ones client metadata
/// knows (an HMAC would need the client secret as the key, and `none` proves nothing), each of
/// which WebCrypto verifies (`glue::signin_port`).
pub const VERIFIABLE_ALGS: &[&str] = crate::metadata::algorithms::SigningAlg::SIGNED_NAMES;

#[derive(Debug)]
pub struct CompactJws {
    pub alg: String,
    pub kid: Option<String>,
    /// `BASE64URL(header) . BASE64URL(payload)`, the bytes the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
    pub claims: Map<String, Value>,
}

/// Splits and decodes `token`; refuses a JWE (five parts), an unsigned or symmetric `alg`, and a
/// header with `crit` (RFC 7515 §4.1.11: no extension is understood here).
pub fn parse(token: &str) -> Result<CompactJws, &'static str> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err("the ID token is too large");
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the ID token is not a compact JWS");
    };
    let header = decode_object(h).ok_or("the ID token's header is not a base64url JSON object")?;
    let claims = decode_object(p).ok_or("the ID token's claims are not a base64url JSON object")?;
    let signature = base64url::decode(s).ok_or("the ID token's signature is not base64url")?;
    if header.contains_key("crit") {
        return Err("the ID token's header has crit, which is not supported");
    }
    let alg = match header.get("alg") {
        Some(Value::String(a)) if VERIFIABLE_ALGS.contains(&a.as_str()) => a.clone(),
        _ => return Err("the ID token's alg is missing, unsigned, symmetric or unsupported"),
    };
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err("the ID token's kid is not a string"),
    };
    Ok(CompactJws {
        alg,
        kid,
        signing_input: format!("{h}.{p}"),
        signature,
        claims,
    })
}

fn decode_object(part: &str) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&base64url::decode(part)?) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// The key type (and curve) a JWK must have for `alg`.
fn key_shape(alg: &str) -> (&'static str, Option<&'static str>) {
    match alg {
        "ES256" => ("EC", Some("P-256")),
        "ES384" => ("EC", Some("P-384")),
        "ES512" => ("EC", Some("P-521")),
        "EdDSA" => ("OKP", Some("Ed25519")),
        _ => ("RSA", None),
    }
}

/// The one key of `jwks` that may verify a JWS with `alg` and `kid`: of that type and curve, for
/// signing (`use` absent or `sig`), of that `alg` when it names one, and with that `kid` when the
/// header names one. Without a `kid`, exactly one key may fit (OIDC Core §10.1).
pub fn select_key<'a>(
    jwks: &'a Value,
    alg: &str,
    kid: Option<&str>,
) -> Result<&'a Map<String, Value>, &'static str> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the provider's JWK set has no keys array")?;
    let (kty, crv) = key_shape(alg);
    let text = |k: &Map<String, Value>, m: &str| k.get(m).and_then(Value::as_str).map(String::from);
    let mut fitting = keys.iter().filter_map(Value::as_object).filter(|k| {
        text(k, "kty").as_deref() == Some(kty)
            && crv.is_none_or(|c| text(k, "crv").as_deref() == Some(c))
            && text(k, "use").is_none_or(|u| u == "sig")
            && text(k, "alg").is_none_or(|a| a == alg)
            && kid.is_none_or(|want| text(k, "kid").as_deref() == Some(want))
    });
    match (fitting.next(), fitting.next()) {
        (Some(k), None) => Ok(k),
        (None, _) => Err("no key of the provider fits the ID token's alg and kid"),
        (Some(_), Some(_)) => Err("several keys of the provider fit an ID token without kid"),
    }
}
