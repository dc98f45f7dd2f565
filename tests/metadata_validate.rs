//! `POST /metadata/validate` in the core: every error at once, warnings, the normalized
//! document equal to what registration stores, and the client ID metadata document rules.

mod common;

use common::{block_on, config, config_with, json_request, registrar, POLICY};
use registrar::config::Config;
use registrar::http::{handle, ApiResponse, NoLimits};
use registrar::metadata::cimd::{check_document, client_id_problem};
use registrar::store::memory::MemoryStore;
use serde_json::{json, Map, Value};

const NOW: i64 = 1_700_000_000;

fn validate_with(cfg: &Config, query: &str, body: &Value) -> ApiResponse {
    let store = MemoryStore::default();
    let bytes = serde_json::to_vec(body).unwrap();
    let req = registrar::http::ApiRequest {
        query,
        ..json_request("POST", "/metadata/validate", None, &bytes)
    };
    let r = block_on(handle(&req, cfg, &store, &NoLimits, NOW)).response;
    assert!(
        store.dump().is_empty() && store.audit_log().is_empty(),
        "validate stored something"
    );
    r
}

fn validate(body: Value) -> Value {
    let r = validate_with(&config(), "", &body);
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body.unwrap()
}

/// `(member, error)` of each error.
fn errors(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let member = e.get("member").and_then(Value::as_str).unwrap_or("");
            (member.to_string(), e["error"].as_str().unwrap().to_string())
        })
        .collect()
}

fn warned(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["member"].as_str().unwrap().to_string())
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(m, e)| (m.to_string(), e.to_string()))
        .collect()
}

/// A table row: name, request, expected `(member, error)` of each error.
type Case = (&'static str, Value, &'static [(&'static str, &'static str)]);

const META: &str = "invalid_client_metadata";
const REDIRECT: &str = "invalid_redirect_uri";

#[test]
fn every_error_is_reported_with_its_member() {
    let cases: &[Case] = &[
        (
            "three independent errors",
            json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb#frag"],
                   "logo_uri": "ftp://x.example/logo.png", "contacts": ["ok", 5],
                   "application_type": "web", "client_name": "X"}),
            &[
                ("redirect_uris[1]", REDIRECT),
                ("logo_uri", META),
                ("contacts[1]", META),
            ],
        ),
        (
            "bad items keep their original index",
            json!({"redirect_uris": ["javascript:x", "https://ok.example/cb", "data:x", "file:/x"]}),
            &[
                ("redirect_uris[0]", REDIRECT),
                ("redirect_uris[2]", REDIRECT),
                ("redirect_uris[3]", REDIRECT),
            ],
        ),
        (
            "the only redirect URI bad: no extra 'required' error, later members still checked",
            json!({"redirect_uris": ["https://x.example/#f"], "tos_uri": 3}),
            &[("redirect_uris[0]", REDIRECT), ("tos_uri", META)],
        ),
        (
            "redirect URIs missing, and another error",
            json!({"client_uri": "nope", "scope": "openid nonsense"}),
            &[
                ("redirect_uris", REDIRECT),
                ("client_uri", META),
                ("scope", META),
            ],
        ),
        (
            "software statement and an unknown auth method",
            json!({"redirect_uris": ["https://a.example/cb"], "software_statement": "x.y.z",
                   "token_endpoint_auth_method": "magic"}),
            &[
                ("software_statement", "invalid_software_statement"),
                ("token_endpoint_auth_method", META),
            ],
        ),
        (
            "a bad localized member",
            json!({"redirect_uris": ["https://a.example/cb"], "client_name#xx-!!": "X",
                   "default_max_age": -1}),
            &[("default_max_age", META), ("client_name#xx-!!", META)],
        ),
        (
            "a bad key names jwks.keys[0]",
            json!({"redirect_uris": ["https://a.example/cb"], "jwks": {"keys": [{"kty": "oct", "k": "AA"}]},
                   "require_auth_time": "yes"}),
            &[("jwks.keys[0]", META), ("require_auth_time", META)],
        ),
    ];
    for (name, body, expected) in cases {
        let v = validate(body.clone());
        assert_eq!(errors(&v), pairs(expected), "{name}: {v}");
        assert_eq!(v["valid"], false, "{name}");
        assert!(v.get("normalized").is_none(), "{name}: {v}");
        for e in v["errors"].as_array().unwrap() {
            assert!(!e["description"].as_str().unwrap().is_empty(), "{name}");
        }
    }
}

