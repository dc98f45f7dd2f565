//! The algorithm values Registrar accepts and advertises in discovery (fixed, not configuration):
//! closed sets like those of enums.rs, each parsed from and written as its RFC 7518 name.

use super::enums::wire_enum;

wire_enum! {
    /// JWS algorithms (RFC 7518 §3.1) for signed ID tokens, userinfo responses, request objects
    /// and `private_key_jwt` assertions. `none` only for request objects (OIDC Core §6.1): the
    /// other members take [`SigningAlg::SIGNED_NAMES`]. HMAC algorithms would need a plain
    /// client secret, which this server does not keep.
    SigningAlg {
        None => "none",
        Rs256 => "RS256",
        Rs384 => "RS384",
        Rs512 => "RS512",
        Ps256 => "PS256",
        Ps384 => "PS384",
        Ps512 => "PS512",
        Es256 => "ES256",
        Es384 => "ES384",
        Es512 => "ES512",
        EdDsa => "EdDSA",
    }
}

impl SigningAlg {
    /// Every algorithm but `none` (listed first): what ID tokens, userinfo responses and
    /// `token_endpoint_auth_signing_alg` accept.
    pub const SIGNED_NAMES: &'static [&'static str] = match Self::NAMES.split_first() {
        Some((_, signed)) => signed,
        None => &[],
    };

    /// OIDC Registration §2: the default `id_token_signed_response_alg`.
    pub const DEFAULT_ID_TOKEN: SigningAlg = SigningAlg::Rs256;
}

wire_enum! {
    /// JWE key management algorithms (RFC 7518 §4.1), asymmetric only.
    EncryptionAlg {
        RsaOaep => "RSA-OAEP",
        RsaOaep256 => "RSA-OAEP-256",
        EcdhEs => "ECDH-ES",
        EcdhEsA128Kw => "ECDH-ES+A128KW",
        EcdhEsA192Kw => "ECDH-ES+A192KW",
        EcdhEsA256Kw => "ECDH-ES+A256KW",
    }
}

wire_enum! {
    /// JWE content encryption algorithms (RFC 7518 §5.1).
    EncryptionEnc {
        A128CbcHs256 => "A128CBC-HS256",
        A192CbcHs384 => "A192CBC-HS384",
        A256CbcHs512 => "A256CBC-HS512",
        A128Gcm => "A128GCM",
        A192Gcm => "A192GCM",
        A256Gcm => "A256GCM",
    }
}

impl EncryptionEnc {
    /// OIDC Registration §2: the `*_encrypted_response_enc` default when only the alg is given.
    pub const DEFAULT: EncryptionEnc = EncryptionEnc::A128CbcHs256;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_names_are_every_name_but_none() {
        assert_eq!(SigningAlg::NAMES[0], SigningAlg::None.as_str());
        assert_eq!(SigningAlg::SIGNED_NAMES, &SigningAlg::NAMES[1..]);
        for (alg, name) in SigningAlg::ALL.iter().zip(SigningAlg::NAMES) {
            assert_eq!(alg.as_str(), *name);
            assert_eq!(SigningAlg::from_wire(name), Some(*alg));
        }
    }
}
