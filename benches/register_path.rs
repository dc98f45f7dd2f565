//! The host-compiled register path next to its JSON floor (bench/run.sh, BENCHMARKS.md).
//!
//! - `serde_json floor`: parse the request document and serialize a registration response, the
//!   least any implementation of `POST /register` does.
//! - `Registrar::register`: the core register path over the in-memory store (validation, policy,
//!   random id/secret/token, two keyed hashes, insert with its audit event), plus serializing the
//!   response it returns; each registration into an empty store. `..., growing store`: the same
//!   into one store per batch, which grows as the batch runs.
//! - `http::handle POST /register`: the same request through routing and headers, plus serializing
//!   the response body (as the Worker glue does).
//! - `Config::from_vars`: the configuration the Worker builds from its variables on every request.
//! - `register_parts/*`: the pieces of the register path, to show where its time goes.
//!
//! `cargo bench --bench register_path` (bench/run.sh shortens the measurement with
//! `-- --warm-up-time 1 --measurement-time 2`).

#[path = "../tests/common/mod.rs"]
mod common;

use common::block_on;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use registrar::config::Config;
use registrar::http::{self, ApiRequest, NoLimits};
use registrar::metadata::ClientMetadata;
use registrar::service::{parse_object, Registrar, RequestOrigin};
use registrar::store::memory::MemoryStore;
use registrar::token::{self, Purpose, Secret};
use serde_json::Value;
use std::hint::black_box;

/// The body bench/wrk/register.lua sends.
const BODY: &[u8] = br#"{"client_name":"bench","redirect_uris":["https://bench.example/cb"],"scope":"openid offline_access","grant_types":["authorization_code","refresh_token"]}"#;

const ISSUER: &str = "http://127.0.0.1:8787";
const NOW: i64 = 1_795_700_000;

/// The [vars] of the local wrangler.toml, with a key as .dev.vars has one.
const VARS: &[(&str, &str)] = &[
    ("DEFAULT_SCOPE", "openid"),
    (
        "SCOPES_SUPPORTED",
        "openid profile email address phone offline_access",
    ),
    (
        "GRANT_TYPES_SUPPORTED",
        "authorization_code refresh_token client_credentials \
         urn:ietf:params:oauth:grant-type:device_code \
         urn:ietf:params:oauth:grant-type:token-exchange \
         urn:ietf:params:oauth:grant-type:jwt-bearer",
    ),
    ("ROTATE_REGISTRATION_ACCESS_TOKEN", "true"),
    ("STORAGE_BACKEND", "d1"),
    ("REGISTRATION_MODE", "open"),
    ("RATE_LIMIT_PERIOD_SECONDS", "60"),
    ("CORS_ALLOW_ORIGIN", "*"),
    (
        "AUTHORIZATION_SERVER_METADATA",
        r#"{
  "authorization_endpoint": "http://127.0.0.1:8787/authorize",
  "token_endpoint": "http://127.0.0.1:8787/token",
  "jwks_uri": "http://127.0.0.1:8787/jwks.json",
  "userinfo_endpoint": "http://127.0.0.1:8787/userinfo",
  "end_session_endpoint": "http://127.0.0.1:8787/logout",
  "code_challenge_methods_supported": ["S256"],
  "response_modes_supported": ["query", "fragment", "form_post"]
}"#,
    ),
    (
        "REGISTRAR_HMAC_KEY",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ),
];

fn bench_config() -> Config {
    Config::from_vars(|name| {
        VARS.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("the bench configuration is valid")
}

fn registrar<'a>(config: &'a Config, store: &'a MemoryStore) -> Registrar<'a, MemoryStore> {
    Registrar {
        config,
        store,
        issuer: ISSUER.to_string(),
        now: NOW,
        origin: RequestOrigin {
            request_id: "bench-request".into(),
            ip_hash: Some("bench-ip-hash".into()),
            ip_limit_key: Some("bench-ip-hash".into()),
            admin_actor: None,
        },
    }
}

fn register_path(c: &mut Criterion) {
    let config = bench_config();
    // A real registration response, for the floor to serialize.
    let response = {
        let store = MemoryStore::new();
        let map = block_on(registrar(&config, &store).register(None, BODY)).expect("registers");
        Value::Object(map)
    };

    let mut group = c.benchmark_group("register_path");
    group.bench_function("serde_json floor", |b| {
        b.iter(|| {
            let request: Value = serde_json::from_slice(black_box(BODY)).expect("valid JSON");
            black_box(request);
            black_box(serde_json::to_vec(black_box(&response)).expect("serializes"))
        })
    });
    // Each registration into an empty store: the Worker's store is D1, so the growth of an
    // in-process HashMap (rehashing, fresh pages) is not part of the register path.
    let register = |store: &mut MemoryStore| {
        let map =
            block_on(registrar(&config, store).register(None, black_box(BODY))).expect("registers");
        black_box(serde_json::to_vec(&map).expect("serializes"))
    };
    group.bench_function("Registrar::register", |b| {
        b.iter_batched_ref(MemoryStore::new, register, BatchSize::PerIteration)
    });
    // The same with one store per batch of iterations, which grows as the batch registers:
    // shown next to it so the store's share is visible.
    group.bench_function("Registrar::register, growing store", |b| {
        b.iter_batched_ref(MemoryStore::new, register, BatchSize::SmallInput)
    });
    group.bench_function("http::handle POST /register", |b| {
        b.iter_batched_ref(
            MemoryStore::new,
            |store| {
                let request = ApiRequest {
                    method: "POST",
                    path: "/register",
                    origin: ISSUER,
                    query: "",
                    request_origin: None,
                    client_ip: Some("127.0.0.1"),
                    request_id: Some("bench-request"),
                    content_type: Some("application/json"),
                    authorization: None,
                    body: black_box(BODY),
                    cookie: None,
                    csrf: None,
                };
                let outcome = block_on(http::handle(&request, &config, store, &NoLimits, NOW));
                assert_eq!(outcome.response.status, 201);
                let body = outcome.response.body.as_ref().expect("a JSON body");
                black_box(serde_json::to_vec(body).expect("serializes"))
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("Config::from_vars", |b| {
        b.iter(|| black_box(bench_config()))
    });
    group.finish();

    // Where the register path's time goes, piece by piece.
    let request = parse_object(BODY).expect("an object");
    let key = &config.hash_key;
    let secret = Secret::generate().expect("random");
    let mut parts = c.benchmark_group("register_parts");
    parts.bench_function("parse_object", |b| {
        b.iter(|| black_box(parse_object(black_box(BODY))))
    });
    parts.bench_function("ClientMetadata::from_request", |b| {
        b.iter(|| black_box(ClientMetadata::from_request(black_box(&request), &config)))
    });
    parts.bench_function("client_id + 2 secrets (getrandom)", |b| {
        b.iter(|| black_box(token::new_credentials(true).expect("random")))
    });
    parts.bench_function("2 keyed hashes (HMAC-SHA256)", |b| {
        b.iter(|| {
            black_box(key.hash(Purpose::ClientSecret, "client-id", black_box(&secret)));
            black_box(key.hash(
                Purpose::RegistrationAccessToken,
                "client-id",
                black_box(&secret),
            ))
        })
    });
    parts.bench_function("serialize the response", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&response)).expect("serializes")))
    });
    parts.finish();
}

criterion_group!(benches, register_path);
criterion_main!(benches);
