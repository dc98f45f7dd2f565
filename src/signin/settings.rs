//! The sign-in settings (docs/configuration.md, "Dashboard sign-in"): which OpenID Provider, as
//! which client, who is an admin, and how long a session lasts. All unset: no sign-in, and the
//! dashboard works as it does without it.

use crate::token::Secret;
use url::Url;

/// `DASHBOARD_SESSION_SECONDS` when unset: one hour.
pub const DEFAULT_SESSION_SECONDS: i64 = 3_600;
/// The shortest and longest session `DASHBOARD_SESSION_SECONDS` may set (5 minutes, 12 hours).
pub const SESSION_SECONDS_RANGE: (i64, i64) = (300, 43_200);

#[derive(Debug, Clone)]
pub struct SignInSettings {
    /// `DASHBOARD_OIDC_ISSUER`: the provider's issuer identifier, exactly as its ID tokens and
    /// discovery document spell it.
    pub issuer: String,
    /// `DASHBOARD_OIDC_CLIENT_ID`: the dashboard's client at that provider.
    pub client_id: String,
    /// `DASHBOARD_OIDC_CLIENT_SECRET` (a secret, optional): sent with HTTP Basic to the token
    /// endpoint; without it the dashboard is a public client (PKCE only).
    pub client_secret: Option<Secret>,
    /// `DASHBOARD_ADMIN_CLAIM`, `claim=value`: people whose ID token has this claim equal to the
    /// value, or an array holding it, are admins.
    pub admin_claim: Option<(String, String)>,
    /// `DASHBOARD_ADMIN_SUBS`: subjects (`sub`) who are admins, comma-separated.
    pub admin_subs: Vec<String>,
    /// `DASHBOARD_SESSION_SECONDS`: how long a session cookie is good for.
    pub session_seconds: i64,
}

impl SignInSettings {
    /// The settings from the Worker's variables (`var` reads one, `None` when unset or blank).
    /// `Ok(None)` when neither the issuer nor the client id is set; one without the other, or a
    /// value that cannot be used, is a configuration error naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let var = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (issuer, client_id) = match (
            var("DASHBOARD_OIDC_ISSUER"),
            var("DASHBOARD_OIDC_CLIENT_ID"),
        ) {
            (None, None) => {
                return match [
                    "DASHBOARD_OIDC_CLIENT_SECRET",
                    "DASHBOARD_ADMIN_CLAIM",
                    "DASHBOARD_ADMIN_SUBS",
                ]
                .into_iter()
                .find(|n| var(n).is_some())
                {
                    Some(n) => Err(format!(
                        "{n} is set but DASHBOARD_OIDC_ISSUER and DASHBOARD_OIDC_CLIENT_ID are not"
                    )),
                    None => Ok(None),
                }
            }
            (Some(i), Some(c)) => (i, c),
            (Some(_), None) => {
                return Err("DASHBOARD_OIDC_ISSUER is set without DASHBOARD_OIDC_CLIENT_ID".into())
            }
            (None, Some(_)) => {
                return Err("DASHBOARD_OIDC_CLIENT_ID is set without DASHBOARD_OIDC_ISSUER".into())
            }
        };
        check_issuer(&issuer).map_err(|e| format!("DASHBOARD_OIDC_ISSUER: {e}"))?;
        if client_id.len() > 255 || !client_id.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(
                "DASHBOARD_OIDC_CLIENT_ID: at most 255 printable ASCII characters, no spaces"
                    .into(),
            );
        }
        let admin_claim = match var("DASHBOARD_ADMIN_CLAIM") {
            None => None,
            Some(v) => Some(parse_admin_claim(&v)?),
        };
        let admin_subs = var("DASHBOARD_ADMIN_SUBS")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let session_seconds = match var("DASHBOARD_SESSION_SECONDS") {
            None => DEFAULT_SESSION_SECONDS,
            Some(v) => {
                let (min, max) = SESSION_SECONDS_RANGE;
                v.parse::<i64>()
                    .ok()
                    .filter(|s| (min..=max).contains(s))
                    .ok_or_else(|| {
                        format!("DASHBOARD_SESSION_SECONDS: a whole number of seconds from {min} to {max}")
                    })?
            }
        };
        Ok(Some(SignInSettings {
            issuer,
            client_id,
            client_secret: var("DASHBOARD_OIDC_CLIENT_SECRET").map(|s| Secret::from_presented(&s)),
            admin_claim,
            admin_subs,
            session_seconds,
        }))
    }
}

/// OIDC Discovery §2: an https URL without query or fragment. Plain http only on a loopback
/// host, for a provider run on the operator's own machine (local development and tests).
pub fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = Url::parse(issuer).map_err(|e| format!("not an absolute URL ({e})"))?;
    if url.query().is_some() || url.fragment().is_some() || issuer.contains(['?', '#']) {
        return Err("must have no query or fragment".into());
    }
    if crate::uri::has_user_info(issuer) {
        return Err("must have no user information".into());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if crate::uri::is_loopback(issuer) => Ok(()),
        _ => Err("must be https (http only on a loopback host)".into()),
    }
}

fn parse_admin_claim(v: &str) -> Result<(String, String), String> {
    match v.split_once('=') {
        Some((claim, value)) if !claim.trim().is_empty() && !value.trim().is_empty() => {
            Ok((claim.trim().to_string(), value.trim().to_string()))
        }
        _ => Err("DASHBOARD_ADMIN_CLAIM: claim=value, such as groups=registrar-admins".to_string()),
    }
}
