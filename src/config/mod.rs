//! Operator configuration, read from Worker variables (see docs/configuration.md).
//! Parsing is pure: the Worker layer hands in a lookup function.

use crate::metadata::enums::GrantType;
use crate::metadata::limits::MetadataLimits;
use crate::metadata::Capabilities;
use crate::policy::Policy;
use crate::token::{HashKey, Secret};
use serde_json::{Map, Value};
use url::Url;

mod cors;
pub use cors::CorsPolicy;

pub const DEFAULT_SCOPES_SUPPORTED: &str = "openid profile email address phone offline_access";
pub const DEFAULT_SCOPE: &str = "openid";

#[derive(Debug, Clone)]
pub struct Config {
    /// `ISSUER`: the issuer identifier, exactly as configured. Without it, the request origin.
    pub issuer: Option<String>,
    /// `DEFAULT_SCOPE`: registered when a client asks for no scope.
    pub default_scope: String,
    /// `SCOPES_SUPPORTED`: the scopes a client may register.
    pub scopes_supported: Vec<String>,
    /// `GRANT_TYPES_SUPPORTED`: the grant types a client may register (implicit only if listed).
    pub grant_types_supported: Vec<GrantType>,
    /// `ROTATE_REGISTRATION_ACCESS_TOKEN`: issue a new token on every successful update.
    pub rotate_registration_token: bool,
    /// `CORS_ALLOW_ORIGIN`: `*` or a list of origins.
    pub cors: CorsPolicy,
    /// `AUTHORIZATION_SERVER_METADATA`: the authorization server's own endpoints for discovery.
    pub server_metadata: Map<String, Value>,
    /// `REGISTRAR_HMAC_KEY` (a secret): the key for stored hashes.
    pub hash_key: HashKey,
    /// `REGISTRATION_MODE`: who may call `POST /register`.
    pub registration_mode: RegistrationMode,
    /// `REGISTRATION_POLICY`: what each caller class may register.
    pub policy: Policy,
    /// `ADMIN_TOKEN` (a secret): the admin API's bearer token; without it the admin API is off.
    pub admin_token: Option<Secret>,
    /// `AS_API_TOKEN` (a secret): the bearer token of the authorization server API (`/as/v1/`);
    /// without it every `/as/` path answers 404.
    pub as_api_token: Option<Secret>,
    /// `RATE_LIMIT_PERIOD_SECONDS`: the `Retry-After` of a 429, the period of `[[ratelimits]]`.
    pub rate_limit_period: u32,
    /// `STORAGE_BACKEND`: where clients are stored.
    pub storage: StorageBackend,
    /// `IDLE_ANONYMOUS_CLIENT_DAYS`: the scheduled clean-up removes anonymous clients neither
    /// read nor updated for this many days. Unset: never.
    pub idle_anonymous_client_days: Option<u32>,
    /// `UNUSED_CLIENT_TTL` in seconds: the scheduled clean-up removes anonymous clients never
    /// used at the AS (no AS API lookup, no grant in a projection) once they are older than
    /// this. `None`: never.
    pub unused_client_ttl: Option<u32>,
    /// `LOG_REQUESTS`: which requests get their structured log line.
    pub log_requests: LogRequests,
    /// `RATE_LIMIT_IPV6_PREFIX`: the prefix length an IPv6 client is rate limited by.
    pub ipv6_rate_limit_prefix: u8,
    /// `AUDIT_RETENTION_DAYS`: the scheduled job removes audit events older than this.
    pub audit_retention_days: u32,
    /// `METADATA_LIMITS`: entries per list member and bytes of stored metadata per client.
    pub metadata_limits: MetadataLimits,
    /// `ALLOW_PRIVATE_HOSTS`: a development setting; lets `jwks_uri`, `request_uris` and
    /// `initiate_login_uri` name loopback, private and local-network hosts. Never in production.
    pub allow_private_hosts: bool,
    /// `PROJECT_CLIENTS`: the authorization server library whose client records Registrar
    /// keeps written (docs/authorization-server.md); `None`: no projection.
    pub projection: Option<ProjectionTarget>,
    /// `CIMD = "on"`: client metadata documents through the AS API, with the host lists of
    /// `CIMD_ALLOWED_HOSTS` / `CIMD_DENIED_HOSTS` (src/cimd.rs); `None`: off.
    pub cimd: Option<crate::cimd::CimdHosts>,
    /// `DASHBOARD_OIDC_*`: dashboard sign-in with the operator's OpenID Provider
    /// (docs/dashboard-sign-in.md); `None`: the dashboard is anonymous.
    pub signin: Option<crate::signin::SignInSettings>,
}