#[test]
fn valid_metadata_is_normalized_exactly_as_registration_stores_it() {
    let cfg = config();
    let bodies = [
        json!({"redirect_uris": ["https://a.example/cb"], "client_name": "A",
               "application_type": "web"}),
        json!({"redirect_uris": ["http://127.0.0.1:8080/cb"], "token_endpoint_auth_method": "none",
               "scope": "openid profile", "unknown_member": 1, "client_name#fr": "Le A"}),
        json!({"grant_types": ["client_credentials"], "client_name": "svc"}),
    ];
    for body in bodies {
        let v = validate(body.clone());
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["errors"], json!([]));
        let store = MemoryStore::default();
        let r = registrar(&cfg, &store, NOW);
        let mut registered: Map<String, Value> =
            block_on(r.register(None, &serde_json::to_vec(&body).unwrap())).unwrap();
        for k in [
            "client_id",
            "client_secret",
            "client_secret_expires_at",
            "client_id_issued_at",
            "registration_access_token",
            "registration_client_uri",
        ] {
            registered.remove(k);
        }
        assert_eq!(v["normalized"], Value::Object(registered), "{body}");
    }
}

#[test]
fn warnings_name_their_member() {
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "a careful web client: none",
            json!({"redirect_uris": ["https://app.example/cb"], "client_name": "A",
                   "application_type": "web", "logo_uri": "https://app.example/l.png"}),
            &[],
        ),
        (
            "localhost, and http loopback on a web client",
            json!({"redirect_uris": ["https://app.example/cb", "http://localhost:3000/cb"],
                   "client_name": "A", "application_type": "web"}),
            &["redirect_uris[1]", "redirect_uris[1]"],
        ),
        (
            "no name, no application type",
            json!({"redirect_uris": ["https://app.example/cb"]}),
            &["client_name", "application_type"],
        ),
        (
            "a native client left on client_secret_basic",
            json!({"redirect_uris": ["com.example.app:/cb"], "client_name": "A",
                   "application_type": "native"}),
            &["token_endpoint_auth_method"],
        ),
        (
            "offline_access without refresh_token",
            json!({"redirect_uris": ["https://app.example/cb"], "client_name": "A",
                   "application_type": "web", "scope": "openid offline_access"}),
            &["scope"],
        ),
        (
            "a logo on another host",
            json!({"redirect_uris": ["https://app.example/cb"], "client_name": "A",
                   "application_type": "web", "logo_uri": "https://cdn.other.example/l.png",
                   "client_uri": "https://app.example/"}),
            &["logo_uri"],
        ),
        (
            "hosts compare as the URL parser reads them: case and port do not matter",
            json!({"redirect_uris": ["https://App.Example:8443/cb"], "client_name": "A",
                   "application_type": "web", "logo_uri": "https://app.example/l.png"}),
            &[],
        ),
        (
            "an IPv6 literal with a port is one host, not \"[\"",
            json!({"redirect_uris": ["https://[2001:db8::1]:8443/cb"], "client_name": "A",
                   "application_type": "web", "logo_uri": "https://[2001:db8::2]/l.png",
                   "client_uri": "https://[2001:db8::1]/"}),
            &["logo_uri"],
        ),
    ];
    for (name, body, expected) in cases {
        let v = validate(body.clone());
        assert_eq!(v["valid"], true, "{name}: {v}");
        assert_eq!(warned(&v), *expected, "{name}: {v}");
        for w in v["warnings"].as_array().unwrap() {
            assert!(!w["description"].as_str().unwrap().is_empty(), "{name}");
        }
    }
}

#[test]
fn the_implicit_grant_is_warned_about() {
    let cfg = config_with(&[(
        "GRANT_TYPES_SUPPORTED",
        "authorization_code implicit refresh_token",
    )]);
    let body = json!({"redirect_uris": ["https://app.example/cb"], "client_name": "A",
        "application_type": "web", "grant_types": ["implicit"], "response_types": ["id_token"]});
    let v = validate_with(&cfg, "", &body).body.unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(warned(&v), ["grant_types"]);
}

#[test]
fn scopes_the_anonymous_policy_drops_are_a_warning() {
    let cfg = config_with(&[("REGISTRATION_POLICY", POLICY)]);
    let body = json!({"redirect_uris": ["https://client.example/cb"], "client_name": "A",
        "application_type": "web", "scope": "openid offline_access phone",
        "grant_types": ["authorization_code", "refresh_token"]});
    let v = validate_with(&cfg, "", &body).body.unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["normalized"]["scope"], "openid");
    assert_eq!(warned(&v), ["scope"], "{v}");
    let text = v["warnings"][0]["description"].as_str().unwrap();
    assert!(text.contains("offline_access phone"), "{text}");
    // A host the anonymous policy refuses is an error naming the redirect URI.
    let body = json!({"redirect_uris": ["https://client.example/cb", "https://elsewhere.test/cb"]});
    let v = validate_with(&cfg, "", &body).body.unwrap();
    assert_eq!(errors(&v), pairs(&[("redirect_uris[1]", REDIRECT)]), "{v}");
}

