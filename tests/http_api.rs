//! HTTP semantics through `registrar::http::handle`: routes, methods, status codes, headers,
//! CORS, content type and size limits, error bodies, and the discovery documents.

mod common;

use common::{block_on, config, config_with, nulls, ISSUER};
use registrar::config::Config;
use registrar::http::{handle, ApiRequest, ApiResponse, NoLimits};
use registrar::store::memory::MemoryStore;
use serde_json::{json, Map, Value};

const ORIGIN: &str = "https://registrar.example";
const NOW: i64 = 1_700_000_000;
const JSON: Option<&str> = Some("application/json");
const DISCOVERY: [&str; 2] = [
    "/.well-known/oauth-authorization-server",
    "/.well-known/openid-configuration",
];

/// Sends one request and checks the invariants every response must hold: no `null` anywhere
/// in the body, and every error body is exactly `{"error", "error_description"}` (strings).
#[track_caller]
fn send(
    cfg: &Config,
    store: &MemoryStore,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
) -> ApiResponse {
    let req = ApiRequest {
        method,
        path,
        origin: ORIGIN,
        query: "",
        request_origin: None,
        client_ip: None,
        request_id: None,
        content_type,
        authorization,
        body,
        cookie: None,
        csrf: None,
    };
    let response = block_on(handle(&req, cfg, store, &NoLimits, NOW)).response;
    if let Some(b) = &response.body {
        let mut found = Vec::new();
        nulls(b, "$", &mut found);
        assert!(
            found.is_empty(),
            "{method} {path}: null in body at {found:?}: {b}"
        );
    }
    if response.body.is_some() {
        assert!(
            response
                .header("Content-Type")
                .is_some_and(|ct| ct.starts_with("application/json")),
            "{method} {path}: a JSON body needs Content-Type application/json: {:?}",
            response.headers
        );
    }
    assert_eq!(
        response.header("Access-Control-Allow-Credentials"),
        None,
        "{method} {path}: credentials must never be allowed cross-origin"
    );
    if response.status >= 400 && method != "HEAD" {
        let b = response
            .body
            .as_ref()
            .unwrap_or_else(|| panic!("{method} {path}: error {} without a body", response.status));
        let obj = b.as_object().expect("error body is an object");
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        // RFC 7591 §3.2.2's two members, and for a metadata error the member at fault (issue
        // 15): the one its description starts with.
        let metadata_error = matches!(
            obj["error"].as_str(),
            Some("invalid_client_metadata" | "invalid_redirect_uri" | "invalid_software_statement")
        );
        if metadata_error && obj.contains_key("member") {
            assert_eq!(
                keys,
                ["error", "error_description", "member"],
                "{method} {path}: error body {b}"
            );
            let member = obj["member"].as_str().expect("member is a string");
            let description = obj["error_description"].as_str().unwrap_or_default();
            assert!(
                !member.is_empty() && description.starts_with(&format!("{member}: ")),
                "{method} {path}: member {member:?} is not what the description names: {b}"
            );
        } else {
            assert_eq!(
                keys,
                ["error", "error_description"],
                "{method} {path}: error body {b}"
            );
        }
        assert!(obj["error"].as_str().is_some_and(|s| !s.is_empty()), "{b}");
        assert!(obj["error_description"].is_string(), "{b}");
    }
    response
}

fn post_register(cfg: &Config, store: &MemoryStore, metadata: &Value) -> ApiResponse {
    send(
        cfg,
        store,
        "POST",
        "/register",
        JSON,
        None,
        &serde_json::to_vec(metadata).unwrap(),
    )
}

fn web() -> Value {
    json!({"redirect_uris": ["https://client.example/cb"], "client_name": "Example"})
}

/// Registers a client and returns its 201 body.
fn registered(cfg: &Config, store: &MemoryStore, metadata: Value) -> Map<String, Value> {
    let r = post_register(cfg, store, &metadata);
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body.unwrap().as_object().unwrap().clone()
}

fn client_path(reg: &Map<String, Value>) -> String {
    format!("/register/{}", reg["client_id"].as_str().unwrap())
}

fn bearer(reg: &Map<String, Value>) -> String {
    format!(
        "Bearer {}",
        reg["registration_access_token"].as_str().unwrap()
    )
}

fn update_body(reg: &Map<String, Value>) -> Vec<u8> {
    let mut m = reg.clone();
    for k in [
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
    ] {
        m.remove(k);
    }
    serde_json::to_vec(&m).unwrap()
}

#[track_caller]
fn assert_error(r: &ApiResponse, status: u16, code: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    let body = r.body.as_ref().expect("error body");
    assert_eq!(body["error"], code, "{body}");
}