/// `PROJECT_CLIENTS`: whose client records the projection writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionTarget {
    /// `workers-oauth-provider`: `client:<client_id>` in the `OAUTH_KV` namespace of
    /// @cloudflare/workers-oauth-provider (`crate::projection::workers_oauth_provider`).
    WorkersOauthProvider,
}

/// `UNUSED_CLIENT_TTL` when unset and uses are seen (the AS API, or a projection whose grants
/// are read before each clean-up): a day.
/// A client that is going to be used reaches the authorization server within minutes of
/// registering; a day also covers a sign-in finished the next morning (docs/authorization-server.md).
pub const DEFAULT_UNUSED_CLIENT_TTL: u32 = 86_400;
/// Shortest `UNUSED_CLIENT_TTL`: an hour, so a registration is never removed in the middle of
/// its first authorization (and it is the interval at which uses are recorded).
pub const MIN_UNUSED_CLIENT_TTL: u32 = 3_600;

/// Shortest `AUDIT_RETENTION_DAYS`; the D1 schema refuses to prune anything younger
/// (migrations/0004), whatever the setting.
pub const MIN_AUDIT_RETENTION_DAYS: u32 = 30;
/// Default `AUDIT_RETENTION_DAYS`: a year and a month, so a yearly review sees a whole year.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 400;

/// `LOG_REQUESTS`: `all` (the default) logs one line per request; `errors` only the requests
/// answered with a 4xx or 5xx, for deployments where a line per registration costs too much
/// (Workers Logs volume, or `wrangler dev` relaying every line to the terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogRequests {
    All,
    Errors,
}

impl LogRequests {
    pub fn wants(self, status: u16) -> bool {
        self == LogRequests::All || status >= 400
    }
}

/// `STORAGE_BACKEND`: D1 (the default, the source of truth) or Workers KV (docs/storage.md:
/// what KV cannot guarantee).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageBackend {
    D1,
    Kv,
}

/// `REGISTRATION_MODE` (docs/protected-registration.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationMode {
    /// Anyone may register; an initial access token, if sent, must be valid.
    Open,
    /// An initial access token (or the admin token) is required.
    Token,
    /// `POST /register` answers 403 except to the admin; discovery omits the endpoint.
    Disabled,
    /// People signed in to the dashboard register (`POST /dashboard/clients`, as in INDIGO IAM);
    /// `POST /register` needs an initial access token or the admin token (docs/dashboard-sign-in.md).
    SignedIn,
}

/// Shortest `ADMIN_TOKEN` accepted.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

impl Config {
    /// Builds the configuration from variables; an error names the variable at fault.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let issuer = get("ISSUER")
            .map(|i| check_issuer(&i).map(|()| i))
            .transpose()?;

        let scopes_supported =
            words(&get("SCOPES_SUPPORTED").unwrap_or_else(|| DEFAULT_SCOPES_SUPPORTED.to_string()));
        let default_scope = get("DEFAULT_SCOPE").unwrap_or_else(|| DEFAULT_SCOPE.to_string());
        if let Some(s) = default_scope
            .split(' ')
            .find(|s| !scopes_supported.iter().any(|x| x == s))
        {
            return Err(format!("DEFAULT_SCOPE: {s:?} is not in SCOPES_SUPPORTED"));
        }

