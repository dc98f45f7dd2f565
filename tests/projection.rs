//! The client projection for @cloudflare/workers-oauth-provider (`PROJECT_CLIENTS`,
//! docs/authorization-server.md): the record shape, the secret digest the library compares,
//! every change projected, failures repaired by a resync, and what a resync leaves alone.
//! The real library reads these records in tests/as/.

mod common;

use common::{block_on, config_with, ISSUER, REQUEST_ID};
use registrar::config::Config;
use registrar::projection::{KvPage, Projecting, ProjectionKv, ResyncReport, KEY_PREFIX};
use registrar::service::{Registrar, RequestOrigin};
use registrar::store::memory::MemoryStore;
use registrar::store::{ClientStatus, ClientStore};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

const ADMIN_TOKEN: &str = "admin-token-0123456789abcdef0123456789ab";
const NOW: i64 = 1_800_000_000;

/// An in-memory KV namespace: value and metadata per key; `failing` makes every write fail.
#[derive(Default)]
struct MemoryKv {
    keys: RefCell<BTreeMap<String, (String, Option<Value>)>>,
    failing: Cell<bool>,
    writes: Cell<usize>,
}

impl ProjectionKv for MemoryKv {
    async fn put(&self, key: &str, value: &str, tag: &str) -> Result<(), String> {
        self.writes.set(self.writes.get() + 1);
        if self.failing.get() {
            return Err("KV unavailable".into());
        }
        self.keys.borrow_mut().insert(
            key.into(),
            (value.into(), Some(json!({ "registrar": tag }))),
        );
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.writes.set(self.writes.get() + 1);
        if self.failing.get() {
            return Err("KV unavailable".into());
        }
        self.keys.borrow_mut().remove(key);
        Ok(())
    }

    /// Pages of two keys, so the resync's paging is exercised.
    async fn list(&self, prefix: &str, cursor: Option<String>) -> Result<KvPage, String> {
        let keys = self.keys.borrow();
        let start = cursor.unwrap_or_default();
        let page: Vec<(String, Option<Value>)> = keys
            .range(start.clone()..)
            .filter(|(k, _)| k.starts_with(prefix) && **k != start)
            .take(2)
            .map(|(k, (_, metadata))| (k.clone(), metadata.clone()))
            .collect();
        let cursor = (page.len() == 2).then(|| page[1].0.clone());
        Ok(KvPage { keys: page, cursor })
    }
}

impl MemoryKv {
    fn record(&self, client_id: &str) -> Option<Value> {
        self.keys
            .borrow()
            .get(&format!("{KEY_PREFIX}{client_id}"))
            .map(|(v, _)| serde_json::from_str(v).expect("a record is JSON"))
    }

    /// A key somebody else wrote (no tag), as the library's own registration would.
    fn put_foreign(&self, key: &str, value: Value) {
        self.keys
            .borrow_mut()
            .insert(key.into(), (value.to_string(), None));
    }

    /// A grant of `client_id` to `user` as the library writes it (the client in the key's
    /// metadata), with two access tokens.
    fn put_grant(&self, user: &str, grant: &str, client_id: &str) {
        let mut keys = self.keys.borrow_mut();
        let metadata = json!({ "clientId": client_id, "redirectUri": "https://app.example/cb" });
        keys.insert(
            format!("grant:{user}:{grant}"),
            ("{}".into(), Some(metadata)),
        );
        for t in ["t1", "t2"] {
            keys.insert(format!("token:{user}:{grant}:{t}"), ("{}".into(), None));
        }
    }

    /// The grant and token keys there are.
    fn grants_and_tokens(&self) -> Vec<String> {
        self.keys
            .borrow()
            .keys()
            .filter(|k| k.starts_with("grant:") || k.starts_with("token:"))
            .cloned()
            .collect()
    }
}

type Store = Projecting<MemoryStore, MemoryKv>;

fn config() -> Config {
    config_with(&[
        ("PROJECT_CLIENTS", "workers-oauth-provider"),
        ("ADMIN_TOKEN", ADMIN_TOKEN),
    ])
}

fn store() -> Store {
    Projecting {
        store: MemoryStore::new(),
        kv: Some(MemoryKv::default()),
    }
}

fn kv(store: &Store) -> &MemoryKv {
    store.kv.as_ref().unwrap()
}

