//! The dashboard's session endpoints through the HTTP core (src/http/dashboard.rs): "My clients",
//! registering and managing owned clients, claiming, and the admin API for signed-in admins,
//! each refused without a session, from another origin, without the CSRF token, or (admin) for a
//! person who is not an admin. The session cookie is sealed as the sign-in endpoints seal it.

mod common;

use common::{block_on, config_with, ISSUER};
use registrar::config::Config;
use registrar::http::{handle, ApiRequest, ApiResponse};
use registrar::ratelimit::NoLimits;
use registrar::signin::session::Session;
use registrar::store::memory::MemoryStore;
use registrar::store::{AuditFilter, ClientStore};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;
const OP: &str = "https://op.example";

fn config(extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("DASHBOARD_OIDC_ISSUER", OP),
        ("DASHBOARD_OIDC_CLIENT_ID", "dashboard"),
    ];
    vars.extend_from_slice(extra);
    config_with(&vars)
}

fn cookie(cfg: &Config, sub: &str, admin: bool) -> String {
    let s = Session {
        iss: OP.into(),
        sub: sub.into(),
        name: None,
        admin,
        csrf: format!("csrf-of-{sub}"),
        exp: NOW + 600,
    };
    format!("__Secure-registrar-session={}", s.seal(&cfg.hash_key))
}

struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    cookie: Option<&'a str>,
    origin: Option<&'a str>,
    csrf: Option<String>,
    body: Value,
}

fn call(cfg: &Config, store: &MemoryStore, c: Call<'_>) -> ApiResponse {
    let body = if c.body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(&c.body).unwrap()
    };
    let req = ApiRequest {
        method: c.method,
        path: c.path,
        origin: ISSUER,
        query: c.query,
        request_origin: c.origin,
        client_ip: None,
        request_id: None,
        content_type: Some("application/json"),
        authorization: None,
        body: &body,
        cookie: c.cookie,
        csrf: c.csrf.as_deref(),
    };
    block_on(handle(&req, cfg, store, &NoLimits, NOW)).response
}

/// A request without `Origin` or CSRF token (a GET, or a caller that is not the dashboard).
fn plain<'a>(method: &'a str, path: &'a str, cookie: Option<&'a str>, body: Value) -> Call<'a> {
    Call {
        method,
        path,
        query: "",
        cookie,
        origin: None,
        csrf: None,
        body,
    }
}

/// A request as the dashboard sends it: the person's cookie, this origin, their CSRF token.
fn as_person<'a>(
    method: &'a str,
    path: &'a str,
    cookie: &'a str,
    sub: &'a str,
    body: Value,
) -> Call<'a> {
    Call {
        method,
        path,
        query: "",
        cookie: Some(cookie),
        origin: Some(ISSUER),
        csrf: Some(format!("csrf-of-{sub}")),
        body,
    }
}

fn code(r: &ApiResponse) -> (u16, String) {
    (
        r.status,
        r.body
            .as_ref()
            .and_then(|b| b["error"].as_str())
            .unwrap_or("")
            .to_string(),
    )
}

fn app(name: &str) -> Value {
    json!({"redirect_uris": ["https://app.example/cb"], "client_name": name})
}

