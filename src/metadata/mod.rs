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
pub mod warnings;

pub use capabilities::Capabilities;

use crate::error::{quoted, ApiError};
use crate::metadata::algorithms::{
    DEFAULT_ENCRYPTION_ENC, DEFAULT_ID_TOKEN_SIGNING_ALG, ENCRYPTION_ALGS, ENCRYPTION_ENCS,
    REQUEST_OBJECT_SIGNING_ALGS, SIGNING_ALGS,
};
use crate::uri;
use enums::{ApplicationType, AuthMethod, GrantType, ResponseType, SubjectType};
use limits::{Cap, MetadataLimits};
use members::{Code, Members};
use redirect_uri::UriKind;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

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

/// Validated client metadata with defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientMetadata {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirect_uris: Vec<String>,
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
    pub id_token_signed_response_alg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_enc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_enc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_object_encryption_alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_object_encryption_enc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg: Option<String>,
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
    pub post_logout_redirect_uris: Vec<String>,
    /// Localized variants, keyed by the full member name (`client_name#fr`).
    #[serde(flatten)]
    pub localized: BTreeMap<String, String>,
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

        let token_endpoint_auth_signing_alg =
            m.one_of("token_endpoint_auth_signing_alg", SIGNING_ALGS)?;
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

        let subject_type = match m.one_of("subject_type", &["public", "pairwise"])? {
            None => None,
            Some(s) => SubjectType::from_wire(&s),
        };
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
            id_token_signed_response_alg: m
                .one_of("id_token_signed_response_alg", SIGNING_ALGS)?
                .unwrap_or_else(|| DEFAULT_ID_TOKEN_SIGNING_ALG.to_string()),
            id_token_encrypted_response_alg,
            id_token_encrypted_response_enc,
            userinfo_signed_response_alg: m.one_of("userinfo_signed_response_alg", SIGNING_ALGS)?,
            userinfo_encrypted_response_alg,
            userinfo_encrypted_response_enc,
            request_object_signing_alg: m
                .one_of("request_object_signing_alg", REQUEST_OBJECT_SIGNING_ALGS)?,
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

/// Members we recognise but cannot honour yet: refused clearly rather than silently dropped.
fn refuse_unsupported_members(m: &Members, caps: &Capabilities<'_>) -> Result<(), ApiError> {
    if m.has("software_statement") {
        return Err(ApiError::invalid_software_statement(
            "software statements are not accepted by this server",
        ));
    }
    if m.has("sector_identifier_uri") {
        // The server would fetch it: the host rules of fetched URLs apply already, so they hold
        // the day it is accepted.
        fetched_url(m, "sector_identifier_uri", Fetched::Sector, caps)?;
        return Err(ApiError::invalid_metadata(
            "sector_identifier_uri",
            "not supported yet: this server cannot fetch and check it",
        ));
    }
    Ok(())
}

fn auth_method(m: &Members) -> Result<AuthMethod, ApiError> {
    const MEMBER: &str = "token_endpoint_auth_method";
    match m.string(MEMBER)? {
        None => Ok(AuthMethod::ClientSecretBasic),
        Some("client_secret_jwt") => Err(ApiError::invalid_metadata(
            MEMBER,
            "client_secret_jwt is not offered (client secrets are stored hashed); use private_key_jwt",
        )),
        Some(s) => AuthMethod::from_wire(s).ok_or_else(|| {
            let all: Vec<_> = AuthMethod::ALL.iter().map(|a| a.as_str()).collect();
            ApiError::invalid_metadata(
                MEMBER,
                format!("unsupported value {} (supported: {})", quoted(s), all.join(", ")),
            )
        }),
    }
}

