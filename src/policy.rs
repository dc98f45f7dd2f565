//! Who may register what: the declarative registration policy (`REGISTRATION_POLICY`, described in
//! docs/protected-registration.md), applied after the RFC metadata rules.

use crate::error::{quoted, ApiError};
use crate::metadata::enums::{AuthMethod, GrantType};
use crate::metadata::ClientMetadata;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The policy of one caller class. Absent members do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassPolicy {
    pub grant_types: Option<Vec<GrantType>>,
    pub token_endpoint_auth_methods: Option<Vec<AuthMethod>>,
    pub scopes: Option<Vec<String>>,
    pub default_scope: Option<String>,
    pub redirect_uri_hosts: Option<Vec<String>>,
    pub max_clients: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub reserved_scopes: Vec<String>,
    #[serde(default)]
    pub restricted_scopes: Vec<String>,
    pub anonymous: Option<ClassPolicy>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ClassPolicy>,
    pub admin: Option<ClassPolicy>,
}

/// Who is registering, as stored with the client (`policy_class`): `anonymous`, `admin`, or
/// `profile:<name>` for an initial access token (`profile:default` when it names none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerClass {
    Anonymous,
    Profile(String),
    Admin,
}

pub const DEFAULT_PROFILE: &str = "default";

impl CallerClass {
    pub fn as_stored(&self) -> String {
        match self {
            CallerClass::Anonymous => "anonymous".into(),
            CallerClass::Admin => "admin".into(),
            CallerClass::Profile(p) => format!("profile:{p}"),
        }
    }

    pub fn from_stored(s: &str) -> CallerClass {
        match s {
            "admin" => CallerClass::Admin,
            "anonymous" => CallerClass::Anonymous,
            other => CallerClass::Profile(
                other
                    .strip_prefix("profile:")
                    .unwrap_or(DEFAULT_PROFILE)
                    .to_string(),
            ),
        }
    }
}

/// How errors name the caller class; formatted only when an error is.
impl std::fmt::Display for CallerClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallerClass::Anonymous => f.write_str("anonymous registration"),
            CallerClass::Admin => f.write_str("admin registration"),
            CallerClass::Profile(p) => write!(f, "initial access token profile {}", quoted(p)),
        }
    }
}

/// The policy of the anonymous or admin class when the configuration has no section for it: no
/// restriction (the operator chose none). A profile the configuration does not name gets the
/// anonymous rules instead (see [`Policy::class`]).
const UNRESTRICTED: &ClassPolicy = &ClassPolicy {
    grant_types: None,
    token_endpoint_auth_methods: None,
    scopes: None,
    default_scope: None,
    redirect_uri_hosts: None,
    max_clients: None,
};

impl Policy {
    /// Parses and checks `REGISTRATION_POLICY` against the supported scopes.
    pub fn parse(json: &str, scopes_supported: &[String]) -> Result<Policy, String> {
        let policy: Policy =
            serde_json::from_str(json).map_err(|e| format!("REGISTRATION_POLICY: {e}"))?;
        let known = |s: &String| scopes_supported.contains(s);
        for s in policy
            .reserved_scopes
            .iter()
            .chain(&policy.restricted_scopes)
        {
            if !known(s) {
                return Err(format!(
                    "REGISTRATION_POLICY: scope {s:?} is not in SCOPES_SUPPORTED"
                ));
            }
        }
        let classes = policy
            .anonymous
            .iter()
            .map(|c| ("anonymous".to_string(), c))
            .chain(policy.admin.iter().map(|c| ("admin".to_string(), c)))
            .chain(
                policy
                    .profiles
                    .iter()
                    .map(|(n, c)| (format!("profiles.{n}"), c)),
            );
        for (name, class) in classes {
            let scopes = class.scopes.iter().flatten().chain(&class.default_scope);
            for s in scopes.flat_map(|s| s.split(' ')) {
                if !scopes_supported.iter().any(|k| k == s) {
                    return Err(format!(
                        "REGISTRATION_POLICY: {name}: scope {s:?} is not in SCOPES_SUPPORTED"
                    ));
                }
            }
            for host in class.redirect_uri_hosts.iter().flatten() {
                let bare = host.strip_prefix("*.").unwrap_or(host);
                if bare.is_empty() || bare.contains(['*', '/', ':']) {
                    return Err(format!(
                        "REGISTRATION_POLICY: {name}: {host:?} is not a host or *.domain"
                    ));
                }
            }
        }
        for name in policy.profiles.keys() {
            if !is_profile_name(name) {
                return Err(format!(
                    "REGISTRATION_POLICY: profile name {name:?}: use letters, digits, - and _"
                ));
            }
        }
        Ok(policy)
    }

    /// Whether any class has a `max_clients`.
    pub fn has_quota(&self) -> bool {
        self.anonymous
            .iter()
            .chain(&self.admin)
            .chain(self.profiles.values())
            .any(|c| c.max_clients.is_some())
    }

    pub fn has_profile(&self, name: &str) -> bool {
        self.profiles.contains_key(name)
    }

    /// Whether an initial access token minted for `profile` names a profile this policy no
    /// longer has (removed from the configuration since): such a token is refused. A token
    /// minted without a profile never does.
    pub fn is_removed_profile(&self, profile: Option<&str>) -> bool {
        profile.is_some_and(|p| !self.has_profile(p))
    }