#[track_caller]
fn assert_no_store(r: &ApiResponse) {
    let cc = r
        .header("Cache-Control")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        cc.split(',').any(|d| d.trim() == "no-store"),
        "Cache-Control: {cc:?}"
    );
    assert_eq!(r.header("Pragma"), Some("no-cache"));
}

#[track_caller]
fn assert_invalid_token(r: &ApiResponse) {
    assert_error(r, 401, "invalid_token");
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
    let body = r.body.as_ref().unwrap();
    for leaked in ["client_id", "redirect_uris", "client_name", "client_secret"] {
        assert!(body.get(leaked).is_none(), "401 leaks {leaked}: {body}");
    }
}

/// A JSON object of exactly `size` bytes that is valid metadata apart from its size.
/// Valid metadata of exactly `size` bytes: the padding is an unknown member (ignored), and a
/// known member after it shows the whole body was read. (A padded `software_id` was used until
/// text members got length caps.)
fn padded_body(size: usize) -> Vec<u8> {
    let head = r#"{"redirect_uris":["https://client.example/cb"],"x_padding":""#;
    let tail = r#"","client_name":"end"}"#;
    let body = format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()));
    assert_eq!(body.len(), size);
    body.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// POST /register
// ---------------------------------------------------------------------------------------------

#[test]
fn post_register_is_201_with_no_store_and_the_registration() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = post_register(&cfg, &store, &web());
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_no_store(&r);
    assert!(r
        .header("Content-Type")
        .is_some_and(|ct| ct.starts_with("application/json")));
    let body = r.body.as_ref().unwrap();
    let id = body["client_id"].as_str().unwrap();
    assert_eq!(id.len(), 22);
    assert!(body["client_secret"].is_string());
    assert!(body["registration_access_token"].is_string());
    assert_eq!(body["client_id_issued_at"], json!(NOW));
    assert_eq!(
        body["registration_client_uri"],
        format!("{ISSUER}/register/{id}")
    );
    assert_eq!(body["redirect_uris"], json!(["https://client.example/cb"]));
    assert_eq!(store.dump().len(), 1);
}

#[test]
fn post_register_accepts_json_with_charset_parameter() {
    let cfg = config();
    let store = MemoryStore::new();
    let body = serde_json::to_vec(&web()).unwrap();
    for ct in [
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
    ] {
        let r = send(&cfg, &store, "POST", "/register", Some(ct), None, &body);
        assert_eq!(r.status, 201, "{ct}: {:?}", r.body);
    }
}

#[test]
fn post_register_with_wrong_content_type_is_415_invalid_request() {
    let cfg = config();
    let store = MemoryStore::new();
    let body = serde_json::to_vec(&web()).unwrap();
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
        Some("text/json"),
        Some(""),
        None,
    ] {
        let r = send(&cfg, &store, "POST", "/register", ct, None, &body);
        assert_error(&r, 415, "invalid_request");
        assert_no_store(&r);
    }
    assert!(store.dump().is_empty());
}

#[test]
fn post_register_over_65536_bytes_is_413() {
    let cfg = config();
    let store = MemoryStore::new();
    for size in [65_537, 200_000] {
        let r = send(
            &cfg,
            &store,
            "POST",
            "/register",
            JSON,
            None,
            &padded_body(size),
        );
        assert_eq!(r.status, 413, "{size}: {:?}", r.body);
        assert_eq!(r.body.as_ref().unwrap()["error"], "invalid_request");
    }
    assert!(store.dump().is_empty());
    let edge = send(
        &cfg,
        &store,
        "POST",
        "/register",
        JSON,
        None,
        &padded_body(65_536),
    );
    assert_eq!(
        edge.status, 201,
        "exactly 65536 bytes is within the limit: {:?}",
        edge.body
    );
    assert_eq!(edge.body.as_ref().unwrap()["client_name"], "end");
}

#[test]
fn post_register_with_empty_malformed_or_non_object_body_is_400_invalid_request() {
    let cfg = config();
    let store = MemoryStore::new();
    for body in [
        "",
        "   ",
        "{",
        r#"{"redirect_uris": ["https://client.example/cb"],}"#,
        "[]",
        r#"[{"redirect_uris":["https://client.example/cb"]}]"#,
        r#""str""#,
        "42",
        "null",
        "true",
    ] {
        let r = send(
            &cfg,
            &store,
            "POST",
            "/register",
            JSON,
            None,
            body.as_bytes(),
        );
        assert_error(&r, 400, "invalid_request");
    }
    let r = send(
        &cfg,
        &store,
        "POST",
        "/register",
        JSON,
        None,
        &[0xff, 0xfe, b'{', b'}'],
    );
    assert_error(&r, 400, "invalid_request");
    assert!(store.dump().is_empty());
}

