//! The authorization code flow the dashboard runs as a client of the provider (OIDC Core §3.1,
//! RFC 7636 PKCE with S256, RFC 9700 §2.1.1): the request that sends a person to sign in, the
//! sealed record of what that request promised, and the token request that redeems the code.

use super::provider::Provider;
use super::seal::Expiring;
use super::settings::SignInSettings;
use crate::base64url;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::form_urlencoded;

/// How long a person has to sign in at the provider, in seconds.
pub const SIGNIN_SECONDS: i64 = 600;
/// The scopes asked for: the subject, and a name to greet them with.
pub const SCOPE: &str = "openid profile email";
/// The callback's path under the issuer's origin.
pub const CALLBACK_PATH: &str = "/dashboard/callback";
/// Where the provider sends a person back after signing them out: the dashboard itself, a URI
/// the operator registers with the provider (`<origin>/`).
pub const POST_LOGOUT_PATH: &str = "/";

/// A sign-in in progress, sealed into the sign-in cookie: what the callback must find again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where the dashboard goes after signing in: a path of this origin (see [`return_path`]).
    pub return_to: String,
    pub exp: i64,
}

impl Expiring for PendingSignIn {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

/// RFC 7636 §4.2: `BASE64URL(SHA256(verifier))`.
pub fn code_challenge(verifier: &str) -> String {
    base64url::encode(Sha256::digest(verifier.as_bytes()))
}

/// The authorization request URL (OIDC Core §3.1.2.1), the provider's own query kept.
pub fn authorization_url(
    settings: &SignInSettings,
    provider: &Provider,
    redirect_uri: &str,
    pending: &PendingSignIn,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", SCOPE)
        .append_pair("state", &pending.state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &code_challenge(&pending.verifier))
        .append_pair("code_challenge_method", "S256")
        .finish();
    with_query(&provider.authorization_endpoint, &query)
}

/// `endpoint` with `query` added to its own (an endpoint may have one, OIDC Core §3.1.2.1).
fn with_query(endpoint: &str, query: &str) -> String {
    let joiner = if endpoint.contains('?') { '&' } else { '?' };
    format!("{endpoint}{joiner}{query}")
}

/// The provider's logout request (OIDC RP-Initiated Logout 1.0 §2), the provider's own query
/// kept. `client_id` names the dashboard, as the spec allows in place of `id_token_hint`: the
/// session cookie keeps no ID token (it would make the cookie several times larger), so the
/// provider may ask the person to confirm. It sends them back to `post_logout_redirect_uri`.
pub fn end_session_url(
    settings: &SignInSettings,
    endpoint: &str,
    post_logout_redirect_uri: &str,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &settings.client_id)
        .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
        .finish();
    with_query(endpoint, &query)
}

/// A path of this origin to return to: it starts with one `/` (not `//`, which is another host),
/// is printable ASCII without space or backslash (it becomes the callback's `Location`, a URI
/// reference: other bytes would go out raw, read as Latin-1 or UTF-8 depending on the browser; the
/// page sends its path percent-encoded), and is at most 512 bytes; anything else is `/`.
pub fn return_path(requested: Option<&str>) -> String {
    match requested {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && p.len() <= 512
                && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            p.to_string()
        }
        _ => "/".into(),
    }
}

/// What the provider sent back to the callback.
#[derive(Debug, PartialEq)]
pub enum Callback {
    Code(String),
    /// The provider's `error` (RFC 6749 §4.1.2.1), e.g. `access_denied` when the person declined.
    Refused(String),
}

/// Reads the callback's query: its `state` must be the pending sign-in's (constant time), then
/// either a `code` or an `error`. `Err` says what is wrong, for the page the person sees.
pub fn read_callback(query: &str, pending: &PendingSignIn) -> Result<Callback, &'static str> {
    let mut state = None;
    let mut code = None;
    let mut error = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            _ => continue,
        };
        if slot.replace(v.into_owned()).is_some() {
            return Err("the provider's answer repeats a parameter");
        }
    }
    let state = state.ok_or("the provider's answer has no state")?;
    if !crate::token::same_secret(&state, &pending.state) {
        return Err("the provider's answer is not for this sign-in (state)");
    }
    match (code, error) {
        (_, Some(e)) => Ok(Callback::Refused(
            e.chars().filter(char::is_ascii_graphic).take(64).collect(),
        )),
        (Some(c), None) if !c.is_empty() => Ok(Callback::Code(c)),
        _ => Err("the provider's answer has neither a code nor an error"),
    }
}

/// The token request (OIDC Core §3.1.3.1): the form body, and the `Authorization` header when
/// the dashboard has a client secret (`client_secret_basic`, RFC 6749 §2.3.1, each part
/// form-encoded first); a public client sends its `client_id` in the body instead.
pub fn token_request(
    settings: &SignInSettings,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> (String, Option<String>) {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_verifier", verifier);
    let auth = match &settings.client_secret {
        Some(secret) => {
            let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", enc(&settings.client_id), enc(secret.expose()));
            Some(format!("Basic {}", standard_base64(pair.as_bytes())))
        }
        None => {
            form.append_pair("client_id", &settings.client_id);
            None
        }
    };
    (form.finish(), auth)
}

/// The ID token of a token response (OIDC Core §3.1.3.3); an error response's `error` otherwise.
pub fn id_token_of(status: u16, body: &[u8]) -> Result<String, String> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|_| format!("the token endpoint answered {status} without JSON"))?;
    if status != 200 {
        let error = json
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no error code");
        let error: String = error
            .chars()
            .filter(char::is_ascii_graphic)
            .take(64)
            .collect();
        return Err(format!(
            "the token endpoint refused the code ({status} {error})"
        ));
    }
    json.get("id_token")
        .and_then(Value::as_str)
        .map(String::from)
        .ok_or_else(|| "the token response has no id_token".into())
}

/// Base64 with padding (RFC 4648 §4), for HTTP Basic.
fn standard_base64(bytes: &[u8]) -> String {
    let mut out = base64url::encode(bytes).replace('-', "+").replace('_', "/");
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}