fn registrar<'a>(config: &'a Config, store: &'a Store) -> Registrar<'a, Store> {
    Registrar {
        config,
        store,
        issuer: ISSUER.to_string(),
        now: NOW,
        origin: RequestOrigin {
            request_id: REQUEST_ID.into(),
            ip_hash: None,
            ip_limit_key: None,
            admin_actor: None,
        },
    }
}

fn register(r: &Registrar<Store>, metadata: Value) -> Map<String, Value> {
    block_on(r.register(None, metadata.to_string().as_bytes())).expect("register")
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn text<'a>(m: &'a Map<String, Value>, key: &str) -> &'a str {
    m[key].as_str().unwrap()
}

fn web_client() -> Value {
    json!({
        "redirect_uris": ["https://app.example/cb"],
        "client_name": "Web app",
        "client_name#ja": "ウェブ",
        "software_id": "not-in-the-record",
        "logo_uri": "https://app.example/logo.png",
        "contacts": ["ops@app.example"],
        "scope": "openid profile",
    })
}

#[test]
fn a_confidential_client_is_projected_in_the_library_shape_with_the_sha256_of_its_secret() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    let reg = register(&r, web_client());
    let id = text(&reg, "client_id");
    let record = kv(&store).record(id).expect("projected");
    assert_eq!(
        record,
        json!({
            "clientId": id,
            "clientSecret": sha256_hex(text(&reg, "client_secret")),
            "redirectUris": ["https://app.example/cb"],
            "clientName": "Web app",
            "logoUri": "https://app.example/logo.png",
            "i18n": {"client_name#ja": "ウェブ"},
            "contacts": ["ops@app.example"],
            "grantTypes": ["authorization_code"],
            "responseTypes": ["code"],
            "registrationDate": NOW,
            "tokenEndpointAuthMethod": "client_secret_basic",
            "authMethodExplicit": true,
        })
    );
    // The digest is kept beside the keyed hash, so the record can be rebuilt from the store.
    let stored = block_on(store.find(id)).unwrap().unwrap();
    assert_eq!(
        stored.projected_secret.as_deref(),
        Some(sha256_hex(text(&reg, "client_secret")).as_str())
    );
}

#[test]
fn a_public_client_has_no_secret_and_a_private_key_jwt_client_is_not_projected() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    let public = register(
        &r,
        json!({"application_type": "native", "token_endpoint_auth_method": "none",
               "redirect_uris": ["http://127.0.0.1:4000/cb"]}),
    );
    let record = kv(&store).record(text(&public, "client_id")).unwrap();
    assert_eq!(record["tokenEndpointAuthMethod"], "none");
    assert!(record.get("clientSecret").is_none(), "{record}");

    let jwt = register(
        &r,
        json!({"redirect_uris": ["https://app.example/cb"],
               "token_endpoint_auth_method": "private_key_jwt",
               "jwks_uri": "https://app.example/jwks.json"}),
    );
    assert_eq!(kv(&store).record(text(&jwt, "client_id")), None);
    let report = block_on(store.resync()).unwrap().unwrap();
    assert_eq!((report.skipped, report.unchanged), (1, 1), "{report:?}");
}

#[test]
fn every_change_is_projected_update_suspend_reactivate_rotate_delete() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    let reg = register(&r, web_client());
    let id = text(&reg, "client_id").to_string();
    let token = text(&reg, "registration_access_token").to_string();

    // RFC 7592 update of the redirect URIs.
    let mut update = reg.clone();
    for m in [
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
    ] {
        update.remove(m);
    }
    update.insert("redirect_uris".into(), json!(["https://app.example/new"]));
    let limits = registrar::http::NoLimits;
    let updated = block_on(r.update(
        &id,
        Some(&token),
        Ok(Value::Object(update).to_string().as_bytes()),
        &limits,
    ))
    .expect("update");
    let record = kv(&store).record(&id).unwrap();
    assert_eq!(record["redirectUris"], json!(["https://app.example/new"]));
    assert_eq!(
        record["clientSecret"],
        sha256_hex(text(&reg, "client_secret")),
        "an update keeps the secret"
    );

    block_on(r.admin_set_status(&id, ClientStatus::Suspended)).unwrap();
    assert_eq!(kv(&store).record(&id), None, "suspended: absent");
    block_on(r.admin_set_status(&id, ClientStatus::Active)).unwrap();
    assert!(kv(&store).record(&id).is_some(), "reactivated: back");

    let rotated = block_on(r.admin_rotate_secret(&id)).unwrap();
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_eq!(
        kv(&store).record(&id).unwrap()["clientSecret"],
        sha256_hex(new_secret)
    );

    // A new registration access token changes nothing the AS reads: no write.
    let writes = kv(&store).writes.get();
    block_on(r.admin_reissue_token(&id)).unwrap();
    assert_eq!(kv(&store).writes.get(), writes);

    let token = block_on(r.admin_reissue_token(&id)).unwrap()["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    block_on(r.delete(&id, Some(&token), &limits)).expect("delete");
    assert_eq!(kv(&store).record(&id), None, "deleted: absent");
    drop(updated);
}

