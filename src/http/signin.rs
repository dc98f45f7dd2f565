//! The sign-in endpoints under `/dashboard` (docs/dashboard-sign-in.md):
//! - `GET /dashboard/signin?return_to=/path`: to the provider, with a sealed sign-in cookie;
//! - `GET /dashboard/callback`: the provider's answer → the session cookie → back to the page;
//! - `GET /dashboard/session`: who is signed in, and the CSRF token of the session;
//! - `POST /dashboard/signout`: clears the session (same origin, with the CSRF token); when the
//!   provider offers RP-initiated logout, the answer also says where to end the provider's
//!   session (`{"end_session_url"}`), which the dashboard then opens.
//!
//! A failed sign-in goes back to the dashboard with `?signin_error=<reason>`, one word that
//! gives nothing away; the cause is in the log line.

use super::responses::add_safety_headers;
use super::{ApiRequest, ApiResponse, Outcome};
use crate::config::Config;
use crate::error::ApiError;
use crate::ratelimit::{LimitBucket, RateLimiter};
use crate::signin::flow::{self, Callback, PendingSignIn, CALLBACK_PATH, SIGNIN_SECONDS};
use crate::signin::id_token::{self, Expected};
use crate::signin::provider::{self, Provider, ProviderPort};
use crate::signin::seal;
use crate::signin::session::{
    cookie, set_cookie, Session, SESSION_COOKIE, SESSION_PATH, SIGNIN_COOKIE,
};
use crate::signin::SignInSettings;
use crate::token::{self, HashKey, Purpose, Secret};
use serde_json::{json, Value};

/// Whether `path` is one of the sign-in endpoints (the glue routes them here).
pub fn is_signin_path(path: &str) -> bool {
    matches!(
        path,
        "/dashboard/signin" | "/dashboard/callback" | "/dashboard/session" | "/dashboard/signout"
    )
}

/// Answers a request for one of the paths of [`is_signin_path`], with the headers of every
/// answer of the API.
pub async fn handle<P: ProviderPort, L: RateLimiter>(
    req: &ApiRequest<'_>,
    config: &Config,
    port: &P,
    limits: &L,
    now: i64,
) -> Outcome {
    let mut outcome = respond(req, config, port, limits, now).await;
    add_safety_headers(&mut outcome.response, None, &config.issuer_for(req.origin));
    outcome
}

async fn respond<P: ProviderPort, L: RateLimiter>(
    req: &ApiRequest<'_>,
    config: &Config,
    port: &P,
    limits: &L,
    now: i64,
) -> Outcome {
    let Some(settings) = config.signin.as_ref() else {
        return without_signin(req.method, req.path);
    };
    let key = &config.hash_key;
    let route = route_of(req.path);
    if req.method != allowed(req.path) {
        return without_signin(req.method, req.path);
    }
    // Starting a sign-in and finishing one make the Worker call the provider: limited per client
    // network, as RFC 7592 requests are, so nobody can make it hammer the provider.
    if matches!(req.path, "/dashboard/signin" | "/dashboard/callback") {
        let network = super::ip_keys(config, req.client_ip).1;
        let network = network.as_deref().unwrap_or("unknown");
        if !limits.allow(LimitBucket::ManageByIp, network).await {
            let e = ApiError::TooManyRequests(config.rate_limit_period);
            return outcome(route, refusal(&e), None);
        }
    }
    // Only the session and sign-out endpoints read the session cookie.
    let session =
        || cookie(req.cookie, SESSION_COOKIE).and_then(|c| Session::open(key, settings, c, now));
    match req.path {
        "/dashboard/signin" => start(req, settings, key, port, now, route).await,
        "/dashboard/callback" => finish(req, settings, key, port, now, route).await,
        "/dashboard/session" => {
            let body = match session() {
                None => json!({"sign_in": true, "signed_in": false}),
                Some(s) => {
                    let mut b = json!({
                        "sign_in": true, "signed_in": true, "admin": s.admin,
                        "csrf": s.csrf, "expires_at": s.exp,
                    });
                    // No `null` in an answer: a provider that gives no name leaves it out.
                    if let Some(name) = s.name {
                        b["name"] = name.into();
                    }
                    b
                }
            };
            outcome(route, answer(200, Some(body)), None)
        }
        _ => {
            if !same_origin(req) {
                return outcome(
                    route,
                    forbidden("the request must come from this origin"),
                    None,
                );
            }
            let signed_in = session();
            if signed_in
                .as_ref()
                .is_some_and(|s| !s.csrf_matches(req.csrf))
            {
                return outcome(route, forbidden("the CSRF token is missing or wrong"), None);
            }
            // Only a person with a session is sent to the provider's logout; the discovery
            // document is the kept one (at most one fetch per isolate in 10 minutes).
            let end_session = match signed_in {
                Some(_) => end_session_url(req, settings, port).await,
                None => None,
            };
            let mut r = match end_session {
                Some(url) => answer(200, Some(json!({ "end_session_url": url }))),
                None => answer(204, None),
            };
            r.headers.push((
                "Set-Cookie",
                set_cookie(SESSION_COOKIE, "", SESSION_PATH, 0),
            ));
            outcome(route, r, None)
        }
    }
}