#[test]
fn post_register_with_invalid_metadata_is_400_with_the_rfc_code() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = post_register(
        &cfg,
        &store,
        &json!({"redirect_uris": ["https://client.example/cb#x"]}),
    );
    assert_error(&r, 400, "invalid_redirect_uri");
    assert!(r.body.as_ref().unwrap()["error_description"]
        .as_str()
        .unwrap()
        .contains("redirect_uris[0]"));
    assert_no_store(&r);
    let r = post_register(
        &cfg,
        &store,
        &json!({"redirect_uris": ["https://client.example/cb"], "scope": 5}),
    );
    assert_error(&r, 400, "invalid_client_metadata");
    let r = post_register(
        &cfg,
        &store,
        &json!({"redirect_uris": ["https://client.example/cb"], "software_statement": "a.b.c"}),
    );
    assert_error(&r, 400, "invalid_software_statement");
    assert!(store.dump().is_empty());
}

#[test]
fn no_body_ever_contains_null_even_for_null_heavy_requests() {
    let cfg = config();
    let store = MemoryStore::new();
    // `send` walks every body for nulls; these requests are full of them.
    let reg = registered(
        &cfg,
        &store,
        json!({"redirect_uris": ["https://client.example/cb"], "client_name": null, "jwks_uri": null,
               "scope": null, "contacts": null, "client_name#fr": null, "logo_uri": null}),
    );
    let path = client_path(&reg);
    let r = send(&cfg, &store, "GET", &path, None, Some(&bearer(&reg)), b"");
    assert_eq!(r.status, 200);
    let mut body: Value = serde_json::from_slice(&update_body(&reg)).unwrap();
    body["client_name"] = Value::Null;
    body["tos_uri"] = Value::Null;
    let r = send(
        &cfg,
        &store,
        "PUT",
        &path,
        JSON,
        Some(&bearer(&reg)),
        &serde_json::to_vec(&body).unwrap(),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[test]
fn null_inside_submitted_jwks_never_reaches_a_response_body() {
    let cfg = config();
    let store = MemoryStore::new();
    let metadata = json!({
        "redirect_uris": ["https://client.example/cb"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": null, "use": null,
                           "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                           "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}
    });
    // Either refusing the key set or dropping the null members is fine; echoing null is not.
    // (`send` walks every body for nulls.)
    let r = post_register(&cfg, &store, &metadata);
    match r.status {
        201 => {
            let reg = r.body.unwrap().as_object().unwrap().clone();
            let g = send(
                &cfg,
                &store,
                "GET",
                &client_path(&reg),
                None,
                Some(&bearer(&reg)),
                b"",
            );
            assert_eq!(g.status, 200);
        }
        _ => assert_error(&r, 400, "invalid_client_metadata"),
    }
}

// ---------------------------------------------------------------------------------------------
// GET / PUT / DELETE /register/{client_id}
// ---------------------------------------------------------------------------------------------

#[test]
fn get_with_token_is_200_no_store_and_the_registration_without_secret() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let r = send(
        &cfg,
        &store,
        "GET",
        &client_path(&reg),
        None,
        Some(&bearer(&reg)),
        b"",
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_no_store(&r);
    let mut expected = reg.clone();
    expected.remove("client_secret");
    assert_eq!(r.body.unwrap(), Value::Object(expected));
}

#[test]
fn bearer_scheme_is_case_insensitive() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let tok = reg["registration_access_token"].as_str().unwrap();
    let auth = format!("bearer {tok}");
    let r = send(
        &cfg,
        &store,
        "GET",
        &client_path(&reg),
        None,
        Some(&auth),
        b"",
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[test]
fn missing_or_wrong_authorization_is_401_with_www_authenticate_and_no_client_data() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let other = registered(&cfg, &store, web());
    let path = client_path(&reg);
    let tok = reg["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = reg["client_secret"].as_str().unwrap().to_string();
    let wrong: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("Bearer".into()),
        Some("Bearer wrong-token".into()),
        Some(format!("Basic {tok}")),
        Some(tok.clone()),
        Some(format!("Bearer {secret}")),
        Some(bearer(&other)),
    ];
    let body = update_body(&reg);
    for auth in &wrong {
        for (method, ct, b) in [
            ("GET", None, &b""[..]),
            ("PUT", JSON, &body[..]),
            ("DELETE", None, &b""[..]),
        ] {
            let r = send(&cfg, &store, method, &path, ct, auth.as_deref(), b);
            assert_invalid_token(&r);
            assert_no_store(&r);
        }
    }
    // Nothing was changed or deleted by any of that.
    let r = send(&cfg, &store, "GET", &path, None, Some(&bearer(&reg)), b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.unwrap()["client_name"], "Example");
}

#[test]
fn unknown_client_is_401_like_a_wrong_token() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let wrong_token = send(
        &cfg,
        &store,
        "GET",
        &client_path(&reg),
        None,
        Some("Bearer nope"),
        b"",
    );
    for path in ["/register/AAAAAAAAAAAAAAAAAAAAAA", "/register/not-an-id"] {
        let r = send(&cfg, &store, "GET", path, None, Some(&bearer(&reg)), b"");
        assert_invalid_token(&r);
        assert_eq!(
            r.body, wrong_token.body,
            "unknown client and wrong token must look alike"
        );
    }
}

#[test]
fn delete_is_204_without_body_then_401() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let path = client_path(&reg);
    let auth = bearer(&reg);
    let r = send(&cfg, &store, "DELETE", &path, None, Some(&auth), b"");
    assert_eq!(r.status, 204);
    assert_eq!(r.body, None);
    assert!(store.dump().is_empty());
    for (method, ct, body) in [
        ("GET", None, Vec::new()),
        ("PUT", JSON, update_body(&reg)),
        ("DELETE", None, Vec::new()),
    ] {
        let r = send(&cfg, &store, method, &path, ct, Some(&auth), &body);
        assert_invalid_token(&r);
    }
}

