//! The registration lifecycle (RFC 7591 §3, RFC 7592 §2) over the in-memory store:
//! register → read → update → delete, credentials, rotation, and what the store keeps.

mod common;

use common::{block_on, config, config_with, registrar, ISSUER};
use registrar::config::Config;
use registrar::error::ApiError;
use registrar::ratelimit::NoLimits;
use registrar::service::{Registrar, SERVER_ONLY_MEMBERS};
use registrar::store::memory::MemoryStore;
use registrar::token::{HashKey, Secret};
use serde_json::{json, Map, Value};

const T0: i64 = 1_700_000_000;

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn web() -> Value {
    json!({"redirect_uris": ["https://client.example/cb"], "client_name": "Example"})
}

#[track_caller]
fn register(r: &Registrar<'_, MemoryStore>, body: Value) -> Map<String, Value> {
    block_on(r.register(None, &bytes(&body))).unwrap_or_else(|e| panic!("register {body}: {e}"))
}

fn s<'m>(m: &'m Map<String, Value>, k: &str) -> &'m str {
    m.get(k)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{k} missing or not a string in {m:?}"))
}

fn id(m: &Map<String, Value>) -> String {
    s(m, "client_id").to_string()
}

fn token(m: &Map<String, Value>) -> String {
    s(m, "registration_access_token").to_string()
}

fn read(
    r: &Registrar<'_, MemoryStore>,
    id: &str,
    token: &str,
) -> Result<Map<String, Value>, ApiError> {
    block_on(r.read(id, Some(token), &NoLimits))
}

fn update(
    r: &Registrar<'_, MemoryStore>,
    id: &str,
    token: &str,
    body: &Value,
) -> Result<Map<String, Value>, ApiError> {
    let b = bytes(body);
    block_on(r.update(id, Some(token), Ok(&b), &NoLimits))
}

/// The registration response minus the server-only members, as an update request body.
fn as_update(m: &Map<String, Value>) -> Value {
    let mut m = m.clone();
    for k in SERVER_ONLY_MEMBERS {
        m.remove(*k);
    }
    Value::Object(m)
}

fn without(m: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let mut m = m.clone();
    for k in keys {
        m.remove(*k);
    }
    m
}

fn is_url_safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

// ---------------------------------------------------------------------------------------------
// register
// ---------------------------------------------------------------------------------------------

#[test]
fn register_returns_credentials_metadata_and_management_uri() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());

    let client_id = id(&reg);
    assert_eq!(client_id.len(), 22, "{client_id}");
    assert!(is_url_safe(&client_id), "{client_id}");
    assert_eq!(reg["client_id_issued_at"], json!(T0));
    let secret = s(&reg, "client_secret");
    assert!(secret.len() >= 32, "client_secret too short: {secret}");
    assert_eq!(reg["client_secret_expires_at"], json!(0));
    let rat = token(&reg);
    assert!(
        rat.len() >= 32,
        "registration_access_token too short: {rat}"
    );
    assert_ne!(rat, secret);
    assert_eq!(
        s(&reg, "registration_client_uri"),
        format!("{ISSUER}/register/{client_id}")
    );
    // The metadata, with defaults, is echoed alongside.
    assert_eq!(reg["redirect_uris"], json!(["https://client.example/cb"]));
    assert_eq!(reg["client_name"], "Example");
    assert_eq!(reg["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(reg["grant_types"], json!(["authorization_code"]));
    assert_eq!(reg["response_types"], json!(["code"]));
    assert_eq!(reg["application_type"], "web");
    assert_eq!(reg["scope"], "openid");
    assert_eq!(store.dump().len(), 1);
}

#[test]
fn register_issues_fresh_distinct_credentials_each_time() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let a = register(&r, web());
    let b = register(&r, web());
    assert_ne!(id(&a), id(&b));
    assert_ne!(s(&a, "client_secret"), s(&b, "client_secret"));
    assert_ne!(token(&a), token(&b));
    assert_eq!(store.dump().len(), 2);
}

