//! What keeps one caller from filling the audit log or escaping rate limits (SECURITY.md,
//! findings of the abuse review): bounded audit details and error descriptions, reads recorded
//! at most hourly, audit retention, RFC 7592 rate limits, IPv6 keyed by prefix.

mod common;

use common::{block_on, config_with, json_request};
use registrar::config::Config;
use registrar::http::{handle, ApiRequest, ApiResponse};
use registrar::ratelimit::{LimitBucket, RateLimiter};
use registrar::store::memory::MemoryStore;
use registrar::store::{
    AuditEvent, AuditKind, ClientStore, MAX_AUDIT_DETAIL_BYTES, READ_EVENT_INTERVAL,
};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashMap;

const T0: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

/// A limiter allowing `max` requests per bucket and key, remembering every key it was asked.
struct Counting {
    max: u32,
    seen: RefCell<HashMap<String, u32>>,
}

impl Counting {
    fn new(max: u32) -> Self {
        Counting {
            max,
            seen: RefCell::default(),
        }
    }

    fn keys(&self, bucket: LimitBucket) -> Vec<String> {
        let prefix = format!("{bucket:?}/");
        let mut keys: Vec<String> = self
            .seen
            .borrow()
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .collect();
        keys.sort();
        keys
    }
}

impl RateLimiter for Counting {
    async fn allow(&self, bucket: LimitBucket, key: &str) -> bool {
        let mut seen = self.seen.borrow_mut();
        let n = seen.entry(format!("{bucket:?}/{key}")).or_insert(0);
        *n += 1;
        *n <= self.max
    }
}

#[allow(clippy::too_many_arguments)]
fn send_at(
    cfg: &Config,
    store: &MemoryStore,
    limits: &Counting,
    now: i64,
    method: &str,
    path: &str,
    ip: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> ApiResponse {
    let req = ApiRequest {
        client_ip: Some(ip),
        ..json_request(method, path, authorization, body)
    };
    block_on(handle(&req, cfg, store, limits, now)).response
}

fn register(cfg: &Config, store: &MemoryStore, limits: &Counting, ip: &str) -> ApiResponse {
    let body = json!({"redirect_uris": ["https://client.example/cb"]}).to_string();
    send_at(
        cfg,
        store,
        limits,
        T0,
        "POST",
        "/register",
        ip,
        None,
        body.as_bytes(),
    )
}

fn text(v: &Value, member: &str) -> String {
    v[member].as_str().unwrap_or_default().to_string()
}

// --- Finding 1: the audit log can fill D1 ---------------------------------------------------

/// A 60,000-character scope used to be repeated whole in the 400 and in the
/// `registration_refused` event (a ~60 KB row per request).
#[test]
fn a_huge_refused_value_is_quoted_short_and_its_audit_detail_is_bounded() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let limits = Counting::new(u32::MAX);
    for member in ["scope", "application_type", "token_endpoint_auth_method"] {
        let body = json!({
            "redirect_uris": ["https://client.example/cb"],
            member: "x".repeat(60_000),
        })
        .to_string();
        let r = send_at(
            &cfg,
            &store,
            &limits,
            T0,
            "POST",
            "/register",
            "203.0.113.1",
            None,
            body.as_bytes(),
        );
        assert_eq!(r.status, 400, "{member}");
        let description = text(r.body.as_ref().unwrap(), "error_description");
        assert!(
            description.chars().count() < 200,
            "{member}: description of {} characters",
            description.chars().count()
        );
        assert!(
            description.contains(&format!("{}…", "x".repeat(64))),
            "{description}"
        );
        assert!(!description.contains(&"x".repeat(65)), "{description}");
    }
    let log = store.audit_log();
    assert_eq!(log.len(), 3);
    for e in log {
        assert_eq!(e.event, "registration_refused");
        let stored = e.detail.unwrap().to_string();
        assert!(
            stored.len() <= MAX_AUDIT_DETAIL_BYTES,
            "{} bytes",
            stored.len()
        );
    }
}

/// Whatever builds an event, its detail is cut to the bound before it is stored.
#[test]
fn any_event_detail_is_cut_to_512_bytes_as_stored() {
    let store = MemoryStore::new();
    let event = AuditEvent {
        at: T0,
        event: AuditKind::RegistrationRefused,
        client_id: None,
        actor: "anonymous".into(),
        request_id: "r".into(),
        ip_hash: None,
        detail: Some(json!({
            "error": "invalid_client_metadata",
            "error_description": "é".repeat(5_000),
            "nested": {"a": "b".repeat(5_000)},
        })),
    };
    assert!(event.detail_text().unwrap().len() <= MAX_AUDIT_DETAIL_BYTES);
    block_on(store.append_audit(&[event])).unwrap();
    let stored = store.audit_log()[0].detail.clone().unwrap();
    assert!(stored.to_string().len() <= MAX_AUDIT_DETAIL_BYTES);
    assert_eq!(stored["error"], "invalid_client_metadata");
    assert_eq!(stored["truncated"], true);
}