#[test]
fn put_authenticates_before_checking_content_type_and_size() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let path = client_path(&reg);
    let body = update_body(&reg);

    let r = send(
        &cfg,
        &store,
        "PUT",
        &path,
        Some("text/plain"),
        Some("Bearer wrong"),
        &body,
    );
    assert_invalid_token(&r);
    let r = send(&cfg, &store, "PUT", &path, None, None, &body);
    assert_invalid_token(&r);
    let r = send(
        &cfg,
        &store,
        "PUT",
        &path,
        JSON,
        Some("Bearer wrong"),
        &padded_body(70_000),
    );
    assert_invalid_token(&r);

    // With the right token the body problems are reported, and the token is not spent.
    let r = send(
        &cfg,
        &store,
        "PUT",
        &path,
        Some("text/plain"),
        Some(&bearer(&reg)),
        &body,
    );
    assert_error(&r, 415, "invalid_request");
    let r = send(
        &cfg,
        &store,
        "PUT",
        &path,
        JSON,
        Some(&bearer(&reg)),
        &padded_body(70_000),
    );
    assert_eq!(r.status, 413, "{:?}", r.body);
    let r = send(&cfg, &store, "PUT", &path, JSON, Some(&bearer(&reg)), b"{");
    assert_error(&r, 400, "invalid_request");
    let r = send(&cfg, &store, "GET", &path, None, Some(&bearer(&reg)), b"");
    assert_eq!(r.status, 200);
}

#[test]
fn put_updates_and_rotates_the_token() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let path = client_path(&reg);
    let mut body: Value = serde_json::from_slice(&update_body(&reg)).unwrap();
    body["client_name"] = json!("Renamed");
    let r = send(
        &cfg,
        &store,
        "PUT",
        &path,
        Some("application/json; charset=utf-8"),
        Some(&bearer(&reg)),
        &serde_json::to_vec(&body).unwrap(),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_no_store(&r);
    let upd = r.body.unwrap().as_object().unwrap().clone();
    assert_eq!(upd["client_name"], "Renamed");
    assert_ne!(
        upd["registration_access_token"],
        reg["registration_access_token"]
    );

    let old = send(&cfg, &store, "GET", &path, None, Some(&bearer(&reg)), b"");
    assert_invalid_token(&old);
    let new = send(&cfg, &store, "GET", &path, None, Some(&bearer(&upd)), b"");
    assert_eq!(new.status, 200);
}

#[test]
fn put_with_server_only_member_or_mismatched_client_id_is_400_invalid_request() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let path = client_path(&reg);
    let mut with_token: Value = serde_json::from_slice(&update_body(&reg)).unwrap();
    with_token["registration_access_token"] = reg["registration_access_token"].clone();
    let mut other_id: Value = serde_json::from_slice(&update_body(&reg)).unwrap();
    other_id["client_id"] = json!("BBBBBBBBBBBBBBBBBBBBBB");
    for body in [with_token, other_id] {
        let r = send(
            &cfg,
            &store,
            "PUT",
            &path,
            JSON,
            Some(&bearer(&reg)),
            &serde_json::to_vec(&body).unwrap(),
        );
        assert_error(&r, 400, "invalid_request");
    }
}

// ---------------------------------------------------------------------------------------------
// Methods, paths, preflight, CORS
// ---------------------------------------------------------------------------------------------