fn route_of(path: &str) -> &'static str {
    match path {
        "/dashboard/signin" => "GET /dashboard/signin",
        "/dashboard/callback" => "GET /dashboard/callback",
        "/dashboard/session" => "GET /dashboard/session",
        _ => "POST /dashboard/signout",
    }
}

fn allowed(path: &str) -> &'static str {
    match path {
        "/dashboard/signout" => "POST",
        _ => "GET",
    }
}

/// [`without_signin`] for a build without the feature, with the headers of every API answer.
pub fn answer_without_signin(method: &str, path: &str, config: &Config, origin: &str) -> Outcome {
    let mut outcome = without_signin(method, path);
    add_safety_headers(&mut outcome.response, None, &config.issuer_for(origin));
    outcome
}

/// The answer of a sign-in path when there is no sign-in (no settings, or a build without the
/// feature), and the 405 of a wrong method: the session endpoint says there is no sign-in, so
/// the dashboard stays anonymous without an error in the browser's console.
fn without_signin(method: &str, path: &str) -> Outcome {
    let route = route_of(path);
    let allow = allowed(path);
    if method != allow {
        return outcome(route, refusal(&ApiError::MethodNotAllowed(allow)), None);
    }
    let r = match path {
        "/dashboard/session" => answer(200, Some(json!({"sign_in": false}))),
        _ => refusal(&ApiError::NotFound(
            "dashboard sign-in is not configured on this server",
        )),
    };
    outcome(route, r, None)
}

/// A request that changes something must come from this origin: its `Origin` header equals it.
pub fn same_origin(req: &ApiRequest<'_>) -> bool {
    req.request_origin == Some(req.origin)
}

fn callback_uri(req: &ApiRequest<'_>) -> String {
    format!("{}{CALLBACK_PATH}", req.origin)
}

async fn provider_of<P: ProviderPort>(
    settings: &SignInSettings,
    port: &P,
) -> Result<Provider, String> {
    let doc = port
        .document(&provider::discovery_url(&settings.issuer), false)
        .await?;
    provider::parse(&doc, &settings.issuer)
}

/// The provider's logout request for this dashboard, if its discovery document has an
/// `end_session_endpoint`. A provider that cannot be reached now gets none: the person is
/// still signed out of the dashboard.
async fn end_session_url<P: ProviderPort>(
    req: &ApiRequest<'_>,
    settings: &SignInSettings,
    port: &P,
) -> Option<String> {
    let endpoint = provider_of(settings, port)
        .await
        .ok()?
        .end_session_endpoint?;
    let back = format!("{}{}", req.origin, flow::POST_LOGOUT_PATH);
    Some(flow::end_session_url(settings, &endpoint, &back))
}

async fn start<P: ProviderPort>(
    req: &ApiRequest<'_>,
    settings: &SignInSettings,
    key: &HashKey,
    port: &P,
    now: i64,
    route: &'static str,
) -> Outcome {
    let provider = match provider_of(settings, port).await {
        Ok(p) => p,
        Err(e) => return failed(route, "unavailable", format!("sign-in: provider: {e}")),
    };
    let fresh = || token::random_id().map_err(|e| format!("{e:?}"));
    let (state, nonce, verifier) = match (fresh(), fresh(), Secret::generate()) {
        (Ok(s), Ok(n), Ok(v)) => (s, n, v.expose().to_string()),
        _ => return failed(route, "unavailable", "sign-in: no randomness".into()),
    };
    let return_to = url::form_urlencoded::parse(req.query.as_bytes())
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned());
    let pending = PendingSignIn {
        state,
        nonce,
        verifier,
        return_to: flow::return_path(return_to.as_deref()),
        exp: now + SIGNIN_SECONDS,
    };
    let location = flow::authorization_url(settings, &provider, &callback_uri(req), &pending);
    let sealed = seal::seal(key, Purpose::SignInCookie, &pending);
    let mut r = answer(302, None);
    r.headers.push(("Location", location));
    r.headers.push((
        "Set-Cookie",
        set_cookie(SIGNIN_COOKIE, &sealed, CALLBACK_PATH, SIGNIN_SECONDS),
    ));
    outcome(route, r, None)
}

