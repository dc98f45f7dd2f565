//! The authorization server API (docs/authorization-server.md): the redirect URI rule, response
//! type and scope checks, client authentication without an oracle, the lookup body, the hourly
//! `last_used_at`, and the `/as/v1/` routes through `registrar::http::handle`.

mod common;

use common::{block_on, config_with, json_request, registrar};
use registrar::as_api::{
    grant_scope, redirect_uri_matches, same_response_type, BAD_CLIENT_CREDENTIALS, CLIENT_SUSPENDED,
};
use registrar::cimd::NoDocuments;
use registrar::config::Config;
use registrar::error::ApiError;
use registrar::http::{handle, ApiRequest, ApiResponse, NoLimits};
use registrar::service::Registrar;
use registrar::store::memory::MemoryStore;
use registrar::store::{ClientStatus, ClientStore};
use serde_json::{json, Map, Value};

const AS_TOKEN: &str = "as-api-token-0123456789abcdef0123456789";
const NOW: i64 = 1_800_000_000;

fn config() -> Config {
    config_with(&[
        ("AS_API_TOKEN", AS_TOKEN),
        ("GRANT_TYPES_SUPPORTED", common::ALL_GRANTS),
    ])
}

fn body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn register(r: &Registrar<MemoryStore>, metadata: Value) -> Map<String, Value> {
    block_on(r.register(None, &body(metadata))).expect("register")
}

fn web(r: &Registrar<MemoryStore>) -> Map<String, Value> {
    register(
        r,
        json!({"redirect_uris": ["https://app.example/cb", "https://app.example/other?x=1"],
               "scope": "openid profile email"}),
    )
}

fn native(r: &Registrar<MemoryStore>) -> Map<String, Value> {
    register(
        r,
        json!({"application_type": "native", "token_endpoint_auth_method": "none",
               "redirect_uris": ["http://127.0.0.1:5000/cb", "http://[::1]/cb",
                                 "http://localhost:7000/cb", "com.example.app:/cb"],
               "scope": "openid"}),
    )
}

fn id(m: &Map<String, Value>) -> &str {
    m["client_id"].as_str().unwrap()
}

fn check(r: &Registrar<MemoryStore>, client_id: &str, request: Value) -> Result<Value, ApiError> {
    block_on(r.as_authorization_check(&NoDocuments, client_id, &body(request)))
}

/// The error code and `redirect` flag of a refused check.
fn refused(result: Result<Value, ApiError>) -> (String, bool) {
    let e = result.expect_err("refused");
    assert_eq!(e.status(), 400, "{e}");
    let b = e.body();
    (
        b["error"].as_str().unwrap().to_string(),
        b["redirect"].as_bool().expect("redirect member"),
    )
}

#[test]
fn redirect_uri_rule_table() {
    // (registered, requested, native, matches)
    let rows: &[(&str, &str, bool, bool)] = &[
        (
            "https://app.example/cb",
            "https://app.example/cb",
            false,
            true,
        ),
        (
            "https://app.example/cb",
            "https://app.example/cb/",
            false,
            false,
        ),
        (
            "https://app.example/cb",
            "https://APP.example/cb",
            false,
            false,
        ),
        (
            "https://app.example/cb",
            "http://app.example/cb",
            false,
            false,
        ),
        (
            "https://app.example/cb",
            "https://app.example/cb?x=1",
            false,
            false,
        ),
        (
            "https://app.example:443/cb",
            "https://app.example/cb",
            false,
            false,
        ),
        // RFC 8252 §7.3: any port on a loopback IP literal, for native clients only.
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:61234/cb",
            true,
            true,
        ),
        (
            "http://127.0.0.1/cb",
            "http://127.0.0.1:61234/cb",
            true,
            true,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1/cb",
            true,
            true,
        ),
        ("http://[::1]/cb", "http://[::1]:8080/cb", true, true),
        ("http://[::1]:1/cb?a=b", "http://[::1]:2/cb?a=b", true, true),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:61234/cb",
            false,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:61234/other",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:61234/cb?x=1",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:61234/CB",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://[::1]:5000/cb",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "https://127.0.0.1:5000/cb",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.2:5000/cb",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1.evil.example:5000/cb",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:99999/cb",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:/cb",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:5x/cb",
            true,
            false,
        ),
        (
            "http://127.0.0.1:5000/cb",
            "http://127.0.0.1:61234/cb#f",
            true,
            false,
        ),
        // RFC 8252 §8.3: not for `localhost`.
        (
            "http://localhost:5000/cb",
            "http://localhost:5000/cb",
            true,
            true,
        ),
        (
            "http://localhost:5000/cb",
            "http://localhost:61234/cb",
            true,
            false,
        ),
        ("com.example.app:/cb", "com.example.app:/cb", true, true),
        ("com.example.app:/cb", "com.example.app:/cb2", true, false),
    ];
    for (registered, requested, native, expected) in rows {
        assert_eq!(
            redirect_uri_matches(registered, requested, *native),
            *expected,
            "{registered} vs {requested} (native {native})"
        );
    }
}