/// Parses both lists, fills defaults from each other, and checks they agree
/// (RFC 7591 §2.1; OIDC Registration §2).
fn grants_and_response_types(
    m: &Members,
    caps: &Capabilities<'_>,
) -> Result<(Vec<GrantType>, Vec<ResponseType>), ApiError> {
    let grants = match m.strings("grant_types", Code::Metadata)? {
        None => None,
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, g) in list.iter().enumerate() {
                let member = format!("grant_types[{i}]");
                let grant = GrantType::from_wire(g).ok_or_else(|| {
                    ApiError::invalid_metadata(&member, format!("unsupported value {}", quoted(g)))
                })?;
                if !caps.grant_types_supported.contains(&grant) {
                    let why = if grant == GrantType::Implicit {
                        "the implicit grant is disabled on this server (RFC 9700)".to_string()
                    } else {
                        format!("{} is not enabled on this server", quoted(g))
                    };
                    return Err(ApiError::invalid_metadata(&member, why));
                }
                out.push(grant);
            }
            Some(out)
        }
    };
    let response_types = match m.strings("response_types", Code::Metadata)? {
        None => None,
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, r) in list.iter().enumerate() {
                let member = format!("response_types[{i}]");
                let rt =
                    ResponseType::parse(r).map_err(|e| ApiError::invalid_metadata(&member, e))?;
                if rt.uses_implicit() && !caps.implicit_enabled() {
                    return Err(ApiError::invalid_metadata(
                        &member,
                        format!("{} returns tokens from the authorization endpoint, which needs the implicit grant; it is disabled on this server (RFC 9700)", quoted(r)),
                    ));
                }
                out.push(rt);
            }
            Some(out)
        }
    };

    let grants = grants.unwrap_or_else(|| match &response_types {
        None => vec![GrantType::AuthorizationCode],
        Some(rts) => {
            let mut g = Vec::new();
            if rts.iter().any(ResponseType::uses_code) {
                g.push(GrantType::AuthorizationCode);
            }
            if rts.iter().any(ResponseType::uses_implicit) {
                g.push(GrantType::Implicit);
            }
            g
        }
    });
    let response_types = response_types.unwrap_or_else(|| {
        if grants.contains(&GrantType::AuthorizationCode) {
            vec![ResponseType::parse("code").expect("code is a response type")]
        } else {
            Vec::new()
        }
    });

    if grants.is_empty() {
        return Err(ApiError::invalid_metadata(
            "grant_types",
            "must not be empty",
        ));
    }
    for (i, rt) in response_types.iter().enumerate() {
        if rt.uses_code() && !grants.contains(&GrantType::AuthorizationCode) {
            return Err(ApiError::invalid_metadata(
                &format!("response_types[{i}]"),
                format!(
                    "{:?} needs grant_types to include authorization_code",
                    rt.as_str()
                ),
            ));
        }
        if rt.uses_implicit() && !grants.contains(&GrantType::Implicit) {
            return Err(ApiError::invalid_metadata(
                &format!("response_types[{i}]"),
                format!("{:?} needs grant_types to include implicit", rt.as_str()),
            ));
        }
    }
    if grants.contains(&GrantType::AuthorizationCode)
        && !response_types.iter().any(ResponseType::uses_code)
    {
        return Err(ApiError::invalid_metadata(
            "grant_types",
            "authorization_code needs a response type containing \"code\" in response_types",
        ));
    }
    if grants.contains(&GrantType::Implicit)
        && !response_types.iter().any(ResponseType::uses_implicit)
    {
        return Err(ApiError::invalid_metadata(
            "grant_types",
            "implicit needs a response type containing \"token\" or \"id_token\" in response_types",
        ));
    }
    if grants == [GrantType::RefreshToken] {
        return Err(ApiError::invalid_metadata(
            "grant_types",
            "refresh_token needs another grant type that obtains the first tokens",
        ));
    }
    Ok((grants, response_types))
}

/// `redirect_uris` and the `application_type` they are checked against.
fn redirect_uris(
    m: &Members,
    required: bool,
    implicit: bool,
    limits: &MetadataLimits,
) -> Result<(Vec<String>, ApplicationType), ApiError> {
    let uris = m
        .capped_strings(
            "redirect_uris",
            Code::RedirectUri,
            cap(limits.redirect_uris, "redirect_uris"),
        )?
        .unwrap_or_default();
    if required && uris.is_empty() {
        return Err(ApiError::invalid_redirect(
            "redirect_uris",
            "at least one redirect URI is required for the authorization_code and implicit grants",
        ));
    }
    let kinds = uris
        .iter()
        .enumerate()
        .map(|(i, u)| {
            redirect_uri::classify(u)
                .map_err(|e| ApiError::invalid_redirect(&format!("redirect_uris[{i}]"), e))
        })
        .collect::<Result<Vec<UriKind>, _>>()?;

    let app = match m.string("application_type")? {
        Some(s) => ApplicationType::from_wire(s).ok_or_else(|| {
            ApiError::invalid_metadata(
                "application_type",
                format!("unsupported value {} (supported: web, native)", quoted(s)),
            )
        })?,
        None if redirect_uri::looks_native(&kinds) => ApplicationType::Native,
        None => ApplicationType::Web,
    };
    for (i, kind) in kinds.iter().enumerate() {
        redirect_uri::check_for_client(*kind, app, implicit)
            .map_err(|e| ApiError::invalid_redirect(&format!("redirect_uris[{i}]"), e))?;
    }
    Ok((uris.into_iter().map(str::to_string).collect(), app))
}

