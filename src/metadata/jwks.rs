//! Checks an inline `jwks` value (RFC 7591 §2): a JWK Set (RFC 7517 §5) of public keys only.

use crate::error::quoted;
use serde_json::Value;

/// JWK members that hold private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Returns a description of the first problem found, naming the key index.
pub fn check_public_jwk_set(jwks: &Value) -> Result<(), String> {
    let keys = jwks
        .as_object()
        .and_then(|o| o.get("keys"))
        .and_then(Value::as_array)
        .ok_or("must be a JWK Set: an object with a \"keys\" array")?;
    if keys.is_empty() {
        return Err("the \"keys\" array is empty".into());
    }
    for (i, key) in keys.iter().enumerate() {
        let key = key
            .as_object()
            .ok_or_else(|| format!("keys[{i}] is not an object"))?;
        match key.get("kty").and_then(Value::as_str) {
            Some("RSA" | "EC" | "OKP") => {}
            Some("oct") => return Err(format!("keys[{i}] is a symmetric key; only public keys")),
            Some(other) => return Err(format!("keys[{i}] has unsupported kty {}", quoted(other))),
            None => return Err(format!("keys[{i}] has no \"kty\"")),
        }
        if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| key.contains_key(**m)) {
            return Err(format!(
                "keys[{i}] holds private key material (\"{m}\"); register the public key only"
            ));
        }
    }
    Ok(())
}
