//! RFC 8414 / OIDC Discovery 1.0 metadata: the operator's authorization server endpoints, with
//! the values Registrar itself enforces laid over them (so discovery never promises more than
//! registration accepts).

use crate::config::{Config, RegistrationMode};
use crate::metadata::algorithms::{EncryptionAlg, EncryptionEnc, SigningAlg};
use crate::metadata::enums::{AuthMethod, ResponseType, SubjectType};
use serde_json::{json, Map, Value};

pub fn document(config: &Config, issuer: &str) -> Map<String, Value> {
    let mut doc = config.server_metadata.clone();
    let grant_types: Vec<&str> = config
        .grant_types_supported
        .iter()
        .map(|g| g.as_str())
        .collect();
    let ours = json!({
        "issuer": issuer,
        "registration_endpoint": format!("{issuer}/register"),
        "scopes_supported": config.scopes_supported,
        "grant_types_supported": grant_types,
        "response_types_supported": ResponseType::all(config.implicit_enabled()),
        "token_endpoint_auth_methods_supported": AuthMethod::NAMES,
        "token_endpoint_auth_signing_alg_values_supported": SigningAlg::SIGNED_NAMES,
        "subject_types_supported": SubjectType::NAMES,
        "id_token_signing_alg_values_supported": SigningAlg::SIGNED_NAMES,
        "id_token_encryption_alg_values_supported": EncryptionAlg::NAMES,
        "id_token_encryption_enc_values_supported": EncryptionEnc::NAMES,
        "userinfo_signing_alg_values_supported": SigningAlg::SIGNED_NAMES,
        "userinfo_encryption_alg_values_supported": EncryptionAlg::NAMES,
        "userinfo_encryption_enc_values_supported": EncryptionEnc::NAMES,
        "request_object_signing_alg_values_supported": SigningAlg::NAMES,
        "request_object_encryption_alg_values_supported": EncryptionAlg::NAMES,
        "request_object_encryption_enc_values_supported": EncryptionEnc::NAMES,
    });
    if let Value::Object(ours) = ours {
        doc.extend(ours);
    }
    // draft-ietf-oauth-client-id-metadata-document-03 §5.
    if config.cimd.is_some() && crate::cimd::CIMD_BUILT {
        doc.insert("client_id_metadata_document_supported".into(), true.into());
    }
    // RFC 8414 §2: no registration endpoint to advertise while registration is disabled.
    if config.registration_mode == RegistrationMode::Disabled {
        doc.remove("registration_endpoint");
    }
    doc
}