fn allow_list(r: &ApiResponse, header: &str) -> Vec<String> {
    r.header(header)
        .unwrap_or_else(|| panic!("no {header} header: {:?}", r.headers))
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn wrong_method_is_405_with_allow() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let client = client_path(&reg);
    let cases: Vec<(&str, &str, &[&str])> = vec![
        ("GET", "/register", &["POST"]),
        ("PUT", "/register", &["POST"]),
        ("DELETE", "/register", &["POST"]),
        ("PATCH", "/register", &["POST"]),
        ("POST", &client, &["GET", "PUT", "DELETE"]),
        ("PATCH", &client, &["GET", "PUT", "DELETE"]),
        ("POST", DISCOVERY[0], &["GET"]),
        ("DELETE", DISCOVERY[1], &["GET"]),
    ];
    for (method, path, must_allow) in cases {
        let r = send(&cfg, &store, method, path, JSON, Some(&bearer(&reg)), b"{}");
        assert_eq!(r.status, 405, "{method} {path}: {:?}", r.body);
        let allow = allow_list(&r, "Allow");
        for m in must_allow {
            assert!(
                allow.iter().any(|a| a == m),
                "{method} {path}: Allow {allow:?} lacks {m}"
            );
        }
        assert!(
            !allow.iter().any(|a| a == method),
            "{method} {path}: Allow {allow:?}"
        );
    }
    // A 405 on /register/{id} did not touch the client.
    assert_eq!(store.dump().len(), 1);
}

#[test]
fn unknown_path_is_404() {
    let cfg = config();
    let store = MemoryStore::new();
    for path in [
        "/",
        "/registerx",
        "/register/",
        "/register/AAAAAAAAAAAAAAAAAAAAAA/extra",
        "/.well-known/openid-configuration/extra",
        "/.well-known/jwks.json",
        "/REGISTER",
    ] {
        for method in ["GET", "POST"] {
            let r = send(&cfg, &store, method, path, JSON, None, b"{}");
            assert_eq!(r.status, 404, "{method} {path}: {:?}", r.body);
        }
    }
}

#[test]
fn options_preflight_is_204_with_allowed_methods_and_headers() {
    let cfg = config();
    let store = MemoryStore::new();
    let cases: [(&str, &[&str]); 4] = [
        ("/register", &["POST"]),
        (
            "/register/AAAAAAAAAAAAAAAAAAAAAA",
            &["GET", "PUT", "DELETE"],
        ),
        (DISCOVERY[0], &["GET"]),
        (DISCOVERY[1], &["GET"]),
    ];
    for (path, methods) in cases {
        // No token needed for a preflight.
        let r = send(&cfg, &store, "OPTIONS", path, None, None, b"");
        assert_eq!(r.status, 204, "{path}: {:?}", r.body);
        assert_eq!(r.body, None, "{path}");
        let allowed = allow_list(&r, "Access-Control-Allow-Methods");
        for m in methods {
            assert!(
                allowed.iter().any(|a| a == m),
                "{path}: {allowed:?} lacks {m}"
            );
        }
        let headers = allow_list(&r, "Access-Control-Allow-Headers");
        for h in ["AUTHORIZATION", "CONTENT-TYPE"] {
            assert!(
                headers.iter().any(|a| a == h),
                "{path}: {headers:?} lacks {h}"
            );
        }
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"), "{path}");
    }
}

#[test]
fn responses_carry_access_control_allow_origin_star_by_default() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let path = client_path(&reg);
    let responses = [
        post_register(&cfg, &store, &web()),
        post_register(&cfg, &store, &json!({})),
        send(
            &cfg,
            &store,
            "POST",
            "/register",
            Some("text/plain"),
            None,
            b"{}",
        ),
        send(&cfg, &store, "GET", &path, None, Some(&bearer(&reg)), b""),
        send(&cfg, &store, "GET", &path, None, None, b""),
        send(&cfg, &store, "GET", "/register", None, None, b""),
        send(&cfg, &store, "GET", DISCOVERY[0], None, None, b""),
        send(&cfg, &store, "GET", DISCOVERY[1], None, None, b""),
        send(
            &cfg,
            &store,
            "DELETE",
            &path,
            None,
            Some(&bearer(&reg)),
            b"",
        ),
    ];
    for r in &responses {
        assert_eq!(
            r.header("Access-Control-Allow-Origin"),
            Some("*"),
            "status {}: {:?}",
            r.status,
            r.headers
        );
    }
}