async fn finish<P: ProviderPort>(
    req: &ApiRequest<'_>,
    settings: &SignInSettings,
    key: &HashKey,
    port: &P,
    now: i64,
    route: &'static str,
) -> Outcome {
    let Some(pending) = cookie(req.cookie, SIGNIN_COOKIE)
        .and_then(|c| seal::open::<PendingSignIn>(key, Purpose::SignInCookie, c, now))
    else {
        return failed(
            route,
            "expired",
            "sign-in: no pending sign-in (cookie missing, forged or expired)".into(),
        );
    };
    let code = match flow::read_callback(req.query, &pending) {
        Ok(Callback::Code(c)) => c,
        Ok(Callback::Refused(e)) => {
            return failed(
                route,
                "declined",
                format!("sign-in: the provider answered {e}"),
            )
        }
        Err(e) => return failed(route, "state", format!("sign-in: {e}")),
    };
    let provider = match provider_of(settings, port).await {
        Ok(p) => p,
        Err(e) => return failed(route, "unavailable", format!("sign-in: provider: {e}")),
    };
    let (body, auth) = flow::token_request(settings, &code, &callback_uri(req), &pending.verifier);
    let id_token = match port
        .post_form(&provider.token_endpoint, &body, auth.as_deref())
        .await
        .and_then(|(status, body)| flow::id_token_of(status, &body))
    {
        Ok(t) => t,
        Err(e) => return failed(route, "token", format!("sign-in: {e}")),
    };
    let expected = Expected {
        issuer: &settings.issuer,
        client_id: &settings.client_id,
        nonce: &pending.nonce,
        now,
        algs: &provider.id_token_algs,
    };
    let who = match verify_with_keys(&id_token, &provider, port, &expected).await {
        Ok(who) => who,
        Err(e) => return failed(route, "id_token", format!("sign-in: {e}")),
    };
    let Ok(csrf) = token::random_id() else {
        return failed(route, "unavailable", "sign-in: no randomness".into());
    };
    let session = Session::start(settings, who, csrf, now);
    let mut r = answer(302, None);
    r.headers.push(("Location", pending.return_to));
    r.headers.push((
        "Set-Cookie",
        set_cookie(
            SESSION_COOKIE,
            &session.seal(key),
            SESSION_PATH,
            settings.session_seconds,
        ),
    ));
    r.headers.push((
        "Set-Cookie",
        set_cookie(SIGNIN_COOKIE, "", CALLBACK_PATH, 0),
    ));
    outcome(route, r, None)
}

/// Verifies with the kept JWK set, and once more with a fresh one when no kept key fits (the
/// provider rotated its keys).
async fn verify_with_keys<P: ProviderPort>(
    id_token: &str,
    provider: &Provider,
    port: &P,
    expected: &Expected<'_>,
) -> Result<id_token::Identity, String> {
    let keys = port.document(&provider.jwks_uri, false).await?;
    match id_token::verify(id_token, &keys, port, expected).await {
        Err(e) if e.starts_with("no key of the provider fits") => {
            let keys = port.document(&provider.jwks_uri, true).await?;
            id_token::verify(id_token, &keys, port, expected).await
        }
        other => other,
    }
}

/// An answer; [`handle`] and [`answer_without_signin`] add the headers of every API answer.
fn answer(status: u16, body: Option<Value>) -> ApiResponse {
    let headers = match body {
        Some(_) => vec![("Content-Type", "application/json".to_string())],
        None => Vec::new(),
    };
    ApiResponse {
        status,
        headers,
        body,
    }
}

/// An error in the API's one wire form (`{"error", "error_description"}`, with `Allow` on 405 and
/// `Retry-After` on 429).
fn refusal(e: &ApiError) -> ApiResponse {
    let mut r = answer(e.status(), Some(e.body()));
    r.headers.extend(e.headers());
    r
}

fn forbidden(why: &str) -> ApiResponse {
    refusal(&ApiError::AccessDenied(why.into()))
}

/// Back to the dashboard with the reason, and the pending sign-in cleared.
fn failed(route: &'static str, reason: &str, cause: String) -> Outcome {
    let mut r = answer(302, None);
    r.headers
        .push(("Location", format!("/?signin_error={reason}")));
    r.headers.push((
        "Set-Cookie",
        set_cookie(SIGNIN_COOKIE, "", CALLBACK_PATH, 0),
    ));
    outcome(route, r, Some(cause))
}

fn outcome(route: &'static str, response: ApiResponse, cause: Option<String>) -> Outcome {
    Outcome {
        response,
        route,
        client_id: None,
        internal_error: cause,
    }
}
