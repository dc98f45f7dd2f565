//! The provider's discovery document (OpenID Connect Discovery 1.0): where to send people, where
//! to redeem the code, where its keys are, and which algorithms it signs with.

use super::id_token::Verifier;
use super::jws::VERIFIABLE_ALGS;
use super::settings::check_issuer;
use serde_json::Value;
use std::future::Future;

/// Longest discovery document or JWK set read, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// How long a fetched discovery document or JWK set is kept, in seconds.
pub const CACHE_SECONDS: i64 = 600;
/// A JWK set kept at least this long is fetched again when no key in it fits a token (the
/// provider rotated its keys); a younger one is not, so a run of bad tokens cannot make the
/// Worker fetch on every request.
pub const REFRESH_AFTER_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// RP-initiated logout (OIDC RP-Initiated Logout 1.0), when the provider offers it.
    pub end_session_endpoint: Option<String>,
    /// The ID token algorithms it advertises that this server verifies (RS256 when it lists none,
    /// OIDC Discovery §3).
    pub id_token_algs: Vec<String>,
}

/// `<issuer>/.well-known/openid-configuration` (OIDC Discovery §4.1).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Reads the document fetched from [`discovery_url`] of `issuer`. Its `issuer` must be `issuer`
/// exactly (OIDC Discovery §4.3: otherwise anyone who can serve a document could impersonate the
/// provider), its endpoints https (http only when the issuer itself is loopback http), its
/// response types must include `code`, and PKCE S256 must be among its challenge methods when
/// it lists them.
pub fn parse(doc: &Value, issuer: &str) -> Result<Provider, String> {
    let text = |m: &str| doc.get(m).and_then(Value::as_str);
    let list = |m: &str| -> Option<Vec<&str>> {
        doc.get(m)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
    };
    if text("issuer") != Some(issuer) {
        return Err("the discovery document's issuer is not DASHBOARD_OIDC_ISSUER".into());
    }
    let insecure_ok = issuer.starts_with("http://");
    let endpoint = |m: &str| -> Result<String, String> {
        let url = text(m).ok_or_else(|| format!("the discovery document has no {m}"))?;
        let ok = url.starts_with("https://")
            || (insecure_ok && url.starts_with("http://") && crate::uri::is_loopback(url));
        if !ok || check_issuer(url.split(['?', '#']).next().unwrap_or(url)).is_err() {
            return Err(format!(
                "the discovery document's {m} is not a usable https URL"
            ));
        }
        Ok(url.to_string())
    };
    if list("response_types_supported").is_some_and(|r| !r.contains(&"code")) {
        return Err("the provider does not offer the authorization code flow".into());
    }
    if list("code_challenge_methods_supported").is_some_and(|m| !m.contains(&"S256")) {
        return Err("the provider does not offer PKCE with S256".into());
    }
    let id_token_algs: Vec<String> = match list("id_token_signing_alg_values_supported") {
        None => vec!["RS256".into()],
        Some(algs) => algs
            .into_iter()
            .filter(|a| VERIFIABLE_ALGS.contains(a))
            .map(String::from)
            .collect(),
    };
    if id_token_algs.is_empty() {
        return Err("the provider signs ID tokens with no algorithm this server verifies".into());
    }
    Ok(Provider {
        authorization_endpoint: endpoint("authorization_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
        jwks_uri: endpoint("jwks_uri")?,
        end_session_endpoint: match text("end_session_endpoint") {
            None => None,
            Some(_) => Some(endpoint("end_session_endpoint")?),
        },
        id_token_algs,
    })
}

/// The provider, as the Worker reaches it: its documents (kept a while unless `fresh`), its token
/// endpoint, and WebCrypto for signatures.
pub trait ProviderPort: Verifier {
    /// A JSON document at `url` (200, at most [`MAX_DOCUMENT_BYTES`]).
    fn document(&self, url: &str, fresh: bool) -> impl Future<Output = Result<Value, String>>;
    /// POSTs a form to `url`: the status and the body.
    fn post_form(
        &self,
        url: &str,
        body: &str,
        authorization: Option<&str>,
    ) -> impl Future<Output = Result<(u16, Vec<u8>), String>>;
}
