//! Who may register what: the declarative registration policy (`REGISTRATION_POLICY`, described in
//! docs/protected-registration.md), applied after the RFC metadata rules.

use crate::error::{quoted, ApiError};
use crate::metadata::enums::{AuthMethod, GrantType};
use crate::metadata::{ClientMetadata, RedirectUri};
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

impl ClassPolicy {
    /// A client that asked for no scope gets the class's `default_scope`, when it has one (else
    /// the server's, already applied by validation).
    fn default_unless_requested(&self, metadata: &mut ClientMetadata, scope_requested: bool) {
        if let (false, Some(default)) = (scope_requested, &self.default_scope) {
            metadata.scope = default.clone();
        }
    }

    /// The scope given when none of the requested ones may be granted.
    fn fallback_scope<'a>(&'a self, global_default_scope: &'a str) -> &'a str {
        self.default_scope
            .as_deref()
            .unwrap_or(global_default_scope)
    }
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
        rules.default_unless_requested(metadata, scope_requested);
        let who = Lazy(|| self.judged(class));
        self.judge(rules, class, &who, "", metadata, None)?;
        if metadata.scope.is_empty() {
            let fallback = rules.fallback_scope(global_default_scope);
            metadata.scope = self.without_reserved(fallback);
            if metadata.scope.is_empty() {
                return Err(ApiError::invalid_metadata(
                    "scope",
                    format!("none of the requested scopes may be granted to {who}"),
                ));
            }
        }
        Ok(())
    }

    /// An RFC 7592 update by the client itself. What the client has now (`current`) is kept;
    /// every addition must pass both the client's class ([`Policy::class`], with its fallback)
    /// and the anonymous rules, so self-service cannot widen a client beyond what anyone could
    /// register. An added grant type, a changed auth method, or a redirect or logout URI on a
    /// host the client does not have, outside those rules → 400 naming the member; an added
    /// plain scope outside a `scopes` list → 400 naming `scope`; an added restricted scope either
    /// may not have is dropped (the response shows what was registered). Reserved scopes are
    /// never granted. Anything more needs the admin API.
    pub fn apply_update(
        &self,
        class: &CallerClass,
        new: &mut ClientMetadata,
        current: &ClientMetadata,
        scope_requested: bool,
        global_default_scope: &str,
    ) -> Result<(), ApiError> {
        let rules = self.class(class);
        rules.default_unless_requested(new, scope_requested);
        let asked = new.scope.clone();
        let mine = Lazy(|| self.judged(class));
        let anonymous = CallerClass::Anonymous;
        let judges: [(&ClassPolicy, &CallerClass, &dyn std::fmt::Display); 2] = [
            (rules, class, &mine),
            (self.class(&anonymous), &anonymous, &anonymous),
        ];
        for (r, c, who) in judges {
            self.judge(r, c, who, ADDING_NEEDS_ADMIN, new, Some(current))?;
        }
        if new.scope.is_empty() {
            // Only additions that are dropped were asked: the class default, as far as the
            // client holds it or may add it.
            let fallback = rules.fallback_scope(global_default_scope);
            let keep = |s: &&str| {
                judges
                    .iter()
                    .all(|(r, c, _)| self.scope_verdict(r, c, s, Some(current)) == Verdict::Grant)
            };
            let scope: Vec<&str> = fallback.split(' ').filter(keep).collect();
            if scope.is_empty() {
                return Err(ApiError::invalid_metadata(
                    "scope",
                    format!(
                        "{} may not be added to this client; {ADDING_NEEDS_ADMIN}",
                        quoted(&asked)
                    ),
                ));
            }
            new.scope = scope.join(" ");
        }
        Ok(())
    }

    /// `scope` without the reserved scopes.
    fn without_reserved(&self, scope: &str) -> String {
        scope
            .split(' ')
            .filter(|s| !self.reserved_scopes.iter().any(|r| r == s))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Holds `metadata` to one class's `rules`, named `who` in errors (which end with
    /// `suffix`). With `held` (an update: what the client has now), only additions are judged:
    /// grant types it does not have, a changed auth method, URIs on hosts it has none on,
    /// scopes it does not hold. Refuses with the RFC 7591 error naming the member, or narrows
    /// the scope (reserved scopes always, restricted ones the class may not have); the scope
    /// may be left empty for the caller's fallback.
    fn judge(
        &self,
        rules: &ClassPolicy,
        class: &CallerClass,
        who: &dyn std::fmt::Display,
        suffix: &str,
        metadata: &mut ClientMetadata,
        held: Option<&ClientMetadata>,
    ) -> Result<(), ApiError> {
        let not_allowed = |what: &dyn std::fmt::Display| {
            let mut text = format!("{what} is not allowed for {who}");
            if !suffix.is_empty() {
                text.push_str("; ");
                text.push_str(suffix);
            }
            text
        };

        if let Some(allowed) = &rules.grant_types {
            let has = |g: &GrantType| held.is_some_and(|c| c.grant_types.contains(g));
            if let Some((i, g)) = metadata
                .grant_types
                .iter()
                .enumerate()
                .find(|(_, g)| !has(g) && !allowed.contains(g))
            {
                return Err(ApiError::invalid_metadata(
                    &format!("grant_types[{i}]"),
                    not_allowed(g),
                ));
            }
        }
        if let Some(allowed) = &rules.token_endpoint_auth_methods {
            let method = metadata.token_endpoint_auth_method;
            let has = held.is_some_and(|c| c.token_endpoint_auth_method == method);
            if !has && !allowed.contains(&method) {
                let text = if suffix.is_empty() {
                    not_allowed(&method)
                } else {
                    format!(
                        "{method} is not allowed for {who}; changing this client to it needs \
                         the admin API"
                    )
                };
                return Err(ApiError::invalid_metadata(
                    "token_endpoint_auth_method",
                    text,
                ));
            }
        }
        if let Some(hosts) = &rules.redirect_uri_hosts {
            let held_hosts: Vec<&str> = held
                .iter()
                .flat_map(|c| c.redirect_uris.iter().chain(&c.post_logout_redirect_uris))
                .filter_map(RedirectUri::http_host)
                .collect();
            let allowed = |uri: &RedirectUri| {
                uri.http_host().is_none_or(|h| {
                    held_hosts.contains(&h) || hosts.iter().any(|p| host_matches(p, h))
                })
            };
            if let Some((i, uri)) = metadata
                .redirect_uris
                .iter()
                .enumerate()
                .find(|(_, u)| !allowed(u))
            {
                return Err(ApiError::invalid_redirect(
                    &format!("redirect_uris[{i}]"),
                    not_allowed(&format_args!("host of {}", quoted(uri))),
                ));
            }
            // Logout redirects are redirects too: the same hosts.
            let logout = metadata.post_logout_redirect_uris.iter().enumerate();
            if let Some((i, uri)) = logout.clone().find(|(_, u)| !allowed(u)) {
                return Err(ApiError::invalid_metadata(
                    &format!("post_logout_redirect_uris[{i}]"),
                    not_allowed(&format_args!("host of {}", quoted(uri))),
                ));
            }
        }

        let mut granted: Vec<&str> = Vec::new();
        for s in metadata.scope.split(' ').filter(|s| !s.is_empty()) {
            match self.scope_verdict(rules, class, s, held) {
                Verdict::Grant => granted.push(s),
                Verdict::Drop => {}
                Verdict::Refuse => {
                    return Err(ApiError::invalid_metadata("scope", not_allowed(&quoted(s))))
                }
            }
        }
        metadata.scope = granted.join(" ");
        Ok(())
    }

    /// What one class's rules do with one requested scope: reserved scopes are never granted;
    /// a scope the client holds (`held`, on update) is kept; a restricted scope is granted only
    /// to a class whose `scopes` list it (or to an admin class without a list); another scope
    /// outside the class's `scopes` is refused.
    fn scope_verdict(
        &self,
        rules: &ClassPolicy,
        class: &CallerClass,
        s: &str,
        held: Option<&ClientMetadata>,
    ) -> Verdict {
        let listed = |s: &str| rules.scopes.as_ref().map(|l| l.iter().any(|x| x == s));
        if self.reserved_scopes.iter().any(|r| r == s) {
            Verdict::Drop
        } else if held.is_some_and(|c| c.scope.split(' ').any(|x| x == s)) {
            Verdict::Grant
        } else if self.restricted_scopes.iter().any(|r| r == s) {
            match listed(s).unwrap_or(*class == CallerClass::Admin) {
                true => Verdict::Grant,
                false => Verdict::Drop,
            }
        } else if listed(s) == Some(false) {
            Verdict::Refuse
        } else {
            Verdict::Grant
        }
    }
}

/// What the policy does with one requested scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Grant,
    /// Left out silently (restricted or reserved); the response shows what was registered.
    Drop,
    /// 400 `invalid_client_metadata` naming `scope`.
    Refuse,
}

/// The end of an error about an addition an RFC 7592 update may not make.
const ADDING_NEEDS_ADMIN: &str = "adding it to this client needs the admin API";

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