#[test]
fn client_secret_post_client_gets_a_secret() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(
        &r,
        json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "client_secret_post"}),
    );
    assert!(!s(&reg, "client_secret").is_empty());
    assert_eq!(reg["client_secret_expires_at"], json!(0));
}

#[test]
fn public_client_gets_no_client_secret() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(
        &r,
        json!({"redirect_uris": ["com.example.app:/cb"], "token_endpoint_auth_method": "none"}),
    );
    assert!(reg.get("client_secret").is_none(), "{reg:?}");
    assert!(!token(&reg).is_empty());
    assert_eq!(reg["application_type"], "native");
    assert!(store.dump()[0].client_secret_hash.is_none());
}

#[test]
fn private_key_jwt_client_gets_no_client_secret() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(
        &r,
        json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
               "jwks_uri": "https://client.example/jwks.json"}),
    );
    assert!(reg.get("client_secret").is_none(), "{reg:?}");
    assert!(store.dump()[0].client_secret_hash.is_none());
}

#[test]
fn register_with_invalid_metadata_stores_nothing() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let err = block_on(r.register(
        None,
        &bytes(&json!({"redirect_uris": ["https://client.example/cb#x"]})),
    ))
    .unwrap_err();
    assert_eq!(err.code(), "invalid_redirect_uri");
    let err = block_on(r.register(
        None,
        &bytes(&json!({"redirect_uris": ["https://client.example/cb"], "scope": "admin"})),
    ))
    .unwrap_err();
    assert_eq!(err.code(), "invalid_client_metadata");
    assert!(store.dump().is_empty());
}

#[test]
fn register_with_malformed_body_is_invalid_request() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    for body in [&b""[..], b"  ", b"{", b"[]", b"\"x\"", b"null", b"42"] {
        let err = block_on(r.register(None, body)).unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidRequest(_)),
            "{:?}: {err:?}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(store.dump().is_empty());
}

// ---------------------------------------------------------------------------------------------
// read
// ---------------------------------------------------------------------------------------------

#[test]
fn read_returns_the_registration_without_the_secret() {
    let cfg = config();
    let store = MemoryStore::new();
    let reg = register(&registrar(&cfg, &store, T0), web());
    let later = registrar(&cfg, &store, T0 + 3600);
    let got = read(&later, &id(&reg), &token(&reg)).unwrap();
    assert_eq!(got, without(&reg, &["client_secret"]));
    assert_eq!(s(&got, "registration_access_token"), token(&reg));
    assert!(got.get("client_secret").is_none());
}

#[test]
fn read_of_a_public_client_equals_its_registration() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(
        &r,
        json!({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none", "client_name#fr": "Appli"}),
    );
    assert_eq!(read(&r, &id(&reg), &token(&reg)).unwrap(), reg);
}

#[test]
fn read_with_wrong_token_is_invalid_token() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let client_id = id(&reg);
    for bad in ["wrong", "", s(&reg, "client_secret"), &token(&reg)[1..]] {
        assert_eq!(
            read(&r, &client_id, bad),
            Err(ApiError::InvalidToken),
            "{bad:?}"
        );
    }
    assert_eq!(
        block_on(r.read(&client_id, None, &NoLimits)),
        Err(ApiError::InvalidToken)
    );
}

#[test]
fn read_with_another_clients_token_is_invalid_token() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let a = register(&r, web());
    let b = register(&r, web());
    assert_eq!(read(&r, &id(&a), &token(&b)), Err(ApiError::InvalidToken));
    assert_eq!(read(&r, &id(&b), &token(&a)), Err(ApiError::InvalidToken));
}