#[test]
fn moving_to_none_drops_the_secret_and_moving_back_projects_the_new_one() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    let reg = register(&r, web_client());
    let id = text(&reg, "client_id").to_string();
    let to_none = json!({"redirect_uris": ["https://app.example/cb"],
                         "token_endpoint_auth_method": "none"});
    block_on(r.admin_update_client(&id, to_none.to_string().as_bytes())).unwrap();
    let record = kv(&store).record(&id).unwrap();
    assert!(record.get("clientSecret").is_none(), "{record}");
    assert_eq!(
        block_on(store.find(&id)).unwrap().unwrap().projected_secret,
        None
    );

    let back = json!({"redirect_uris": ["https://app.example/cb"],
                      "token_endpoint_auth_method": "client_secret_post"});
    let out = block_on(r.admin_update_client(&id, back.to_string().as_bytes())).unwrap();
    let fresh = out["client_secret"].as_str().expect("a new secret, once");
    let record = kv(&store).record(&id).unwrap();
    assert_eq!(record["clientSecret"], sha256_hex(fresh));
    assert_eq!(record["tokenEndpointAuthMethod"], "client_secret_post");
}

#[test]
fn a_failed_write_keeps_the_registration_is_logged_and_a_resync_repairs_it() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    kv(&store).failing.set(true);
    let reg = register(&r, web_client());
    let id = text(&reg, "client_id").to_string();
    assert!(block_on(store.find(&id)).unwrap().is_some(), "saved anyway");
    assert_eq!(kv(&store).record(&id), None);
    let failed: Vec<_> = store
        .store
        .audit_log()
        .into_iter()
        .filter(|e| e.event == "projection_failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].client_id.as_deref(), Some(id.as_str()));
    assert_eq!(failed[0].request_id, REQUEST_ID);

    // Still failing: counted, nothing claimed.
    let report = block_on(store.resync()).unwrap().unwrap();
    assert_eq!((report.written, report.failed), (0, 1), "{report:?}");

    kv(&store).failing.set(false);
    let report = block_on(r.resync_projection("system")).unwrap().unwrap();
    assert_eq!(
        report,
        ResyncReport {
            written: 1,
            complete: true,
            ..ResyncReport::default()
        }
    );
    assert_eq!(
        kv(&store).record(&id).unwrap()["clientSecret"],
        sha256_hex(text(&reg, "client_secret"))
    );
    let resynced = store
        .store
        .audit_log()
        .into_iter()
        .find(|e| e.event == "projection_resynced")
        .expect("a resync that wrote is recorded");
    assert_eq!(resynced.detail.unwrap()["written"], 1);
}

