//! Client metadata: the one model used for registration, update and storage.
//!
//! The submitted JSON object is read leniently (unknown members are ignored, RFC 7591 §2; `null`
//! means absent) and turned once into a strict [`ClientMetadata`] with defaults applied. The
//! strict value serialises to exactly the members echoed in responses and kept in storage.

pub mod algorithms;
mod capabilities;
pub mod cimd;
pub mod enums;
pub mod jwks;
pub mod lang_tag;
pub mod limits;
pub mod members;
pub mod redirect_uri;
mod stored;
pub mod text;
mod urls;
mod values;
pub mod warnings;

pub use capabilities::Capabilities;

use crate::error::{quoted, ApiError};
use crate::uri;
use algorithms::{EncryptionAlg, EncryptionEnc, SigningAlg};
use enums::{ApplicationType, AuthMethod, GrantType, ResponseType, SubjectType};
use limits::{Cap, MetadataLimits};
use members::{unsupported, Code, Members};
pub use redirect_uri::RedirectUri;
use redirect_uri::UriKind;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use urls::{
    check_pairwise_hosts, check_web_url, fetched_url, post_logout_redirect_uris, redirect_uris,
    request_uris, web_url, Fetched,
};
use values::{
    auth_method, encryption_pair, grants_and_response_types, refuse_unsupported_members, scope,
};

/// Members that may carry a language tag, as `client_name#fr` (OIDC Registration §2.1).
const LOCALIZABLE: &[&str] = &[
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
];

/// One problem with one member of submitted metadata, as `POST /metadata/validate` lists it:
/// `member` is empty for a rule about the whole document; `error` the RFC 7591 §3.2.2 code.
#[derive(Debug)]
pub struct FieldError {
    pub member: String,
    pub error: &'static str,
    pub description: String,
}

impl FieldError {
    /// Adds one to `out` (out of line: one copy of this code for every warning and rule).
    #[inline(never)]
    pub fn push(out: &mut Vec<FieldError>, member: &str, error: &'static str, description: &str) {
        out.push(FieldError {
            member: member.into(),
            error,
            description: description.into(),
        });
    }
}

/// Defines [`ClientMetadata`] from its members, each written once: the struct (with the
/// localized variants added) and the reader of its stored form, which takes each member by its
/// type ([`stored::Read`]: `Option<String>` a string or absent, `Vec<String>` a list or absent,
/// a value set required, `Option` of one optional, ...).
macro_rules! client_metadata {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)+
    }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)+
            /// Localized variants, keyed by the full member name (`client_name#fr`).
            #[serde(flatten)]
            pub localized: BTreeMap<String, String>,
        }

        impl $name {
            /// Every member but the localized variants, taken out of a stored object.
            fn take_members(m: &mut stored::Stored) -> Result<Self, String> {
                Ok($name {
                    $($field: stored::Read::read(m, stringify!($field))?,)+
                    localized: BTreeMap::new(),
                })
            }
        }
    };
}

client_metadata! {
    /// Validated client metadata with defaults applied.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct ClientMetadata {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub redirect_uris: Vec<RedirectUri>,
        pub token_endpoint_auth_method: AuthMethod,
        pub grant_types: Vec<GrantType>,
        pub response_types: Vec<ResponseType>,
        pub application_type: ApplicationType,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub client_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub client_uri: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub logo_uri: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub tos_uri: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub policy_uri: Option<String>,
        pub scope: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub contacts: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub jwks_uri: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub jwks: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub software_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub software_version: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub subject_type: Option<SubjectType>,
        pub id_token_signed_response_alg: SigningAlg,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub id_token_encrypted_response_alg: Option<EncryptionAlg>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub id_token_encrypted_response_enc: Option<EncryptionEnc>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub userinfo_signed_response_alg: Option<SigningAlg>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub userinfo_encrypted_response_alg: Option<EncryptionAlg>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub userinfo_encrypted_response_enc: Option<EncryptionEnc>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub request_object_signing_alg: Option<SigningAlg>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub request_object_encryption_alg: Option<EncryptionAlg>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub request_object_encryption_enc: Option<EncryptionEnc>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub token_endpoint_auth_signing_alg: Option<SigningAlg>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub default_max_age: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub require_auth_time: Option<bool>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub default_acr_values: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub initiate_login_uri: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub request_uris: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub post_logout_redirect_uris: Vec<RedirectUri>,
    }
}

