//! The Worker entry point: converts between `worker` types and the pure core. No logic here
//! beyond translation, logging and picking the storage backend.

mod backend;
#[cfg(feature = "cimd")]
mod cimd_fetch;
mod d1_store;
mod js_bridge;
#[cfg(feature = "kv")]
mod kv_store;
#[cfg(feature = "projection")]
mod projection_kv;
#[cfg(feature = "signin")]
mod signin_port;

use crate::config::{Config, StorageBackend};
use crate::error::{ApiError, MAX_BODY_BYTES};
use crate::http::{self, Outcome, Prepared, PreparedAnswers, ReadFrom};
use crate::projection::PROJECTION_RESYNC_CRON;
use crate::ratelimit::{LimitBucket, RateLimiter};
use crate::service::{Registrar, RequestOrigin};
use backend::Backend;
use d1_store::D1Store;
use futures_util::StreamExt;
use js_bridge::RequestFacts;
#[cfg(feature = "kv")]
use kv_store::KvStore;
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    console_log, event, js_sys, web_sys, Context, Date, Env, Request, ScheduleContext,
    ScheduledEvent,
};

/// The Workers Rate Limiting bindings (`[[ratelimits]]` in wrangler.toml); a missing binding
/// does not limit.
struct BindingLimits {
    by_ip: Option<worker::RateLimiter>,
    by_token: Option<worker::RateLimiter>,
    manage_by_ip: Option<worker::RateLimiter>,
    manage_by_client: Option<worker::RateLimiter>,
}

impl BindingLimits {
    fn from_env(env: &Env) -> Self {
        BindingLimits {
            by_ip: env.get_binding("REGISTER_IP_LIMITER").ok(),
            by_token: env.get_binding("REGISTER_TOKEN_LIMITER").ok(),
            manage_by_ip: env.get_binding("MANAGE_IP_LIMITER").ok(),
            manage_by_client: env.get_binding("MANAGE_CLIENT_LIMITER").ok(),
        }
    }
}

impl RateLimiter for BindingLimits {
    async fn allow(&self, bucket: LimitBucket, key: &str) -> bool {
        let limiter = match bucket {
            LimitBucket::RegisterByIp => &self.by_ip,
            LimitBucket::RegisterByToken => &self.by_token,
            LimitBucket::ManageByIp => &self.manage_by_ip,
            LimitBucket::ManageByClient => &self.manage_by_client,
        };
        match limiter {
            // A limiter that fails open: an outage of the limiter must not stop registration.
            Some(l) => l.limit(key.to_string()).await.map_or(true, |o| o.success),
            None => true,
        }
    }
}