#[test]
fn my_clients_need_a_session_this_origin_and_the_csrf_token() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let alice = cookie(&cfg, "alice", false);
    let list = |cookie: Option<&str>| {
        call(
            &cfg,
            &store,
            plain("GET", "/dashboard/clients", cookie, Value::Null),
        )
    };
    assert_eq!(code(&list(None)), (401, "invalid_token".into()));
    assert_eq!(
        code(&list(Some("__Secure-registrar-session=forged.value"))),
        (401, "invalid_token".into())
    );
    assert_eq!(list(Some(&alice)).status, 200, "a GET needs no CSRF token");

    let post = |origin: Option<&str>, csrf: Option<&str>| {
        call(
            &cfg,
            &store,
            Call {
                method: "POST",
                path: "/dashboard/clients",
                query: "",
                cookie: Some(&alice),
                origin,
                csrf: csrf.map(String::from),
                body: app("Mine"),
            },
        )
    };
    assert_eq!(
        code(&post(None, Some("csrf-of-alice"))),
        (403, "access_denied".into())
    );
    assert_eq!(
        code(&post(Some("https://evil.example"), Some("csrf-of-alice"))),
        (403, "access_denied".into())
    );
    assert_eq!(
        code(&post(Some(ISSUER), None)),
        (403, "access_denied".into())
    );
    assert_eq!(
        code(&post(Some(ISSUER), Some("csrf-of-bob"))),
        (403, "access_denied".into())
    );
    let made = post(Some(ISSUER), Some("csrf-of-alice"));
    assert_eq!(made.status, 201);
    assert_eq!(made.header("Cache-Control"), Some("no-store"));
    assert_eq!(
        made.header("Access-Control-Allow-Origin"),
        None,
        "no CORS for the session's endpoints"
    );
    let id = made.body.as_ref().unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(made.body.as_ref().unwrap()["registration_access_token"].is_string());

    let listed = list(Some(&alice));
    assert_eq!(
        listed.body.as_ref().unwrap()["clients"][0]["client_id"],
        json!(id)
    );
    let bob = cookie(&cfg, "bob", false);
    assert_eq!(list(Some(&bob)).body.unwrap()["clients"], json!([]));
    let path = format!("/dashboard/clients/{id}");
    let r = call(
        &cfg,
        &store,
        as_person("GET", &path, &bob, "bob", Value::Null),
    );
    assert_eq!(code(&r), (404, "not_found".into()));

    // The owner re-issues the lost token, renames it, then deletes it.
    let token_path = format!("/dashboard/clients/{id}/registration-access-token");
    let r = call(
        &cfg,
        &store,
        as_person("POST", &token_path, &alice, "alice", Value::Null),
    );
    assert_eq!(r.status, 200);
    assert!(r.body.as_ref().unwrap()["registration_access_token"].is_string());
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    let r = call(
        &cfg,
        &store,
        as_person("PUT", &path, &alice, "alice", app("Renamed")),
    );
    assert_eq!(r.body.unwrap()["metadata"]["client_name"], json!("Renamed"));
    let r = call(
        &cfg,
        &store,
        as_person("DELETE", &path, &alice, "alice", Value::Null),
    );
    assert_eq!(r.status, 204);
}

#[test]
fn a_claim_through_the_endpoint() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let reg = call(
        &cfg,
        &store,
        plain("POST", "/register", None, app("Anonymous")),
    );
    let anon = reg.body.unwrap();
    let bob = cookie(&cfg, "bob", false);
    let claim = |token: &str| {
        call(
            &cfg,
            &store,
            as_person(
                "POST",
                "/dashboard/claim",
                &bob,
                "bob",
                json!({"client_id": anon["client_id"], "registration_access_token": token}),
            ),
        )
    };
    assert_eq!(code(&claim("wrong")), (401, "invalid_token".into()));
    let ok = claim(anon["registration_access_token"].as_str().unwrap());
    assert_eq!(ok.status, 200);
    let mine = call(
        &cfg,
        &store,
        plain("GET", "/dashboard/clients", Some(&bob), Value::Null),
    );
    assert_eq!(
        mine.body.unwrap()["clients"][0]["client_id"],
        anon["client_id"]
    );
    let missing = call(
        &cfg,
        &store,
        as_person("POST", "/dashboard/claim", &bob, "bob", json!({})),
    );
    assert_eq!(code(&missing), (400, "invalid_request".into()));
}