impl ClientMetadata {
    /// Validates a submitted metadata object against the RFC rules and the operator's policy.
    pub fn from_request<'a>(
        input: &Map<String, Value>,
        caps: impl Into<Capabilities<'a>>,
    ) -> Result<Self, ApiError> {
        let caps = &caps.into();
        let m = Members(input);
        let limits = &caps.metadata_limits;
        refuse_unsupported_members(&m, caps)?;

        let token_endpoint_auth_method = auth_method(&m)?;
        let (grant_types, response_types) = grants_and_response_types(&m, caps)?;
        if grant_types.contains(&GrantType::ClientCredentials)
            && token_endpoint_auth_method == AuthMethod::None
        {
            return Err(ApiError::invalid_metadata(
                "grant_types",
                "client_credentials needs client authentication; token_endpoint_auth_method \"none\" cannot use it",
            ));
        }
        let implicit = grant_types.contains(&GrantType::Implicit);
        let needs_redirect = implicit || grant_types.contains(&GrantType::AuthorizationCode);
        let (redirect_uris, application_type) =
            redirect_uris(&m, needs_redirect, implicit, limits)?;
        let post_logout_redirect_uris = post_logout_redirect_uris(&m, application_type, limits)?;

        let jwks_uri = fetched_url(&m, "jwks_uri", Fetched::Keys, caps)?;
        // `null` means absent, inside the key set as at the top level.
        let jwks = m.get("jwks").map(without_nulls);
        if let Some(j) = &jwks {
            jwks::check_public_jwk_set(j, cap(limits.jwks_keys, "jwks_keys"))?;
        }
        if jwks.is_some() && jwks_uri.is_some() {
            return Err(ApiError::invalid_metadata(
                "jwks",
                "jwks and jwks_uri must not both be present",
            ));
        }
        if token_endpoint_auth_method == AuthMethod::PrivateKeyJwt
            && jwks.is_none()
            && jwks_uri.is_none()
        {
            return Err(ApiError::invalid_metadata(
                "token_endpoint_auth_method",
                "private_key_jwt needs the client's public keys in jwks or jwks_uri",
            ));
        }
        let has_keys = jwks.is_some() || jwks_uri.is_some();

        let token_endpoint_auth_signing_alg = signed_alg(&m, "token_endpoint_auth_signing_alg")?;
        if token_endpoint_auth_signing_alg.is_some()
            && token_endpoint_auth_method != AuthMethod::PrivateKeyJwt
        {
            return Err(ApiError::invalid_metadata(
                "token_endpoint_auth_signing_alg",
                "only applies to token_endpoint_auth_method private_key_jwt",
            ));
        }

        let (id_token_encrypted_response_alg, id_token_encrypted_response_enc) = encryption_pair(
            &m,
            (
                "id_token_encrypted_response_alg",
                "id_token_encrypted_response_enc",
            ),
            has_keys,
        )?;
        let (userinfo_encrypted_response_alg, userinfo_encrypted_response_enc) = encryption_pair(
            &m,
            (
                "userinfo_encrypted_response_alg",
                "userinfo_encrypted_response_enc",
            ),
            has_keys,
        )?;
        let (request_object_encryption_alg, request_object_encryption_enc) = encryption_pair(
            &m,
            (
                "request_object_encryption_alg",
                "request_object_encryption_enc",
            ),
            true,
        )?;

        let subject_type = m.one_of("subject_type", SubjectType::NAMES, SubjectType::from_wire)?;
        if subject_type == Some(SubjectType::Pairwise) {
            check_pairwise_hosts(&redirect_uris)?;
        }

        let metadata = ClientMetadata {
            redirect_uris,
            token_endpoint_auth_method,
            grant_types,
            response_types,
            application_type,
            client_name: text(&m, "client_name", text::MAX_CLIENT_NAME_CHARS)?,
            client_uri: web_url(&m, "client_uri")?,
            logo_uri: web_url(&m, "logo_uri")?,
            tos_uri: web_url(&m, "tos_uri")?,
            policy_uri: web_url(&m, "policy_uri")?,
            scope: scope(&m, caps)?,
            contacts: texts(
                &m,
                "contacts",
                cap(limits.contacts, "contacts"),
                text::MAX_CONTACT_CHARS,
            )?,
            jwks_uri,
            jwks,
            software_id: text(&m, "software_id", text::MAX_SOFTWARE_ID_CHARS)?,
            software_version: text(&m, "software_version", text::MAX_SOFTWARE_VERSION_CHARS)?,
            subject_type,
            id_token_signed_response_alg: signed_alg(&m, "id_token_signed_response_alg")?
                .unwrap_or(SigningAlg::DEFAULT_ID_TOKEN),
            id_token_encrypted_response_alg,
            id_token_encrypted_response_enc,
            userinfo_signed_response_alg: signed_alg(&m, "userinfo_signed_response_alg")?,
            userinfo_encrypted_response_alg,
            userinfo_encrypted_response_enc,
            request_object_signing_alg: m.one_of(
                "request_object_signing_alg",
                SigningAlg::NAMES,
                SigningAlg::from_wire,
            )?,
            request_object_encryption_alg,
            request_object_encryption_enc,
            token_endpoint_auth_signing_alg,
            default_max_age: m.unsigned("default_max_age")?,
            require_auth_time: m.boolean("require_auth_time")?,
            default_acr_values: texts(
                &m,
                "default_acr_values",
                cap(limits.default_acr_values, "default_acr_values"),
                text::MAX_ACR_VALUE_CHARS,
            )?,
            initiate_login_uri: fetched_url(&m, "initiate_login_uri", Fetched::Login, caps)?,
            request_uris: request_uris(&m, caps)?,
            post_logout_redirect_uris,
            localized: localized(input, limits)?,
        };
        metadata.check_stored_size(limits)?;
        Ok(metadata)
    }

    /// The stored metadata (its JSON, as the store keeps and responses echo it) is at most
    /// `METADATA_LIMITS.metadata_bytes`.
    pub fn check_stored_size(&self, limits: &MetadataLimits) -> Result<(), ApiError> {
        // `to_vec` rather than a counting writer: a second writer type would compile the whole
        // serialiser again (about 1.3 KB gzip of wasm) to save one short-lived allocation.
        let bytes = serde_json::to_vec(self).map_or(usize::MAX, |v| v.len());
        if bytes > limits.metadata_bytes {
            return Err(ApiError::invalid_registration(format!(
                "the registration is {bytes} bytes of JSON as stored; at most {} (METADATA_LIMITS.metadata_bytes)",
                limits.metadata_bytes
            )));
        }
        Ok(())
    }

    /// The metadata as the JSON members of a client information response.
    pub fn to_json(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // A struct of strings, arrays and JSON values always serialises to an object.
            _ => unreachable!("ClientMetadata serialises to a JSON object"),
        }
    }
}