#[test]
fn resync_repairs_drift_and_leaves_foreign_keys_alone() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    let ids: Vec<String> = (0..5)
        .map(|i| {
            let reg = register(
                &r,
                json!({"redirect_uris": [format!("https://app{i}.example/cb")]}),
            );
            text(&reg, "client_id").to_string()
        })
        .collect();
    let k = kv(&store);
    // Drift: one record removed behind Registrar's back, one overwritten by hand (no tag), one
    // stale record of a deleted client, and a client the library registered itself.
    k.keys
        .borrow_mut()
        .remove(&format!("{KEY_PREFIX}{}", ids[0]));
    k.put_foreign(
        &format!("{KEY_PREFIX}{}", ids[1]),
        json!({"clientId": ids[1]}),
    );
    let gone = k.keys.borrow()[&format!("{KEY_PREFIX}{}", ids[2])].clone();
    assert!(gone.1.is_some(), "Registrar's records carry a tag");
    block_on(store.store.delete(&ids[2], None, &[])).unwrap();
    k.keys
        .borrow_mut()
        .insert(format!("{KEY_PREFIX}{}", ids[2]), gone);
    k.put_foreign("client:their-own", json!({"clientId": "their-own"}));
    k.put_foreign("grant:user:1", json!({}));

    let report = block_on(store.resync()).unwrap().unwrap();
    assert_eq!(
        report,
        ResyncReport {
            written: 2,
            removed: 1,
            unchanged: 2,
            foreign: 1,
            complete: true,
            ..ResyncReport::default()
        }
    );
    for id in [&ids[0], &ids[1], &ids[3], &ids[4]] {
        let record = k.record(id).expect("projected");
        assert_eq!(record["clientId"], id.as_str());
        assert!(record.get("redirectUris").is_some());
    }
    assert_eq!(k.record(&ids[2]), None);
    assert!(k.record("their-own").is_some(), "not Registrar's to remove");
    assert!(k.keys.borrow().contains_key("grant:user:1"));

    // Nothing left to do: everything unchanged, no write at all.
    let writes = k.writes.get();
    let again = block_on(store.resync()).unwrap().unwrap();
    assert_eq!((again.unchanged, again.written, again.removed), (4, 0, 0));
    assert_eq!(k.writes.get(), writes);
}

#[test]
fn a_secret_issued_before_the_projection_is_skipped_until_rotated() {
    let store = store();
    let plain = config_with(&[("ADMIN_TOKEN", ADMIN_TOKEN)]);
    let reg = register(&registrar(&plain, &store), web_client());
    let id = text(&reg, "client_id").to_string();
    assert_eq!(
        block_on(store.find(&id)).unwrap().unwrap().projected_secret,
        None,
        "nothing but the keyed hash without PROJECT_CLIENTS"
    );
    kv(&store).keys.borrow_mut().clear();

    let config = config();
    let r = registrar(&config, &store);
    let report = block_on(store.resync()).unwrap().unwrap();
    assert_eq!((report.skipped, report.written), (1, 0), "{report:?}");
    assert_eq!(kv(&store).record(&id), None);
    let rotated = block_on(r.admin_rotate_secret(&id)).unwrap();
    assert_eq!(
        kv(&store).record(&id).unwrap()["clientSecret"],
        sha256_hex(rotated["client_secret"].as_str().unwrap())
    );
}

#[test]
fn project_clients_is_checked_at_start() {
    let bad = Config::from_vars(|name| match name {
        "PROJECT_CLIENTS" => Some("keycloak".into()),
        "REGISTRAR_HMAC_KEY" => Some("0123456789abcdef0123456789abcdef".into()),
        _ => None,
    });
    assert!(bad.unwrap_err().contains("PROJECT_CLIENTS"));
    let kv = Config::from_vars(|name| match name {
        "PROJECT_CLIENTS" => Some("workers-oauth-provider".into()),
        "STORAGE_BACKEND" => Some("kv".into()),
        "REGISTRAR_HMAC_KEY" => Some("0123456789abcdef0123456789abcdef".into()),
        _ => None,
    });
    assert!(kv.unwrap_err().contains("STORAGE_BACKEND=d1"));
}

#[test]
fn deleting_or_suspending_a_client_revokes_its_grants_and_tokens_and_no_one_elses() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    let a = text(&register(&r, web_client()), "client_id").to_string();
    let b = text(&register(&r, web_client()), "client_id").to_string();
    let k = kv(&store);
    k.put_grant("alice", "ga", &a);
    k.put_grant("bob:with:colons", "gb", &a);
    k.put_grant("alice", "gc", &b);
    k.put_grant("carol", "gd", "https://cimd.example/client.json");

    block_on(r.admin_set_status(&a, ClientStatus::Suspended)).unwrap();
    assert_eq!(
        k.grants_and_tokens(),
        [
            "grant:alice:gc",
            "grant:carol:gd",
            "token:alice:gc:t1",
            "token:alice:gc:t2",
            "token:carol:gd:t1",
            "token:carol:gd:t2",
        ],
        "a's grants and tokens are gone, the others' kept"
    );
    block_on(r.admin_set_status(&a, ClientStatus::Active)).unwrap();
    assert!(k.record(&a).is_some());

    block_on(r.admin_delete_client(&b)).unwrap();
    assert_eq!(
        k.grants_and_tokens(),
        ["grant:carol:gd", "token:carol:gd:t1", "token:carol:gd:t2"]
    );
}

