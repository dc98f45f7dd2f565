//! Protected registration and the admin operations over the in-memory store: modes, initial
//! access tokens, quotas, suspension, recovery, and the audit log written with each change.

mod common;

use common::{block_on, config_with, registrar, IP_HASH, REQUEST_ID};
use registrar::admin::Query;
use registrar::config::Config;
use registrar::error::ApiError;
use registrar::ratelimit::NoLimits;
use registrar::service::Registrar;
use registrar::store::memory::MemoryStore;
use registrar::store::{ClientStatus, ClientStore};
use serde_json::{json, Map, Value};

const ADMIN: &str = "admin-token-admin-token-admin-token-0123";
const NOW: i64 = 1_800_000_000;

fn config(extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![("ADMIN_TOKEN", ADMIN)];
    vars.extend_from_slice(extra);
    config_with(&vars)
}

fn body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn web() -> Vec<u8> {
    body(json!({"redirect_uris": ["https://app.example/cb"], "client_name": "App"}))
}

fn s(m: &Map<String, Value>, k: &str) -> String {
    m[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing"))
        .to_string()
}

fn mint(r: &Registrar<MemoryStore>, spec: Value) -> Value {
    block_on(r.admin_mint_iat(&body(spec))).expect("mint")
}

#[test]
fn token_mode_requires_a_valid_initial_access_token() {
    let cfg = config(&[("REGISTRATION_MODE", "token")]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    assert_eq!(
        block_on(r.register(None, &web())).unwrap_err().code(),
        "invalid_token"
    );
    assert_eq!(
        block_on(r.register(Some("not-a-token"), &web()))
            .unwrap_err()
            .status(),
        401
    );
    let iat = mint(&r, json!({"label": "ci", "max_uses": 2}));
    let token = iat["token"].as_str().unwrap();
    block_on(r.register(Some(token), &web())).expect("first use");
    block_on(r.register(Some(token), &web())).expect("second use");
    let third = block_on(r.register(Some(token), &web())).unwrap_err();
    assert!(matches!(third, ApiError::InvalidBearer(_)), "{third:?}");
}

#[test]
fn disabled_mode_refuses_all_but_the_admin() {
    let cfg = config(&[("REGISTRATION_MODE", "disabled")]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let err = block_on(r.register(None, &web())).unwrap_err();
    assert_eq!((err.status(), err.code()), (403, "access_denied"));
    let reg = block_on(r.register(Some(ADMIN), &web())).expect("admin registers");
    let summary = block_on(r.admin_get_client(&s(&reg, "client_id"))).unwrap();
    assert_eq!(summary["policy_class"], "admin");
    assert_eq!(summary["registered_by"], "admin");
}

#[test]
fn the_summary_says_when_a_secret_expires_and_only_for_a_client_with_one() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let confidential = block_on(r.register(None, &web())).unwrap();
    let summary = block_on(r.admin_get_client(&s(&confidential, "client_id"))).unwrap();
    assert_eq!(summary["client_secret_expires_at"], 0, "{summary}");
    assert!(summary.get("client_secret").is_none(), "{summary}");
    let public = body(json!({"redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "none"}));
    let public = block_on(r.register(None, &public)).unwrap();
    let summary = block_on(r.admin_get_client(&s(&public, "client_id"))).unwrap();
    assert!(
        summary.get("client_secret_expires_at").is_none(),
        "{summary}"
    );
}

#[test]
fn expired_and_revoked_tokens_are_refused() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let short = mint(
        &r,
        json!({"label": "short", "expires_in": 60, "max_uses": 5}),
    );
    let later = registrar(&cfg, &store, NOW + 61);
    assert_eq!(
        block_on(later.register(short["token"].as_str(), &web()))
            .unwrap_err()
            .code(),
        "invalid_token"
    );
    let revoked = mint(&r, json!({"label": "r", "max_uses": 5}));
    block_on(r.admin_revoke_iat(revoked["id"].as_str().unwrap())).unwrap();
    assert_eq!(
        block_on(r.register(revoked["token"].as_str(), &web()))
            .unwrap_err()
            .code(),
        "invalid_token"
    );
    let listed = block_on(r.admin_list_iats(&Query::parse(""))).unwrap();
    let states: Vec<&str> = listed["initial_access_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"revoked"), "{states:?}");
    let listed = Value::Object(listed).to_string();
    assert!(!listed.contains(revoked["token"].as_str().unwrap()));
}

#[test]
fn tokens_of_one_kind_never_work_as_another() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let iat = mint(&r, json!({"label": "x", "max_uses": 5}));
    let reg = block_on(r.register(iat["token"].as_str(), &web())).unwrap();
    let id = s(&reg, "client_id");
    // The initial access token is not this client's registration access token...
    assert_eq!(
        block_on(r.read(&id, iat["token"].as_str(), &NoLimits)).unwrap_err(),
        ApiError::InvalidToken
    );
    // ...and the registration access token is not an initial access token.
    let rat = s(&reg, "registration_access_token");
    assert_eq!(
        block_on(r.register(Some(&rat), &web())).unwrap_err().code(),
        "invalid_token"
    );
}

#[test]
fn class_quota_counts_the_clients_a_class_holds() {
    let cfg = config(&[(
        "REGISTRATION_POLICY",
        r#"{"anonymous": {"max_clients": 2}}"#,
    )]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let first = block_on(r.register(None, &web())).unwrap();
    block_on(r.register(None, &web())).unwrap();
    let err = block_on(r.register(None, &web())).unwrap_err();
    assert_eq!((err.status(), err.code()), (403, "access_denied"));
    // Deleting one frees a place.
    block_on(r.delete(
        &s(&first, "client_id"),
        Some(&s(&first, "registration_access_token")),
        &NoLimits,
    ))
    .unwrap();
    block_on(r.register(None, &web())).expect("a place was freed");
}

#[test]
fn suspended_client_cannot_update_itself_but_can_read() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let reg = block_on(r.register(None, &web())).unwrap();
    let (id, rat) = (s(&reg, "client_id"), s(&reg, "registration_access_token"));
    let summary = block_on(r.admin_set_status(&id, ClientStatus::Suspended)).unwrap();
    assert_eq!(summary["status"], "suspended");
    let update = body(json!({"client_id": id, "redirect_uris": ["https://app.example/cb"]}));
    let err = block_on(r.update(&id, Some(&rat), Ok(&update), &NoLimits)).unwrap_err();
    assert_eq!((err.status(), err.code()), (403, "access_denied"));
    block_on(r.read(&id, Some(&rat), &NoLimits)).expect("reads still work");
    block_on(r.admin_set_status(&id, ClientStatus::Active)).unwrap();
    block_on(r.update(&id, Some(&rat), Ok(&update), &NoLimits)).expect("active again");
}

#[test]
fn reissued_token_replaces_the_lost_one() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let reg = block_on(r.register(None, &web())).unwrap();
    let id = s(&reg, "client_id");
    let fresh = block_on(r.admin_reissue_token(&id)).unwrap();
    let new_token = fresh["registration_access_token"].as_str().unwrap();
    assert_eq!(
        block_on(r.read(&id, Some(&s(&reg, "registration_access_token")), &NoLimits)).unwrap_err(),
        ApiError::InvalidToken
    );
    block_on(r.read(&id, Some(new_token), &NoLimits)).expect("new token works");
}

#[test]
fn rotated_secret_is_new_and_public_clients_have_none_to_rotate() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let reg = block_on(r.register(None, &web())).unwrap();
    let id = s(&reg, "client_id");
    let rotated = block_on(r.admin_rotate_secret(&id)).unwrap();
    assert_ne!(rotated["client_secret"], reg["client_secret"]);
    let public = block_on(r.register(
        None,
        &body(
            json!({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"}),
        ),
    ))
    .unwrap();
    let err = block_on(r.admin_rotate_secret(&s(&public, "client_id"))).unwrap_err();
    assert_eq!(err.code(), "invalid_request");
    assert_eq!(
        block_on(r.admin_rotate_secret("AAAAAAAAAAAAAAAAAAAAAA"))
            .unwrap_err()
            .status(),
        404
    );
}

#[test]
fn every_change_writes_its_event_and_refusals_are_logged() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let reg = block_on(r.register(None, &web())).unwrap();
    let (id, rat) = (s(&reg, "client_id"), s(&reg, "registration_access_token"));
    block_on(r.read(&id, Some(&rat), &NoLimits)).unwrap();
    // A refused update (wrong token) records no client_updated event.
    let update = body(json!({"client_id": id, "redirect_uris": ["https://app.example/cb"]}));
    block_on(r.update(&id, Some("wrong"), Ok(&update), &NoLimits)).unwrap_err();
    block_on(r.register(
        None,
        &body(json!({"redirect_uris": ["https://x.example/#f"]})),
    ))
    .unwrap_err();
    block_on(r.delete(&id, Some(&rat), &NoLimits)).unwrap();

    let log = store.audit_log();
    let events: Vec<&str> = log.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "client_registered",
            "client_read",
            "registration_refused",
            "client_deleted"
        ]
    );
    assert!(log
        .iter()
        .all(|e| e.request_id == REQUEST_ID && e.ip_hash.as_deref() == Some(IP_HASH)));
    assert_eq!(
        log[2].detail.as_ref().unwrap()["error"],
        "invalid_redirect_uri"
    );
    let dump = format!("{log:?}");
    for secret in [s(&reg, "client_secret"), rat] {
        assert!(!dump.contains(&secret), "a credential is in the audit log");
    }

    let page = block_on(r.admin_audit(&Query::parse("event=client_read"))).unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
}

#[test]
fn client_list_pages_by_keyset_newest_first() {
    let cfg = config(&[]);
    let store = MemoryStore::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = registrar(&cfg, &store, NOW + i);
        ids.push(s(&block_on(r.register(None, &web())).unwrap(), "client_id"));
    }
    let r = registrar(&cfg, &store, NOW + 10);
    let mut seen = Vec::new();
    let mut query = "limit=2".to_string();
    loop {
        let page = block_on(r.admin_list_clients(&Query::parse(&query))).unwrap();
        for c in page["clients"].as_array().unwrap() {
            seen.push(c["client_id"].as_str().unwrap().to_string());
            assert!(c.get("client_secret").is_none());
        }
        match page.get("next_cursor") {
            Some(cursor) => query = format!("limit=2&cursor={}", cursor.as_str().unwrap()),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids);
    let bad = block_on(r.admin_list_clients(&Query::parse("cursor=!!"))).unwrap_err();
    assert_eq!(bad.code(), "invalid_request");
    let found = block_on(store.list_clients(
        &registrar::store::ClientFilter {
            client_id_prefix: Some(ids[0][..6].to_string()),
            ..Default::default()
        },
        &None,
        10,
    ))
    .unwrap();
    assert!(found.iter().any(|c| c.client_id == ids[0]));
}

#[test]
fn scheduled_cleanup_removes_expired_tokens_and_only_idle_anonymous_clients() {
    let cfg = config(&[("IDLE_ANONYMOUS_CLIENT_DAYS", "30")]);
    let store = MemoryStore::new();
    let day = 86_400;
    let old = registrar(&cfg, &store, NOW - 40 * day);
    let idle = block_on(old.register(None, &web())).unwrap();
    let admin_owned = block_on(old.register(Some(ADMIN), &web())).unwrap();
    let read_lately = block_on(old.register(None, &web())).unwrap();
    let expired = mint(&old, json!({"label": "old", "expires_in": 60}));
    let r = registrar(&cfg, &store, NOW);
    let live = mint(&r, json!({"label": "live"}));
    block_on(r.read(
        &s(&read_lately, "client_id"),
        Some(&s(&read_lately, "registration_access_token")),
        &NoLimits,
    ))
    .unwrap();

    let report = block_on(r.scheduled_cleanup()).unwrap();
    assert_eq!((report.expired_tokens, report.idle_clients), (1, 1));
    let left: Vec<String> = store.dump().into_iter().map(|c| c.client_id).collect();
    assert!(!left.contains(&s(&idle, "client_id")));
    assert!(left.contains(&s(&admin_owned, "client_id")));
    assert!(left.contains(&s(&read_lately, "client_id")));
    let tokens = block_on(r.admin_list_iats(&Query::parse(""))).unwrap();
    let ids: Vec<&Value> = tokens["initial_access_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(ids, [&live["id"]]);
    let log = store.audit_log();
    let expired_event = log.iter().find(|e| e.event == "iat_expired").unwrap();
    assert_eq!(
        expired_event.detail.as_ref().unwrap()["iat_id"],
        expired["id"]
    );
    assert!(log
        .iter()
        .any(|e| e.event == "client_expired"
            && e.client_id.as_deref() == Some(&s(&idle, "client_id"))));
}

// =============================================================================================
// Issue 11, item 3: an initial access token whose profile was removed from the policy.
// =============================================================================================

const WITH_GONE: &str = r#"{"restricted_scopes": ["offline_access"],
    "anonymous": {"grant_types": ["authorization_code", "refresh_token"],
                  "scopes": ["openid", "profile", "email"],
                  "redirect_uri_hosts": ["app.example"]},
    "profiles": {"gone": {"scopes": ["openid", "email", "offline_access"]}, "kept": {}}}"#;
const WITHOUT_GONE: &str = r#"{"restricted_scopes": ["offline_access"],
    "anonymous": {"grant_types": ["authorization_code", "refresh_token"],
                  "scopes": ["openid", "profile", "email"],
                  "redirect_uri_hosts": ["app.example"]},
    "profiles": {"kept": {}}}"#;

