//! `UNUSED_CLIENT_TTL` (issue 12): the scheduled clean-up removes anonymous clients the
//! authorization server API never saw once they are older than the TTL, at most 10,000 a run, each
//! with a `client_removed_unused` event; never a client that was ever used. Over the in-memory
//! store; tests/worker/unused-clients.test.js runs the storm on D1.

mod common;

use common::{block_on, config_with, registrar, REQUEST_ID};
use registrar::config::Config;
use registrar::ratelimit::NoLimits;
use registrar::service::Registrar;
use registrar::store::memory::MemoryStore;
use registrar::store::{ClientStatus, ClientStore, StoredClient, UNUSED_REMOVE_PER_RUN};
use serde_json::{json, Map, Value};

const AS_TOKEN: &str = "as-api-token-0123456789abcdef0123456789";
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

/// The AS API configured, `UNUSED_CLIENT_TTL` unset: the default, a day.
fn config() -> Config {
    config_with(&[("AS_API_TOKEN", AS_TOKEN)])
}

/// What an MCP client sends on every connection: the same metadata each time.
fn storm_metadata() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "client_name": "Some MCP client",
        "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
    }))
    .unwrap()
}

fn register(r: &Registrar<MemoryStore>) -> Map<String, Value> {
    block_on(r.register(None, &storm_metadata())).expect("register")
}

fn s(m: &Map<String, Value>, k: &str) -> String {
    m[k].as_str().unwrap().to_string()
}

fn authenticate(r: &Registrar<MemoryStore>, reg: &Map<String, Value>) -> bool {
    let body = serde_json::to_vec(&json!({"client_secret": s(reg, "client_secret")})).unwrap();
    block_on(r.as_authenticate(&s(reg, "client_id"), &body)).is_ok()
}

fn ids(store: &MemoryStore) -> Vec<String> {
    let mut ids: Vec<String> = store.dump().into_iter().map(|c| c.client_id).collect();
    ids.sort();
    ids
}

/// Registers a client at `at` and stores it changed by `tweak`.
fn client_at(
    store: &MemoryStore,
    cfg: &Config,
    at: i64,
    tweak: impl FnOnce(&mut StoredClient),
) -> String {
    let id = s(&register(&registrar(cfg, store, at)), "client_id");
    let mut c = block_on(store.find(&id)).unwrap().unwrap();
    block_on(store.delete(&id, None, &[])).unwrap();
    tweak(&mut c);
    block_on(store.insert(&c, None, &[])).unwrap();
    id
}