#[event(fetch)]
// The request as workerd hands it over: converting it to a `worker::Request` would read its
// method, URL, headers and `cf` object across the boundary, which `RequestFacts` already has.
async fn fetch(
    req: web_sys::Request,
    env: Env,
    _ctx: Context,
) -> worker::Result<web_sys::Response> {
    let started = Date::now().as_millis();
    let facts = RequestFacts::of(&req);
    // Read (and drain) the body whatever the method: answering before the body is consumed can
    // make workerd reset a keep-alive connection.
    let body = read_body_bounded(req, facts.content_length()).await;
    let request = facts.request(&body);

    let config = config(&env);
    let config = match config.as_ref() {
        Ok(config) => config,
        Err(cause) => {
            let outcome = misconfigured(format!("configuration: {cause}"));
            return Ok(send(&request, &outcome, false, started, true));
        }
    };
    let now = (started / 1000) as i64;
    // Sign-in: no storage, the operator's provider (crate::http::signin).
    #[cfg(feature = "signin")]
    if http::signin::is_signin_path(request.path) {
        let port = signin_port::WorkerProvider { now };
        let limits = BindingLimits::from_env(&env);
        let outcome = http::signin::handle(&request, config, &port, &limits, now).await;
        let wants_log =
            config.log_requests.wants(outcome.response.status) || outcome.internal_error.is_some();
        return Ok(send(&request, &outcome, false, started, wants_log));
    }
    #[cfg(not(feature = "signin"))]
    if http::signin::is_signin_path(request.path) {
        let outcome = http::signin::answer_without_signin(
            request.method,
            request.path,
            config,
            request.origin,
        );
        let wants_log = config.log_requests.wants(outcome.response.status);
        return Ok(send(&request, &outcome, false, started, wants_log));
    }
    // Discovery, preflights, 404s and 405s: prepared once per isolate, no storage opened.
    if let Some(prepared) = PREPARED.with(|p| p.borrow_mut().answer(&request, config)) {
        let wants_log = config.log_requests.wants(prepared.status);
        if wants_log {
            let facts = LogFacts::default();
            log(
                request.method,
                prepared.route,
                prepared.status,
                facts,
                started,
            );
        }
        return Ok(js_bridge::store_free_response(
            &prepared,
            request.method,
            wants_log,
        ));
    }
    let limits = BindingLimits::from_env(&env);
    let read_from = http::read_from(request.path);
    let (outcome, session) = match store(config, &env, read_from) {
        Ok(store) => {
            let session = d1_session(&store);
            (
                serve(&request, config, &store, &limits, &env, now).await,
                session,
            )
        }
        Err(cause) => (misconfigured(cause), false),
    };
    let wants_log = config.log_requests.wants(outcome.response.status);
    Ok(send(&request, &outcome, session, started, wants_log))
}

/// Logs the outcome (when `wants_log`) and turns it into the Worker's response.
fn send(
    request: &http::ApiRequest<'_>,
    outcome: &Outcome,
    session: bool,
    started: u64,
    wants_log: bool,
) -> web_sys::Response {
    let status = outcome.response.status;
    if wants_log {
        let facts = LogFacts {
            client_id: outcome.client_id.as_deref(),
            session,
            error: outcome.internal_error.as_deref(),
        };
        log(request.method, outcome.route, status, facts, started);
    }
    js_bridge::response(&Prepared::of(&outcome.response, outcome.route))
}

thread_local! {
    /// The store-free answers of this isolate (src/http/prepared.rs).
    static PREPARED: RefCell<PreparedAnswers> = RefCell::new(PreparedAnswers::default());
}

/// Serves the request with the Worker's document source (fetch, KV cache, per-host limit);
/// with `CIMD` off the core never asks it anything. One source type whatever the setting, so
/// the HTTP layer is compiled once in this build.
#[cfg(feature = "cimd")]
async fn serve<S: crate::store::ClientStore>(
    request: &http::ApiRequest<'_>,
    config: &Config,
    store: &S,
    limits: &BindingLimits,
    env: &Env,
    now: i64,
) -> Outcome {
    match cimd_fetch::WorkerDocuments::from_env(env, config.cimd.is_some()) {
        Ok(docs) => http::handle_with(request, config, store, limits, &docs, now).await,
        Err(cause) => misconfigured(cause),
    }
}

/// Without the `cimd` feature no document code is compiled (wasm size); `CIMD = "on"` is a
/// configuration error.
#[cfg(not(feature = "cimd"))]
async fn serve<S: crate::store::ClientStore>(
    request: &http::ApiRequest<'_>,
    config: &Config,
    store: &S,
    limits: &BindingLimits,
    _env: &Env,
    now: i64,
) -> Outcome {
    if config.cimd.is_some() {
        return misconfigured(
            "CIMD is on, but this build has no client metadata documents; build it with \
             REGISTRAR_FEATURES=cimd (docs/authorization-server.md)"
                .into(),
        );
    }
    http::handle(request, config, store, limits, now).await
}