fn iat_listed(r: &Registrar<MemoryStore>, id: &Value) -> Value {
    let page = block_on(r.admin_list_iats(&Query::parse("limit=100"))).unwrap();
    page["initial_access_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| &t["id"] == id)
        .cloned()
        .expect("listed")
}

#[test]
fn token_whose_profile_was_removed_is_refused_unused_and_the_refusal_audited() {
    let before = config(&[("REGISTRATION_POLICY", WITH_GONE)]);
    let after = config(&[("REGISTRATION_POLICY", WITHOUT_GONE)]);
    let store = MemoryStore::new();
    let r = registrar(&before, &store, NOW);
    let iat = mint(
        &r,
        json!({"label": "partner", "profile": "gone", "max_uses": 5}),
    );
    let token = iat["token"].as_str().unwrap();
    let reg = block_on(r.register(
        Some(token),
        &body(
            json!({"redirect_uris": ["https://app.example/cb"], "scope": "openid offline_access"}),
        ),
    ))
    .expect("registers while the profile exists");
    assert_eq!(reg["scope"], "openid offline_access");

    // The operator removes the profile.
    let r = registrar(&after, &store, NOW + 1);
    let err = block_on(r.register(Some(token), &web())).unwrap_err();
    assert_eq!(
        err,
        ApiError::InvalidBearer(registrar::service::IAT_PROFILE_REMOVED)
    );
    assert_eq!((err.status(), err.code()), (401, "invalid_token"));
    assert!(
        err.description()
            .contains("profile is no longer configured"),
        "{err}"
    );
    assert_eq!(
        err.headers(),
        vec![(
            "WWW-Authenticate",
            r#"Bearer error="invalid_token""#.to_string()
        )]
    );
    // Not used, shown to the operator, and the refusal is in the audit log under the token.
    let listed = iat_listed(&r, &iat["id"]);
    assert_eq!(listed["uses"], 1);
    assert_eq!(listed["state"], "profile_removed");
    assert_eq!(listed["profile"], "gone");
    let log = store.audit_log();
    let refused = log.last().unwrap();
    assert_eq!(refused.event, "registration_refused");
    assert_eq!(
        refused.actor,
        format!("iat:{}", iat["id"].as_str().unwrap())
    );
    assert_eq!(refused.detail.as_ref().unwrap()["error"], "invalid_token");
    assert_eq!(store.dump().len(), 1, "no client was stored");
    // A token of a profile still configured, and a token without profile, keep working.
    let kept = mint(&r, json!({"label": "kept", "profile": "kept"}));
    block_on(r.register(kept["token"].as_str(), &web())).expect("kept profile");
    assert_eq!(iat_listed(&r, &kept["id"])["state"], "exhausted");

    // The client registered with the removed profile is judged by the anonymous rules on PUT:
    // it keeps what it has (the restricted scope its profile gave it), may not add a host.
    let (id, rat) = (s(&reg, "client_id"), s(&reg, "registration_access_token"));
    let mut update = reg.clone();
    for k in registrar::service::SERVER_ONLY_MEMBERS {
        update.remove(*k);
    }
    update.remove("client_secret");
    let mut foreign = update.clone();
    foreign.insert(
        "redirect_uris".into(),
        json!(["https://elsewhere.example/cb"]),
    );
    let err = block_on(r.update(
        &id,
        Some(&rat),
        Ok(&body(Value::Object(foreign))),
        &NoLimits,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "invalid_redirect_uri", "{err}");
    let updated =
        block_on(r.update(&id, Some(&rat), Ok(&body(Value::Object(update))), &NoLimits)).unwrap();
    assert_eq!(updated["scope"], "openid offline_access");
    let mut more = as_update(&updated);
    more.insert("scope".into(), json!("openid offline_access address"));
    let err = block_on(r.update(
        &id,
        updated["registration_access_token"].as_str(),
        Ok(&body(Value::Object(more))),
        &NoLimits,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "invalid_client_metadata", "{err}");
}

#[test]
fn profile_less_token_without_profiles_default_registers_under_the_anonymous_rules() {
    let cfg = config(&[("REGISTRATION_POLICY", WITHOUT_GONE)]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let iat = mint(&r, json!({"label": "no profile", "max_uses": 5}));
    let token = iat["token"].as_str();
    let err = block_on(r.register(token, &body(json!({"grant_types": ["client_credentials"]}))))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_client_metadata", "{err}");
    let err = block_on(r.register(
        token,
        &body(json!({"redirect_uris": ["https://elsewhere.example/cb"]})),
    ))
    .unwrap_err();
    assert_eq!(err.code(), "invalid_redirect_uri", "{err}");
    let reg = block_on(r.register(token, &web())).expect("within the anonymous rules");
    let summary = block_on(r.admin_get_client(&s(&reg, "client_id"))).unwrap();
    assert_eq!(summary["policy_class"], "profile:default");
    assert_eq!(iat_listed(&r, &iat["id"])["state"], "active");
}

// =============================================================================================
// Issue 11, item 4: self-service PUT may not widen a client; the admin API (PUT
// /admin/clients/{id}) can.
// =============================================================================================

/// The client information response as an RFC 7592 update body.
fn as_update(reg: &Map<String, Value>) -> Map<String, Value> {
    let mut m = reg.clone();
    for k in registrar::service::SERVER_ONLY_MEMBERS {
        m.remove(*k);
    }
    m.remove("client_secret");
    m
}

fn set(m: &Map<String, Value>, k: &str, v: Value) -> Vec<u8> {
    let mut m = m.clone();
    m.insert(k.into(), v);
    body(Value::Object(m))
}

#[test]
fn self_service_update_cannot_widen_an_admin_or_token_client_and_the_admin_update_can() {
    let cfg = config(&[("REGISTRATION_POLICY", WITH_GONE)]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let iat = mint(&r, json!({"label": "p", "profile": "kept"}));
    for bearer in [None, Some(ADMIN), iat["token"].as_str()] {
        let reg = block_on(r.register(bearer, &web())).unwrap();
        let (id, rat) = (s(&reg, "client_id"), s(&reg, "registration_access_token"));
        let req = as_update(&reg);
        let cc = set(
            &req,
            "grant_types",
            json!(["authorization_code", "client_credentials"]),
        );
        let err = block_on(r.update(&id, Some(&rat), Ok(&cc), &NoLimits)).unwrap_err();
        assert_eq!(err.code(), "invalid_client_metadata", "{bearer:?}: {err}");
        let err = block_on(r.update(
            &id,
            Some(&rat),
            Ok(&set(
                &req,
                "redirect_uris",
                json!(["https://elsewhere.example/cb"]),
            )),
            &NoLimits,
        ))
        .unwrap_err();
        assert_eq!(err.code(), "invalid_redirect_uri", "{bearer:?}: {err}");
        let narrowed = block_on(r.update(
            &id,
            Some(&rat),
            Ok(&set(&req, "scope", json!("openid offline_access"))),
            &NoLimits,
        ))
        .unwrap();
        assert_eq!(narrowed["scope"], "openid", "{bearer:?}");
        let rat = s(&narrowed, "registration_access_token");

        // The admin adds them; the client keeps them in its own updates afterwards.
        let mut wide = req.clone();
        wide.insert(
            "grant_types".into(),
            json!(["authorization_code", "client_credentials"]),
        );
        wide.insert("scope".into(), json!("openid offline_access"));
        wide.insert(
            "redirect_uris".into(),
            json!(["https://elsewhere.example/cb"]),
        );
        let summary = block_on(r.admin_update_client(&id, &body(Value::Object(wide)))).unwrap();
        assert_eq!(
            summary["metadata"]["scope"], "openid offline_access",
            "{bearer:?}"
        );
        let read = block_on(r.read(&id, Some(&rat), &NoLimits)).expect("the token still works");
        let kept = block_on(r.update(
            &id,
            Some(&rat),
            Ok(&body(Value::Object(as_update(&read)))),
            &NoLimits,
        ))
        .unwrap_or_else(|e| panic!("{bearer:?}: keep-as-is refused: {e}"));
        assert_eq!(
            kept["grant_types"],
            json!(["authorization_code", "client_credentials"])
        );
        assert_eq!(kept["scope"], "openid offline_access", "{bearer:?}");
        assert_eq!(
            kept["redirect_uris"],
            json!(["https://elsewhere.example/cb"])
        );
    }
}

#[test]
fn admin_update_replaces_the_metadata_and_keeps_class_status_secret_and_token() {
    let cfg = config(&[("REGISTRATION_POLICY", WITH_GONE)]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let reg = block_on(r.register(None, &web())).unwrap();
    let (id, rat) = (s(&reg, "client_id"), s(&reg, "registration_access_token"));
    block_on(r.admin_set_status(&id, ClientStatus::Suspended)).unwrap();
    let before = block_on(store.find(&id)).unwrap().unwrap();

    let later = registrar(&cfg, &store, NOW + 5);
    let summary = block_on(later.admin_update_client(
        &id,
        &body(json!({
            "client_id": id,
            "client_name": "Renamed by the operator",
            "grant_types": ["client_credentials"],
            "scope": "openid offline_access"
        })),
    ))
    .unwrap();
    assert_eq!(summary["policy_class"], "anonymous");
    assert_eq!(summary["status"], "suspended");
    assert_eq!(summary["updated_at"], NOW + 5);
    assert_eq!(
        summary["metadata"]["client_name"],
        "Renamed by the operator"
    );
    assert_eq!(
        summary["metadata"]["grant_types"],
        json!(["client_credentials"])
    );
    assert!(summary.get("client_secret").is_none());
    let after = block_on(store.find(&id)).unwrap().unwrap();
    assert_eq!(after.client_secret_hash, before.client_secret_hash);
    assert_eq!(
        after.registration_token_hash,
        before.registration_token_hash
    );
    assert_eq!(after.version, before.version + 1);
    let event = store.audit_log().last().unwrap().clone();
    assert_eq!(
        (
            event.event.as_str(),
            event.actor.as_str(),
            event.client_id.as_deref()
        ),
        ("client_updated", "admin", Some(id.as_str()))
    );
    block_on(r.read(&id, Some(&rat), &NoLimits))
        .expect("the registration access token still works");

    // A public client made confidential gets a secret, shown once; the reverse removes it.
    let confidential = block_on(r.admin_update_client(
        &id,
        &body(json!({"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none"})),
    ))
    .unwrap();
    assert!(confidential.get("client_secret").is_none());
    assert_eq!(
        block_on(store.find(&id))
            .unwrap()
            .unwrap()
            .client_secret_hash,
        None
    );
    let back = block_on(r.admin_update_client(
        &id,
        &body(json!({"redirect_uris": ["https://app.example/cb"]})),
    ))
    .unwrap();
    assert!(
        back["client_secret"]
            .as_str()
            .is_some_and(|s| s.len() >= 43),
        "{back}"
    );
    assert_eq!(back["client_secret_expires_at"], 0);
}

#[test]
fn admin_update_refuses_what_it_must_and_is_held_to_the_admin_class() {
    let cfg = config(&[(
        "REGISTRATION_POLICY",
        r#"{"reserved_scopes": ["phone"], "admin": {"grant_types": ["authorization_code"]}}"#,
    )]);
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let reg = block_on(r.register(None, &web())).unwrap();
    let id = s(&reg, "client_id");
    let ok = json!({"redirect_uris": ["https://app.example/cb"]});
    let refused = |b: Value| block_on(r.admin_update_client(&id, &body(b))).unwrap_err();

    assert_eq!(
        block_on(r.admin_update_client("AAAAAAAAAAAAAAAAAAAAAA", &body(ok.clone())))
            .unwrap_err()
            .status(),
        404
    );
    for member in [
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
        "client_secret",
    ] {
        let mut b = ok.clone();
        b[member] = json!("x");
        let err = refused(b);
        assert_eq!(err.code(), "invalid_request", "{member}");
        assert!(err.description().starts_with(member), "{err}");
    }
    let mut other = ok.clone();
    other["client_id"] = json!("BBBBBBBBBBBBBBBBBBBBBB");
    assert_eq!(refused(other).code(), "invalid_request");
    assert_eq!(
        refused(json!({"redirect_uris": ["https://a.example/#f"]})).code(),
        "invalid_redirect_uri"
    );
    let err = refused(json!({"grant_types": ["client_credentials"]}));
    assert_eq!(
        err.code(),
        "invalid_client_metadata",
        "the admin class policy applies"
    );
    assert_eq!(
        block_on(r.admin_update_client(&id, b"[1]"))
            .unwrap_err()
            .code(),
        "invalid_request"
    );
    // Nothing above changed the client; a reserved scope is dropped even for the admin.
    assert_eq!(block_on(store.find(&id)).unwrap().unwrap().version, 0);
    let mut reserved = ok.clone();
    reserved["scope"] = json!("openid phone");
    reserved["client_id"] = json!(id);
    let summary = block_on(r.admin_update_client(&id, &body(reserved))).unwrap();
    assert_eq!(summary["metadata"]["scope"], "openid");
}