#[test]
fn read_of_unknown_client_is_invalid_token() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    // Well-shaped but never issued, and not id-shaped at all.
    for unknown in ["AAAAAAAAAAAAAAAAAAAAAA", "../../etc/passwd", "", "x"] {
        assert_eq!(
            read(&r, unknown, &token(&reg)),
            Err(ApiError::InvalidToken),
            "{unknown}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// delete
// ---------------------------------------------------------------------------------------------

#[test]
fn delete_needs_the_right_token_then_the_client_is_gone() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let a = register(&r, web());
    let b = register(&r, web());

    assert_eq!(
        block_on(r.delete(&id(&a), Some("wrong"), &NoLimits)),
        Err(ApiError::InvalidToken)
    );
    assert_eq!(
        block_on(r.delete(&id(&a), Some(&token(&b)), &NoLimits)),
        Err(ApiError::InvalidToken)
    );
    assert_eq!(
        block_on(r.delete(&id(&a), None, &NoLimits)),
        Err(ApiError::InvalidToken)
    );
    assert!(
        read(&r, &id(&a), &token(&a)).is_ok(),
        "failed deletes must not delete"
    );

    assert_eq!(
        block_on(r.delete(&id(&a), Some(&token(&a)), &NoLimits)),
        Ok(())
    );
    assert_eq!(read(&r, &id(&a), &token(&a)), Err(ApiError::InvalidToken));
    assert_eq!(
        block_on(r.delete(&id(&a), Some(&token(&a)), &NoLimits)),
        Err(ApiError::InvalidToken)
    );
    assert_eq!(
        update(&r, &id(&a), &token(&a), &as_update(&a)),
        Err(ApiError::InvalidToken)
    );
    // The other client is untouched.
    assert!(read(&r, &id(&b), &token(&b)).is_ok());
    assert_eq!(store.dump().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// update
// ---------------------------------------------------------------------------------------------

#[test]
fn update_replaces_the_registration_and_omitted_members_are_removed() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(
        &r,
        json!({"redirect_uris": ["https://client.example/cb"], "client_name": "Old", "client_name#fr": "Vieux",
               "contacts": ["a@client.example"], "logo_uri": "https://client.example/logo.png", "scope": "openid email"}),
    );
    let client_id = id(&reg);
    let body = json!({"client_id": client_id, "redirect_uris": ["https://client.example/new"]});
    let upd = update(
        &registrar(&cfg, &store, T0 + 10),
        &client_id,
        &token(&reg),
        &body,
    )
    .unwrap();

    assert_eq!(upd["redirect_uris"], json!(["https://client.example/new"]));
    for gone in ["client_name", "client_name#fr", "contacts", "logo_uri"] {
        assert!(upd.get(gone).is_none(), "{gone} should be removed: {upd:?}");
    }
    assert_eq!(
        upd["scope"], "openid",
        "omitted scope returns to the default"
    );
    assert_eq!(upd["client_id"], json!(client_id));
    assert_eq!(
        upd["client_id_issued_at"],
        json!(T0),
        "issued_at does not move on update"
    );
    assert_eq!(
        s(&upd, "registration_client_uri"),
        format!("{ISSUER}/register/{client_id}")
    );

    let now = read(&r, &client_id, &token(&upd)).unwrap();
    assert_eq!(now, without(&upd, &["client_secret"]));
}

#[test]
fn update_without_matching_client_id_is_invalid_request() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let other = register(&r, web());
    let client_id = id(&reg);
    let before = store.dump();

    let mut cases = Vec::new();
    let mut missing = as_update(&reg);
    missing.as_object_mut().unwrap().remove("client_id");
    cases.push(("missing", missing));
    let mut different = as_update(&reg);
    different["client_id"] = json!(id(&other));
    cases.push(("another client's id", different));
    let mut non_string = as_update(&reg);
    non_string["client_id"] = json!(42);
    cases.push(("non-string", non_string));
    let mut null_id = as_update(&reg);
    null_id["client_id"] = Value::Null;
    cases.push(("null", null_id));

    for (what, body) in cases {
        let err = update(&r, &client_id, &token(&reg), &body).unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidRequest(_)),
            "{what}: {err:?}"
        );
    }
    // Nothing changed and the token is still the current one.
    assert_eq!(
        read(&r, &client_id, &token(&reg)).unwrap(),
        without(&reg, &["client_secret"])
    );
    let mut after = store.dump();
    let mut before = before;
    before.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    after.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    // The read above recorded itself; that is the only change.
    for c in &mut after {
        if c.client_id == client_id {
            assert_eq!(c.last_read_at, Some(T0));
            c.last_read_at = None;
        }
    }
    assert_eq!(before, after);
}