/// Reads the request body, keeping at most one byte more than the limit (enough for the core to
/// answer 413) and discarding the rest. The body is drained to the end, not abandoned, so a
/// keep-alive client can send its next request on the same connection.
async fn read_body_bounded(req: web_sys::Request, content_length: Option<&str>) -> Vec<u8> {
    // A declared length within the limit is the whole body (HTTP framing holds the sender to it):
    // one read instead of a promise per chunk.
    if let Some(n) = content_length.and_then(|v| v.parse::<usize>().ok()) {
        if n == 0 {
            return Vec::new();
        }
        if n <= MAX_BODY_BYTES {
            // A read that fails midway means the client went away; nobody is left to answer.
            let Ok(promise) = req.array_buffer() else {
                return Vec::new();
            };
            return JsFuture::from(promise)
                .await
                .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
                .unwrap_or_default();
        }
    }
    // An unknown or oversized length: chunk by chunk through worker's stream (the rare path).
    let mut req = Request::from(req);
    let Ok(mut stream) = req.stream() else {
        return Vec::new(); // no body at all
    };
    let mut body = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = (MAX_BODY_BYTES + 1).saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    body
}

thread_local! {
    /// The configuration, built from the Worker's variables once per isolate: they cannot change
    /// while it lives (a new deployment or `wrangler dev` reload is a new isolate).
    static CONFIG: OnceCell<Rc<Result<Config, String>>> = const { OnceCell::new() };
}

fn config(env: &Env) -> Rc<Result<Config, String>> {
    CONFIG.with(|cell| {
        cell.get_or_init(|| {
            Rc::new(Config::from_vars(|name| {
                env.var(name).ok().map(|v| v.to_string())
            }))
        })
        .clone()
    })
}

/// The store: the backend `STORAGE_BACKEND` selects, behind the projection `PROJECT_CLIENTS`
/// configures; or which binding is missing.
#[cfg(feature = "projection")]
fn store(
    config: &Config,
    env: &Env,
    read_from: ReadFrom,
) -> Result<crate::projection::Projecting<Backend, projection_kv::KvNamespace>, String> {
    let store = backend(config, env, read_from)?;
    let kv = match config.projection {
        None => None,
        Some(_) => Some(projection_kv::KvNamespace(
            env.kv("OAUTH_KV")
                .map_err(|e| format!("PROJECT_CLIENTS: KV binding OAUTH_KV: {e}"))?,
        )),
    };
    Ok(crate::projection::Projecting { store, kv })
}

/// Whether the request's store reads D1 through a session (for the request log).
#[cfg(feature = "projection")]
fn d1_session(store: &crate::projection::Projecting<Backend, projection_kv::KvNamespace>) -> bool {
    store.store.is_d1_session()
}

/// Without the `projection` feature the store is the backend alone: no wrapper is compiled
/// (it would cost wasm size for nothing).
#[cfg(not(feature = "projection"))]
fn store(config: &Config, env: &Env, read_from: ReadFrom) -> Result<Backend, String> {
    if config.projection.is_some() {
        return Err(
            "PROJECT_CLIENTS is set, but this build has no projection; build it \
             with REGISTRAR_FEATURES=projection (docs/authorization-server.md)"
                .into(),
        );
    }
    backend(config, env, read_from)
}

#[cfg(not(feature = "projection"))]
fn d1_session(store: &Backend) -> bool {
    store.is_d1_session()
}

/// The store `STORAGE_BACKEND` selects, or which binding is missing. On D1, `read_from` picks
/// the primary or a session (KV has no such choice).
fn backend(config: &Config, env: &Env, read_from: ReadFrom) -> Result<Backend, String> {
    match config.storage {
        StorageBackend::D1 => env
            .d1("DB")
            .map(|db| Backend::D1(D1Store::new(db, read_from == ReadFrom::Session)))
            .map_err(|e| format!("D1 binding DB: {e}")),
        #[cfg(feature = "kv")]
        StorageBackend::Kv => env
            .kv("CLIENTS_KV")
            .map(|kv| Backend::Kv(KvStore::new(kv, config.audit_retention_days)))
            .map_err(|e| format!("KV binding CLIENTS_KV: {e}")),
        #[cfg(not(feature = "kv"))]
        StorageBackend::Kv => Err(
            "STORAGE_BACKEND: kv, but this build has no KV backend; build it with \
             REGISTRAR_FEATURES=kv (docs/storage.md)"
                .into(),
        ),
    }
}

