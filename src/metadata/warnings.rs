//! Metadata that registers but is risky or likely a mistake: the warnings of
//! `POST /metadata/validate`. Pure: the submitted object and what registration would store.

use super::enums::{ApplicationType, AuthMethod, GrantType};
use super::redirect_uri::is_loopback;
use super::{ClientMetadata, FieldError};
use serde_json::{Map, Value};

fn host(uri: &str) -> Option<String> {
    url::Url::parse(uri).ok()?.host_str().map(str::to_string)
}

/// The warnings for `request`, which registers as `m` (after the policy, which may have
/// narrowed the scope): each names its member; `error` is empty.
#[inline(never)]
pub fn warnings(request: &Map<String, Value>, m: &ClientMetadata) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut warn = |member: &str, description: String| {
        out.push(FieldError {
            member: member.into(),
            error: "",
            description,
        })
    };
    let given = |name: &str| request.get(name).is_some_and(|v| !v.is_null());
    let web = m.application_type == ApplicationType::Web;
    for (i, uri) in m.redirect_uris.iter().enumerate() {
        let member = format!("redirect_uris[{i}]");
        if host(uri).as_deref() == Some("localhost") {
            warn(
                &member,
                "localhost may not resolve to this machine; use 127.0.0.1 or [::1] (RFC 8252 §8.3)"
                    .into(),
            );
        }
        if web && uri.starts_with("http:") && is_loopback(uri) {
            warn(
                &member,
                "http on loopback for a web client: only for development".into(),
            );
        }
    }
    if m.grant_types.contains(&GrantType::Implicit) {
        warn(
            "grant_types",
            "the implicit grant is deprecated (RFC 9700 §2.1.2); use authorization_code with PKCE"
                .into(),
        );
    }
    if m.client_name.is_none() {
        warn(
            "client_name",
            "absent: consent screens cannot say who is asking".into(),
        );
    }
    if !given("application_type") {
        warn(
            "application_type",
            format!(
                "absent, registered as {}; MCP clients must send it",
                m.application_type.as_str()
            ),
        );
    }
    if !given("token_endpoint_auth_method")
        && m.token_endpoint_auth_method == AuthMethod::ClientSecretBasic
        && !web
    {
        warn(
            "token_endpoint_auth_method",
            "absent, so client_secret_basic: a native app cannot keep a secret; send none".into(),
        );
    }
    let scopes: Vec<&str> = m.scope.split(' ').collect();
    if scopes.contains(&"offline_access") && !m.grant_types.contains(&GrantType::RefreshToken) {
        warn(
            "scope",
            "offline_access without the refresh_token grant: no refresh token can be used".into(),
        );
    }
    if let Some(asked) = request.get("scope").and_then(Value::as_str) {
        let dropped: Vec<&str> = asked.split(' ').filter(|s| !scopes.contains(s)).collect();
        if !dropped.is_empty() {
            warn(
                "scope",
                format!(
                    "{} would not be granted; registered: {}",
                    dropped.join(" "),
                    m.scope
                ),
            );
        }
    }
    let redirect_hosts: Vec<String> = m
        .redirect_uris
        .iter()
        .filter(|u| u.starts_with("https:"))
        .filter_map(|u| host(u))
        .collect();
    for (member, uri) in [("client_uri", &m.client_uri), ("logo_uri", &m.logo_uri)] {
        let h = uri.as_deref().and_then(host);
        if h.is_some_and(|h| !redirect_hosts.is_empty() && !redirect_hosts.contains(&h)) {
            warn(
                member,
                "on another host than the redirect URIs: users may not trust it".into(),
            );
        }
    }
    out
}