#[test]
fn update_with_wrong_client_secret_is_invalid_request() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let client_id = id(&reg);
    for bad in [json!("not-the-secret"), json!(""), json!(12)] {
        let mut body = as_update(&reg);
        body["client_secret"] = bad.clone();
        let err = update(&r, &client_id, &token(&reg), &body).unwrap_err();
        assert!(matches!(err, ApiError::InvalidRequest(_)), "{bad}: {err:?}");
    }
    // The right secret is accepted, and echoed back.
    let upd = update(&r, &client_id, &token(&reg), &as_update(&reg)).unwrap();
    assert_eq!(upd["client_secret"], reg["client_secret"]);
}

#[test]
fn update_of_public_client_presenting_a_secret_is_invalid_request() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(
        &r,
        json!({"redirect_uris": ["com.example.app:/cb"], "token_endpoint_auth_method": "none"}),
    );
    let mut body = as_update(&reg);
    body["client_secret"] = json!("anything");
    let err = update(&r, &id(&reg), &token(&reg), &body).unwrap_err();
    assert!(matches!(err, ApiError::InvalidRequest(_)), "{err:?}");
}

#[test]
fn update_refuses_each_server_only_member() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let client_id = id(&reg);
    for member in [
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
    ] {
        let mut body = as_update(&reg);
        body[member] = reg[member].clone();
        let err = update(&r, &client_id, &token(&reg), &body).unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidRequest(_)),
            "{member}: {err:?}"
        );
    }
    // Still the original registration under the original token.
    assert_eq!(
        read(&r, &client_id, &token(&reg)).unwrap(),
        without(&reg, &["client_secret"])
    );
}

#[test]
fn update_with_invalid_metadata_gives_the_rfc_error_and_changes_nothing() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let client_id = id(&reg);
    let before = store.dump();

    let cases: Vec<(&str, Value)> = vec![
        (
            "invalid_redirect_uri",
            json!({"redirect_uris": ["https://client.example/cb#frag"]}),
        ),
        ("invalid_redirect_uri", json!({"redirect_uris": []})),
        (
            "invalid_client_metadata",
            json!({"redirect_uris": ["https://client.example/cb"], "scope": "admin"}),
        ),
        (
            "invalid_client_metadata",
            json!({"redirect_uris": ["https://client.example/cb"], "grant_types": ["password"]}),
        ),
        (
            "invalid_client_metadata",
            json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "client_secret_jwt"}),
        ),
        (
            "invalid_software_statement",
            json!({"redirect_uris": ["https://client.example/cb"], "software_statement": "a.b.c"}),
        ),
    ];
    for (code, mut body) in cases {
        body["client_id"] = json!(client_id);
        let err = update(&r, &client_id, &token(&reg), &body).unwrap_err();
        assert_eq!(err.code(), code, "{body}: {err:?}");
    }
    assert_eq!(store.dump(), before);
    assert_eq!(
        read(&r, &client_id, &token(&reg)).unwrap(),
        without(&reg, &["client_secret"])
    );
}

#[test]
fn update_with_malformed_body_is_invalid_request_and_token_stays() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    for body in [&b""[..], b"{", b"[]", b"null"] {
        let err =
            block_on(r.update(&id(&reg), Some(&token(&reg)), Ok(body), &NoLimits)).unwrap_err();
        assert!(matches!(err, ApiError::InvalidRequest(_)), "{err:?}");
    }
    assert!(read(&r, &id(&reg), &token(&reg)).is_ok());
}