/// The cron triggers (wrangler.toml `[triggers]`): the daily clean-up followed by a projection
/// resync, or (`PROJECTION_RESYNC_CRON`) the resync alone; one log line.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = (Date::now().as_millis() / 1000) as i64;
    let config = config(&env);
    let config = match config.as_ref() {
        Ok(c) => c,
        Err(cause) => {
            console_log!(
                "{}",
                serde_json::json!({"scheduled": "cleanup", "error": cause})
            );
            return;
        }
    };
    let origin = RequestOrigin {
        request_id: format!("scheduled-{now}"),
        ip_hash: None,
        ip_limit_key: None,
        admin_actor: None,
    };
    let store = match store(config, &env, ReadFrom::Primary) {
        Ok(store) => store,
        Err(cause) => {
            console_log!(
                "{}",
                serde_json::json!({"scheduled": "cleanup", "error": cause})
            );
            return;
        }
    };
    let registrar = Registrar {
        config,
        store: &store,
        issuer: config.issuer.clone().unwrap_or_default(),
        now,
        origin,
    };
    let mut line = serde_json::json!({ "scheduled": "projection" });
    if event.cron() != PROJECTION_RESYNC_CRON {
        line["scheduled"] = "cleanup".into();
        match registrar.scheduled_cleanup().await {
            Ok(r) => {
                line["expired_tokens"] = r.expired_tokens.into();
                line["idle_clients"] = r.idle_clients.into();
                line["pruned_events"] = r.pruned_events.into();
                line["unused_clients"] = r.unused_clients.into();
                if let Some(n) = r.used_by_grants {
                    line["used_by_grants"] = n.into();
                }
            }
            Err(e) => line["error"] = e.to_string().into(),
        }
    }
    // After the clean-up, whose removals the projection has not seen yet; every few minutes
    // only to repair a write that failed.
    let resync = if line["scheduled"] == "projection" {
        registrar.scheduled_projection_repair().await
    } else {
        registrar.resync_projection("system").await
    };
    match resync {
        Ok(None) if line["scheduled"] == "projection" => return, // nothing configured, no line
        Ok(None) => {}
        Ok(Some(r)) => line["projection"] = r.to_json(),
        Err(e) => line["projection"] = serde_json::json!({ "error": e.to_string() }),
    }
    log_line(&line);
}

/// Writes one JSON log line (serialized straight into a buffer, not through `Display`).
fn log_line(line: &serde_json::Value) {
    let text = serde_json::to_string(line).unwrap_or_default();
    web_sys::console::log_1(&text.into());
}

fn misconfigured(cause: String) -> Outcome {
    let error = ApiError::Internal(cause.clone());
    let mut response = http::error_response(&error);
    response.headers.push(("Cache-Control", "no-store".into()));
    Outcome {
        response,
        route: "unconfigured",
        client_id: None,
        internal_error: Some(cause),
    }
}

/// What a request's log line says besides method, route and status.
#[derive(Default)]
struct LogFacts<'a> {
    client_id: Option<&'a str>,
    /// D1 was read through a session (possibly a replica).
    session: bool,
    /// The cause of a 500.
    error: Option<&'a str>,
}

/// One structured line per request for `wrangler tail` / Workers Logs. Never a token or secret:
/// only the route template, status, client id, `"d1": "session"` when D1 was read through a
/// session (possibly a replica), and the cause of a 500.
fn log(method: &str, route: &str, status: u16, facts: LogFacts<'_>, started: u64) {
    let mut line = serde_json::json!({
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": Date::now().as_millis().saturating_sub(started),
    });
    if let Some(id) = facts.client_id {
        line["client_id"] = id.into();
    }
    if facts.session {
        line["d1"] = "session".into();
    }
    if let Some(cause) = facts.error {
        line["error"] = cause.into();
    }
    log_line(&line);
}