/// A long `CF-Ray` is cut before it reaches the audit log.
#[test]
fn a_long_request_id_is_cut() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let ray = "r".repeat(10_000);
    let body = br#"{"redirect_uris": ["https://client.example/cb"]}"#;
    let req = ApiRequest {
        request_id: Some(&ray),
        ..json_request("POST", "/register", None, body)
    };
    let r = block_on(handle(&req, &cfg, &store, &Counting::new(9), T0)).response;
    assert_eq!(r.status, 201);
    assert_eq!(store.audit_log()[0].request_id.len(), 64);
}

/// Every RFC 7592 GET used to append a `client_read` row.
#[test]
fn reads_are_recorded_at_most_once_per_client_per_hour() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let limits = Counting::new(u32::MAX);
    let reg = register(&cfg, &store, &limits, "203.0.113.1").body.unwrap();
    let path = format!("/register/{}", text(&reg, "client_id"));
    let auth = format!("Bearer {}", text(&reg, "registration_access_token"));
    let reads = |from: i64, n: i64| {
        for i in 0..n {
            let r = send_at(
                &cfg,
                &store,
                &limits,
                from + i,
                "GET",
                &path,
                "203.0.113.1",
                Some(&auth),
                b"",
            );
            assert_eq!(r.status, 200);
        }
    };
    let read_events = || {
        store
            .audit_log()
            .iter()
            .filter(|e| e.event == "client_read")
            .map(|e| e.at)
            .collect::<Vec<_>>()
    };
    reads(T0, 200);
    assert_eq!(read_events(), [T0]);
    reads(T0 + READ_EVENT_INTERVAL - 1, 1);
    assert_eq!(read_events(), [T0]);
    reads(T0 + READ_EVENT_INTERVAL, 50);
    assert_eq!(read_events(), [T0, T0 + READ_EVENT_INTERVAL]);
    // A failed read (wrong token) records nothing either.
    let r = send_at(
        &cfg,
        &store,
        &limits,
        T0 + 3 * READ_EVENT_INTERVAL,
        "GET",
        &path,
        "203.0.113.1",
        Some("Bearer wrong"),
        b"",
    );
    assert_eq!(r.status, 401);
    assert_eq!(read_events().len(), 2);
}

/// Nothing pruned the log: events older than `AUDIT_RETENTION_DAYS` now go, in bounded batches,
/// with one `audit_pruned` summary; younger ones stay.
#[test]
fn the_scheduled_job_prunes_events_past_retention_with_one_summary() {
    let cfg = config_with(&[("AUDIT_RETENTION_DAYS", "90")]);
    let store = MemoryStore::new();
    let event = |at: i64, n: usize| AuditEvent {
        at,
        event: AuditKind::ClientRegistered,
        client_id: Some(format!("c{n}")),
        actor: "anonymous".into(),
        request_id: "r".into(),
        ip_hash: None,
        detail: None,
    };
    let now = T0 + 1_000 * DAY;
    // 4,500 events past retention (more than two prune batches), 10 within it.
    let old: Vec<AuditEvent> = (0..4_500).map(|n| event(now - 200 * DAY, n)).collect();
    let young: Vec<AuditEvent> = (0..10).map(|n| event(now - 89 * DAY, n)).collect();
    block_on(store.append_audit(&old)).unwrap();
    block_on(store.append_audit(&young)).unwrap();

    let r = common::registrar(&cfg, &store, now);
    let report = block_on(r.scheduled_cleanup()).unwrap();
    assert_eq!(report.pruned_events, 4_500);
    let log = store.audit_log();
    assert_eq!(log.len(), 11);
    assert!(log[..10].iter().all(|e| e.at == now - 89 * DAY));
    let summary = &log[10];
    assert_eq!(summary.event, "audit_pruned");
    assert_eq!(summary.actor, "system");
    let detail = summary.detail.clone().unwrap();
    assert_eq!(detail["deleted"], 4_500);
    assert_eq!(detail["before"], now - 90 * DAY);
    // The next run finds nothing and records nothing.
    let report = block_on(r.scheduled_cleanup()).unwrap();
    assert_eq!(report.pruned_events, 0);
    assert_eq!(store.audit_log().len(), 11);
}

/// Retention below the schema's floor is a configuration error, not a silent clamp.
#[test]
fn audit_retention_has_a_floor_and_a_default() {
    assert_eq!(config_with(&[]).audit_retention_days, 400);
    let err = Config::from_vars(|name| match name {
        "REGISTRAR_HMAC_KEY" => Some("0123456789abcdef0123456789abcdef".into()),
        "AUDIT_RETENTION_DAYS" => Some("10".into()),
        _ => None,
    })
    .unwrap_err();
    assert!(err.contains("AUDIT_RETENTION_DAYS"), "{err}");
}

