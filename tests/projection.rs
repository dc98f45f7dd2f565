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

/// An in-memory KV namespace: value and tag per key; `failing` makes every write fail.
#[derive(Default)]
struct MemoryKv {
    keys: RefCell<BTreeMap<String, (String, Option<String>)>>,
    failing: Cell<bool>,
    writes: Cell<usize>,
}

impl ProjectionKv for MemoryKv {
    async fn put(&self, key: &str, value: &str, tag: &str) -> Result<(), String> {
        self.writes.set(self.writes.get() + 1);
        if self.failing.get() {
            return Err("KV unavailable".into());
        }
        self.keys
            .borrow_mut()
            .insert(key.into(), (value.into(), Some(tag.into())));
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
        let page: Vec<(String, Option<String>)> = keys
            .range(start.clone()..)
            .filter(|(k, _)| k.starts_with(prefix) && **k != start)
            .take(2)
            .map(|(k, (_, tag))| (k.clone(), tag.clone()))
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