#[test]
fn the_admin_api_for_signed_in_admins_only_with_the_person_as_actor() {
    // No ADMIN_TOKEN at all: the bearer admin API is off, the session's is not.
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let reg = call(
        &cfg,
        &store,
        plain("POST", "/register", None, app("Someone's")),
    );
    let id = reg.body.unwrap()["client_id"].as_str().unwrap().to_string();
    let carol = cookie(&cfg, "carol", true);
    let dave = cookie(&cfg, "dave", false);
    let bearer = call(
        &cfg,
        &store,
        plain("GET", "/admin/clients", Some(&carol), Value::Null),
    );
    assert_eq!(bearer.status, 404, "the cookie is not an admin token");
    let r = call(
        &cfg,
        &store,
        as_person(
            "GET",
            "/dashboard/admin/clients",
            &dave,
            "dave",
            Value::Null,
        ),
    );
    assert_eq!(code(&r), (403, "access_denied".into()));
    let r = call(
        &cfg,
        &store,
        as_person(
            "GET",
            "/dashboard/admin/clients",
            &carol,
            "carol",
            Value::Null,
        ),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body.unwrap()["clients"][0]["client_id"], json!(id));
    let suspend = format!("/dashboard/admin/clients/{id}/suspend");
    let mut no_csrf = as_person("POST", &suspend, &carol, "carol", Value::Null);
    no_csrf.csrf = None;
    assert_eq!(
        code(&call(&cfg, &store, no_csrf)),
        (403, "access_denied".into())
    );
    let r = call(
        &cfg,
        &store,
        as_person("POST", &suspend, &carol, "carol", Value::Null),
    );
    assert_eq!(r.status, 200);
    let events = block_on(store.list_audit(&AuditFilter::default(), None, 100)).unwrap();
    let suspended = events
        .iter()
        .find(|e| e.event.as_str() == "client_suspended")
        .unwrap();
    assert_eq!(suspended.actor, "person:carol");
}

#[test]
fn without_sign_in_settings_the_endpoints_are_not_there() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let r = call(
        &cfg,
        &store,
        plain("GET", "/dashboard/clients", None, Value::Null),
    );
    assert_eq!(code(&r), (404, "not_found".into()));
    let r = call(
        &cfg,
        &store,
        plain("PATCH", "/dashboard/clients", None, Value::Null),
    );
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("GET, POST"));
}

/// Allows `max` requests per bucket and key, and counts them.
struct Limit {
    max: u32,
    seen: std::cell::RefCell<std::collections::HashMap<String, u32>>,
}

impl registrar::ratelimit::RateLimiter for Limit {
    async fn allow(&self, bucket: registrar::ratelimit::LimitBucket, key: &str) -> bool {
        let mut seen = self.seen.borrow_mut();
        let n = seen.entry(format!("{bucket:?}/{key}")).or_insert(0);
        *n += 1;
        *n <= self.max
    }
}

#[test]
fn the_session_endpoints_are_rate_limited_per_network() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let limits = Limit {
        max: 2,
        seen: Default::default(),
    };
    let alice = cookie(&cfg, "alice", false);
    let send = |c: Call<'_>| {
        let body = serde_json::to_vec(&c.body).unwrap();
        let req = ApiRequest {
            method: c.method,
            path: c.path,
            origin: ISSUER,
            query: "",
            request_origin: c.origin,
            client_ip: Some("203.0.113.9"),
            request_id: None,
            content_type: Some("application/json"),
            authorization: None,
            body: &body,
            cookie: c.cookie,
            csrf: c.csrf.as_deref(),
        };
        block_on(handle(&req, &cfg, &store, &limits, NOW)).response
    };
    for _ in 0..2 {
        let r = send(as_person(
            "POST",
            "/dashboard/clients",
            &alice,
            "alice",
            app("x"),
        ));
        assert_eq!(r.status, 201);
    }
    let r = send(as_person(
        "POST",
        "/dashboard/clients",
        &alice,
        "alice",
        app("x"),
    ));
    assert_eq!(r.status, 429);
    assert!(r.header("Retry-After").is_some());
    // Claims (tokens guessed) count against the management bucket.
    let claim = json!({"client_id": "x", "registration_access_token": "guess"});
    for _ in 0..2 {
        let r = send(as_person(
            "POST",
            "/dashboard/claim",
            &alice,
            "alice",
            claim.clone(),
        ));
        assert_eq!(r.status, 401);
    }
    let r = send(as_person(
        "POST",
        "/dashboard/claim",
        &alice,
        "alice",
        claim,
    ));
    assert_eq!(r.status, 429);
}