#[test]
fn the_rule_one_row_per_case() {
    let cfg = config();
    let ttl = DAY;
    let cutoff = NOW - ttl;
    let store = MemoryStore::new();
    let minted = block_on(registrar(&cfg, &store, cutoff - 10).admin_mint_iat(
        &serde_json::to_vec(&json!({"label": "partners", "max_uses": 10})).unwrap(),
    ))
    .unwrap();
    let iat = format!("iat:{}", minted["id"].as_str().unwrap());
    // (behaviour, issued at, change, removed)
    type Tweak = Box<dyn FnOnce(&mut StoredClient)>;
    let rows: Vec<(&str, i64, Tweak, bool)> = vec![
        (
            "anonymous, never used, issued a second before the cut-off: removed",
            cutoff - 1,
            Box::new(|_| {}),
            true,
        ),
        (
            "anonymous, never used, issued long before: removed",
            cutoff - 300 * DAY,
            Box::new(|_| {}),
            true,
        ),
        (
            "issued exactly at the cut-off (now - TTL): kept",
            cutoff,
            Box::new(|_| {}),
            false,
        ),
        (
            "issued a second after the cut-off: kept",
            cutoff + 1,
            Box::new(|_| {}),
            false,
        ),
        (
            "used once, long ago: kept",
            cutoff - 300 * DAY,
            Box::new(move |c| c.last_used_at = Some(cutoff - 299 * DAY)),
            false,
        ),
        (
            "used a second after registering: kept",
            cutoff - 1,
            Box::new(move |c| c.last_used_at = Some(cutoff)),
            false,
        ),
        (
            "read and updated through RFC 7592 today, never used at the AS: removed",
            cutoff - 1,
            Box::new(|c| {
                c.last_read_at = Some(NOW);
                c.updated_at = NOW;
            }),
            true,
        ),
        (
            "registered by the admin: kept",
            cutoff - 1,
            Box::new(|c| c.registered_by = "admin".into()),
            false,
        ),
        (
            "registered with an initial access token: kept",
            cutoff - 1,
            Box::new(move |c| c.registered_by = iat),
            false,
        ),
        (
            "suspended by the admin: kept (the operator's decision)",
            cutoff - 1,
            Box::new(|c| c.status = ClientStatus::Suspended),
            false,
        ),
    ];
    let mut expected_gone = Vec::new();
    let mut named = Vec::new();
    for (behaviour, at, tweak, removed) in rows {
        let id = client_at(&store, &cfg, at, tweak);
        if removed {
            expected_gone.push(id.clone());
        }
        named.push((behaviour, id, removed));
    }
    let report = block_on(registrar(&cfg, &store, NOW).scheduled_cleanup()).unwrap();
    let left = ids(&store);
    for (behaviour, id, removed) in &named {
        assert_eq!(!left.contains(id), *removed, "{behaviour}");
    }
    assert_eq!(report.unused_clients, expected_gone.len() as u64);
    assert_eq!(report.idle_clients, 0);

    // One event per removal, actor system, in the scheduled run's request.
    let events: Vec<_> = store
        .audit_log()
        .into_iter()
        .filter(|e| e.event == "client_removed_unused")
        .collect();
    let mut removed_ids: Vec<String> = events
        .iter()
        .map(|e| e.client_id.clone().unwrap())
        .collect();
    removed_ids.sort();
    expected_gone.sort();
    assert_eq!(removed_ids, expected_gone);
    for e in &events {
        assert_eq!((e.actor.as_str(), e.at), ("system", NOW));
        assert_eq!(e.request_id, REQUEST_ID);
        assert_eq!(e.detail, Some(json!({"unused_client_ttl": DAY})));
        assert_eq!(e.ip_hash.as_deref(), Some(common::IP_HASH));
    }

    // A second run finds nothing more.
    let again = block_on(registrar(&cfg, &store, NOW).scheduled_cleanup()).unwrap();
    assert_eq!(again.unused_clients, 0);
}

#[test]
fn storm_of_identical_registrations_stays_bounded_and_every_client_works_until_the_ttl() {
    let cfg = config();
    assert_eq!(
        cfg.unused_client_ttl,
        Some(86_400),
        "the default with the AS API"
    );
    let store = MemoryStore::new();
    let t0 = NOW;
    // 42 registrations of the same app, one a minute.
    let storm: Vec<_> = (0..42)
        .map(|i| register(&registrar(&cfg, &store, t0 + 60 * i)))
        .collect();
    let last = t0 + 60 * 41;
    // The connections that went on to sign in: the AS authenticated their clients.
    for reg in &storm[..3] {
        assert!(authenticate(&registrar(&cfg, &store, t0 + 3600), reg));
    }
    // Every registrant's client works while its TTL runs: after a clean-up run in the last
    // second of its TTL (which removes the older unused ones), its registration still reads
    // back with its token (RFC 7592).
    let mut removed = 0;
    for reg in &storm {
        let at = reg["client_id_issued_at"].as_i64().unwrap() + DAY;
        let r = registrar(&cfg, &store, at);
        removed += block_on(r.scheduled_cleanup()).unwrap().unused_clients;
        let read = block_on(r.read(
            &s(reg, "client_id"),
            Some(&s(reg, "registration_access_token")),
            &NoLimits,
        ));
        assert!(
            read.is_ok(),
            "{} removed before its TTL",
            s(reg, "client_id")
        );
    }
    // A client first used in the last second of its TTL is kept as well.
    let late = &storm[41];
    assert!(authenticate(&registrar(&cfg, &store, last + DAY), late));

    let r = registrar(&cfg, &store, last + DAY + 1);
    removed += block_on(r.scheduled_cleanup()).unwrap().unused_clients;
    assert_eq!(removed, 38);
    let mut used: Vec<String> = storm[..3]
        .iter()
        .chain([late])
        .map(|reg| s(reg, "client_id"))
        .collect();
    used.sort();
    assert_eq!(ids(&store), used, "only the used clients are left");
    for reg in &storm[3..41] {
        assert!(
            !authenticate(&r, reg),
            "a removed client does not authenticate"
        );
    }

    // Storm after storm, day after day: the clients held stay bounded by what was used plus
    // one TTL's registrations.
    for day in 1..=5 {
        let start = last + day * DAY;
        for i in 0..42 {
            let reg = register(&registrar(&cfg, &store, start + 60 * i));
            if i == 0 {
                assert!(authenticate(&registrar(&cfg, &store, start + 61 * i), &reg));
            }
        }
        block_on(registrar(&cfg, &store, start + DAY + 3600).scheduled_cleanup()).unwrap();
        assert_eq!(store.dump().len() as i64, 4 + day, "day {day}");
    }
}

