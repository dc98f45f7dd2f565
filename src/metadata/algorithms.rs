//! The algorithm values Registrar accepts and advertises in discovery (fixed, not configuration).

/// JWS algorithms for signed ID tokens, userinfo responses and request objects (RFC 7518 §3.1).
/// `none` is refused for ID tokens and userinfo; HMAC algorithms need a plain client secret.
pub const SIGNING_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

/// Request objects may also be unsigned (OIDC Core §6.1).
pub const REQUEST_OBJECT_SIGNING_ALGS: &[&str] = &[
    "none", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    "EdDSA",
];

/// JWE key management algorithms (RFC 7518 §4.1), asymmetric only.
pub const ENCRYPTION_ALGS: &[&str] = &[
    "RSA-OAEP",
    "RSA-OAEP-256",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A192KW",
    "ECDH-ES+A256KW",
];

/// JWE content encryption algorithms (RFC 7518 §5.1).
pub const ENCRYPTION_ENCS: &[&str] = &[
    "A128CBC-HS256",
    "A192CBC-HS384",
    "A256CBC-HS512",
    "A128GCM",
    "A192GCM",
    "A256GCM",
];

/// OIDC Registration §2: the `*_encrypted_response_enc` default when only the alg is given.
pub const DEFAULT_ENCRYPTION_ENC: &str = "A128CBC-HS256";

/// OIDC Registration §2: the default `id_token_signed_response_alg`.
pub const DEFAULT_ID_TOKEN_SIGNING_ALG: &str = "RS256";