#[test]
fn update_authenticates_before_looking_at_the_body() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let other = register(&r, web());
    let client_id = id(&reg);
    for refused in [ApiError::UnsupportedMediaType, ApiError::PayloadTooLarge] {
        assert_eq!(
            block_on(r.update(&client_id, Some("wrong"), Err(refused.clone()), &NoLimits)),
            Err(ApiError::InvalidToken)
        );
        assert_eq!(
            block_on(r.update(
                &client_id,
                Some(&token(&other)),
                Err(refused.clone()),
                &NoLimits
            )),
            Err(ApiError::InvalidToken)
        );
        assert_eq!(
            block_on(r.update(
                &client_id,
                Some(&token(&reg)),
                Err(refused.clone()),
                &NoLimits
            )),
            Err(refused)
        );
    }
    // A garbage body with a wrong token is also just invalid_token.
    assert_eq!(
        block_on(r.update(&client_id, Some("wrong"), Ok(b"{not json"), &NoLimits)),
        Err(ApiError::InvalidToken)
    );
    assert_eq!(
        block_on(r.update(&client_id, None, Ok(&bytes(&as_update(&reg))), &NoLimits)),
        Err(ApiError::InvalidToken)
    );
}

#[test]
fn update_with_another_clients_token_is_invalid_token() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let a = register(&r, web());
    let b = register(&r, web());
    assert_eq!(
        update(&r, &id(&a), &token(&b), &as_update(&a)),
        Err(ApiError::InvalidToken)
    );
}

#[test]
fn update_rotates_the_registration_access_token() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let client_id = id(&reg);
    let upd = update(&r, &client_id, &token(&reg), &as_update(&reg)).unwrap();
    let new_token = token(&upd);
    assert_ne!(new_token, token(&reg));
    assert_eq!(
        read(&r, &client_id, &token(&reg)),
        Err(ApiError::InvalidToken)
    );
    assert_eq!(
        update(&r, &client_id, &token(&reg), &as_update(&reg)),
        Err(ApiError::InvalidToken)
    );
    assert_eq!(
        block_on(r.delete(&client_id, Some(&token(&reg)), &NoLimits)),
        Err(ApiError::InvalidToken)
    );
    let got = read(&r, &client_id, &new_token).unwrap();
    assert_eq!(s(&got, "registration_access_token"), new_token);
}

#[test]
fn without_rotation_the_token_stays() {
    let cfg = config_with(&[("ROTATE_REGISTRATION_ACCESS_TOKEN", "false")]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let client_id = id(&reg);
    let mut body = as_update(&reg);
    body["client_name"] = json!("Renamed");
    let upd = update(&r, &client_id, &token(&reg), &body).unwrap();
    assert_eq!(token(&upd), token(&reg));
    let got = read(&r, &client_id, &token(&reg)).unwrap();
    assert_eq!(got["client_name"], "Renamed");
    let again = update(&r, &client_id, &token(&reg), &as_update(&reg)).unwrap();
    assert_eq!(again["client_name"], "Example");
}

#[test]
fn two_updates_with_the_same_old_token_second_is_invalid_token() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let client_id = id(&reg);
    let old = token(&reg);

    let mut first = as_update(&reg);
    first["client_name"] = json!("First");
    let mut second = as_update(&reg);
    second["client_name"] = json!("Second");

    let won = update(&r, &client_id, &old, &first).unwrap();
    assert_eq!(
        update(&r, &client_id, &old, &second),
        Err(ApiError::InvalidToken)
    );
    let got = read(&r, &client_id, &token(&won)).unwrap();
    assert_eq!(got["client_name"], "First");
}