#[test]
fn response_types_compare_as_sets() {
    assert!(same_response_type("code", "code"));
    assert!(same_response_type("code id_token", "id_token code"));
    assert!(!same_response_type("code id_token", "code"));
    assert!(!same_response_type("code", "code code"));
    assert!(!same_response_type("code", "token"));
    assert!(!same_response_type("code", ""));
}

#[test]
fn scope_is_the_intersection_in_request_order() {
    assert_eq!(
        grant_scope("profile openid", "openid profile email"),
        "profile openid"
    );
    assert_eq!(grant_scope("openid admin", "openid profile"), "openid");
    assert_eq!(grant_scope("openid openid", "openid"), "openid");
    assert_eq!(grant_scope("admin", "openid"), "");
}

#[test]
fn authorization_check_answers_the_matching_uri_and_scope() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let c = web(&r);
    let ok = check(
        &r,
        id(&c),
        json!({"redirect_uri": "https://app.example/other?x=1", "response_type": "code",
               "scope": "email openid admin"}),
    )
    .unwrap();
    assert_eq!(
        ok,
        json!({"redirect_uri": "https://app.example/other?x=1", "scope": "email openid"})
    );
    // No scope requested (or an empty one): the registered scope.
    for request in [
        json!({"redirect_uri": "https://app.example/cb", "response_type": "code"}),
        json!({"redirect_uri": "https://app.example/cb", "response_type": "code", "scope": ""}),
    ] {
        assert_eq!(
            check(&r, id(&c), request).unwrap()["scope"],
            "openid profile email"
        );
    }
    // A native client's loopback URI with another port: the registered URI is answered.
    let n = native(&r);
    let ok = check(
        &r,
        id(&n),
        json!({"redirect_uri": "http://127.0.0.1:49152/cb", "response_type": "code"}),
    )
    .unwrap();
    assert_eq!(ok["redirect_uri"], "http://127.0.0.1:5000/cb");
    let ok = check(
        &r,
        id(&n),
        json!({"redirect_uri": "http://[::1]:49152/cb", "response_type": "code"}),
    )
    .unwrap();
    assert_eq!(ok["redirect_uri"], "http://[::1]/cb");
}