/// OIDC RP-Initiated Logout §3.1: the same rules as redirect URIs, reported as metadata errors.
fn post_logout_redirect_uris(
    m: &Members,
    app: ApplicationType,
    limits: &MetadataLimits,
) -> Result<Vec<String>, ApiError> {
    const MEMBER: &str = "post_logout_redirect_uris";
    let uris = m
        .capped_strings(
            MEMBER,
            Code::Metadata,
            cap(limits.post_logout_redirect_uris, MEMBER),
        )?
        .unwrap_or_default();
    for (i, u) in uris.iter().enumerate() {
        let member = format!("post_logout_redirect_uris[{i}]");
        let kind = redirect_uri::classify(u).map_err(|e| ApiError::invalid_metadata(&member, e))?;
        redirect_uri::check_for_client(kind, app, false)
            .map_err(|e| ApiError::invalid_metadata(&member, e))?;
    }
    Ok(owned(Some(uris)))
}

/// An absolute http(s) URL: informational links shown to users. At most
/// [`text::MAX_URL_BYTES`], no control, invisible or bidi character, no user information.
fn check_web_url(member: &str, raw: &str) -> Result<url::Url, ApiError> {
    if let Some(problem) = text::url_problem(raw) {
        return Err(ApiError::invalid_metadata(member, problem));
    }
    let url = url::Url::parse(raw)
        .map_err(|e| ApiError::invalid_metadata(member, format!("not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || !uri::has_written_authority(raw, &url) {
        return Err(ApiError::invalid_metadata(
            member,
            "must be an http or https URL",
        ));
    }
    if uri::has_user_info(raw) {
        return Err(ApiError::invalid_metadata(member, uri::USER_INFO_REFUSED));
    }
    Ok(url)
}

/// What a URL the authorization server fetches or sends users to is for: the rules differ a
/// little (OIDC Registration §2).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fetched {
    /// `jwks_uri`: no fragment; http on loopback with `ALLOW_PRIVATE_HOSTS`.
    Keys,
    /// `request_uris[i]`: a fragment is allowed (a hash of the request object); http on
    /// loopback with `ALLOW_PRIVATE_HOSTS`.
    Request,
    /// `initiate_login_uri`: https only, always.
    Login,
    /// `sector_identifier_uri`: https only (refused afterwards until it is supported).
    Sector,
}

/// A URL the authorization server fetches (`jwks_uri`, `request_uris`, `sector_identifier_uri`)
/// or sends users to for the client (`initiate_login_uri`): https on a public host. With
/// `ALLOW_PRIVATE_HOSTS=true` (local development) any host, and for `jwks_uri` and
/// `request_uris` also http on loopback as written (`127.0.0.1`, `[::1]`, `localhost`).
fn check_fetched_url(
    member: &str,
    raw: &str,
    kind: Fetched,
    caps: &Capabilities<'_>,
) -> Result<(), ApiError> {
    let url = check_web_url(member, raw)?;
    if kind != Fetched::Request && raw.contains('#') {
        return Err(ApiError::invalid_metadata(member, "fragment not allowed"));
    }
    let dev = caps.allow_private_hosts;
    let http_ok = dev && matches!(kind, Fetched::Keys | Fetched::Request);
    match url.scheme() {
        "https" => {}
        "http" if http_ok && uri::is_loopback(raw) => {}
        _ if matches!(kind, Fetched::Login | Fetched::Sector) => {
            return Err(ApiError::invalid_metadata(
                member,
                "must be an https URL (OIDC Registration §2)",
            ))
        }
        _ => {
            return Err(ApiError::invalid_metadata(
                member,
                "must be an https URL (http only on loopback, with ALLOW_PRIVATE_HOSTS=true for local development)",
            ))
        }
    }
    if dev {
        return Ok(());
    }
    match url.host().as_ref().and_then(uri::host::internal_reason) {
        None => Ok(()),
        Some(why) => Err(ApiError::invalid_metadata(
            member,
            format!(
                "must name a public host; {why} (ALLOW_PRIVATE_HOSTS=true allows it for local development)"
            ),
        )),
    }
}

fn web_url(m: &Members, member: &str) -> Result<Option<String>, ApiError> {
    let v = m.string(member)?;
    v.map(|u| check_web_url(member, u).map(|_| u.to_string()))
        .transpose()
}

fn fetched_url(
    m: &Members,
    member: &str,
    kind: Fetched,
    caps: &Capabilities<'_>,
) -> Result<Option<String>, ApiError> {
    let v = m.string(member)?;
    v.map(|u| check_fetched_url(member, u, kind, caps).map(|()| u.to_string()))
        .transpose()
}

/// OIDC Registration §2: request_uris may carry a fragment (a hash of the request object).
fn request_uris(m: &Members, caps: &Capabilities<'_>) -> Result<Vec<String>, ApiError> {
    const MEMBER: &str = "request_uris";
    let limit = cap(caps.metadata_limits.request_uris, MEMBER);
    let uris = m
        .capped_strings(MEMBER, Code::Metadata, limit)?
        .unwrap_or_default();
    for (i, u) in uris.iter().enumerate() {
        check_fetched_url(&format!("{MEMBER}[{i}]"), u, Fetched::Request, caps)?;
    }
    Ok(owned(Some(uris)))
}

/// RFC 6749 §3.3 scope tokens (NQCHAR), each supported by this server.
fn scope(m: &Members, caps: &Capabilities<'_>) -> Result<String, ApiError> {
    let Some(scope) = m.string("scope")? else {
        return Ok(caps.default_scope.to_string());
    };
    let mut seen = Vec::new();
    for token in scope.split(' ') {
        if token.is_empty() {
            return Err(ApiError::invalid_metadata(
                "scope",
                "scope values must be separated by single spaces",
            ));
        }
        if !token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        {
            return Err(ApiError::invalid_metadata(
                "scope",
                format!("{} is not a valid scope token", quoted(token)),
            ));
        }
        if !caps.scopes_supported.iter().any(|s| s == token) {
            return Err(ApiError::invalid_metadata(
                "scope",
                format!(
                    "unsupported value {} (supported: {})",
                    quoted(token),
                    caps.scopes_supported.join(" ")
                ),
            ));
        }
        if seen.contains(&token) {
            return Err(ApiError::invalid_metadata(
                "scope",
                format!("{} repeated", quoted(token)),
            ));
        }
        seen.push(token);
    }
    Ok(scope.to_string())
}

/// `<prefix>_alg` / `<prefix>_enc`: enc needs alg; alg alone gets the default enc.
/// Encrypting to the client also needs its public keys (`has_keys`).
fn encryption_pair(
    m: &Members,
    (alg_member, enc_member): (&str, &str),
    has_keys: bool,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let alg = m.one_of(alg_member, ENCRYPTION_ALGS)?;
    let enc = m.one_of(enc_member, ENCRYPTION_ENCS)?;
    match (alg, enc) {
        (None, None) => Ok((None, None)),
        (None, Some(_)) => Err(ApiError::invalid_metadata(
            enc_member,
            format!("needs {alg_member}"),
        )),
        (Some(_), _) if !has_keys => Err(ApiError::invalid_metadata(
            alg_member,
            "encrypting to the client needs its public keys in jwks or jwks_uri",
        )),
        (Some(alg), enc) => Ok((
            Some(alg),
            Some(enc.unwrap_or_else(|| DEFAULT_ENCRYPTION_ENC.to_string())),
        )),
    }
}

/// OIDC Core §8.1: without a sector identifier, pairwise subjects are computed per redirect host,
/// so all redirect URIs must share one host.
fn check_pairwise_hosts(redirect_uris: &[String]) -> Result<(), ApiError> {
    let mut hosts: Vec<String> = redirect_uris
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.host_str().unwrap_or(u.scheme()).to_string())
        .collect();
    hosts.sort();
    hosts.dedup();
    if hosts.len() > 1 {
        return Err(ApiError::invalid_metadata(
            "subject_type",
            "pairwise with redirect_uris on several hosts needs sector_identifier_uri, which this server does not support yet",
        ));
    }
    Ok(())
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
