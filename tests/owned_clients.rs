//! A signed-in person's own clients (src/admin/owned.rs) over the in-memory store: registered as
//! theirs, listed and searched as "My clients", managed without the registration access token,
//! invisible to everyone else, claimed with the token, and every action in the audit log with
//! the person as actor. The D1 and KV stores answer the same through the store contract.

mod common;

use common::{block_on, config, registrar};
use registrar::admin::{Person, Query, NOT_YOURS};
use registrar::ratelimit::NoLimits;
use registrar::store::memory::MemoryStore;
use registrar::store::{AuditFilter, ClientStore};
use registrar::token::{HashKey, Purpose};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;

fn person(sub: &str) -> Person {
    let key = HashKey::new(&[3u8; 32]).unwrap();
    Person {
        owner: registrar::token::TokenHash::from_stored(key.mac(
            Purpose::Owner,
            b"https://op.example",
            sub.as_bytes(),
        )),
        actor: Person::actor_for(sub),
    }
}

fn body(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn app(name: &str) -> Vec<u8> {
    body(json!({"redirect_uris": ["https://app.example/cb"], "client_name": name}))
}

fn ids(list: &serde_json::Map<String, Value>) -> Vec<String> {
    list["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap().to_string())
        .collect()
}

fn events(store: &MemoryStore) -> Vec<(String, String, Option<String>)> {
    block_on(store.list_audit(&AuditFilter::default(), None, 1000))
        .unwrap()
        .into_iter()
        .map(|e| (e.event.as_str().to_string(), e.actor, e.client_id))
        .collect()
}

#[test]
fn a_person_registers_lists_and_manages_their_own_clients_only() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let (alice, bob) = (person("alice"), person("bob"));
    let mine = block_on(r.register_owned(&alice, &app("Alice's app"))).unwrap();
    let id = mine["client_id"].as_str().unwrap().to_string();
    assert!(
        mine["registration_access_token"].is_string(),
        "the full answer of RFC 7591"
    );
    let stored = block_on(store.find(&id)).unwrap().unwrap();
    assert_eq!(stored.owner.as_ref(), Some(&alice.owner));
    assert_eq!(stored.registered_by, "person:alice");
    assert_eq!(stored.policy_class, "profile:signed_in");
    block_on(r.register_owned(&alice, &app("Second"))).unwrap();
    block_on(r.register(None, &app("Anonymous"))).unwrap();

    let listed = block_on(r.owned_clients(&alice, &Query::parse(""))).unwrap();
    assert_eq!(ids(&listed).len(), 2, "hers, not the anonymous one");
    let found = block_on(r.owned_clients(&alice, &Query::parse("q=alice"))).unwrap();
    assert_eq!(ids(&found), std::slice::from_ref(&id));
    assert!(ids(&block_on(r.owned_clients(&bob, &Query::parse(""))).unwrap()).is_empty());

    // Someone else's client and an unknown one look the same.
    for id in [id.as_str(), "no-such-client"] {
        for e in [
            block_on(r.owned_client(&bob, id)).unwrap_err(),
            block_on(r.update_owned(&bob, id, &app("x"))).unwrap_err(),
            block_on(r.delete_owned(&bob, id)).unwrap_err(),
            block_on(r.rotate_owned(&bob, id)).unwrap_err(),
            block_on(r.reissue_owned(&bob, id)).unwrap_err(),
        ] {
            assert_eq!(e.status(), 404);
            assert_eq!(e.description(), NOT_YOURS);
        }
    }

    // Lost-token recovery: a new registration access token; the old one stops working.
    let old = mine["registration_access_token"].as_str().unwrap();
    let re = block_on(r.reissue_owned(&alice, &id)).unwrap();
    let new = re["registration_access_token"].as_str().unwrap();
    assert_eq!(
        block_on(r.read(&id, Some(old), &NoLimits))
            .unwrap_err()
            .code(),
        "invalid_token"
    );
    assert_eq!(
        block_on(r.read(&id, Some(new), &NoLimits)).unwrap()["client_id"],
        json!(id)
    );
    let secret = block_on(r.rotate_owned(&alice, &id)).unwrap();
    assert_ne!(secret["client_secret"], mine["client_secret"]);

    let updated = block_on(r.update_owned(
        &alice,
        &id,
        &body(json!({"redirect_uris": ["https://app.example/cb"], "client_name": "Renamed"})),
    ))
    .unwrap();
    assert_eq!(updated["metadata"]["client_name"], json!("Renamed"));
    let refused = block_on(r.update_owned(
        &alice,
        &id,
        &body(
            json!({"redirect_uris": ["https://app.example/cb"], "registration_access_token": "x"}),
        ),
    ))
    .unwrap_err();
    assert!(refused
        .description()
        .contains("POST /dashboard/clients/{id}/client-secret"));
    // Suspended by the admin: its owner may read and delete it, not change it.
    block_on(r.admin_set_status(&id, registrar::store::ClientStatus::Suspended)).unwrap();
    for e in [
        block_on(r.update_owned(&alice, &id, &app("x"))).unwrap_err(),
        block_on(r.rotate_owned(&alice, &id)).unwrap_err(),
        block_on(r.reissue_owned(&alice, &id)).unwrap_err(),
    ] {
        assert_eq!((e.status(), e.code()), (403, "access_denied"));
    }
    assert_eq!(
        block_on(r.owned_client(&alice, &id)).unwrap()["status"],
        json!("suspended")
    );
    block_on(r.delete_owned(&alice, &id)).unwrap();
    assert!(block_on(store.find(&id)).unwrap().is_none());

    let mine_events: Vec<String> = events(&store)
        .into_iter()
        .filter(|(_, _, c)| c.as_deref() == Some(id.as_str()))
        .map(|(e, actor, _)| format!("{e} {actor}"))
        .collect();
    for expected in [
        "client_registered person:alice",
        "registration_token_reissued person:alice",
        "client_secret_rotated person:alice",
        "client_updated person:alice",
        "client_deleted person:alice",
    ] {
        assert!(
            mine_events.iter().any(|e| e == expected),
            "{expected}: {mine_events:?}"
        );
    }
}

#[test]
fn a_person_claims_an_anonymous_client_with_its_token_once() {
    let cfg = config();
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    let (alice, bob) = (person("alice"), person("bob"));
    let anon = block_on(r.register(None, &app("Found in a drawer"))).unwrap();
    let id = anon["client_id"].as_str().unwrap();
    let token = anon["registration_access_token"].as_str().unwrap();

    for wrong in [None, Some("not-the-token")] {
        let e = block_on(r.claim(&bob, id, wrong)).unwrap_err();
        assert_eq!(e.code(), "invalid_token");
    }
    assert_eq!(
        block_on(r.claim(&bob, "no-such-client", Some(token)))
            .unwrap_err()
            .code(),
        "invalid_token",
        "an unknown client looks like a wrong token"
    );
    let claimed = block_on(r.claim(&bob, id, Some(token))).unwrap();
    assert_eq!(claimed["client_id"], json!(id));
    assert_eq!(
        ids(&block_on(r.owned_clients(&bob, &Query::parse(""))).unwrap()),
        [id]
    );
    // Claiming it again changes nothing; someone else holding the token cannot take it.
    block_on(r.claim(&bob, id, Some(token))).unwrap();
    let taken = block_on(r.claim(&alice, id, Some(token))).unwrap_err();
    assert_eq!((taken.status(), taken.code()), (403, "access_denied"));
    assert!(block_on(r.owned_client(&alice, id)).is_err());
    // From now on Bob manages it without the token.
    block_on(r.reissue_owned(&bob, id)).unwrap();
    let claims: Vec<_> = events(&store)
        .into_iter()
        .filter(|(e, _, _)| e == "client_claimed")
        .collect();
    assert_eq!(
        claims,
        [(
            "client_claimed".into(),
            "person:bob".into(),
            Some(id.to_string())
        )]
    );
}

#[test]
fn registration_modes_and_signed_in_people() {
    let signin = [
        ("DASHBOARD_OIDC_ISSUER", "https://op.example"),
        ("DASHBOARD_OIDC_CLIENT_ID", "dashboard"),
    ];
    let with = |mode: &str| {
        let mut vars = signin.to_vec();
        vars.push(("REGISTRATION_MODE", mode));
        common::config_with(&vars)
    };
    let alice = person("alice");
    // signed_in: people register, anonymous callers do not; an initial access token still does.
    let cfg = with("signed_in");
    let store = MemoryStore::new();
    let r = registrar(&cfg, &store, NOW);
    block_on(r.register_owned(&alice, &app("Mine"))).unwrap();
    let e = block_on(r.register(None, &app("Anonymous"))).unwrap_err();
    assert_eq!((e.status(), e.code()), (401, "invalid_token"));
    assert!(e
        .description()
        .starts_with("sign in to the dashboard to register"));
    let iat = block_on(r.admin_mint_iat(&body(json!({"label": "ci"})))).unwrap();
    block_on(r.register(Some(iat["token"].as_str().unwrap()), &app("CI"))).unwrap();
    // token and disabled: signed-in people are refused too, and the refusal is in the audit log.
    for mode in ["token", "disabled"] {
        let cfg = with(mode);
        let store = MemoryStore::new();
        let r = registrar(&cfg, &store, NOW);
        let e = block_on(r.register_owned(&alice, &app("Mine"))).unwrap_err();
        assert_eq!((e.status(), e.code()), (403, "access_denied"), "{mode}");
        assert!(events(&store)
            .iter()
            .any(|(e, actor, _)| e == "registration_refused" && actor == "person:alice"));
    }
    // signed_in without sign-in settings is a configuration error.
    let refused = registrar::config::Config::from_vars(|n| match n {
        "REGISTRAR_HMAC_KEY" => Some("0123456789abcdef0123456789abcdef".into()),
        "REGISTRATION_MODE" => Some("signed_in".into()),
        _ => None,
    })
    .unwrap_err();
    assert!(refused.starts_with("REGISTRATION_MODE: signed_in needs dashboard sign-in"));
}