/// RFC 7592 GET/PUT/DELETE had no rate limit at all.
#[test]
fn management_requests_are_limited_per_network_before_authentication() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let reg = register(&cfg, &store, &Counting::new(9), "203.0.113.1")
        .body
        .unwrap();
    let path = format!("/register/{}", text(&reg, "client_id"));
    let limits = Counting::new(3);
    let statuses: Vec<u16> = (0..5)
        .map(|_| {
            send_at(
                &cfg,
                &store,
                &limits,
                T0,
                "GET",
                &path,
                "198.51.100.7",
                Some("Bearer wrong"),
                b"",
            )
            .status
        })
        .collect();
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    // PUT and DELETE count against the same bucket.
    for method in ["PUT", "DELETE"] {
        let r = send_at(
            &cfg,
            &store,
            &limits,
            T0,
            method,
            &path,
            "198.51.100.7",
            Some("Bearer wrong"),
            b"{}",
        );
        assert_eq!(r.status, 429, "{method}");
        assert_eq!(r.header("Retry-After"), Some("60"));
    }
    // Refused before any storage work: the wrong tokens left no trace.
    assert!(store
        .audit_log()
        .iter()
        .all(|e| e.event == "client_registered"));
}

/// The client's own bucket counts only requests with its valid token, so a stranger who knows
/// the `client_id` cannot use it up; its holder is limited across networks.
#[test]
fn management_requests_are_limited_per_client_after_authentication() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let limits = Counting::new(2);
    let reg = register(&cfg, &store, &limits, "203.0.113.1").body.unwrap();
    let client_id = text(&reg, "client_id");
    let path = format!("/register/{client_id}");
    let auth = format!("Bearer {}", text(&reg, "registration_access_token"));
    // Strangers from many networks, wrong tokens: nothing counts against the client.
    for i in 0..10 {
        let ip = format!("198.51.100.{i}");
        let r = send_at(
            &cfg,
            &store,
            &limits,
            T0,
            "GET",
            &path,
            &ip,
            Some("Bearer wrong"),
            b"",
        );
        assert_eq!(r.status, 401);
    }
    assert!(limits.keys(LimitBucket::ManageByClient).is_empty());
    // The holder, from a new network each time: two reads, then 429 (and the DELETE too).
    let statuses: Vec<u16> = ["GET", "GET", "GET", "DELETE"]
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let ip = format!("192.0.2.{i}");
            send_at(&cfg, &store, &limits, T0, m, &path, &ip, Some(&auth), b"").status
        })
        .collect();
    assert_eq!(statuses, [200, 200, 429, 429]);
    assert_eq!(
        limits.keys(LimitBucket::ManageByClient),
        [client_id.as_str()]
    );
    assert!(block_on(store.find(&client_id)).unwrap().is_some());
}

// --- Finding 2: IPv6 keyed on the whole address ---------------------------------------------

/// One host with a /64 used to get a fresh bucket per address.
#[test]
fn ipv6_clients_of_one_64_share_a_registration_bucket() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let limits = Counting::new(2);
    let statuses: Vec<u16> = [
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:aaaa:bbbb:cccc:dddd",
        "2001:db8:1:2:ffff:ffff:ffff:ffff",
    ]
    .iter()
    .map(|ip| register(&cfg, &store, &limits, ip).status)
    .collect();
    assert_eq!(statuses, [201, 201, 429, 429]);
    // The next /64 is another network.
    assert_eq!(
        register(&cfg, &store, &limits, "2001:db8:1:3::1").status,
        201
    );
    // The key is a hash, never the address or the prefix.
    for key in limits.keys(LimitBucket::RegisterByIp) {
        assert!(!key.contains("2001") && !key.contains(':'), "{key}");
    }
}

#[test]
fn ipv6_prefix_length_is_configurable() {
    let cfg = config_with(&[("RATE_LIMIT_IPV6_PREFIX", "48")]);
    let store = MemoryStore::new();
    let limits = Counting::new(1);
    assert_eq!(
        register(&cfg, &store, &limits, "2001:db8:1:2::1").status,
        201
    );
    // Another /64 of the same /48.
    assert_eq!(
        register(&cfg, &store, &limits, "2001:db8:1:ff::1").status,
        429
    );
    assert_eq!(register(&cfg, &store, &limits, "2001:db8:2::1").status, 201);
}

#[test]
fn ipv4_clients_are_keyed_on_the_whole_address() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let limits = Counting::new(1);
    assert_eq!(register(&cfg, &store, &limits, "203.0.113.1").status, 201);
    assert_eq!(register(&cfg, &store, &limits, "203.0.113.1").status, 429);
    // The neighbour is another caller; the IPv4-mapped form is the same one.
    assert_eq!(register(&cfg, &store, &limits, "203.0.113.2").status, 201);
    assert_eq!(
        register(&cfg, &store, &limits, "::ffff:203.0.113.2").status,
        429
    );
}

/// The audit log keeps the whole address's hash (who exactly), not the network's.
#[test]
fn audit_ip_hash_still_tells_addresses_of_one_64_apart() {
    let cfg = config_with(&[]);
    let store = MemoryStore::new();
    let limits = Counting::new(9);
    register(&cfg, &store, &limits, "2001:db8:1:2::1");
    register(&cfg, &store, &limits, "2001:db8:1:2::2");
    let log = store.audit_log();
    assert_ne!(log[0].ip_hash, log[1].ip_hash);
}
