//! Checks an inline `jwks` value (RFC 7591 §2): a JWK Set (RFC 7517 §5) of well-formed public
//! keys. Each key's shape is checked against RFC 7518 §6 and RFC 8037: an RSA modulus of at least
//! 2048 bits and an exponent; an EC or OKP key on a supported curve with coordinates of that
//! curve's length; strict base64url; `kid` unique; `use` and `alg` that fit the key. Whether an EC
//! point lies on its curve is not checked (that needs the curve arithmetic; SECURITY.md).
//! Errors name `jwks.keys[i]`.

use super::limits::Cap;
use super::members::Code;
use crate::error::{quoted, ApiError};
use serde_json::{Map, Value};

/// JWK members that hold private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Smallest and largest RSA modulus accepted, in bits (RFC 7518 §3.3 and §4.2 ask for 2048).
pub const MIN_RSA_BITS: usize = 2048;
pub const MAX_RSA_BITS: usize = 16384;
/// Longest RSA public exponent accepted, in bytes (65537 is 3).
const MAX_RSA_EXPONENT_BYTES: usize = 8;

/// EC curves (RFC 7518 §6.2.1.1) and the byte length of their coordinates.
const EC_CURVES: &[(&str, usize)] = &[("P-256", 32), ("P-384", 48), ("P-521", 66)];
/// OKP curves (RFC 8037 §2) and the byte length of their public key `x`.
const OKP_CURVES: &[(&str, usize)] =
    &[("Ed25519", 32), ("Ed448", 57), ("X25519", 32), ("X448", 56)];

const RSA_ALGS: &[&str] = &[
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "RSA-OAEP",
    "RSA-OAEP-256",
    "RSA-OAEP-384",
    "RSA-OAEP-512",
];
const ECDH_ALGS: &[&str] = &[
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
];

/// Checks the set: a `keys` array of at most `cap` keys, each a well-formed public key.
pub fn check_public_jwk_set(jwks: &Value, cap: Cap) -> Result<(), ApiError> {
    let keys = jwks
        .as_object()
        .and_then(|o| o.get("keys"))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::invalid_metadata("jwks", "must be a JWK Set: an object with a \"keys\" array")
        })?;
    if keys.is_empty() {
        return Err(ApiError::invalid_metadata(
            "jwks",
            "the \"keys\" array is empty",
        ));
    }
    cap.check("jwks.keys", keys.len(), Code::Metadata)?;
    let mut kids: Vec<&str> = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let fail = |why: String| ApiError::invalid_metadata(&format!("jwks.keys[{i}]"), why);
        let key = key
            .as_object()
            .ok_or_else(|| fail("must be a JSON object (a JWK)".into()))?;
        check_key(key).map_err(fail)?;
        if let Some(kid) = key.get("kid").and_then(Value::as_str) {
            if let Some(j) = kids.iter().position(|k| *k == kid) {
                return Err(fail(format!(
                    "kid {} is also the kid of jwks.keys[{j}]; a set of several keys needs distinct kids",
                    quoted(kid)
                )));
            }
            kids.push(kid);
        }
    }
    Ok(())
}

/// One JWK: a public key of a supported type and shape.
fn check_key(key: &Map<String, Value>) -> Result<(), String> {
    let kty = match key.get("kty") {
        None => return Err("has no \"kty\"".into()),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err("\"kty\" must be a string".into()),
    };
    if kty == "oct" {
        return Err("is a symmetric key (kty \"oct\"); only public keys".into());
    }
    if !matches!(kty, "RSA" | "EC" | "OKP") {
        return Err(format!(
            "has unsupported kty {} (supported: RSA, EC, OKP)",
            quoted(kty)
        ));
    }
    if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| key.contains_key(**m)) {
        return Err(format!(
            "holds private key material (\"{m}\"); register the public key only"
        ));
    }
    match key.get("kid") {
        None => {}
        Some(Value::String(kid)) if !kid.is_empty() => {}
        _ => return Err("\"kid\" must be a non-empty string".into()),
    }
    match key.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" || u == "enc" => {}
        Some(Value::String(u)) => {
            return Err(format!("use {} is not sig or enc", quoted(u)));
        }
        Some(_) => return Err("\"use\" must be a string (sig or enc)".into()),
    }
    let crv = match kty {
        "RSA" => {
            check_rsa(key)?;
            None
        }
        "EC" => Some(check_curve(key, EC_CURVES, true)?),
        _ => Some(check_curve(key, OKP_CURVES, false)?),
    };
    match key.get("alg") {
        None => Ok(()),
        Some(Value::String(alg)) => check_alg(kty, crv, alg),
        Some(_) => Err("\"alg\" must be a string".into()),
    }
}