#[test]
fn resync_revokes_the_grants_of_clients_the_as_must_not_know() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    let live = text(&register(&r, web_client()), "client_id").to_string();
    let deleted = text(&register(&r, web_client()), "client_id").to_string();
    // Deleted behind the projection's back (as if its KV writes had failed).
    block_on(store.store.delete(&deleted, None, &[])).unwrap();
    let k = kv(&store);
    k.put_foreign("client:theirs0000000000000000", json!({"clientId": "x"}));
    k.put_grant("u", "g1", &live);
    k.put_grant("u", "g2", &deleted);
    k.put_grant("u", "g3", "theirs0000000000000000");
    k.put_grant("u", "g4", "lib-own-16-chars");

    let report = block_on(store.resync()).unwrap().unwrap();
    assert_eq!(
        (report.removed, report.grants_revoked),
        (1, 1),
        "{report:?}"
    );
    let left = k.grants_and_tokens();
    assert!(left.contains(&"grant:u:g1".to_string()));
    assert!(!left.iter().any(|key| key.contains(":g2")), "{left:?}");
    assert!(
        left.contains(&"grant:u:g3".to_string()),
        "a foreign record's client"
    );
    assert!(
        left.contains(&"grant:u:g4".to_string()),
        "not an id Registrar issues"
    );
}

#[test]
fn the_frequent_cron_resyncs_only_after_a_failed_write() {
    let (config, store) = (config(), store());
    let r = registrar(&config, &store);
    register(&r, web_client());
    assert_eq!(block_on(r.scheduled_projection_repair()).unwrap(), None);

    kv(&store).failing.set(true);
    let id = text(&register(&r, web_client()), "client_id").to_string();
    kv(&store).failing.set(false);
    let later = Registrar {
        now: NOW + 299,
        ..registrar(&config, &store)
    };
    let report = block_on(later.scheduled_projection_repair())
        .unwrap()
        .expect("a resync");
    assert_eq!((report.written, report.unchanged), (1, 1), "{report:?}");
    assert!(kv(&store).record(&id).is_some());
    // Ten minutes on, that failure is old news: no resync.
    let much_later = Registrar {
        now: NOW + 601,
        ..registrar(&config, &store)
    };
    assert_eq!(
        block_on(much_later.scheduled_projection_repair()).unwrap(),
        None
    );
}

#[test]
fn a_client_the_as_authorized_is_used_and_outlives_the_unused_client_ttl() {
    // UNUSED_CLIENT_TTL defaults to a day with a projection: uses are read from the grants.
    let (config, store) = (config(), store());
    assert_eq!(config.unused_client_ttl, Some(86_400));
    let r = registrar(&config, &store);
    let signed_in = text(&register(&r, web_client()), "client_id").to_string();
    let abandoned = text(&register(&r, web_client()), "client_id").to_string();
    kv(&store).put_grant("alice", "g1", &signed_in);

    let next_day = Registrar {
        now: NOW + 86_401,
        ..registrar(&config, &store)
    };
    let report = block_on(next_day.scheduled_cleanup()).unwrap();
    assert_eq!(report.used_by_grants, Some(1));
    assert_eq!(report.unused_clients, 1);
    let kept = block_on(store.find(&signed_in))
        .unwrap()
        .expect("used: kept");
    assert_eq!(kept.last_used_at, Some(NOW + 86_401));
    assert!(block_on(store.find(&abandoned)).unwrap().is_none());

    // The resync after the clean-up takes the removed client's record out of the AS.
    assert!(kv(&store).record(&abandoned).is_some());
    let resync = block_on(next_day.resync_projection("system"))
        .unwrap()
        .unwrap();
    assert_eq!((resync.removed, resync.unchanged), (1, 1), "{resync:?}");
    assert_eq!(kv(&store).record(&abandoned), None);
}