#[test]
fn authorization_check_errors_and_whether_to_redirect() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let c = web(&r);
    let n = native(&r);
    let good = |extra: Value| {
        let mut v = json!({"redirect_uri": "https://app.example/cb", "response_type": "code"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let rows: Vec<(&str, Value, &str, bool)> = vec![
        (
            "AAAAAAAAAAAAAAAAAAAAAA",
            good(json!({})),
            "invalid_client",
            false,
        ),
        ("not-a-client-id", good(json!({})), "invalid_client", false),
        (
            id(&c),
            good(json!({"redirect_uri": "https://evil.example/cb"})),
            "invalid_request",
            false,
        ),
        (
            id(&c),
            good(json!({"redirect_uri": "https://app.example/cb?x=1"})),
            "invalid_request",
            false,
        ),
        (
            id(&n),
            good(json!({"redirect_uri": "http://localhost:7001/cb"})),
            "invalid_request",
            false,
        ),
        (
            id(&c),
            good(json!({"response_type": "token"})),
            "unauthorized_client",
            true,
        ),
        (
            id(&c),
            good(json!({"response_type": "code code"})),
            "unauthorized_client",
            true,
        ),
        (
            id(&c),
            good(json!({"scope": "admin"})),
            "invalid_scope",
            true,
        ),
        // The call itself is malformed.
        (
            id(&c),
            json!({"response_type": "code"}),
            "invalid_request",
            false,
        ),
        (
            id(&c),
            json!({"redirect_uri": "https://app.example/cb"}),
            "invalid_request",
            false,
        ),
        (id(&c), good(json!({"scope": 7})), "invalid_request", false),
    ];
    for (client_id, request, code, redirect) in rows {
        assert_eq!(
            refused(check(&r, client_id, request.clone())),
            (code.to_string(), redirect),
            "{client_id} {request}"
        );
    }
    assert_eq!(
        refused(block_on(r.as_authorization_check(
            &NoDocuments,
            id(&c),
            b"[1]"
        ))),
        ("invalid_request".into(), false)
    );
    // A wrong redirect URI is reported before a wrong response type or scope.
    let both = good(
        json!({"redirect_uri": "https://evil.example/", "response_type": "token",
                           "scope": "admin"}),
    );
    assert_eq!(
        refused(check(&r, id(&c), both)),
        ("invalid_request".into(), false)
    );
    // Suspended: invalid_client, never redirect.
    block_on(r.admin_set_status(id(&c), ClientStatus::Suspended)).unwrap();
    let e = check(&r, id(&c), good(json!({}))).unwrap_err();
    assert_eq!(e.body()["error"], "invalid_client");
    assert_eq!(e.body()["redirect"], false);
    assert_eq!(e.body()["error_description"], CLIENT_SUSPENDED);
}

#[test]
fn implicit_and_hybrid_response_types_match_in_any_order() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let c = register(
        &r,
        json!({"redirect_uris": ["https://app.example/cb"],
               "grant_types": ["authorization_code", "implicit"],
               "response_types": ["code id_token"]}),
    );
    let ask = |rt: &str| {
        check(
            &r,
            id(&c),
            json!({"redirect_uri": "https://app.example/cb", "response_type": rt}),
        )
    };
    assert!(ask("id_token code").is_ok());
    assert!(ask("code id_token").is_ok());
    assert_eq!(refused(ask("code")), ("unauthorized_client".into(), true));
}

#[test]
fn authenticate_has_no_oracle_and_tells_suspension_only_to_the_secret_holder() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let c = web(&r);
    let secret = c["client_secret"].as_str().unwrap();
    let n = native(&r);
    let auth = |client_id: &str, s: &str| {
        block_on(r.as_authenticate(client_id, &body(json!({ "client_secret": s }))))
    };
    let ok = auth(id(&c), secret).unwrap();
    assert_eq!(ok, block_on(r.as_get_client(&NoDocuments, id(&c))).unwrap());

    let refusals = [
        auth(id(&c), "wrong").unwrap_err(),
        auth("AAAAAAAAAAAAAAAAAAAAAA", secret).unwrap_err(),
        auth("not-a-client-id", secret).unwrap_err(),
        auth(id(&n), "anything").unwrap_err(),
        auth(id(&n), "").unwrap_err(),
    ];
    for e in &refusals {
        assert_eq!(e.status(), 401);
        assert_eq!(
            e.body(),
            json!({"error": "invalid_client", "error_description": BAD_CLIENT_CREDENTIALS})
        );
        assert!(
            e.headers().is_empty(),
            "no WWW-Authenticate: {:?}",
            e.headers()
        );
    }
    block_on(r.admin_set_status(id(&c), ClientStatus::Suspended)).unwrap();
    let e = auth(id(&c), secret).unwrap_err();
    assert_eq!(
        (e.status(), e.body()),
        (
            401,
            json!({"error": "invalid_client", "error_description": CLIENT_SUSPENDED})
        )
    );
    // A stranger learns nothing of the suspension.
    assert_eq!(
        auth(id(&c), "wrong").unwrap_err().description(),
        BAD_CLIENT_CREDENTIALS
    );
    // Malformed calls.
    for b in [json!({}), json!({"client_secret": 1}), json!([])] {
        let e = block_on(r.as_authenticate(id(&c), &body(b))).unwrap_err();
        assert_eq!((e.status(), e.code()), (400, "invalid_request"));
    }
}