        let grant_types_supported = match get("GRANT_TYPES_SUPPORTED") {
            None => GrantType::ALL
                .iter()
                .copied()
                .filter(|g| *g != GrantType::Implicit)
                .collect(),
            Some(list) => list
                .split_whitespace()
                .map(|g| {
                    GrantType::from_wire(g)
                        .ok_or_else(|| format!("GRANT_TYPES_SUPPORTED: unknown grant type {g:?}"))
                })
                .collect::<Result<Vec<_>, _>>()?,
        };

        let rotate_registration_token = match get("ROTATE_REGISTRATION_ACCESS_TOKEN").as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(format!(
                    "ROTATE_REGISTRATION_ACCESS_TOKEN: expected true or false, got {other:?}"
                ))
            }
        };

        let cors = CorsPolicy::parse(get("CORS_ALLOW_ORIGIN").as_deref().unwrap_or("*"))?;

        let server_metadata = match get("AUTHORIZATION_SERVER_METADATA") {
            None => Map::new(),
            Some(json) => match serde_json::from_str(&json) {
                // `null` members would reach the discovery document; a response never has one.
                Ok(Value::Object(mut map)) => {
                    map.retain(|_, v| !v.is_null());
                    map
                }
                Ok(_) => return Err("AUTHORIZATION_SERVER_METADATA: must be a JSON object".into()),
                Err(e) => return Err(format!("AUTHORIZATION_SERVER_METADATA: {e}")),
            },
        };

        let key = get("REGISTRAR_HMAC_KEY")
            .ok_or("REGISTRAR_HMAC_KEY is not set (a Worker secret; see docs/configuration.md)")?;
        let hash_key =
            HashKey::new(key.as_bytes()).map_err(|e| format!("REGISTRAR_HMAC_KEY: {e}"))?;

        let registration_mode = match get("REGISTRATION_MODE").as_deref() {
            None | Some("open") => RegistrationMode::Open,
            Some("token") => RegistrationMode::Token,
            Some("disabled") => RegistrationMode::Disabled,
            Some("signed_in") => RegistrationMode::SignedIn,
            Some(other) => {
                return Err(format!(
                    "REGISTRATION_MODE: expected open, token, disabled or signed_in, got {other:?}"
                ))
            }
        };
        let signin = signin_settings(&var)?;
        if registration_mode == RegistrationMode::SignedIn && signin.is_none() {
            return Err("REGISTRATION_MODE: signed_in needs dashboard sign-in \
                        (DASHBOARD_OIDC_ISSUER and DASHBOARD_OIDC_CLIENT_ID)"
                .into());
        }
        let policy = match get("REGISTRATION_POLICY") {
            // Unset: no restriction beyond the RFC rules and the settings above, so that
            // open registration keeps behaving as it always has. The documented production
            // policy (docs/protected-registration.md) restricts anonymous callers.
            None => Policy::default(),
            Some(json) => Policy::parse(&json, &scopes_supported)?,
        };
        let token_var = |name: &str| match get(name) {
            None => Ok(None),
            Some(t) if t.chars().count() < MIN_ADMIN_TOKEN_CHARS => Err(format!(
                "{name}: must be at least {MIN_ADMIN_TOKEN_CHARS} characters"
            )),
            Some(t) => Ok(Some(Secret::from_presented(&t))),
        };
        let admin_token = token_var("ADMIN_TOKEN")?;
        let as_api_token = token_var("AS_API_TOKEN")?;
        let rate_limit_period = match get("RATE_LIMIT_PERIOD_SECONDS") {
            None => 60,
            Some(p) => p.parse().map_err(|_| {
                format!("RATE_LIMIT_PERIOD_SECONDS: expected a number of seconds, got {p:?}")
            })?,
        };

        let storage = match get("STORAGE_BACKEND").as_deref() {
            None | Some("d1") => StorageBackend::D1,
            Some("kv") => StorageBackend::Kv,
            Some(other) => {
                return Err(format!("STORAGE_BACKEND: expected d1 or kv, got {other:?}"))
            }
        };
        if storage == StorageBackend::Kv && policy.has_quota() {
            return Err("REGISTRATION_POLICY: max_clients needs STORAGE_BACKEND=d1 \
                 (KV cannot count clients atomically)"
                .into());
        }

        let idle_anonymous_client_days = match get("IDLE_ANONYMOUS_CLIENT_DAYS") {
            None => None,
            Some(d) => match d.parse::<u32>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(format!(
                        "IDLE_ANONYMOUS_CLIENT_DAYS: expected a positive number of days, got {d:?}"
                    ))
                }
            },
        };
        if storage == StorageBackend::Kv && idle_anonymous_client_days.is_some() {
            return Err("IDLE_ANONYMOUS_CLIENT_DAYS needs STORAGE_BACKEND=d1 \
                 (KV keeps no read history)"
                .into());
        }

        let log_requests = match get("LOG_REQUESTS").as_deref() {
            None | Some("all") => LogRequests::All,
            Some("errors") => LogRequests::Errors,
            Some(other) => {
                return Err(format!(
                    "LOG_REQUESTS: expected all or errors, got {other:?}"
                ))
            }
        };

        let ipv6_rate_limit_prefix = match get("RATE_LIMIT_IPV6_PREFIX") {
            None => crate::ratelimit::DEFAULT_IPV6_PREFIX,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if (32..=128).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "RATE_LIMIT_IPV6_PREFIX: expected a prefix length from 32 to 128, got {p:?}"
                    ))
                }
            },
        };
        let audit_retention_days = match get("AUDIT_RETENTION_DAYS") {
            None => DEFAULT_AUDIT_RETENTION_DAYS,
            Some(d) => match d.parse::<u32>() {
                Ok(n) if (MIN_AUDIT_RETENTION_DAYS..=36_500).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "AUDIT_RETENTION_DAYS: expected a number of days from {MIN_AUDIT_RETENTION_DAYS} to 36500, got {d:?}"
                    ))
                }
            },
        };
        let metadata_limits = match get("METADATA_LIMITS") {
            None => MetadataLimits::default(),
            Some(json) => MetadataLimits::parse(&json)?,
        };
        let allow_private_hosts = match get("ALLOW_PRIVATE_HOSTS").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(format!(
                    "ALLOW_PRIVATE_HOSTS: expected true or false, got {other:?}"
                ))
            }
        };

        let projection = match get("PROJECT_CLIENTS").as_deref() {
            None => None,
            Some("workers-oauth-provider") => Some(ProjectionTarget::WorkersOauthProvider),
            Some(other) => {
                return Err(format!(
                    "PROJECT_CLIENTS: expected workers-oauth-provider, got {other:?}"
                ))
            }
        };
        if storage == StorageBackend::Kv && projection.is_some() {
            return Err("PROJECT_CLIENTS needs STORAGE_BACKEND=d1 \
                 (the projection is rebuilt from D1)"
                .into());
        }

        let cimd = match get("CIMD").as_deref() {
            None | Some("off") => None,
            // A build without CIMD refuses "on" (glue); its lists are not read.
            Some("on") if !crate::cimd::CIMD_BUILT => Some(Default::default()),
            Some("on") => Some(crate::cimd::CimdHosts {
                allowed: crate::cimd::CimdHosts::parse_list(
                    "CIMD_ALLOWED_HOSTS",
                    get("CIMD_ALLOWED_HOSTS").as_deref(),
                )?,
                denied: crate::cimd::CimdHosts::parse_list(
                    "CIMD_DENIED_HOSTS",
                    get("CIMD_DENIED_HOSTS").as_deref(),
                )?,
            }),
            Some(other) => return Err(format!("CIMD: expected on or off, got {other:?}")),
        };

        // Uses are seen by the AS API's lookups and, with a projection, by the grants the AS
        // keeps in its namespace (read before each clean-up).
        let uses_seen = as_api_token.is_some() || projection.is_some();
        let unused_client_ttl = match get("UNUSED_CLIENT_TTL").as_deref() {
            None if uses_seen => Some(DEFAULT_UNUSED_CLIENT_TTL),
            None | Some("off" | "0") => None,
            Some(v) => Some(
                parse_duration(v)
                    .filter(|t| *t >= MIN_UNUSED_CLIENT_TTL)
                    .ok_or_else(|| {
                        format!("UNUSED_CLIENT_TTL: expected off or at least 1h (s, m, h, d), got {v:?}")
                    })?,
            ),
        };

        Ok(Config {
            issuer,
            default_scope,
            scopes_supported,
            grant_types_supported,
            rotate_registration_token,
            cors,
            server_metadata,
            hash_key,
            registration_mode,
            policy,
            admin_token,
            as_api_token,
            rate_limit_period,
            storage,
            idle_anonymous_client_days,
            unused_client_ttl,
            log_requests,
            ipv6_rate_limit_prefix,
            audit_retention_days,
            metadata_limits,
            allow_private_hosts,
            projection,
            cimd,
            signin,
        })
    }

    pub fn implicit_enabled(&self) -> bool {
        self.capabilities().implicit_enabled()
    }

    /// What metadata validation needs of the configuration.
    pub fn capabilities(&self) -> Capabilities<'_> {
        Capabilities {
            scopes_supported: &self.scopes_supported,
            default_scope: &self.default_scope,
            grant_types_supported: &self.grant_types_supported,
            metadata_limits: &self.metadata_limits,
            allow_private_hosts: self.allow_private_hosts,
        }
    }

    /// The issuer for a request that arrived at `origin` (used when `ISSUER` is not set).
    pub fn issuer_for(&self, origin: &str) -> String {
        self.issuer.clone().unwrap_or_else(|| origin.to_string())
    }
}

