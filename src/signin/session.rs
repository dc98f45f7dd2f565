//! The dashboard session: who signed in, whether they are an admin, and the token that proves a
//! state-changing request came from the dashboard itself. Carried in a sealed cookie
//! ([`super::seal`]) scoped to `/dashboard`, where every endpoint it authorises lives.

use super::id_token::Identity;
use super::seal::Expiring;
use super::settings::SignInSettings;
use crate::token::{HashKey, Purpose, TokenHash};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The session cookie. `__Secure-`: browsers refuse it unless it was set `Secure` by a secure
/// origin (RFC 6265bis §4.1.3.1).
pub const SESSION_COOKIE: &str = "__Secure-registrar-session";
/// The cookie of a sign-in in progress, sent only back to the callback.
pub const SIGNIN_COOKIE: &str = "__Secure-registrar-signin";
/// Where the session cookie is sent: the dashboard's session endpoints and nothing else.
pub const SESSION_PATH: &str = "/dashboard";
/// The request header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "X-Registrar-CSRF";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub iss: String,
    pub sub: String,
    pub name: Option<String>,
    pub admin: bool,
    /// Random per session; the dashboard reads it from `GET /dashboard/session` and sends it in
    /// [`CSRF_HEADER`] with every request that changes something.
    pub csrf: String,
    pub exp: i64,
}

impl Expiring for Session {
    fn expires_at(&self) -> i64 {
        self.exp
    }
}

impl Session {
    /// A session for `who`, signed in now, with a fresh `csrf` token.
    pub fn start(settings: &SignInSettings, who: Identity, csrf: String, now: i64) -> Session {
        Session {
            admin: is_admin(settings, &who),
            iss: settings.issuer.clone(),
            sub: who.sub,
            name: who.display_name,
            csrf,
            exp: now + settings.session_seconds,
        }
    }

    /// The session in `cookie_value`, if it is sealed by this server, unexpired, and of the
    /// issuer configured now (a session from a provider the operator has replaced is void).
    pub fn open(
        key: &HashKey,
        settings: &SignInSettings,
        cookie_value: &str,
        now: i64,
    ) -> Option<Session> {
        super::seal::open::<Session>(key, Purpose::SessionCookie, cookie_value, now)
            .filter(|s| s.iss == settings.issuer)
    }

    pub fn seal(&self, key: &HashKey) -> String {
        super::seal::seal(key, Purpose::SessionCookie, self)
    }

    /// The person as a client's owner: the keyed hash of issuer and subject, so the store never
    /// holds who they are ([`crate::store::StoredClient::owner`]).
    pub fn owner(&self, key: &HashKey) -> TokenHash {
        TokenHash::from_stored(key.mac(Purpose::Owner, self.iss.as_bytes(), self.sub.as_bytes()))
    }

    /// Whether `presented` (the [`CSRF_HEADER`] value) is this session's token.
    pub fn csrf_matches(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|p| crate::token::same_secret(p, &self.csrf))
    }
}

/// `DASHBOARD_ADMIN_SUBS` lists the subject, or the `DASHBOARD_ADMIN_CLAIM` claim equals the
/// value or is an array that holds it.
pub fn is_admin(settings: &SignInSettings, who: &Identity) -> bool {
    if settings.admin_subs.iter().any(|s| s == &who.sub) {
        return true;
    }
    let Some((claim, value)) = &settings.admin_claim else {
        return false;
    };
    match who.claims.get(claim) {
        Some(Value::String(s)) => s == value,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(value)),
        _ => false,
    }
}

/// The value of cookie `name` in a `Cookie` request header (RFC 6265 §5.4), the first if it
/// appears more than once.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A `Set-Cookie` value: `HttpOnly; Secure; SameSite=Lax` always. Lax, not Strict: the
/// provider's redirect back to the callback is a cross-site navigation that must carry the
/// sign-in cookie; what Lax lets through (top-level GETs) changes nothing, and every state
/// change also needs the CSRF token. `max_age` 0 clears the cookie.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64) -> String {
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax")
}