#[test]
fn moving_from_none_to_client_secret_basic_issues_a_secret() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(
        &r,
        json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "none"}),
    );
    assert!(reg.get("client_secret").is_none());
    let client_id = id(&reg);

    let mut body = as_update(&reg);
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let upd = update(&r, &client_id, &token(&reg), &body).unwrap();
    let secret = s(&upd, "client_secret").to_string();
    assert!(secret.len() >= 32, "{secret}");
    assert_eq!(upd["client_secret_expires_at"], json!(0));
    assert_eq!(upd["token_endpoint_auth_method"], "client_secret_basic");
    assert!(store.dump()[0].client_secret_hash.is_some());

    // The issued secret is the one now registered: presenting it verifies, another does not.
    let mut next = as_update(&upd);
    let mut wrong = next.clone();
    wrong["client_secret"] = json!("not-it");
    assert!(matches!(
        update(&r, &client_id, &token(&upd), &wrong),
        Err(ApiError::InvalidRequest(_))
    ));
    next["client_name"] = json!("Now confidential");
    let again = update(&r, &client_id, &token(&upd), &next).unwrap();
    assert_eq!(again["client_secret"], json!(secret));
}

#[test]
fn moving_to_none_drops_the_secret() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let reg = register(&r, web());
    let client_id = id(&reg);

    let mut body = as_update(&reg);
    body.as_object_mut().unwrap().remove("client_secret");
    body["token_endpoint_auth_method"] = json!("none");
    let upd = update(&r, &client_id, &token(&reg), &body).unwrap();
    assert!(upd.get("client_secret").is_none(), "{upd:?}");
    assert_eq!(upd["token_endpoint_auth_method"], "none");
    assert!(store.dump()[0].client_secret_hash.is_none());

    // The old secret is no longer anything: presenting it is refused.
    let mut stale = as_update(&upd);
    stale["client_secret"] = reg["client_secret"].clone();
    assert!(matches!(
        update(&r, &client_id, &token(&upd), &stale),
        Err(ApiError::InvalidRequest(_))
    ));

    // Moving back to a secret-based method issues a new secret, not the old one.
    let mut back = as_update(&upd);
    back["token_endpoint_auth_method"] = json!("client_secret_post");
    let again = update(&r, &client_id, &token(&upd), &back).unwrap();
    assert_ne!(again["client_secret"], reg["client_secret"]);
    assert!(!s(&again, "client_secret").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Round-trip law: a registration response minus the server-only members, sent as an update,
// yields the same registration (only the rotated token differs).
// ---------------------------------------------------------------------------------------------

fn round_trip(cfg: &Config, body: Value) {
    let store = MemoryStore::new();
    let reg = register(&registrar(cfg, &store, T0), body.clone());
    let client_id = id(&reg);
    let upd = update(
        &registrar(cfg, &store, T0 + 60),
        &client_id,
        &token(&reg),
        &as_update(&reg),
    )
    .unwrap_or_else(|e| panic!("{body}: round trip refused: {e}"));
    if cfg.rotate_registration_token {
        assert_ne!(token(&upd), token(&reg), "{body}");
    }
    assert_eq!(
        without(&upd, &["registration_access_token"]),
        without(&reg, &["registration_access_token"]),
        "{body}: the update changed the registration"
    );
    let got = read(&registrar(cfg, &store, T0 + 120), &client_id, &token(&upd)).unwrap();
    assert_eq!(
        without(&got, &["registration_access_token"]),
        without(&reg, &["registration_access_token", "client_secret"]),
    );
}

#[test]
fn round_trip_of_a_confidential_web_client() {
    round_trip(
        &config(),
        json!({"redirect_uris": ["https://EXAMPLE.com:443/a/../cb?x=1"], "client_name": "Web",
               "client_name#fr": "Toile", "logo_uri#de": "https://client.example/de.png",
               "contacts": ["ops@client.example"], "scope": "openid profile",
               "grant_types": ["authorization_code", "refresh_token"],
               "post_logout_redirect_uris": ["https://client.example/bye"],
               "default_max_age": 300, "require_auth_time": true}),
    );
}

#[test]
fn round_trip_of_a_native_public_client() {
    round_trip(
        &config(),
        json!({"redirect_uris": ["com.example.app:/cb", "http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"}),
    );
}

#[test]
fn round_trip_of_a_client_credentials_client() {
    round_trip(
        &config(),
        json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_post"}),
    );
}

#[test]
fn round_trip_of_a_private_key_jwt_client_with_encryption() {
    round_trip(
        &config(),
        json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
               "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1",
                                  "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                                  "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]},
               "token_endpoint_auth_signing_alg": "ES256",
               "id_token_encrypted_response_alg": "ECDH-ES",
               "userinfo_signed_response_alg": "PS256",
               "request_object_signing_alg": "ES256",
               "request_uris": ["https://client.example/r/1"],
               "initiate_login_uri": "https://client.example/login"}),
    );
}