/// The sign-in settings. A Worker built without the `signin` feature leaves the sign-in code out
/// of its wasm (about 30 KB gzip) and refuses the settings.
#[cfg(any(not(target_arch = "wasm32"), feature = "signin"))]
fn signin_settings(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<crate::signin::SignInSettings>, String> {
    crate::signin::SignInSettings::from_vars(var)
}

#[cfg(all(target_arch = "wasm32", not(feature = "signin")))]
fn signin_settings(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<crate::signin::SignInSettings>, String> {
    match var("DASHBOARD_OIDC_ISSUER").is_some_and(|v| !v.trim().is_empty()) {
        true => Err(
            "DASHBOARD_OIDC_ISSUER is set, but this build has no dashboard sign-in; build it \
             with REGISTRAR_FEATURES=signin (docs/dashboard-sign-in.md)"
                .into(),
        ),
        false => Ok(None),
    }
}

/// Seconds of a duration: a number of seconds, or a number followed by `s`, `m`, `h` or `d`.
fn parse_duration(v: &str) -> Option<u32> {
    let (n, unit) = match v.as_bytes().last()? {
        b's' => (&v[..v.len() - 1], 1),
        b'm' => (&v[..v.len() - 1], 60),
        b'h' => (&v[..v.len() - 1], 3_600),
        b'd' => (&v[..v.len() - 1], 86_400),
        _ => (v, 1),
    };
    n.parse::<u32>().ok()?.checked_mul(unit)
}

/// RFC 8414 §2: an https URL (http allowed on loopback for local use) with no query or fragment.
/// Registrar serves its endpoints at the root, so the issuer must not have a path either.
fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = Url::parse(issuer).map_err(|e| format!("ISSUER: {e}"))?;
    let loopback = crate::uri::is_loopback(issuer);
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err("ISSUER: must be https (http only on loopback)".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("ISSUER: must not have a query or fragment".into());
    }
    if url.path() != "/" || issuer.ends_with('/') {
        return Err("ISSUER: must be an origin such as https://auth.example.com (no path, no trailing slash)".into());
    }
    Ok(())
}

impl<'a> From<&'a Config> for Capabilities<'a> {
    fn from(config: &'a Config) -> Self {
        config.capabilities()
    }
}

#[cfg(test)]
mod tests;