/// A copy of `value` with every `null` object member and array item removed, at any depth.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|v| !v.is_null())
                .map(without_nulls)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn owned(v: Option<Vec<&str>>) -> Vec<String> {
    v.unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// A JWS algorithm other than `none` ([`SigningAlg::SIGNED_NAMES`]).
fn signed_alg(m: &Members, member: &str) -> Result<Option<SigningAlg>, ApiError> {
    m.one_of(member, SigningAlg::SIGNED_NAMES, SigningAlg::from_wire)
}

fn cap(max: usize, setting: &'static str) -> Cap {
    Cap { max, setting }
}

/// A human-readable string member: non-empty, the [`text`] character rule, at most `max_chars`.
fn text(m: &Members, member: &str, max_chars: usize) -> Result<Option<String>, ApiError> {
    let v = m.string(member)?;
    v.map(|s| text::check(member, s, max_chars).map(|()| s.to_string()))
        .transpose()
}

/// A list of human-readable strings: at most `cap` entries, each as [`text`].
fn texts(m: &Members, member: &str, cap: Cap, max_chars: usize) -> Result<Vec<String>, ApiError> {
    let items = m
        .capped_strings(member, Code::Metadata, cap)?
        .unwrap_or_default();
    for (i, s) in items.iter().enumerate() {
        text::check(&format!("{member}[{i}]"), s, max_chars)?;
    }
    Ok(owned(Some(items)))
}

/// The base member of a localized variant (`client_name#fr` → `client_name`, tag `fr`).
fn localizable(key: &str) -> Option<(&str, &str)> {
    key.split_once('#')
        .filter(|(base, _)| LOCALIZABLE.contains(base))
}

/// Localized variants of [`LOCALIZABLE`] members with a well-formed BCP 47 tag, at most
/// `METADATA_LIMITS.translations` of them.
fn localized(
    input: &Map<String, Value>,
    limits: &MetadataLimits,
) -> Result<BTreeMap<String, String>, ApiError> {
    let variants = || {
        input
            .iter()
            .filter(|(key, value)| localizable(key).is_some() && !value.is_null())
    };
    // Counted before any is read, and the first one over the cap named.
    if let Some((key, _)) = variants().nth(limits.translations) {
        return Err(ApiError::invalid_metadata(
            key,
            format!(
                "at most {} localized members (client_name#…, logo_uri#…) in all (METADATA_LIMITS.translations)",
                limits.translations
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (key, value) in variants() {
        let Some((base, tag)) = localizable(key) else {
            continue;
        };
        if !lang_tag::is_valid(tag) {
            return Err(ApiError::invalid_metadata(
                key,
                format!("{} is not a valid BCP 47 language tag", quoted(tag)),
            ));
        }
        // Language tags compare case-insensitively (RFC 5646 §2.1.1): `#fr` and `#FR` are one.
        let duplicate = out
            .keys()
            .any(|k: &String| k.len() == key.len() && k.eq_ignore_ascii_case(key));
        if duplicate {
            return Err(ApiError::invalid_metadata(
                key,
                "the same language tag is given twice (tags are case-insensitive)",
            ));
        }
        let s = value
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::invalid_metadata(key, "must be a non-empty string"))?;
        if base == "client_name" {
            text::check(key, s, text::MAX_CLIENT_NAME_CHARS)?;
        } else {
            check_web_url(key, s)?;
        }
        out.insert(key.clone(), s.to_string());
    }
    Ok(out)
}
