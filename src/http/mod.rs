//! HTTP semantics of the API, kept pure so host tests cover them: routing, methods, CORS,
//! content type, body limit, status codes and headers. The Worker layer only converts a
//! `worker::Request` into [`ApiRequest`] and an [`ApiResponse`] back.

mod admin;
mod as_api;
pub mod dashboard;
mod endpoints;
mod prepared;
mod responses;
pub mod signin;

pub use prepared::{Prepared, PreparedAnswers, PREPARED_CAPACITY};

use crate::config::Config;
use crate::discovery;
use crate::error::{ApiError, MAX_BODY_BYTES};
use crate::ratelimit::{network_key, LimitBucket};
pub use crate::ratelimit::{NoLimits, RateLimiter};
use crate::service::{Registrar, RequestOrigin};
use crate::store::ClientStore;
use crate::token::{self, Purpose, Secret};
use endpoints::{manage, register, validate};
pub use responses::error_response;
use responses::{add_common_headers, Reply};
use serde_json::Value;

/// Longest request id kept for the audit log: `CF-Ray` is 20 characters; anything longer was not
/// set by Cloudflare and is cut (and limited to printable ASCII).
const MAX_REQUEST_ID_CHARS: usize = 64;

pub const REGISTER_PATH: &str = "/register";
pub const VALIDATE_PATH: &str = "/metadata/validate";
const DISCOVERY_PATHS: &[&str] = &[
    "/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration",
];

#[derive(Debug, Clone)]
pub struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// `scheme://host[:port]` the request arrived at; the issuer when `ISSUER` is not set.
    pub origin: &'a str,
    /// The query string, without `?` (admin list filters).
    pub query: &'a str,
    /// The `Origin` request header, for CORS with a list of allowed origins.
    pub request_origin: Option<&'a str>,
    /// `CF-Connecting-IP`: rate limits and (hashed) the audit log.
    pub client_ip: Option<&'a str>,
    /// `CF-Ray`, the request id in the audit log; a random one when absent.
    pub request_id: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
    /// `Cookie`, read under `/dashboard/` only: the sign-in session (docs/dashboard-sign-in.md).
    pub cookie: Option<&'a str>,
    /// `X-Registrar-CSRF`, under `/dashboard/` only: the session's CSRF token.
    pub csrf: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// A JSON body, or none (204, HEAD).
    pub body: Option<Value>,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The response plus what the request log line needs.
#[derive(Debug)]
pub struct Outcome {
    pub response: ApiResponse,
    /// The route template, e.g. `GET /register/{client_id}`; never the raw path.
    pub route: &'static str,
    pub client_id: Option<String>,
    /// The internal cause of a 500, for the log only.
    pub internal_error: Option<String>,
}

/// Where a request's D1 reads go (docs/authorization-server.md, "What lookups write;
/// consistency"). The Worker opens the store accordingly before [`handle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// The primary database: every committed write is seen.
    Primary,
    /// A D1 Sessions API session starting `first-unconstrained`: the first read may be served by
    /// a read replica behind the primary by its replication lag; writes go to the primary.
    Session,
}

/// Where the reads of a request to `path` go: only `GET /as/v1/clients/{id}` and
/// `POST /as/v1/clients/{id}/authorization-check` use a session, every other route the primary.
/// (A wrong method is answered before any read, so the method does not matter.)
pub fn read_from(path: &str) -> ReadFrom {
    match path
        .strip_prefix("/as/v1/")
        .and_then(as_api::AsRoute::parse)
    {
        Some(route) => route.read_from(),
        None => ReadFrom::Primary,
    }
}

enum Route<'a> {
    Register,
    Validate,
    Client(&'a str),
    Discovery,
    Admin(admin::AdminRoute<'a>),
    /// A signed-in person's endpoints (`/dashboard/...`, not the sign-in paths).
    Dashboard(dashboard::DashboardRoute<'a>),
    /// The authorization server API (`/as/v1/`).
    As(as_api::AsRoute<'a>),
    Unknown,
}

impl Route<'_> {
    fn parse(path: &str) -> Route<'_> {
        if path == REGISTER_PATH {
            return Route::Register;
        }
        if let Some(rest) = path.strip_prefix("/admin/") {
            return admin::AdminRoute::parse(rest).map_or(Route::Unknown, Route::Admin);
        }
        if let Some(rest) = path
            .strip_prefix("/dashboard/")
            .filter(|_| crate::signin::SIGNIN_BUILT)
        {
            return dashboard::DashboardRoute::parse(rest).map_or(Route::Unknown, Route::Dashboard);
        }
        if let Some(rest) = path.strip_prefix("/as/v1/") {
            return as_api::AsRoute::parse(rest).map_or(Route::Unknown, Route::As);
        }
        if path == VALIDATE_PATH {
            return Route::Validate;
        }
        if DISCOVERY_PATHS.contains(&path) {
            return Route::Discovery;
        }
        match path.strip_prefix("/register/") {
            Some(id) if !id.is_empty() && !id.contains('/') => Route::Client(id),
            _ => Route::Unknown,
        }
    }

    /// What a store-free answer depends on besides method and origins: the kind of route, not
    /// the path (every client path, every unknown path answers alike). `None`: not store-free.
    fn kind(&self) -> Option<char> {
        Some(match self {
            Route::Register => 'r',
            Route::Validate => 'v',
            Route::Client(_) => 'c',
            Route::Discovery => 'd',
            Route::Unknown => 'u',
            Route::Admin(_) | Route::As(_) | Route::Dashboard(_) => return None,
        })
    }

    fn allow(&self) -> &'static str {
        match self {
            Route::Register => "POST, OPTIONS",
            Route::Validate => "GET, POST, OPTIONS",
            Route::Client(_) => "GET, PUT, DELETE, OPTIONS",
            Route::Discovery => "GET, HEAD, OPTIONS",
            Route::Admin(a) => a.allow(),
            Route::Dashboard(d) => d.allow(),
            Route::As(a) => a.allow(),
            Route::Unknown => "",
        }
    }
}