#[test]
fn cimd_profile_adds_the_document_rules() {
    let good = json!({"client_id": "https://app.example/client.json", "client_name": "A",
        "redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none",
        "application_type": "web"});
    let v = validate_with(&config(), "profile=cimd", &good)
        .body
        .unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert!(v["normalized"].get("client_id").is_none());
    // Without the profile the same document is valid too (client_id is ignored).
    let cases: &[Case] = &[
        (
            "no client_id, a secret, client_secret_basic",
            json!({"redirect_uris": ["https://app.example/cb"], "client_secret": "s",
                   "token_endpoint_auth_method": "client_secret_basic"}),
            &[
                ("client_id", META),
                ("client_secret", META),
                ("token_endpoint_auth_method", META),
            ],
        ),
        (
            "no redirect URIs, auth method absent",
            json!({"client_id": "https://app.example/c", "grant_types": ["client_credentials"],
                   "client_secret_expires_at": 0}),
            &[
                ("client_secret_expires_at", META),
                ("token_endpoint_auth_method", META),
                ("redirect_uris", REDIRECT),
            ],
        ),
        (
            "a secret sent as null is still a member the document must not have",
            json!({"client_id": "https://app.example/c", "redirect_uris": ["https://app.example/cb"],
                   "token_endpoint_auth_method": "none", "client_secret": null}),
            &[("client_secret", META)],
        ),
        (
            "an empty redirect_uris, reported once",
            json!({"client_id": "https://app.example/c", "redirect_uris": [],
                   "token_endpoint_auth_method": "none"}),
            &[("redirect_uris", REDIRECT)],
        ),
    ];
    for (name, body, expected) in cases {
        let v = validate_with(&config(), "profile=cimd", body).body.unwrap();
        assert_eq!(errors(&v), pairs(expected), "{name}: {v}");
        assert_eq!(v["valid"], false);
    }
    let r = validate_with(&config(), "profile=other", &good);
    assert_eq!(r.status, 400);
}

#[test]
fn client_id_url_rules() {
    let cases: &[(&str, bool)] = &[
        ("https://app.example/client.json", true),
        ("https://app.example:8443/c?v=1", true),
        ("http://app.example/client.json", false),
        ("https://app.example", false),
        ("https://app.example/", false),
        ("https://app.example/c#x", false),
        ("https://user:pw@app.example/c", false),
        ("https://app.example/a/../c", false),
        ("https://app.example/./c", false),
        ("https://app.example/%2E%2E/c", false),
        ("https:///c", false),
        ("https://App.example/c", false),
        ("https://app.example:443/c", false),
        ("https://@app.example/c", false),
        ("urn:x", false),
    ];
    for (id, ok) in cases {
        assert_eq!(client_id_problem(id).is_none(), *ok, "{id}");
    }
    let doc = json!({"client_id": "https://app.example/c", "redirect_uris": ["https://a/cb"],
        "token_endpoint_auth_method": "private_key_jwt"});
    let doc = doc.as_object().unwrap();
    assert!(check_document(Some("https://app.example/c"), doc).is_empty());
    let e = check_document(Some("https://app.example/other"), doc);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].member, "client_id");
}

#[test]
fn http_contract_matches_register() {
    let cfg = config();
    let store = MemoryStore::default();
    let send = |ct: Option<&str>, body: &[u8]| {
        let req = registrar::http::ApiRequest {
            content_type: ct,
            ..json_request("POST", "/metadata/validate", None, body)
        };
        block_on(handle(&req, &cfg, &store, &NoLimits, NOW)).response
    };
    let big = vec![b' '; 64 * 1024 + 1];
    for (ct, body, status) in [
        (Some("application/json"), &b"{"[..], 400),
        (Some("application/json"), &b"[]"[..], 400),
        (Some("application/json"), &b""[..], 400),
        (Some("text/plain"), &b"{}"[..], 415),
        (Some("application/json"), &big[..], 413),
        (Some("application/json"), &b"{}"[..], 200),
    ] {
        let r = send(ct, body);
        assert_eq!(r.status, status, "{:?}", r.body);
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
        assert_eq!(r.header("Access-Control-Allow-Origin"), Some("*"));
    }
    let other = |method| {
        let req = json_request(method, "/metadata/validate", None, b"");
        block_on(handle(&req, &cfg, &store, &NoLimits, NOW)).response
    };
    // GET ?url= fetches a client ID metadata document: with CIMD off, the CIMD routes' 404.
    let get = other("GET");
    assert_eq!(get.status, 404);
    let text = get.body.unwrap()["error_description"].to_string();
    assert!(text.contains("CIMD"), "{text}");
    let head = other("HEAD");
    assert_eq!(head.status, 405);
    assert_eq!(head.header("Allow"), Some("GET, POST, OPTIONS"));
    assert!(store.dump().is_empty() && store.audit_log().is_empty());
}