#[test]
fn configured_cors_origin_is_sent_with_vary_origin() {
    let cfg = config_with(&[("CORS_ALLOW_ORIGIN", "https://app.example")]);
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let path = client_path(&reg);
    let responses = [
        post_register(&cfg, &store, &web()),
        send(&cfg, &store, "OPTIONS", "/register", None, None, b""),
        send(&cfg, &store, "GET", &path, None, Some(&bearer(&reg)), b""),
        send(&cfg, &store, "GET", &path, None, Some("Bearer wrong"), b""),
        send(&cfg, &store, "GET", DISCOVERY[1], None, None, b""),
    ];
    for r in &responses {
        assert_eq!(
            r.header("Access-Control-Allow-Origin"),
            Some("https://app.example"),
            "status {}: {:?}",
            r.status,
            r.headers
        );
        let vary = r.header("Vary").unwrap_or_default().to_ascii_lowercase();
        assert!(
            vary.split(',').any(|v| v.trim() == "origin"),
            "status {}: Vary {vary:?}",
            r.status
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------------

fn discovery(cfg: &Config, path: &str) -> Map<String, Value> {
    let store = MemoryStore::new();
    let r = send(cfg, &store, "GET", path, None, None, b"");
    assert_eq!(r.status, 200, "{path}: {:?}", r.body);
    assert!(r
        .header("Content-Type")
        .is_some_and(|ct| ct.starts_with("application/json")));
    r.body.unwrap().as_object().unwrap().clone()
}

fn string_list(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v} is not an array"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn discovery_on_both_paths_names_the_configured_issuer_and_endpoint() {
    let cfg = config();
    for path in DISCOVERY {
        let d = discovery(&cfg, path);
        assert_eq!(d["issuer"], ISSUER, "{path}");
        assert_eq!(
            d["registration_endpoint"],
            format!("{ISSUER}/register"),
            "{path}"
        );
        let grants = string_list(&d["grant_types_supported"]);
        assert!(grants.contains(&"authorization_code"), "{path}: {grants:?}");
        assert!(
            !grants.contains(&"implicit"),
            "{path}: implicit advertised by default"
        );
        let responses = string_list(&d["response_types_supported"]);
        assert!(responses.contains(&"code"));
        let methods = string_list(&d["token_endpoint_auth_methods_supported"]);
        for m in [
            "none",
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ] {
            assert!(methods.contains(&m), "{path}: {methods:?} lacks {m}");
        }
        assert!(!methods.contains(&"client_secret_jwt"));
        assert_eq!(
            string_list(&d["scopes_supported"]),
            [
                "openid",
                "profile",
                "email",
                "address",
                "phone",
                "offline_access"
            ]
        );
    }
    assert_eq!(discovery(&cfg, DISCOVERY[0]), discovery(&cfg, DISCOVERY[1]));
}

#[test]
fn discovery_issuer_is_the_configured_issuer_not_the_request_origin() {
    let cfg = config_with(&[("ISSUER", "https://auth.example.com")]);
    let store = MemoryStore::new();
    let req = ApiRequest {
        method: "GET",
        path: DISCOVERY[0],
        origin: "https://registrar-internal.workers.dev",
        query: "",
        request_origin: None,
        client_ip: None,
        request_id: None,
        content_type: None,
        authorization: None,
        body: b"",
        cookie: None,
        csrf: None,
    };
    let r = block_on(handle(&req, &cfg, &store, &NoLimits, NOW)).response;
    let d = r.body.unwrap();
    assert_eq!(d["issuer"], "https://auth.example.com");
    assert_eq!(
        d["registration_endpoint"],
        "https://auth.example.com/register"
    );
}

#[test]
fn discovery_advertises_implicit_when_enabled() {
    let cfg = config_with(&[(
        "GRANT_TYPES_SUPPORTED",
        "authorization_code implicit refresh_token",
    )]);
    let d = discovery(&cfg, DISCOVERY[1]);
    let grants = string_list(&d["grant_types_supported"]);
    assert!(grants.contains(&"implicit"), "{grants:?}");
    assert!(!grants.contains(&"client_credentials"), "{grants:?}");
}

#[test]
fn discovery_merges_server_metadata_without_overriding_enforced_members() {
    let operator = json!({
        "authorization_endpoint": "https://as.example/authorize",
        "token_endpoint": "https://as.example/token",
        "jwks_uri": "https://as.example/jwks.json",
        "code_challenge_methods_supported": ["S256"],
        "issuer": "https://evil.example",
        "registration_endpoint": "https://evil.example/register",
        "grant_types_supported": ["password", "implicit", "authorization_code"],
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "admin"],
        "token_endpoint_auth_methods_supported": ["client_secret_jwt"],
        "id_token_signing_alg_values_supported": ["none", "HS256"]
    })
    .to_string();
    let cfg = config_with(&[("AUTHORIZATION_SERVER_METADATA", &operator)]);
    let baseline = discovery(&config(), DISCOVERY[0]);
    for path in DISCOVERY {
        let d = discovery(&cfg, path);
        assert_eq!(d["authorization_endpoint"], "https://as.example/authorize");
        assert_eq!(d["token_endpoint"], "https://as.example/token");
        assert_eq!(d["jwks_uri"], "https://as.example/jwks.json");
        assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(d["issuer"], ISSUER, "{path}");
        assert_eq!(
            d["registration_endpoint"],
            format!("{ISSUER}/register"),
            "{path}"
        );
        for enforced in [
            "grant_types_supported",
            "response_types_supported",
            "scopes_supported",
            "token_endpoint_auth_methods_supported",
            "id_token_signing_alg_values_supported",
        ] {
            assert_eq!(
                d[enforced], baseline[enforced],
                "{path}: {enforced} overridden"
            );
        }
    }
}

#[test]
fn discovery_never_contains_null_even_from_operator_metadata() {
    // `send` (inside `discovery`) walks the body for nulls.
    let operator = r#"{"token_endpoint":"https://as.example/token","userinfo_endpoint":null,"service_documentation":null}"#;
    let cfg = config_with(&[("AUTHORIZATION_SERVER_METADATA", operator)]);
    let d = discovery(&cfg, DISCOVERY[0]);
    assert_eq!(d["token_endpoint"], "https://as.example/token");
}

#[test]
fn head_on_discovery_has_no_body() {
    let cfg = config();
    let store = MemoryStore::new();
    for path in DISCOVERY {
        let r = send(&cfg, &store, "HEAD", path, None, None, b"");
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, None, "{path}");
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    }
}