/// `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive).
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_start();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// `application/json`, with any parameters (`; charset=utf-8`).
fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

pub(crate) fn check_json_body(req: &ApiRequest) -> Result<(), ApiError> {
    if req.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if !is_json(req.content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(())
}

/// Serves one API request. Never panics on client input; every error has a JSON body.
pub async fn handle<S: ClientStore, L: RateLimiter>(
    req: &ApiRequest<'_>,
    config: &Config,
    store: &S,
    limits: &L,
    now: i64,
) -> Outcome {
    handle_with(req, config, store, limits, &crate::cimd::NoDocuments, now).await
}

/// [`handle`] with a source of client metadata documents (`CIMD = "on"`, src/cimd.rs).
pub async fn handle_with<S: ClientStore, L: RateLimiter, D: crate::cimd::DocumentSource>(
    req: &ApiRequest<'_>,
    config: &Config,
    store: &S,
    limits: &L,
    docs: &D,
    now: i64,
) -> Outcome {
    let route = Route::parse(req.path);
    let issuer = config.issuer_for(req.origin);
    if let Some((label, result)) = without_store(&route, req.method, config, &issuer) {
        return finish(req, config, &route, &issuer, label, None, result);
    }
    let request_id = match req.request_id {
        Some(id) if !id.is_empty() => id
            .chars()
            .filter(char::is_ascii_graphic)
            .take(MAX_REQUEST_ID_CHARS)
            .collect(),
        _ => token::random_id().unwrap_or_default(),
    };
    // Only routes that write audit events or count against a rate limit need the hashes (two
    // HMACs); discovery, preflights and unknown paths do without.
    let needs_ip = matches!(
        route,
        Route::Register
            | Route::Validate
            | Route::Client(_)
            | Route::Admin(_)
            | Route::Dashboard(_)
    );
    let (ip_hash, ip_limit_key) = ip_keys(config, req.client_ip.filter(|_| needs_ip));
    // A Worker built without sign-in never parses a dashboard route (`signin::SIGNIN_BUILT`);
    // its code is left out of that build at compile time (an unreachable await would still be
    // compiled into this function's state machine: 8 KB gzip).
    let session: Option<crate::signin::session::Session> = match route {
        #[cfg(any(not(target_arch = "wasm32"), feature = "signin"))]
        Route::Dashboard(_) => dashboard::session_of(config, req, now),
        _ => None,
    };
    let registrar = Registrar {
        config,
        store,
        issuer: issuer.clone(),
        now,
        origin: RequestOrigin {
            request_id,
            ip_hash,
            ip_limit_key,
            // A signed-in admin acts as themself in the audit log.
            admin_actor: session
                .as_ref()
                .map(|s| crate::admin::Person::actor_for(&s.sub)),
        },
    };
    let token = bearer(req.authorization);
    let method = req.method;

    let (label, client_id, result): (&'static str, Option<&str>, Result<Reply, ApiError>) =
        match (&route, method) {
            (Route::Admin(admin_route), _) => {
                let auth = admin::AdminAuth::Bearer(token);
                let (label, id, r) = admin::handle(&registrar, docs, admin_route, req, auth).await;
                (label, id, r.map(Reply::Json))
            }
            #[cfg(any(not(target_arch = "wasm32"), feature = "signin"))]
            (Route::Dashboard(route), _) => {
                let (label, id, r) =
                    dashboard::handle(&registrar, limits, docs, route, req, session.as_ref()).await;
                (label, id, r.map(Reply::Json))
            }
            (Route::As(as_route), _) => {
                let (label, id, r) = as_api::handle(&registrar, docs, as_route, req, token).await;
                (label, id, r.map(|v| Reply::Json((200, Some(v)))))
            }
            (Route::Register, "POST") => {
                let r = match check_json_body(req) {
                    Ok(()) => register(&registrar, limits, token, req.body).await,
                    Err(e) => Err(e),
                };
                ("POST /register", None, r.map(Reply::Created))
            }
            (Route::Validate, "POST" | "GET") => {
                let label = match method {
                    "GET" => "GET /metadata/validate",
                    _ => "POST /metadata/validate",
                };
                (label, None, validate(&registrar, limits, docs, req).await)
            }
            (Route::Client(id), "GET" | "PUT" | "DELETE") => {
                let r = manage(&registrar, limits, id, method, token, req).await;
                let label = match method {
                    "GET" => "GET /register/{client_id}",
                    "PUT" => "PUT /register/{client_id}",
                    _ => "DELETE /register/{client_id}",
                };
                (label, Some(*id), r)
            }
            // Every other pair is answered by `without_store`.
            (r, _) => (
                "method not allowed",
                None,
                Err(ApiError::MethodNotAllowed(r.allow())),
            ),
        };
    finish(req, config, &route, &issuer, label, client_id, result)
}

/// The keyed hashes of a client address: of the whole address (the audit log's `ip_hash`) and of
/// its network as rate limits key it (`ratelimit::network_key`: an IPv6 address cut to its
/// prefix). `None`s without an address.
pub(crate) fn ip_keys(
    config: &Config,
    client_ip: Option<&str>,
) -> (Option<String>, Option<String>) {
    let Some(ip) = client_ip else {
        return (None, None);
    };
    let short_hash = |value: &str| {
        let h = config
            .hash_key
            .hash(Purpose::ClientIp, "", &Secret::from_presented(value));
        h.as_stored()[..16].to_string()
    };
    let whole = short_hash(ip);
    let network = network_key(ip, config.ipv6_rate_limit_prefix);
    // An IPv4 address is its own network: one HMAC serves both.
    let limit = if network == ip {
        whole.clone()
    } else {
        short_hash(&network)
    };
    (Some(whole), Some(limit))
}

/// `handle`'s answer when it needs no storage, rate limits or client metadata documents, so
/// the Worker opens none of them for it (each costs calls into the runtime per request).
pub fn answer_without_store(req: &ApiRequest<'_>, config: &Config) -> Option<Outcome> {
    let route = Route::parse(req.path);
    let issuer = config.issuer_for(req.origin);
    let (label, result) = without_store(&route, req.method, config, &issuer)?;
    Some(finish(req, config, &route, &issuer, label, None, result))
}

/// Whether `method` on `route` is answered without storage: discovery, CORS preflights,
/// unknown paths and methods a route does not have (the admin and AS APIs answer their own
/// preflights and methods).
fn store_free(route: &Route, method: &str) -> bool {
    !matches!(
        (route, method),
        (Route::Admin(_) | Route::As(_) | Route::Dashboard(_), _)
            | (Route::Register | Route::Validate, "POST")
            | (Route::Validate, "GET")
            | (Route::Client(_), "GET" | "PUT" | "DELETE")
    )
}

/// The answers [`store_free`] allows.
fn without_store(
    route: &Route,
    method: &str,
    config: &Config,
    issuer: &str,
) -> Option<(&'static str, Result<Reply, ApiError>)> {
    if !store_free(route, method) {
        return None;
    }
    Some(match (route, method) {
        (Route::Unknown, _) => ("unknown", Err(ApiError::NotFound("no such endpoint"))),
        (_, "OPTIONS") => ("OPTIONS (preflight)", Ok(Reply::Preflight)),
        (Route::Discovery, "GET" | "HEAD") => (
            "GET discovery",
            Ok(Reply::Discovery(discovery::document(config, issuer))),
        ),
        (r, _) => (
            "method not allowed",
            Err(ApiError::MethodNotAllowed(r.allow())),
        ),
    })
}

/// The response for `result`, with the headers every answer carries, and the log's facts.
fn finish(
    req: &ApiRequest<'_>,
    config: &Config,
    route: &Route,
    issuer: &str,
    label: &'static str,
    client_id: Option<&str>,
    result: Result<Reply, ApiError>,
) -> Outcome {
    let (mut response, internal_error) = match result {
        Ok(reply) => (reply.into_response(route), None),
        Err(e) => {
            let response = error_response(&e);
            match e {
                ApiError::Internal(cause) => (response, Some(cause)),
                _ => (response, None),
            }
        }
    };
    add_common_headers(&mut response, config, route, req.request_origin, issuer);
    if req.method == "HEAD" {
        response.body = None;
    }
    Outcome {
        response,
        route: label,
        client_id: client_id.map(str::to_string),
        internal_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parses_case_insensitively_and_refuses_junk() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer")), None);
        assert_eq!(bearer(Some("Bearer a b")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn json_media_type_allows_parameters() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("application/jsonx")));
        assert!(!is_json(None));
    }
}