/// A base64url member (RFC 7515 §2: URL-safe alphabet, no padding), decoded.
fn bytes(key: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let s = match key.get(name) {
        None => return Err(format!("has no \"{name}\"")),
        Some(Value::String(s)) => s,
        Some(_) => return Err(format!("\"{name}\" must be a base64url string")),
    };
    crate::base64url::decode(s)
        .ok_or_else(|| format!("\"{name}\" is not base64url (URL-safe alphabet, no padding)"))
}

/// Significant bits of a big-endian unsigned integer.
fn bits(be: &[u8]) -> usize {
    match be.iter().position(|b| *b != 0) {
        None => 0,
        Some(i) => (be.len() - i) * 8 - be[i].leading_zeros() as usize,
    }
}

fn check_rsa(key: &Map<String, Value>) -> Result<(), String> {
    // The longest modulus accepted is 2,731 base64url characters; refuse longer text undecoded.
    if key
        .get("n")
        .and_then(Value::as_str)
        .is_some_and(|n| n.len() > MAX_RSA_BITS / 6 + 2)
    {
        return Err(format!("RSA modulus is over {MAX_RSA_BITS} bits"));
    }
    let n = bits(&bytes(key, "n")?);
    if n < MIN_RSA_BITS {
        return Err(format!("RSA modulus is {n} bits; at least {MIN_RSA_BITS}"));
    }
    if n > MAX_RSA_BITS {
        return Err(format!("RSA modulus is {n} bits; at most {MAX_RSA_BITS}"));
    }
    let e = bytes(key, "e")?;
    let e = &e[e.iter().position(|b| *b != 0).unwrap_or(e.len())..];
    if e.len() > MAX_RSA_EXPONENT_BYTES {
        return Err(format!(
            "RSA exponent is {} bytes; at most {MAX_RSA_EXPONENT_BYTES}",
            e.len()
        ));
    }
    let odd = e.last().is_some_and(|b| b & 1 == 1);
    if !odd || e == [1] {
        return Err("RSA exponent must be odd and greater than 1".into());
    }
    Ok(())
}

/// `crv` from `curves` and coordinates of its length (`y` too for EC); returns the curve.
fn check_curve(
    key: &Map<String, Value>,
    curves: &[(&'static str, usize)],
    with_y: bool,
) -> Result<&'static str, String> {
    let kty = if with_y { "EC" } else { "OKP" };
    let names = || {
        curves
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (crv, len) = match key.get("crv") {
        None => return Err(format!("{kty} key has no \"crv\" ({})", names())),
        Some(Value::String(c)) => curves
            .iter()
            .find(|(name, _)| name == c)
            .copied()
            .ok_or_else(|| {
                format!(
                    "unsupported {kty} crv {} (supported: {})",
                    quoted(c),
                    names()
                )
            })?,
        Some(_) => return Err("\"crv\" must be a string".into()),
    };
    let coordinates: &[&str] = if with_y { &["x", "y"] } else { &["x"] };
    for name in coordinates {
        let got = bytes(key, name)?.len();
        if got != len {
            return Err(format!("\"{name}\" is {got} bytes; {crv} needs {len}"));
        }
    }
    Ok(crv)
}

/// `alg` names an algorithm this key can be used with (RFC 7518 §3.1, §4.1; RFC 8037 §3).
fn check_alg(kty: &str, crv: Option<&str>, alg: &str) -> Result<(), String> {
    let needs_crv: Option<&[&str]> = match (kty, alg) {
        ("RSA", a) if RSA_ALGS.contains(&a) => None,
        ("EC", "ES256") => Some(&["P-256"]),
        ("EC", "ES384") => Some(&["P-384"]),
        ("EC", "ES512") => Some(&["P-521"]),
        ("EC", a) if ECDH_ALGS.contains(&a) => None,
        ("OKP", "EdDSA") => Some(&["Ed25519", "Ed448"]),
        ("OKP", "Ed25519") => Some(&["Ed25519"]),
        ("OKP", "Ed448") => Some(&["Ed448"]),
        ("OKP", a) if ECDH_ALGS.contains(&a) => Some(&["X25519", "X448"]),
        _ => {
            return Err(format!(
                "alg {} does not fit a key of kty {kty}",
                quoted(alg)
            ))
        }
    };
    match (needs_crv, crv) {
        (Some(curves), Some(crv)) if !curves.contains(&crv) => Err(format!(
            "alg {} needs crv {}, not {crv}",
            quoted(alg),
            curves.join(" or ")
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_ignore_leading_zero_bytes() {
        assert_eq!(bits(&[]), 0);
        assert_eq!(bits(&[0, 0]), 0);
        assert_eq!(bits(&[1]), 1);
        assert_eq!(bits(&[0, 0x80, 0]), 16);
        assert_eq!(bits(&[0x01, 0, 1]), 17);
    }
}