#[test]
fn round_trip_of_an_implicit_client_when_enabled() {
    round_trip(
        &config_with(&[(
            "GRANT_TYPES_SUPPORTED",
            "authorization_code implicit refresh_token",
        )]),
        json!({"redirect_uris": ["https://client.example/cb"], "grant_types": ["authorization_code", "implicit"],
               "response_types": ["code id_token", "code"]}),
    );
}

#[test]
fn round_trip_without_rotation_keeps_everything() {
    round_trip(
        &config_with(&[("ROTATE_REGISTRATION_ACCESS_TOKEN", "false")]),
        web(),
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets at rest and in Debug output
// ---------------------------------------------------------------------------------------------

#[test]
fn store_dump_holds_neither_secrets_nor_tokens() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, T0);
    let mut issued: Vec<String> = Vec::new();

    let a = register(&r, web());
    let b = register(
        &r,
        json!({"redirect_uris": ["com.example.app:/cb"], "token_endpoint_auth_method": "none"}),
    );
    let c = register(&r, json!({"grant_types": ["client_credentials"]}));
    for reg in [&a, &b, &c] {
        issued.push(token(reg));
        if let Some(sec) = reg.get("client_secret").and_then(Value::as_str) {
            issued.push(sec.to_string());
        }
    }
    // Rotate a's token and give b a secret.
    let upd_a = update(&r, &id(&a), &token(&a), &as_update(&a)).unwrap();
    issued.push(token(&upd_a));
    let mut to_basic = as_update(&b);
    to_basic["token_endpoint_auth_method"] = json!("client_secret_basic");
    let upd_b = update(&r, &id(&b), &token(&b), &to_basic).unwrap();
    issued.push(token(&upd_b));
    issued.push(s(&upd_b, "client_secret").to_string());

    let records = store.dump();
    assert_eq!(records.len(), 3);
    for record in &records {
        let debug = format!("{record:?}");
        let pretty = format!("{record:#?}");
        for value in &issued {
            assert!(
                !debug.contains(value.as_str()) && !pretty.contains(value.as_str()),
                "stored record of {} leaks an issued credential",
                record.client_id
            );
        }
        assert!(!record.registration_token_hash.as_stored().is_empty());
    }
    let whole = format!("{:?}", store);
    for value in &issued {
        assert!(
            !whole.contains(value.as_str()),
            "store Debug leaks a credential"
        );
    }
}

#[test]
fn debug_of_secret_and_hash_key_never_shows_the_value() {
    let presented = Secret::from_presented("hunter2-correct-horse-battery");
    let debug = format!("{presented:?} {presented:#?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("battery"), "{debug}");

    let generated = Secret::generate().unwrap();
    let debug = format!("{generated:?}");
    assert!(!debug.contains(generated.expose()), "{debug}");

    let key = HashKey::new(b"super-secret-key-material-0123456789").unwrap();
    let debug = format!("{key:?} {key:#?}");
    assert!(!debug.contains("super-secret"), "{debug}");
    assert!(!debug.contains("0123456789"), "{debug}");

    let cfg = config();
    let debug = format!("{cfg:?}");
    assert!(
        !debug.contains("0123456789abcdef"),
        "Config Debug shows the HMAC key: {debug}"
    );
}
