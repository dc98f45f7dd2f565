//! Shared helpers for host integration tests, and for the fuzz targets (fuzz/fuzz_targets/ include
//! this file with `#[path]`).
#![allow(dead_code)]

use registrar::config::Config;
use registrar::metadata::enums::{ApplicationType, GrantType};
use registrar::metadata::ClientMetadata;
use registrar::service::{Registrar, RequestOrigin};
use registrar::store::memory::MemoryStore;
use serde_json::Value;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future that never waits on I/O (the memory store is synchronous underneath).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// The issuer of [`config`] and of [`registrar`].
pub const ISSUER: &str = "https://registrar.example";
/// The request id and client IP hash every [`registrar`] records in audit events.
pub const REQUEST_ID: &str = "test-request";
pub const IP_HASH: &str = "ip-hash";
/// An `ADMIN_TOKEN` for configurations with the admin API on.
pub const ADMIN_TOKEN: &str = "admin-token-0123456789abcdef0123456789";
/// `GRANT_TYPES_SUPPORTED` with every grant, implicit included.
pub const ALL_GRANTS: &str = "authorization_code implicit refresh_token client_credentials \
    urn:ietf:params:oauth:grant-type:device_code urn:ietf:params:oauth:grant-type:token-exchange \
    urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Every client metadata member Registrar reads (RFC 7591 §2, OIDC Registration §2, RP-Initiated
/// Logout), for generators that pick member names.
pub const METADATA_MEMBERS: &[&str] = &[
    "redirect_uris",
    "token_endpoint_auth_method",
    "grant_types",
    "response_types",
    "application_type",
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "scope",
    "contacts",
    "jwks_uri",
    "jwks",
    "software_id",
    "software_version",
    "software_statement",
    "sector_identifier_uri",
    "subject_type",
    "id_token_signed_response_alg",
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_signed_response_alg",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
    "request_object_signing_alg",
    "request_object_encryption_alg",
    "request_object_encryption_enc",
    "token_endpoint_auth_signing_alg",
    "default_max_age",
    "require_auth_time",
    "default_acr_values",
    "initiate_login_uri",
    "request_uris",
    "post_logout_redirect_uris",
];
/// A `REGISTRATION_POLICY` with restricted and reserved scopes, host rules and a profile.
pub const POLICY: &str = r#"{"reserved_scopes": ["phone"], "restricted_scopes": ["offline_access"],
    "anonymous": {"scopes": ["openid", "profile", "email"],
                  "redirect_uri_hosts": ["127.0.0.1", "localhost", "*.example", "client.example"]},
    "profiles": {"partner": {"scopes": ["openid", "profile", "email", "offline_access"]}},
    "admin": {}}"#;

/// A configuration as the local wrangler.toml sets it, with `overrides` applied.
pub fn config_with(overrides: &[(&str, &str)]) -> Config {
    let base = [
        ("ISSUER", ISSUER),
        ("REGISTRAR_HMAC_KEY", "0123456789abcdef0123456789abcdef"),
    ];
    Config::from_vars(|name| {
        overrides
            .iter()
            .chain(base.iter())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("test configuration is valid")
}

pub fn config() -> Config {
    config_with(&[])
}

/// The service over the in-memory store at time `now`, for one request from [`REQUEST_ID`].
pub fn registrar<'a>(
    config: &'a Config,
    store: &'a MemoryStore,
    now: i64,
) -> Registrar<'a, MemoryStore> {
    Registrar {
        config,
        store,
        issuer: ISSUER.to_string(),
        now,
        origin: RequestOrigin {
            request_id: REQUEST_ID.into(),
            ip_hash: Some(IP_HASH.into()),
            ip_limit_key: Some(IP_HASH.into()),
        },
    }
}

/// Every path to a `null` anywhere in `v` (object members and array items alike).
pub fn nulls(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Null => out.push(path.to_string()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nulls(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                nulls(item, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// Every `null` in a response body, as paths from `$` (the API promises none).
pub fn null_paths(v: &Value) -> Vec<String> {
    let mut found = Vec::new();
    nulls(v, "$", &mut found);
    found
}

/// The `error` values the API may send, with their status (RFC 7591 §3.2.2, RFC 6750 §3.1,
/// and Registrar's `not_found` / `too_many_requests`).
pub fn error_allowed(status: u16, code: &str) -> bool {
    match status {
        400 => matches!(
            code,
            "invalid_request"
                | "invalid_redirect_uri"
                | "invalid_client_metadata"
                | "invalid_software_statement"
        ),
        401 => code == "invalid_token",
        403 => code == "access_denied",
        404 => code == "not_found",
        405 | 413 | 415 => code == "invalid_request",
        429 => code == "too_many_requests",
        _ => false,
    }
}

/// What an accepted redirect URI must be as a browser parses it (RFC 9700 §2.1, §4.1; RFC 8252 §7):
/// no fragment, not a script or file scheme, no user info in http(s), plain http only to a loopback host;
/// a web client only http(s), and with the implicit grant https off loopback.
pub fn check_redirects(m: &ClientMetadata) {
    let implicit = m.grant_types.contains(&GrantType::Implicit);
    for raw in m.redirect_uris.iter().chain(&m.post_logout_redirect_uris) {
        let url =
            url::Url::parse(raw).unwrap_or_else(|e| panic!("{raw:?} accepted but unparsable: {e}"));
        // User info confuses whoever reads the host (RFC 9700 §4.1.1); a private-use scheme's
        // authority, if any, is the app's business.
        if matches!(url.scheme(), "http" | "https") {
            assert!(
                url.username().is_empty() && url.password().is_none(),
                "{raw:?}: user info"
            );
        }
        assert!(url.fragment().is_none(), "{raw:?}: fragment");
        assert!(
            !matches!(
                url.scheme(),
                "javascript" | "data" | "vbscript" | "file" | "blob" | "about"
            ),
            "{raw:?}: scheme"
        );
        let host = url.host_str().map(str::to_ascii_lowercase);
        let loopback = matches!(host.as_deref(), Some("127.0.0.1" | "[::1]" | "localhost"));
        match url.scheme() {
            "http" => assert!(loopback, "{raw:?}: http to {host:?}"),
            "https" => assert!(host.is_some(), "{raw:?}: https without a host"),
            _ => assert_eq!(
                m.application_type,
                ApplicationType::Native,
                "{raw:?}: custom scheme for web"
            ),
        }
        if implicit && m.application_type == ApplicationType::Web && m.redirect_uris.contains(raw) {
            assert!(
                url.scheme() == "https" && !loopback,
                "{raw:?}: implicit web redirect"
            );
        }
    }
}