#[test]
fn a_client_ever_used_is_never_removed() {
    let cfg = config_with(&[("AS_API_TOKEN", AS_TOKEN), ("UNUSED_CLIENT_TTL", "1h")]);
    let store = MemoryStore::new();
    let reg = register(&registrar(&cfg, &store, NOW));
    assert!(authenticate(&registrar(&cfg, &store, NOW + 5), &reg));
    for years in [0, 1, 10] {
        let r = registrar(&cfg, &store, NOW + 3601 + years * 365 * DAY);
        assert_eq!(block_on(r.scheduled_cleanup()).unwrap().unused_clients, 0);
    }
    assert_eq!(ids(&store), [s(&reg, "client_id")]);
}

#[test]
fn off_without_the_as_api_or_when_turned_off() {
    for vars in [
        vec![],
        vec![("AS_API_TOKEN", AS_TOKEN), ("UNUSED_CLIENT_TTL", "off")],
        vec![("AS_API_TOKEN", AS_TOKEN), ("UNUSED_CLIENT_TTL", "0")],
    ] {
        let cfg = config_with(&vars);
        let store = MemoryStore::new();
        register(&registrar(&cfg, &store, NOW - 400 * DAY));
        let report = block_on(registrar(&cfg, &store, NOW).scheduled_cleanup()).unwrap();
        assert_eq!(report.unused_clients, 0, "{vars:?}");
        assert_eq!(store.dump().len(), 1, "{vars:?}");
    }
}

#[test]
fn removal_is_bounded_per_run_and_oldest_first() {
    let cfg = config();
    let store = MemoryStore::new();
    let template = {
        let id = s(&register(&registrar(&cfg, &store, NOW)), "client_id");
        let c = block_on(store.find(&id)).unwrap().unwrap();
        block_on(store.delete(&id, None, &[])).unwrap();
        c
    };
    let per_run = UNUSED_REMOVE_PER_RUN;
    let total = per_run + 50;
    for i in 0..total {
        let c = StoredClient {
            client_id: format!("c{i:07}"),
            client_id_issued_at: NOW - 10 * DAY + i as i64,
            ..template.clone()
        };
        block_on(store.insert(&c, None, &[])).unwrap();
    }
    let r = registrar(&cfg, &store, NOW);
    assert_eq!(
        block_on(r.scheduled_cleanup()).unwrap().unused_clients,
        per_run as u64
    );
    let left = ids(&store);
    let youngest: Vec<String> = (per_run..total).map(|i| format!("c{i:07}")).collect();
    assert_eq!(left, youngest, "the oldest go first");
    let events = store
        .audit_log()
        .iter()
        .filter(|e| e.event == "client_removed_unused")
        .count();
    assert_eq!(events, per_run);
    assert_eq!(block_on(r.scheduled_cleanup()).unwrap().unused_clients, 50);
    assert!(store.dump().is_empty());
}