    /// The class policy. The anonymous and admin classes without a section are unrestricted (the
    /// operator configured no restriction for them). A profile the policy does not name (removed
    /// from the configuration, or `default` for a token minted without a profile when
    /// `profiles.default` is absent) gets the anonymous rules: never unrestricted by omission.
    pub fn class(&self, class: &CallerClass) -> &ClassPolicy {
        let anonymous = || self.anonymous.as_ref().unwrap_or(UNRESTRICTED);
        match class {
            CallerClass::Anonymous => anonymous(),
            CallerClass::Admin => self.admin.as_ref().unwrap_or(UNRESTRICTED),
            CallerClass::Profile(p) => self.profiles.get(p).unwrap_or_else(anonymous),
        }
    }

    /// How errors name the class whose rules apply: a profile the policy does not name says
    /// that the anonymous rules apply to it.
    fn judged(&self, class: &CallerClass) -> String {
        match class {
            CallerClass::Profile(p) if !self.has_profile(p) => {
                format!("{class} (not configured on this server: the anonymous rules apply)")
            }
            _ => class.to_string(),
        }
    }

    /// Narrows or refuses validated metadata for the caller's class. `scope_requested` says
    /// whether the client asked for a scope (else the class default applies).
    pub fn apply(
        &self,
        class: &CallerClass,
        metadata: &mut ClientMetadata,
        scope_requested: bool,
        global_default_scope: &str,
    ) -> Result<(), ApiError> {
        let rules = self.class(class);
        let who = Lazy(|| self.judged(class));

        if let Some(allowed) = &rules.grant_types {
            if let Some((i, g)) = metadata
                .grant_types
                .iter()
                .enumerate()
                .find(|(_, g)| !allowed.contains(g))
            {
                return Err(ApiError::invalid_metadata(
                    &format!("grant_types[{i}]"),
                    format!("{g} is not allowed for {who}"),
                ));
            }
        }
        if let Some(allowed) = &rules.token_endpoint_auth_methods {
            let method = metadata.token_endpoint_auth_method;
            if !allowed.contains(&method) {
                return Err(ApiError::invalid_metadata(
                    "token_endpoint_auth_method",
                    format!("{method} is not allowed for {who}"),
                ));
            }
        }
        if let Some(hosts) = &rules.redirect_uri_hosts {
            let allowed = |uri: &String| {
                http_host(uri).is_none_or(|h| hosts.iter().any(|p| host_matches(p, &h)))
            };
            if let Some((i, uri)) = metadata
                .redirect_uris
                .iter()
                .enumerate()
                .find(|(_, u)| !allowed(u))
            {
                return Err(ApiError::invalid_redirect(
                    &format!("redirect_uris[{i}]"),
                    format!("host of {} is not allowed for {who}", quoted(uri)),
                ));
            }
            // Logout redirects are redirects too: the same hosts.
            let logout = metadata.post_logout_redirect_uris.iter().enumerate();
            if let Some((i, uri)) = logout.clone().find(|(_, u)| !allowed(u)) {
                return Err(ApiError::invalid_metadata(
                    &format!("post_logout_redirect_uris[{i}]"),
                    format!("host of {} is not allowed for {who}", quoted(uri)),
                ));
            }
        }

        if !scope_requested {
            if let Some(default) = &rules.default_scope {
                metadata.scope = default.clone();
            }
        }
        let may_have_restricted = |s: &str| match &rules.scopes {
            Some(list) => list.iter().any(|x| x == s),
            None => *class == CallerClass::Admin,
        };
        let mut granted: Vec<&str> = Vec::new();
        for s in metadata.scope.split(' ') {
            if self.reserved_scopes.iter().any(|r| r == s) {
                continue; // never granted by registration
            }
            if self.restricted_scopes.iter().any(|r| r == s) {
                if may_have_restricted(s) {
                    granted.push(s);
                }
                continue;
            }
            if let Some(list) = &rules.scopes {
                if !list.iter().any(|x| x == s) {
                    return Err(ApiError::invalid_metadata(
                        "scope",
                        format!("{} is not allowed for {who}", quoted(s)),
                    ));
                }
            }
            granted.push(s);
        }
        if granted.is_empty() {
            let fallback = rules
                .default_scope
                .as_deref()
                .unwrap_or(global_default_scope);
            granted = fallback
                .split(' ')
                .filter(|s| !self.reserved_scopes.iter().any(|r| r == s))
                .collect();
            if granted.is_empty() {
                return Err(ApiError::invalid_metadata(
                    "scope",
                    format!("none of the requested scopes may be granted to {who}"),
                ));
            }
        }
        metadata.scope = granted.join(" ");
        Ok(())
    }
}

/// Formats what the closure returns, only when formatted: error texts are built only on errors.
struct Lazy<F>(F);

impl<F: Fn() -> String> std::fmt::Display for Lazy<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&(self.0)())
    }
}

pub fn is_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The host of an http(s) URI, lower-cased; `None` for private-use schemes.
fn http_host(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    matches!(url.scheme(), "http" | "https")
        .then(|| url.host_str().map(|h| h.to_ascii_lowercase()))
        .flatten()
}

/// `app.example.com` matches itself; `*.example.com` matches exactly one more label.
fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .and_then(|h| h.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.')),
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_hosts_match_one_label() {
        assert!(host_matches("*.example.com", "app.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "evilexample.com"));
        assert!(host_matches("App.Example.com", "app.example.com"));
    }

    #[test]
    fn stored_class_round_trips() {
        for c in [
            CallerClass::Anonymous,
            CallerClass::Admin,
            CallerClass::Profile("partner".into()),
        ] {
            assert_eq!(CallerClass::from_stored(&c.as_stored()), c);
        }
    }
}