#[test]
fn lookup_body_shape_without_any_secret() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let c = web(&r);
    let got = block_on(r.as_get_client(&NoDocuments, id(&c))).unwrap();
    let mut keys: Vec<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "client",
            "client_id_issued_at",
            "client_secret_expires_at",
            "has_secret",
            "status",
            "token_endpoint_auth_method",
            "updated_at"
        ]
    );
    assert_eq!(got["status"], "active");
    assert_eq!(got["has_secret"], true);
    assert_eq!(got["client_secret_expires_at"], 0);
    assert_eq!(got["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(got["client_id_issued_at"], NOW);
    assert_eq!(got["updated_at"], NOW);
    let client = got["client"].as_object().unwrap();
    assert_eq!(client["client_id"], c["client_id"]);
    assert_eq!(client["redirect_uris"], c["redirect_uris"]);
    assert_eq!(client["scope"], "openid profile email");
    let text = got.to_string();
    let stored = store.dump().into_iter().next().unwrap();
    for forbidden in [
        c["client_secret"].as_str().unwrap(),
        c["registration_access_token"].as_str().unwrap(),
        stored.client_secret_hash.as_ref().unwrap().as_stored(),
        stored.registration_token_hash.as_stored(),
        "registration_access_token",
        "registration_client_uri",
        "\"client_secret\"",
    ] {
        assert!(!text.contains(forbidden), "{forbidden} in {text}");
    }
    // A client without a secret.
    let n = native(&r);
    let got = block_on(r.as_get_client(&NoDocuments, id(&n))).unwrap();
    assert_eq!(got["has_secret"], false);
    assert_eq!(got.get("client_secret_expires_at"), None);
    assert_eq!(got["token_endpoint_auth_method"], "none");
    // Unknown → 404 invalid_client.
    let e = block_on(r.as_get_client(&NoDocuments, "AAAAAAAAAAAAAAAAAAAAAA")).unwrap_err();
    assert_eq!((e.status(), e.code()), (404, "invalid_client"));
}

#[test]
fn lookups_write_no_audit_row_and_last_used_at_at_most_hourly() {
    let cfg = config();
    let store = MemoryStore::new();
    let setup = registrar(&cfg, &store, NOW);
    let c = web(&setup);
    let secret = c["client_secret"].as_str().unwrap().to_string();
    let client_id = id(&c).to_string();
    let audit_rows = store.audit_log().len();
    let used = || {
        block_on(store.find(&client_id))
            .unwrap()
            .unwrap()
            .last_used_at
    };
    assert_eq!(used(), None);
    let lookups = |now: i64| {
        let r = registrar(&cfg, &store, now);
        block_on(r.as_get_client(&NoDocuments, &client_id)).unwrap();
        block_on(r.as_authenticate(&client_id, &body(json!({ "client_secret": secret })))).unwrap();
        check(
            &r,
            &client_id,
            json!({"redirect_uri": "https://app.example/cb", "response_type": "code"}),
        )
        .unwrap();
        // Refusals are lookups too, and write nothing either.
        let _ = block_on(r.as_authenticate(&client_id, &body(json!({"client_secret": "x"}))));
        let _ = check(
            &r,
            &client_id,
            json!({"redirect_uri": "x", "response_type": "code"}),
        );
    };
    lookups(NOW + 10);
    assert_eq!(used(), Some(NOW + 10));
    lookups(NOW + 3_000);
    assert_eq!(used(), Some(NOW + 10), "written at most once an hour");
    lookups(NOW + 10 + 3_600);
    assert_eq!(used(), Some(NOW + 3_610));
    assert_eq!(
        store.audit_log().len(),
        audit_rows,
        "lookups write no audit row"
    );
    // Recording a use never conflicts with an update: the version is unchanged.
    assert_eq!(
        block_on(store.find(&client_id)).unwrap().unwrap().version,
        0
    );
    // The admin summary shows it.
    let summary = block_on(setup.admin_get_client(&client_id)).unwrap();
    assert_eq!(summary["last_used_at"], NOW + 3_610);
}

#[test]
fn idle_cleanup_counts_use_as_activity() {
    let cfg = config_with(&[
        ("AS_API_TOKEN", AS_TOKEN),
        ("IDLE_ANONYMOUS_CLIENT_DAYS", "30"),
    ]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let used = web(&r);
    let idle = web(&r);
    let later = NOW + 20 * 86_400;
    block_on(registrar(&cfg, &store, later).as_get_client(&NoDocuments, id(&used))).unwrap();
    let report = block_on(registrar(&cfg, &store, NOW + 40 * 86_400).scheduled_cleanup()).unwrap();
    assert_eq!(report.idle_clients, 1);
    let left: Vec<String> = store.dump().into_iter().map(|c| c.client_id).collect();
    assert_eq!(left, [id(&used).to_string()]);
    assert!(!left.contains(&id(&idle).to_string()));
}

fn send(
    cfg: &Config,
    store: &MemoryStore,
    method: &str,
    path: &str,
    auth: Option<&str>,
    b: &[u8],
) -> ApiResponse {
    let req = ApiRequest {
        request_origin: Some("https://other.example"),
        client_ip: Some("203.0.113.9"),
        ..json_request(method, path, auth, b)
    };
    block_on(handle(&req, cfg, store, &NoLimits, NOW)).response
}

#[test]
fn routes_answer_404_without_the_token_and_401_with_a_wrong_one() {
    let store = MemoryStore::new();
    let off = config_with(&[]);
    let on = config();
    let r = registrar(&on, &store, NOW);
    let c = web(&r);
    let paths = [
        ("GET", format!("/as/v1/clients/{}", id(&c))),
        ("POST", format!("/as/v1/clients/{}/authenticate", id(&c))),
        (
            "POST",
            format!("/as/v1/clients/{}/authorization-check", id(&c)),
        ),
        ("DELETE", format!("/as/v1/clients/{}", id(&c))),
        ("OPTIONS", format!("/as/v1/clients/{}", id(&c))),
        ("GET", "/as/v1/nothing".to_string()),
    ];
    let bearer = format!("Bearer {AS_TOKEN}");
    for (method, path) in &paths {
        let res = send(&off, &store, method, path, Some(&bearer), b"{}");
        assert_eq!(res.status, 404, "{method} {path}");
        assert_eq!(res.body.as_ref().unwrap()["error"], "not_found");
        assert_eq!(res.header("Access-Control-Allow-Origin"), None);
    }
    for (method, path) in &paths[..3] {
        for auth in [None, Some("Bearer wrong"), Some("Basic eDp5")] {
            let res = send(&on, &store, method, path, auth, b"{}");
            assert_eq!(res.status, 401, "{method} {path} {auth:?}");
            assert_eq!(res.body.as_ref().unwrap()["error"], "invalid_token");
            assert_eq!(
                res.header("WWW-Authenticate"),
                Some(r#"Bearer error="invalid_token""#)
            );
        }
        let admin_token_is_not_it = send(
            &on,
            &store,
            method,
            path,
            Some("Bearer admin-token-0123456789abcdef0123456789"),
            b"{}",
        );
        assert_eq!(admin_token_is_not_it.status, 401);
    }
    let res = send(&on, &store, "GET", &paths[0].1, Some(&bearer), b"");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("Cache-Control"), Some("no-store"));
    assert_eq!(res.header("Access-Control-Allow-Origin"), None);
    assert_eq!(res.body.as_ref().unwrap()["status"], "active");
    let res = send(&on, &store, "DELETE", &paths[0].1, Some(&bearer), b"");
    assert_eq!((res.status, res.header("Allow")), (405, Some("GET")));
    let check = body(json!({"redirect_uri": "https://evil.example/", "response_type": "code"}));
    let res = send(&on, &store, "POST", &paths[2].1, Some(&bearer), &check);
    assert_eq!(res.status, 400);
    assert_eq!(
        res.body.clone().unwrap(),
        json!({"error": "invalid_request", "redirect": false,
               "error_description": "redirect_uri: not registered for this client"})
    );
    assert_eq!(res.header("Cache-Control"), Some("no-store"));
}

#[test]
fn a_short_as_api_token_is_refused_at_configuration() {
    let e = Config::from_vars(|name| match name {
        "REGISTRAR_HMAC_KEY" => Some("0123456789abcdef0123456789abcdef".into()),
        "AS_API_TOKEN" => Some("short".into()),
        _ => None,
    })
    .unwrap_err();
    assert!(e.starts_with("AS_API_TOKEN"), "{e}");
}

/// Which routes may read a D1 replica (docs/authorization-server.md, "What lookups write;
/// consistency"): the lookup and the authorization check; never authenticate, RFC 7592 or admin.
#[test]
fn only_the_lookup_and_the_authorization_check_read_through_a_session() {
    use registrar::http::{read_from, ReadFrom};
    let id = "hb44Agxh7zhfgljFdvG3Mw";
    for (path, expected) in [
        (format!("/as/v1/clients/{id}"), ReadFrom::Session),
        (
            format!("/as/v1/clients/{id}/authorization-check"),
            ReadFrom::Session,
        ),
        (
            format!("/as/v1/clients/{id}/authenticate"),
            ReadFrom::Primary,
        ),
        (format!("/as/v1/clients/{id}/other"), ReadFrom::Primary),
        ("/as/v1/clients/".into(), ReadFrom::Primary),
        (format!("/register/{id}"), ReadFrom::Primary),
        ("/register".into(), ReadFrom::Primary),
        (format!("/admin/clients/{id}"), ReadFrom::Primary),
        ("/admin/clients".into(), ReadFrom::Primary),
        (
            "/.well-known/openid-configuration".into(),
            ReadFrom::Primary,
        ),
        ("/".into(), ReadFrom::Primary),
    ] {
        assert_eq!(read_from(&path), expected, "{path}");
    }
}
