//! Metadata that registers but is risky or likely a mistake: the warnings of
//! `POST /metadata/validate`. Pure: the submitted object and what registration would store.

use super::enums::{ApplicationType, AuthMethod, GrantType};
use super::{ClientMetadata, FieldError};
use crate::uri::is_loopback;
use serde_json::{Map, Value};
use url::Url;

/// The host of an http(s) URI as the URL parser reads it (lower case, an IPv6 literal whole in
/// its brackets), so two spellings of one host compare equal.
fn http_host(uri: &str) -> Option<String> {
    let url = Url::parse(uri).ok()?;
    matches!(url.scheme(), "http" | "https")
        .then(|| url.host_str().map(str::to_owned))
        .flatten()
}

/// The warnings for `request`, which registers as `m` (after the policy, which may have
/// narrowed the scope): each names its member; `error` is empty.
#[inline(never)]
pub fn warnings(request: &Map<String, Value>, m: &ClientMetadata) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut warn =
        |member: &str, description: &str| FieldError::push(&mut out, member, "", description);
    let absent = |name: &str| request.get(name).is_none_or(Value::is_null);
    let web = m.application_type == ApplicationType::Web;
    let mut https_hosts = Vec::new();
    for (i, uri) in m.redirect_uris.iter().enumerate() {
        let member = &format!("redirect_uris[{i}]");
        let h = uri.http_host();
        if h == Some("localhost") {
            warn(
                member,
                "use 127.0.0.1 or [::1], not localhost (RFC 8252 §8.3)",
            );
        }
        if web && uri.starts_with("http:") && is_loopback(uri) {
            warn(
                member,
                "http loopback on a web client: for development only",
            );
        }
        if let Some(h) = h.filter(|_| uri.scheme() == "https") {
            https_hosts.push(h);
        }
    }
    if m.grant_types.contains(&GrantType::Implicit) {
        warn("grant_types", "the implicit grant is deprecated (RFC 9700)");
    }
    if m.client_name.is_none() {
        warn(
            "client_name",
            "absent: consent screens cannot name the client",
        );
    }
    if absent("application_type") {
        warn(
            "application_type",
            "absent, so defaulted; MCP clients must send it",
        );
    }
    if absent("token_endpoint_auth_method")
        && m.token_endpoint_auth_method == AuthMethod::ClientSecretBasic
        && !web
    {
        warn(
            "token_endpoint_auth_method",
            "absent, so client_secret_basic: a native app cannot keep a secret",
        );
    }
    let granted = |s: &str| m.scope.split(' ').any(|g| g == s);
    if granted("offline_access") && !m.grant_types.contains(&GrantType::RefreshToken) {
        warn("scope", "offline_access without the refresh_token grant");
    }
    // Scopes asked for that the policy drops.
    let mut dropped = String::new();
    let asked = request.get("scope").and_then(Value::as_str).unwrap_or("");
    for s in asked.split(' ').filter(|s| !s.is_empty() && !granted(s)) {
        dropped.push_str(s);
        dropped.push(' ');
    }
    if !dropped.is_empty() {
        warn(
            "scope",
            &format!("{dropped}not granted by this server's policy"),
        );
    }
    for (member, uri) in [("client_uri", &m.client_uri), ("logo_uri", &m.logo_uri)] {
        if let Some(uri) = uri {
            let h = http_host(uri);
            if !https_hosts.is_empty() && !https_hosts.iter().any(|r| h.as_deref() == Some(*r)) {
                warn(member, "on another host than the redirect URIs");
            }
        }
    }
    out
}