#[test]
fn every_api_response_carries_the_security_headers_and_hsts_only_on_https() {
    let store = MemoryStore::new();
    let https = config();
    let r = send(&https, &store, "GET", DISCOVERY[0], None, None, b"");
    assert_eq!(r.header("Referrer-Policy"), Some("no-referrer"));
    assert_eq!(
        r.header("Content-Security-Policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(
        r.header("Strict-Transport-Security"),
        Some("max-age=31536000")
    );
    let err = send(&https, &store, "GET", "/register/unknown", None, None, b"");
    assert_eq!(err.header("Referrer-Policy"), Some("no-referrer"));
    let local = config_with(&[("ISSUER", "http://127.0.0.1:8787")]);
    let r = send(&local, &store, "GET", DISCOVERY[0], None, None, b"");
    assert_eq!(r.header("Strict-Transport-Security"), None);
}

#[test]
fn admin_put_client_needs_the_admin_token_and_json_and_answers_the_summary() {
    const ADMIN: &str = "admin-token-0123456789abcdef0123456789";
    let cfg = config_with(&[("ADMIN_TOKEN", ADMIN)]);
    let store = MemoryStore::new();
    let reg = registered(&cfg, &store, web());
    let path = format!("/admin/clients/{}", reg["client_id"].as_str().unwrap());
    let auth = format!("Bearer {ADMIN}");
    let body = serde_json::to_vec(
        &json!({"redirect_uris": ["https://client.example/cb"], "client_name": "Renamed"}),
    )
    .unwrap();

    let r = send(&cfg, &store, "PATCH", &path, JSON, Some(&auth), &body);
    assert_eq!(
        (r.status, r.header("Allow")),
        (405, Some("GET, PUT, DELETE"))
    );
    let r = send(&cfg, &store, "PUT", &path, JSON, None, &body);
    assert_eq!(r.status, 401);
    assert!(r.header("WWW-Authenticate").is_some());
    let r = send(
        &cfg,
        &store,
        "PUT",
        &path,
        Some("text/plain"),
        Some(&auth),
        &body,
    );
    assert_eq!(r.status, 415);
    let r = send(
        &cfg,
        &store,
        "PUT",
        "/admin/clients/AAAAAAAAAAAAAAAAAAAAAA",
        JSON,
        Some(&auth),
        &body,
    );
    assert_eq!(r.status, 404);
    let r = send(&cfg, &store, "PUT", &path, JSON, Some(&auth), &body);
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    assert_eq!(r.body.unwrap()["metadata"]["client_name"], "Renamed");
}

/// The answers the Worker gives without opening storage, rate limits or document sources
/// (`answer_without_store`) are exactly `handle`'s, and every request that needs them is left
/// to `handle`.
#[test]
fn answers_without_store_are_handles_and_only_where_nothing_is_read() {
    use registrar::http::answer_without_store;
    let cfg = config();
    let store = MemoryStore::new();
    let req = |method, path| ApiRequest {
        method,
        path,
        origin: ORIGIN,
        query: "",
        request_origin: Some("https://app.example"),
        client_ip: Some("192.0.2.1"),
        request_id: Some("req-1"),
        content_type: JSON,
        authorization: None,
        body: b"{}",
        cookie: None,
        csrf: None,
    };
    let without = [
        ("GET", DISCOVERY[0]),
        ("HEAD", DISCOVERY[1]),
        ("OPTIONS", "/register"),
        ("OPTIONS", "/register/abc"),
        ("OPTIONS", "/metadata/validate"),
        ("GET", "/nowhere"),
        ("POST", "/"),
        ("GET", "/register"),
        ("PATCH", "/register/abc"),
        ("POST", DISCOVERY[0]),
    ];
    for (method, path) in without {
        let r = req(method, path);
        let quick = answer_without_store(&r, &cfg);
        assert!(quick.is_some(), "{method} {path} needs no store");
        let full = block_on(handle(&r, &cfg, &store, &NoLimits, NOW));
        let quick = quick.unwrap();
        assert_eq!(quick.response, full.response, "{method} {path}");
        assert_eq!(quick.route, full.route, "{method} {path}");
    }
    let with = [
        ("POST", "/register"),
        ("GET", "/register/abc"),
        ("PUT", "/register/abc"),
        ("DELETE", "/register/abc"),
        ("POST", "/metadata/validate"),
        ("GET", "/metadata/validate"),
        ("GET", "/admin/clients"),
        ("OPTIONS", "/admin/clients"),
        ("GET", "/as/v1/clients/abc"),
    ];
    for (method, path) in with {
        assert!(
            answer_without_store(&req(method, path), &cfg).is_none(),
            "{method} {path} is left to handle"
        );
    }
}

/// Prepared answers (kept per isolate by the Worker) are exactly `handle`'s, serialized; one is
/// reused only for a request it answers alike (same method, kind of route and origins), never
/// for one that needs storage, and the set stays bounded whatever origins arrive.
#[test]
fn prepared_answers_are_handles_reused_only_where_equal_and_bounded() {
    use registrar::http::{Prepared, PreparedAnswers, PREPARED_CAPACITY};
    // No ISSUER: the issuer is the origin the request arrived at.
    let cfg = config_with(&[
        ("ISSUER", ""),
        ("CORS_ALLOW_ORIGIN", "https://a.example https://b.example"),
    ]);
    let store = MemoryStore::new();
    let req = |method, path, origin, request_origin| ApiRequest {
        method,
        path,
        origin,
        query: "",
        request_origin,
        client_ip: None,
        request_id: None,
        content_type: JSON,
        authorization: None,
        body: b"",
        cookie: None,
        csrf: None,
    };
    let mut prepared = PreparedAnswers::default();
    let cases = [
        ("GET", DISCOVERY[0], ORIGIN, None),
        ("GET", DISCOVERY[1], ORIGIN, None),
        ("HEAD", DISCOVERY[0], ORIGIN, None),
        ("GET", DISCOVERY[0], "https://other.example", None),
        ("OPTIONS", "/register", ORIGIN, Some("https://a.example")),
        ("OPTIONS", "/register", ORIGIN, Some("https://b.example")),
        (
            "OPTIONS",
            "/register/one",
            ORIGIN,
            Some("https://a.example"),
        ),
        (
            "OPTIONS",
            "/register/two",
            ORIGIN,
            Some("https://a.example"),
        ),
        ("GET", "/nowhere", ORIGIN, None),
        ("GET", "/elsewhere", ORIGIN, None),
        ("PATCH", "/register/one", ORIGIN, None),
    ];
    // Twice: the second time every answer comes from the set, and must still equal handle's.
    for _ in 0..2 {
        for (method, path, origin, request_origin) in cases {
            let r = req(method, path, origin, request_origin);
            let full = block_on(handle(&r, &cfg, &store, &NoLimits, NOW));
            let quick = prepared.answer(&r, &cfg);
            assert_eq!(
                quick.as_deref(),
                Some(&Prepared::of(&full.response, full.route)),
                "{method} {path} from {origin} {request_origin:?}"
            );
        }
    }
    // Discovery names the issuer from the origin, and CORS echoes the listed origin.
    let d = prepared.answer(
        &req("GET", DISCOVERY[0], "https://other.example", None),
        &cfg,
    );
    assert!(d
        .unwrap()
        .body
        .as_deref()
        .unwrap()
        .contains("https://other.example/register"));
    for (method, path) in [
        ("POST", "/register"),
        ("GET", "/register/one"),
        ("POST", "/metadata/validate"),
        ("GET", "/admin/clients"),
        ("OPTIONS", "/as/v1/clients/one"),
    ] {
        assert!(prepared
            .answer(&req(method, path, ORIGIN, None), &cfg)
            .is_none());
    }
    let origins: Vec<String> = (0..100)
        .map(|i| format!("https://host{i}.example"))
        .collect();
    for origin in &origins {
        prepared.answer(&req("GET", DISCOVERY[0], origin, None), &cfg);
    }
    assert_eq!(prepared.len(), PREPARED_CAPACITY);
}
