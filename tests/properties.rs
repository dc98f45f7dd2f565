//! Property tests (proptest) over generated input:
//!
//! - (a) the round-trip law: a registration response minus the server-only members, sent back as
//!   an update, is accepted and yields the same registration; what was sent is what is echoed;
//! - (b) normalisation is idempotent: `from_request(to_json(m)) == m`, and storage's serde form
//!   reads back to the same value;
//! - (c) validation never panics on any JSON value, and every refusal is a 400 with an RFC 7591
//!   error code;
//! - (d) `http::handle` answers any request (method, path, query, headers, body bytes) with a
//!   status below 500, every error body is exactly `{error, error_description}` with a known
//!   code, and no body contains a `null`.
//!
//! Case counts are modest so the whole file runs in a few seconds (`cargo test --test properties`).
//! Set `PROPTEST_CASES` to run more.

mod common;

use common::{
    block_on, check_hostile_metadata, check_redirects, config_with, displayable, error_allowed,
    json_request, jwk as common_jwk, null_paths, registrar, ADMIN_TOKEN, ALL_GRANTS, ISSUER,
    METADATA_MEMBERS, P256_JWK, POLICY, RSA_2048_JWK, VALID_JWKS,
};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use registrar::config::Config;
use registrar::error::ApiError;
use registrar::http::{handle, ApiRequest, ApiResponse, NoLimits};
use registrar::metadata::algorithms::{EncryptionAlg, EncryptionEnc, SigningAlg};
use registrar::metadata::enums::SubjectType;
use registrar::metadata::ClientMetadata;
use registrar::service::{parse_object, SERVER_ONLY_MEMBERS};
use registrar::store::memory::MemoryStore;
use serde_json::{json, Map, Value};
use std::sync::LazyLock;

const T0: i64 = 1_700_000_000;

/// Configurations indexed by `implicit as usize * 2 + rotate as usize`.
static CONFIGS: LazyLock<[Config; 4]> = LazyLock::new(|| {
    [
        config_with(&[("ROTATE_REGISTRATION_ACCESS_TOKEN", "false")]),
        config_with(&[]),
        config_with(&[
            ("GRANT_TYPES_SUPPORTED", ALL_GRANTS),
            ("ROTATE_REGISTRATION_ACCESS_TOKEN", "false"),
        ]),
        config_with(&[("GRANT_TYPES_SUPPORTED", ALL_GRANTS)]),
    ]
});

/// The API as deployed with the admin API on and a policy (restricted and reserved scopes, a
/// profile), for the HTTP property.
static ADMIN_CONFIG: LazyLock<Config> = LazyLock::new(|| {
    config_with(&[
        ("ADMIN_TOKEN", ADMIN_TOKEN),
        ("GRANT_TYPES_SUPPORTED", ALL_GRANTS),
        ("REGISTRATION_POLICY", POLICY),
    ])
});

fn cfg(implicit: bool, rotate: bool) -> &'static Config {
    &CONFIGS[implicit as usize * 2 + rotate as usize]
}

fn without(m: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let mut m = m.clone();
    for k in keys {
        m.remove(*k);
    }
    m
}

/// The error codes a metadata refusal may carry (RFC 7591 §3.2.2).
const METADATA_CODES: &[&str] = &[
    "invalid_redirect_uri",
    "invalid_client_metadata",
    "invalid_software_statement",
];

// =============================================================================================
// Strategies: valid client metadata
// =============================================================================================

const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];
const LANG_TAGS: &[&str] = &[
    "fr",
    "fr-CA",
    "de",
    "ja-Jpan",
    "zh-Hant-TW",
    "es-419",
    "x-private",
    "en-US-u-ca-gregory",
    "de-CH-1901",
    "sr-Latn-RS",
];
const LOCALIZABLE: &[&str] = &[
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
];

const AC: &str = "authorization_code";
const IMPLICIT: &str = "implicit";
const REFRESH: &str = "refresh_token";

fn shuffled<T: Clone + std::fmt::Debug>(items: Vec<T>) -> impl Strategy<Value = Vec<T>> {
    Just(items).prop_shuffle()
}

/// A non-empty string of any kind: ASCII, printable Unicode, or anything at all.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{1,24}",
        "\\PC{1,12}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
    ]
}

/// A non-empty human-readable value as registration accepts it: [`any_text`] without the
/// characters docs/api.md "Metadata rules" refuses (controls, bidi, zero-width), at most 64
/// characters (the smallest cap, `software_version`).
fn display_text() -> impl Strategy<Value = String> {
    any_text()
        .prop_map(|s| {
            s.chars()
                .filter(|c| displayable(*c))
                .take(64)
                .collect::<String>()
        })
        .prop_filter("non-empty", |s| !s.is_empty())
}

fn path_and_query() -> impl Strategy<Value = String> {
    (
        "(/[A-Za-z0-9._~!$&'()*+,;=:@-]{0,8}){0,3}",
        prop::option::of("[A-Za-z0-9=&_.~-]{0,12}"),
    )
        .prop_map(|(p, q)| match q {
            Some(q) => format!("{p}?{q}"),
            None => p,
        })
}

fn port() -> impl Strategy<Value = String> {
    prop::option::of(1u16..).prop_map(|p| p.map(|p| format!(":{p}")).unwrap_or_default())
}

/// An https URI on a host that is not loopback.
fn https_uri() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        "[a-z][a-z0-9-]{0,8}\\.(example|test|com|org)",
        "[a-z]{1,6}\\.[A-Za-z]{1,6}\\.example",
        Just("EXAMPLE.com".to_string()),
        Just("192.0.2.10".to_string()),
        Just("[2001:db8::1]".to_string()),
    ];
    (host, port(), path_and_query()).prop_map(|(h, p, r)| format!("https://{h}{p}{r}"))
}

fn https_loopback_uri() -> impl Strategy<Value = String> {
    (
        select(&["localhost", "127.0.0.1", "[::1]", "LocalHost"][..]),
        port(),
        path_and_query(),
    )
        .prop_map(|(h, p, r)| format!("https://{h}{p}{r}"))
}

fn http_loopback_uri() -> impl Strategy<Value = String> {
    (
        select(&["localhost", "127.0.0.1", "[::1]", "LOCALHOST"][..]),
        port(),
        path_and_query(),
    )
        .prop_map(|(h, p, r)| format!("http://{h}{p}{r}"))
}

/// RFC 8252 §7.1 private-use scheme, reverse domain name.
fn private_use_uri() -> impl Strategy<Value = String> {
    (
        "(com|org|net|io)\\.[a-z][a-z0-9]{0,7}(\\.[a-z][a-z0-9-]{0,7}){0,2}",
        "(:/|:/[a-z0-9_]{1,8}(/[a-z0-9]{1,6}){0,2})",
    )
        .prop_map(|(s, r)| format!("{s}{r}"))
}

/// An absolute http(s) URL for the informational members (`client_uri`, `logo_uri`, ...).
fn web_url() -> BoxedStrategy<String> {
    prop_oneof![
        https_uri(),
        http_loopback_uri(),
        (
            "[a-z][a-z0-9-]{0,8}\\.(example|test)",
            path_and_query(),
            prop::option::of("[A-Za-z0-9]{0,6}")
        )
            .prop_map(|(h, r, frag)| match frag {
                Some(f) => format!("http://{h}{r}#{f}"),
                None => format!("http://{h}{r}"),
            }),
    ]
    .boxed()
}

/// https on a public host; no fragment (`jwks_uri`, `initiate_login_uri`, `request_uris`):
/// loopback and private hosts need ALLOW_PRIVATE_HOSTS.
fn https_url() -> BoxedStrategy<String> {
    https_uri().boxed()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AppChoice {
    Absent,
    Web,
    Native,
}

fn unique_strings(
    s: impl Strategy<Value = String>,
    size: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<String>> {
    vec(s, size).prop_map(|mut v| {
        let mut seen = std::collections::HashSet::new();
        v.retain(|x| seen.insert(x.clone()));
        v
    })
}

/// Redirect URIs valid for the application type choice, and whether the implicit grant is used.
fn redirect_uris(app: AppChoice, implicit: bool, min: usize) -> BoxedStrategy<Vec<String>> {
    let size = min..4;
    let web_pool = || -> BoxedStrategy<String> {
        if implicit {
            https_uri().boxed()
        } else {
            prop_oneof![
                4 => https_uri(),
                1 => https_loopback_uri(),
                1 => http_loopback_uri()
            ]
            .boxed()
        }
    };
    let native_pool = || -> BoxedStrategy<String> {
        prop_oneof![
            3 => private_use_uri(),
            2 => http_loopback_uri(),
            1 => https_uri(),
            1 => https_loopback_uri()
        ]
        .boxed()
    };
    let native_looking = || prop_oneof![private_use_uri(), http_loopback_uri()].boxed();
    match app {
        AppChoice::Web => unique_strings(web_pool(), size).boxed(),
        AppChoice::Native => unique_strings(native_pool(), size).boxed(),
        AppChoice::Absent => prop_oneof![
            unique_strings(web_pool(), size.clone()),
            unique_strings(native_looking(), size)
        ]
        .boxed(),
    }
}

fn uses_code(rt: &str) -> bool {
    rt.split(' ').any(|p| p == "code")
}

fn uses_implicit(rt: &str) -> bool {
    rt.split(' ').any(|p| p == "token" || p == "id_token")
}

const RESPONSE_TYPES: &[&str] = &[
    "code",
    "token",
    "id_token",
    "id_token token",
    "token id_token",
    "code id_token",
    "id_token code",
    "code token",
    "code id_token token",
    "token code id_token",
];

/// Response types agreeing with `grants` (RFC 7591 §2.1), and whether to send the member.
fn response_types(grants: &[&'static str]) -> BoxedStrategy<Option<Vec<&'static str>>> {
    let ac = grants.contains(&AC);
    let imp = grants.contains(&IMPLICIT);
    if !ac && !imp {
        return prop_oneof![Just(None), Just(Some(vec![]))].boxed();
    }
    let pool: Vec<&'static str> = RESPONSE_TYPES
        .iter()
        .copied()
        .filter(|rt| (!uses_code(rt) || ac) && (!uses_implicit(rt) || imp))
        .collect();
    let n = pool.len();
    let default_ok = ac && !imp;
    subsequence(pool, 1..=n.min(4))
        .prop_flat_map(shuffled)
        .prop_filter("each needed response type family present", move |rts| {
            (!ac || rts.iter().any(|r| uses_code(r)))
                && (!imp || rts.iter().any(|r| uses_implicit(r)))
        })
        .prop_flat_map(move |rts| {
            let omit = default_ok && rts == ["code"];
            (Just(rts), any::<bool>()).prop_map(move |(rts, o)| (!(omit && o)).then_some(rts))
        })
        .boxed()
}

/// Grant types valid for the configuration and the auth method, in any order.
fn grant_types(implicit_enabled: bool, public: bool) -> impl Strategy<Value = Vec<&'static str>> {
    let mut base = vec![
        AC,
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ];
    if !public {
        base.push("client_credentials");
    }
    if implicit_enabled {
        base.push(IMPLICIT);
    }
    let n = base.len();
    (
        prop_oneof![3 => Just(vec![AC]), 2 => subsequence(base, 1..=n.min(3))],
        any::<bool>(),
    )
        .prop_flat_map(|(mut g, refresh)| {
            if refresh {
                g.push(REFRESH);
            }
            shuffled(g)
        })
}

/// A real public key (tests/common VALID_JWKS) with optional `use`, an `alg` that fits it and
/// `key_ops`; `kid` is set by [`jwk_set`].
fn jwk() -> impl Strategy<Value = Value> {
    (0..VALID_JWKS.len())
        .prop_flat_map(|i| {
            let (text, algs) = VALID_JWKS[i];
            (
                Just(text),
                prop::option::of(select(algs)),
                prop::option::of(select(&["sig", "enc"][..])),
                prop::option::of(vec(select(&["verify", "encrypt", "wrapKey"][..]), 1..3)),
            )
        })
        .prop_map(|(text, alg, use_, ops)| {
            let mut k = common_jwk(text, json!({}));
            if let Some(u) = use_ {
                k["use"] = u.into();
            }
            if let Some(a) = alg {
                k["alg"] = a.into();
            }
            if let Some(o) = ops {
                k["key_ops"] = json!(o);
            }
            k
        })
}

/// A JWK Set of 1 or 2 keys; each may have a `kid` of any text, distinct within the set.
fn jwk_set() -> impl Strategy<Value = Value> {
    vec((jwk(), prop::option::of(any_text())), 1..3).prop_map(|keys| {
        let keys: Vec<Value> = keys
            .into_iter()
            .enumerate()
            .map(|(i, (mut k, kid))| {
                if let Some(kid) = kid {
                    k["kid"] = format!("{kid}#{i}").into();
                }
                k
            })
            .collect();
        json!({ "keys": keys })
    })
}

#[derive(Debug, Clone, Copy)]
enum Keys {
    None,
    Jwks,
    JwksUri,
}

/// The skeleton that decides which other members are valid.
#[derive(Debug, Clone)]
struct Skeleton {
    implicit_enabled: bool,
    rotate: bool,
    auth: Option<&'static str>,
    keys: Keys,
    app: AppChoice,
}

fn skeleton() -> impl Strategy<Value = Skeleton> {
    (
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.8),
        prop::option::of(select(
            &[
                "none",
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ][..],
        )),
        select(&[Keys::None, Keys::Jwks, Keys::JwksUri][..]),
        select(&[AppChoice::Absent, AppChoice::Web, AppChoice::Native][..]),
    )
        .prop_map(|(implicit_enabled, rotate, auth, keys, app)| {
            // private_key_jwt needs the client's keys.
            let keys = match (auth, keys) {
                (Some("private_key_jwt"), Keys::None) => Keys::Jwks,
                (_, k) => k,
            };
            Skeleton {
                implicit_enabled,
                rotate,
                auth,
                keys,
                app,
            }
        })
}

/// A valid registration request, with the configuration it is valid under.
#[derive(Debug, Clone)]
struct ValidCase {
    implicit_enabled: bool,
    rotate: bool,
    body: Map<String, Value>,
}

fn valid_case() -> impl Strategy<Value = ValidCase> {
    skeleton().prop_flat_map(|sk| {
        let public = sk.auth == Some("none");
        grant_types(sk.implicit_enabled, public).prop_flat_map(move |grants| {
            let sk = sk.clone();
            let implicit = grants.contains(&IMPLICIT);
            let needs_redirect = implicit || grants.contains(&AC);
            let redirects = redirect_uris(sk.app, implicit, usize::from(needs_redirect));
            let omit_grants_ok = grants == [AC];
            (
                Just(grants.clone()),
                response_types(&grants),
                redirects,
                any::<bool>(),
                members(&sk),
            )
                .prop_map(move |(grants, rts, uris, omit_grants, extra)| {
                    let mut body = Map::new();
                    if let Some(a) = sk.auth {
                        body.insert("token_endpoint_auth_method".into(), a.into());
                    }
                    // Omitting grant_types is valid when the default (derived from the response
                    // types, or authorization_code) gives the same list.
                    if !(omit_grants_ok && omit_grants) {
                        body.insert("grant_types".into(), json!(grants));
                    }
                    if let Some(rts) = rts {
                        body.insert("response_types".into(), json!(rts));
                    }
                    if !uris.is_empty() {
                        body.insert("redirect_uris".into(), json!(uris));
                    }
                    match sk.app {
                        AppChoice::Absent => {}
                        AppChoice::Web => {
                            body.insert("application_type".into(), "web".into());
                        }
                        AppChoice::Native => {
                            body.insert("application_type".into(), "native".into());
                        }
                    }
                    for (k, v) in extra {
                        // pairwise needs all redirect URIs on one host (no sector identifier).
                        if k == "subject_type" && v == "pairwise" && uris.len() > 1 {
                            continue;
                        }
                        body.insert(k, v);
                    }
                    ValidCase {
                        implicit_enabled: sk.implicit_enabled,
                        rotate: sk.rotate,
                        body,
                    }
                })
        })
    })
}

type Members = Vec<(String, Value)>;

fn opt_member(name: &'static str, s: BoxedStrategy<Value>) -> BoxedStrategy<Members> {
    prop_oneof![
        3 => Just(vec![]),
        // `null` counts as absent (RFC 7591 §2 as Registrar reads it).
        1 => Just(vec![(name.to_string(), Value::Null)]),
        4 => s.prop_map(move |v| vec![(name.to_string(), v)]),
    ]
    .boxed()
}

fn str_value(s: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Value> {
    s.prop_map(Value::String).boxed()
}

fn select_value(options: &'static [&'static str]) -> BoxedStrategy<Value> {
    select(options)
        .prop_map(|s| Value::String(s.into()))
        .boxed()
}

fn list_value(s: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Value> {
    unique_strings(s, 1..4).prop_map(|v| json!(v)).boxed()
}

/// Everything but the skeleton: names, links, contacts, keys, algorithms, localized variants.
fn members(sk: &Skeleton) -> BoxedStrategy<Members> {
    let pkjwt = sk.auth == Some("private_key_jwt");
    let has_keys = !matches!(sk.keys, Keys::None);
    let keys: BoxedStrategy<Members> = match sk.keys {
        Keys::None => Just(vec![]).boxed(),
        Keys::Jwks => jwk_set()
            .prop_map(|set| vec![("jwks".to_string(), set)])
            .boxed(),
        Keys::JwksUri => https_url()
            .prop_map(|u| vec![("jwks_uri".to_string(), u.into())])
            .boxed(),
    };
    let auth_alg = if pkjwt {
        opt_member(
            "token_endpoint_auth_signing_alg",
            select_value(SigningAlg::SIGNED_NAMES),
        )
    } else {
        Just(vec![]).boxed()
    };
    let enc_pair = |prefix: &'static str, allowed: bool| -> BoxedStrategy<Members> {
        if !allowed {
            return Just(vec![]).boxed();
        }
        prop_oneof![
            Just(vec![]),
            (
                select(EncryptionAlg::NAMES),
                prop::option::of(select(EncryptionEnc::NAMES))
            )
                .prop_map(move |(alg, enc)| {
                    let mut v = vec![(format!("{prefix}_alg"), Value::from(alg))];
                    if let Some(enc) = enc {
                        v.push((format!("{prefix}_enc"), enc.into()));
                    }
                    v
                }),
        ]
        .boxed()
    };
    let scope = subsequence(SCOPES.to_vec(), 1..=SCOPES.len())
        .prop_flat_map(shuffled)
        .prop_map(|s| Value::String(s.join(" ")))
        .boxed();
    let localized = btree_map(
        (select(LOCALIZABLE), select(LANG_TAGS)),
        (any::<bool>(), display_text(), web_url()),
        0..4,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|((base, tag), (upper, name, url))| {
                // Tags compare case-insensitively; either case is valid.
                let tag = if upper {
                    tag.to_uppercase()
                } else {
                    tag.to_string()
                };
                let value = if base == "client_name" { name } else { url };
                (format!("{base}#{tag}"), Value::String(value))
            })
            .collect::<Members>()
    })
    .boxed();
    let unknown = opt_member(
        "x_unknown_member",
        prop_oneof![any_text().prop_map(Value::from), Just(json!({"a": [1, 2]}))].boxed(),
    );

    let names = (
        opt_member("client_name", str_value(display_text())),
        opt_member("client_uri", str_value(web_url())),
        opt_member("logo_uri", str_value(web_url())),
        opt_member("tos_uri", str_value(web_url())),
        opt_member("policy_uri", str_value(web_url())),
        opt_member("software_id", str_value(display_text())),
        opt_member("software_version", str_value(display_text())),
        opt_member("contacts", list_value(display_text())),
        opt_member("scope", scope),
        localized,
        unknown,
    );
    let crypto = (
        keys,
        auth_alg,
        enc_pair("id_token_encrypted_response", has_keys),
        enc_pair("userinfo_encrypted_response", has_keys),
        enc_pair("request_object_encryption", true),
        opt_member(
            "id_token_signed_response_alg",
            select_value(SigningAlg::SIGNED_NAMES),
        ),
        opt_member(
            "userinfo_signed_response_alg",
            select_value(SigningAlg::SIGNED_NAMES),
        ),
        opt_member(
            "request_object_signing_alg",
            select_value(SigningAlg::NAMES),
        ),
    );
    let oidc = (
        opt_member("subject_type", select_value(SubjectType::NAMES)),
        opt_member(
            "default_max_age",
            any::<u64>().prop_map(Value::from).boxed(),
        ),
        opt_member(
            "require_auth_time",
            any::<bool>().prop_map(Value::from).boxed(),
        ),
        opt_member("default_acr_values", list_value("[a-z0-9:._-]{1,12}")),
        opt_member("initiate_login_uri", str_value(https_url())),
        opt_member(
            "request_uris",
            list_value(
                (https_url(), prop::option::of("[A-Za-z0-9_-]{0,12}")).prop_map(|(u, f)| match f {
                    Some(f) => format!("{u}#{f}"),
                    None => u,
                }),
            ),
        ),
        opt_member(
            "post_logout_redirect_uris",
            list_value(prop_oneof![
                https_uri(),
                https_loopback_uri(),
                http_loopback_uri()
            ]),
        ),
    );
    (names, crypto, oidc)
        .prop_map(|(n, c, o)| {
            let (a, b, c2, d, e, f, g, h, i, j, k) = n;
            let (l, m, n2, o2, p, q, r, s) = c;
            let (t, u, v, w, x, y, z) = o;
            [
                a, b, c2, d, e, f, g, h, i, j, k, l, m, n2, o2, p, q, r, s, t, u, v, w, x, y, z,
            ]
            .into_iter()
            .flatten()
            .collect()
        })
        .boxed()
}

// =============================================================================================
// Strategies: any JSON
// =============================================================================================

/// Member names Registrar reads, plus near misses and members an update treats specially.
static KNOWN_MEMBERS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    let extra = [
        "client_name#fr",
        "client_name#FR",
        "client_name#",
        "client_name#en-US-u",
        "logo_uri#de",
        "tos_uri#x-private",
        "policy_uri#fr--CA",
        "client_uri#zh-Hant-TW",
        "unknown#fr",
        "client_id",
        "client_secret",
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
        "keys",
        "kty",
        "d",
        "k",
    ];
    METADATA_MEMBERS.iter().copied().chain(extra).collect()
});

/// Strings that mean something to some member, so random trees reach deep checks.
const INTERESTING: &[&str] = &[
    "",
    " ",
    "https://client.example/cb",
    "https://client.example/cb#frag",
    "http://127.0.0.1:8080/cb",
    "http://[::1]/cb",
    "http://localhost",
    "http://127.1/cb",
    "https://localhost/cb",
    "https:client.example",
    "https:/client.example",
    "http://user:pw@client.example/",
    "http://[::1",
    "http://[",
    "https://[::1]x",
    "com.example.app:/cb",
    "javascript:alert(1)",
    "data:text/html,x",
    "urn:ietf:wg:oauth:2.0:oob",
    "HTTP://LOCALHOST:0",
    "https://\u{1F600}.example/",
    "https://xn--ls8h.example/",
    "https://a.example/\u{0}",
    "https://a.example/ b",
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "code",
    "token",
    "id_token",
    "code id_token",
    "code  token",
    "none",
    "client_secret_basic",
    "client_secret_jwt",
    "private_key_jwt",
    "web",
    "native",
    "public",
    "pairwise",
    "RS256",
    "ES256",
    "RSA-OAEP",
    "A128GCM",
    "openid",
    "openid profile",
    "openid  profile",
    "openid openid",
    "offline_access",
    "EC",
    "RSA",
    "OKP",
    "oct",
    "fr",
    "\u{202E}evil",
    "\u{FEFF}",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(INTERESTING).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(KNOWN_MEMBERS.clone()).prop_map(str::to_string),
        1 => any::<String>(),
        1 => "[a-z_]{1,12}(#[A-Za-z0-9-]{0,12})?",
    ]
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            btree_map(json_key(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object whose members are mostly known names with values of any type.
fn known_members_any_types() -> impl Strategy<Value = Map<String, Value>> {
    btree_map(
        select(KNOWN_MEMBERS.clone()).prop_map(str::to_string),
        any_json(),
        0..14,
    )
    .prop_map(|m| m.into_iter().collect())
}

/// A valid registration with some members replaced by values of any type.
fn valid_with_mutations() -> impl Strategy<Value = (ValidCase, Vec<(String, Value)>)> {
    (
        valid_case(),
        vec(
            (
                select(KNOWN_MEMBERS.clone()).prop_map(str::to_string),
                any_json(),
            ),
            1..4,
        ),
    )
}

// =============================================================================================
// Checks shared by the properties
// =============================================================================================

/// A metadata refusal: 400 with an RFC 7591 §3.2.2 code and a description naming something.
fn check_refusal(e: &ApiError, input: &dyn std::fmt::Debug) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.status(), 400, "{:?}: {}", input, e);
    prop_assert!(
        METADATA_CODES.contains(&e.code()),
        "{:?}: code {}",
        input,
        e.code()
    );
    prop_assert!(!e.description().is_empty());
    let body = e.body();
    // RFC 7591's two members, and `member` exactly when the description names one.
    let len = body.as_object().map(Map::len);
    match e.member() {
        Some(member) => {
            prop_assert_eq!(len, Some(3));
            prop_assert_eq!(body["member"].as_str(), Some(member));
            let named = format!("{member}: ");
            prop_assert!(e.description().starts_with(&named));
        }
        None => prop_assert_eq!(len, Some(2)),
    }
    Ok(())
}

/// An accepted registration: no `null` anywhere, idempotent, and storage's serde form reads
/// back to the same value.
fn check_normal_form(m: &ClientMetadata, config: &Config) -> Result<(), TestCaseError> {
    check_hostile_metadata(m, config);
    let echoed = m.to_json();
    let found = null_paths(&Value::Object(echoed.clone()));
    prop_assert!(
        found.is_empty(),
        "null in the echoed metadata at {:?}: {:?}",
        found,
        echoed
    );
    let again = ClientMetadata::from_request(&echoed, config);
    prop_assert!(
        again.is_ok(),
        "echoed metadata refused: {:?}\n{:?}",
        again,
        echoed
    );
    prop_assert_eq!(&again.unwrap(), m, "not idempotent: {:?}", echoed);
    let stored: Result<ClientMetadata, _> = serde_json::from_value(Value::Object(echoed.clone()));
    prop_assert!(
        stored.is_ok(),
        "storage form does not read back: {:?}",
        stored.err()
    );
    prop_assert_eq!(&stored.unwrap(), m, "storage form reads back differently");
    Ok(())
}

fn validate_any(input: &Map<String, Value>, config: &Config) -> Result<(), TestCaseError> {
    match ClientMetadata::from_request(input, config) {
        Ok(m) => check_normal_form(&m, config),
        Err(e) => check_refusal(&e, input),
    }
}

// =============================================================================================
// (a) the round-trip law, (b) idempotent normalisation
// =============================================================================================

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 192,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// RFC 7592 §2.2 as docs/api.md states it: the registration response minus the server-only
    /// members, sent as an update, is accepted and changes nothing; the read agrees.
    #[test]
    fn round_trip_law_holds_for_generated_valid_metadata(case in valid_case()) {
        let config = cfg(case.implicit_enabled, case.rotate);
        let store = MemoryStore::new();
        let body = serde_json::to_vec(&Value::Object(case.body.clone())).unwrap();

        let reg = block_on(registrar(config, &store, T0).register(None, &body));
        prop_assert!(reg.is_ok(), "valid metadata refused: {:?}\n{}", reg.as_ref().err(),
            String::from_utf8_lossy(&body));
        let reg = reg.unwrap();

        // What was sent is what is echoed: each member byte for byte, `null` as absent, unknown
        // members dropped.
        // A member sent as `null` gets what leaving it out gets (its default, or nothing).
        let mut absent = case.body.clone();
        absent.retain(|_, v| !v.is_null());
        let expected = ClientMetadata::from_request(&absent, config).map(|m| m.to_json());
        prop_assert!(expected.is_ok(), "{:?}", expected.err());
        let expected = expected.unwrap();
        for (k, v) in &case.body {
            if k == "x_unknown_member" {
                prop_assert!(reg.get(k).is_none(), "unknown member {} echoed", k);
            } else if v.is_null() {
                prop_assert_eq!(reg.get(k), expected.get(k), "{} sent as null", k);
            } else {
                prop_assert_eq!(reg.get(k), Some(v), "{} not echoed as sent", k);
            }
        }
        for (k, v) in &expected {
            prop_assert_eq!(reg.get(k), Some(v), "{} differs from validation", k);
        }
        let found = null_paths(&Value::Object(reg.clone()));
        prop_assert!(found.is_empty(), "null in the registration response at {:?}", found);

        let client_id = reg["client_id"].as_str().unwrap().to_string();
        let token = reg["registration_access_token"].as_str().unwrap().to_string();
        let update_body = serde_json::to_vec(&Value::Object(without(&reg, SERVER_ONLY_MEMBERS)))
            .unwrap();
        let upd = block_on(registrar(config, &store, T0 + 60).update(
            &client_id,
            Some(&token),
            Ok(&update_body),
            &NoLimits,
        ));
        prop_assert!(upd.is_ok(), "round trip refused: {:?}\n{}", upd.as_ref().err(),
            String::from_utf8_lossy(&update_body));
        let upd = upd.unwrap();
        let new_token = upd["registration_access_token"].as_str().unwrap().to_string();
        prop_assert_eq!(config.rotate_registration_token, new_token != token);
        prop_assert_eq!(
            without(&upd, &["registration_access_token"]),
            without(&reg, &["registration_access_token"]),
            "the update changed the registration"
        );

        let read = block_on(registrar(config, &store, T0 + 120).read(&client_id, Some(&new_token), &NoLimits));
        prop_assert!(read.is_ok(), "{:?}", read.err());
        prop_assert_eq!(
            without(&read.unwrap(), &["registration_access_token"]),
            without(&reg, &["registration_access_token", "client_secret"])
        );
        if config.rotate_registration_token {
            let old = block_on(registrar(config, &store, T0 + 120).read(&client_id, Some(&token), &NoLimits));
            prop_assert_eq!(old.err(), Some(ApiError::InvalidToken));
        }
    }

    /// Normalisation is a projection: validating the echoed form gives the same value, and the
    /// serde form kept in storage reads back unchanged.
    #[test]
    fn normalisation_is_idempotent(case in valid_case()) {
        let config = cfg(case.implicit_enabled, case.rotate);
        let m = ClientMetadata::from_request(&case.body, config);
        prop_assert!(m.is_ok(), "valid metadata refused: {:?}\n{:?}", m.as_ref().err(), case.body);
        check_normal_form(&m.unwrap(), config)?;
    }
}

// =============================================================================================
// (c) validation never panics, and refuses with an RFC code
// =============================================================================================

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 384,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any JSON value: as the whole body, as the value of every known member, and as the object
    /// itself when it is one.
    #[test]
    fn validation_never_panics_on_any_json_value(v in any_json(), implicit in any::<bool>()) {
        let config = cfg(implicit, true);
        if let Value::Object(map) = &v {
            validate_any(map, config)?;
        }
        let bytes = serde_json::to_vec(&v).unwrap();
        match parse_object(&bytes) {
            // (Floats need not read back bit for bit: serde_json's default parser.)
            Ok(map) => prop_assert!(v.as_object().is_some_and(|o| o.keys().eq(map.keys()))),
            Err(e) => {
                prop_assert!(!v.is_object());
                prop_assert_eq!((e.status(), e.code()), (400, "invalid_request"));
            }
        }
        for member in KNOWN_MEMBERS.iter() {
            let mut map = Map::new();
            map.insert((*member).to_string(), v.clone());
            validate_any(&map, config)?;
        }
    }

    /// Objects made of known member names with values of any type.
    #[test]
    fn validation_never_panics_on_known_members_of_any_type(
        map in known_members_any_types(),
        implicit in any::<bool>(),
    ) {
        validate_any(&map, cfg(implicit, true))?;
    }

    /// Valid registrations with a few members replaced by values of any type: the refusal, if
    /// any, is still an RFC code, and registration through the service agrees with validation.
    #[test]
    fn validation_of_mutated_valid_metadata_refuses_with_an_rfc_code(
        (case, mutations) in valid_with_mutations()
    ) {
        let config = cfg(case.implicit_enabled, case.rotate);
        let mut body = case.body.clone();
        for (k, v) in mutations {
            body.insert(k, v);
        }
        validate_any(&body, config)?;
        let store = MemoryStore::new();
        let bytes = serde_json::to_vec(&Value::Object(body.clone())).unwrap();
        let direct = ClientMetadata::from_request(&body, config);
        match block_on(registrar(config, &store, T0).register(None, &bytes)) {
            Ok(reg) => {
                prop_assert!(direct.is_ok());
                let found = null_paths(&Value::Object(reg));
                prop_assert!(found.is_empty(), "null in a registration response at {:?}", found);
            }
            Err(e) => {
                prop_assert_eq!(Some(&e), direct.as_ref().err());
                check_refusal(&e, &body)?;
            }
        }
    }
}

/// Strings built from URI pieces that confuse parsers: schemes, loopback look-alikes, user info,
/// backslashes, percent-encoding, ports, brackets.
fn uri_like() -> impl Strategy<Value = String> {
    let piece = select(
        &[
            "http",
            "HTTP",
            "https",
            "hTTps",
            "com.example.app",
            "javascript",
            "data",
            "file",
            ":",
            "://",
            ":/",
            "//",
            "/",
            "\\",
            "@",
            "?",
            "#",
            "%2e",
            "%40",
            "%5c",
            ".",
            "[",
            "]",
            "::1",
            "[::1]",
            "127.0.0.1",
            "127.1",
            "0x7f.1",
            "2130706433",
            "localhost",
            "LOCALHOST",
            "localhost.",
            "evil.example",
            "client.example",
            "xn--e1a.example",
            "\u{3002}",
            ":80",
            ":443",
            ":0",
            ":65536",
            "user",
            "user:pw",
            "a",
            "cb",
            " ",
            "\t",
            "\u{0}",
            "\u{a0}",
        ][..],
    );
    vec(piece, 1..10).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1024,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// RFC 9700 §2.1 / §4.1, RFC 8252 §7.3: whatever Registrar accepts as a redirect URI is, as a
    /// WHATWG URL parser (the url crate, like browsers) reads it, free of fragment (and of user
    /// info in http(s)),
    /// not a script or file scheme, plain http only to a loopback host, and a custom scheme only
    /// for a native client. (Registrar classifies the raw string; the browser follows the parse.)
    #[test]
    fn accepted_redirect_uris_are_safe_as_a_browser_parses_them(
        raw in uri_like(),
        app in select(&["web", "native"][..]),
        implicit in any::<bool>(),
    ) {
        let mut body = Map::new();
        body.insert("redirect_uris".into(), json!([raw]));
        body.insert("application_type".into(), app.into());
        if implicit {
            body.insert("grant_types".into(), json!(["implicit"]));
            body.insert("response_types".into(), json!(["id_token"]));
        }
        let Ok(m) = ClientMetadata::from_request(&body, cfg(true, true)) else {
            return Ok(());
        };
        check_redirects(&m);
        check_hostile_metadata(&m, cfg(true, true));
        prop_assert_eq!(&m.redirect_uris, &vec![raw.clone()], "not stored byte for byte");
    }

    /// Issue 11 (findings 5–7): text with control, bidi or invisible characters, URLs with user
    /// information, fetched URLs on internal hosts however spelled, and values around their
    /// caps never reach an accepted registration (`check_hostile_metadata`); with
    /// ALLOW_PRIVATE_HOSTS only the host rule is relaxed.
    #[test]
    fn hostile_pieces_never_reach_an_accepted_registration(
        name in hostile_text(),
        contact in hostile_text(),
        version in hostile_text(),
        link in hostile_url(),
        fetched in hostile_url(),
        member in select(&["jwks_uri", "initiate_login_uri", "request_uris", "sector_identifier_uri"][..]),
        dev in any::<bool>(),
    ) {
        let config = if dev { &*DEV_CONFIG } else { cfg(false, true) };
        let mut body = Map::new();
        body.insert("redirect_uris".into(), json!(["https://client.example/cb"]));
        body.insert("client_name".into(), name.clone().into());
        body.insert("client_name#fr".into(), name.into());
        body.insert("contacts".into(), json!([contact]));
        body.insert("software_version".into(), version.into());
        body.insert("client_uri".into(), link.clone().into());
        body.insert("logo_uri#de".into(), link.into());
        let value = if member == "request_uris" { json!([fetched]) } else { fetched.into() };
        body.insert(member.into(), value);
        match ClientMetadata::from_request(&body, config) {
            Ok(m) => check_hostile_metadata(&m, config),
            Err(e) => prop_assert!(METADATA_CODES.contains(&e.code()), "{}", e),
        }
    }
}

/// The configuration with `ALLOW_PRIVATE_HOSTS=true`.
static DEV_CONFIG: LazyLock<Config> =
    LazyLock::new(|| config_with(&[("ALLOW_PRIVATE_HOSTS", "true")]));

/// Text around the rules of human-readable members: ordinary text, a refused character spliced
/// in anywhere, or a long run near the caps.
fn hostile_text() -> impl Strategy<Value = String> {
    let refused = select(
        &[
            '\u{0}', '\n', '\u{7f}', '\u{85}', '\u{9b}', '\u{202a}', '\u{202b}', '\u{202c}',
            '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200b}',
            '\u{200c}', '\u{200d}', '\u{feff}', '\u{2028}', '\u{2029}', '\u{200e}', '\u{a0}',
        ][..],
    );
    prop_oneof![
        display_text(),
        (display_text(), refused, any::<prop::sample::Index>()).prop_map(|(s, c, at)| {
            let mut chars: Vec<char> = s.chars().collect();
            chars.insert(at.index(chars.len() + 1), c);
            chars.into_iter().collect()
        }),
        (select(&['a', 'é', '應'][..]), 60usize..330).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// An http(s) URL built from user information, host and path pieces, internal hosts in every
/// spelling among them.
fn hostile_url() -> impl Strategy<Value = String> {
    let scheme = select(&["https://", "http://", "HTTPS://"][..]);
    let userinfo = select(&["", "", "", "u@", "@", ":pw@", "u:p@", "accounts.example@"][..]);
    let host = select(
        &[
            "client.example",
            "8.8.8.8",
            "[2606:4700::1111]",
            "local.example",
            "app.example.",
            "127.0.0.1",
            "127.1",
            "2130706433",
            "0x7f.1",
            "0177.0.0.1",
            "[::1]",
            "0.0.0.0",
            "[::]",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "[fd00::1]",
            "169.254.169.254",
            "[fe80::1]",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "[ff02::1]",
            "240.0.0.1",
            "[::ffff:10.0.0.1]",
            "[::ffff:7f00:1]",
            "[64:ff9b::a9fe:a9fe]",
            "[::127.0.0.1]",
            "localhost",
            "LOCALHOST.",
            "app.localhost",
            "intranet",
            "printer.local",
            "metadata.google.internal",
            "nas.home.arpa",
            "box.localdomain",
            "xn--bcher-kva.example",
        ][..],
    );
    let port = select(&["", ":443", ":8080"][..]);
    let path = select(
        &[
            "/",
            "/jwks.json",
            "/a\u{202e}b",
            "/\u{200b}",
            "/r#frag",
            "/p?q=a@b",
        ][..],
    );
    (scheme, userinfo, host, port, path, 0usize..3).prop_map(|(s, u, h, p, r, pad)| {
        let long = if pad == 2 {
            "x".repeat(1990)
        } else {
            String::new()
        };
        format!("{s}{u}{h}{p}{r}{long}")
    })
}

// =============================================================================================
// (d) the HTTP layer: any request gets a 4xx (or success), never a 5xx, in the documented form
// =============================================================================================

#[derive(Debug, Clone)]
enum PathSel {
    Literal(String),
    /// `/register/<the live client>`.
    LiveClient,
    /// `/admin/clients/<the live client>` plus a suffix.
    AdminLiveClient(&'static str),
    /// `/admin/initial-access-tokens/<the live token's id>`.
    AdminLiveIat,
}

#[derive(Debug, Clone)]
enum AuthSel {
    None,
    /// `Bearer <the live client's current registration access token>`.
    LiveToken,
    /// The live token with a different scheme spelling.
    LiveTokenAs(&'static str),
    Admin,
    /// `Bearer <the live initial access token>`.
    LiveIat,
    Raw(String),
}

#[derive(Debug, Clone)]
enum BodySel {
    Bytes(Vec<u8>),
    Json(Value),
    Valid(ValidCase),
    /// The live client's current registration as an update, with some members replaced.
    LiveUpdate(Vec<(String, Value)>),
    /// An admin request to mint an initial access token.
    Mint(Value),
    /// One byte over the limit.
    Oversized,
}

#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: PathSel,
    query: String,
    content_type: Option<String>,
    authorization: AuthSel,
    request_origin: Option<String>,
    client_ip: Option<String>,
    body: BodySel,
}

fn path_sel() -> impl Strategy<Value = PathSel> {
    prop_oneof![
        4 => select(&[
            "/register",
            "/register/",
            "/register/aaaaaaaaaaaaaaaaaaaaaa",
            "/register/../register",
            "/register//x",
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
            "/.well-known/openid-configuration/",
            "/",
            "",
            "/admin/",
            "/admin/clients",
            "/admin/clients/",
            "/admin/clients/x/suspend",
            "/admin/clients/x/unknown",
            "/admin/initial-access-tokens",
            "/admin/initial-access-tokens/nope",
            "/admin/audit",
            "/admin//clients",
        ][..]).prop_map(|p| PathSel::Literal(p.to_string())),
        4 => Just(PathSel::LiveClient),
        2 => select(&[
            "", "/suspend", "/reactivate", "/client-secret", "/registration-access-token", "/x",
        ][..]).prop_map(PathSel::AdminLiveClient),
        1 => Just(PathSel::AdminLiveIat),
        2 => any::<String>().prop_map(PathSel::Literal),
        1 => "/(register|admin|\\.well-known)/[ -~]{0,30}".prop_map(PathSel::Literal),
    ]
}

fn auth_sel() -> impl Strategy<Value = AuthSel> {
    prop_oneof![
        3 => Just(AuthSel::None),
        5 => Just(AuthSel::LiveToken),
        1 => select(&["bearer", "BEARER", "Basic", "Bearer  ", " Bearer"][..]).prop_map(AuthSel::LiveTokenAs),
        2 => Just(AuthSel::Admin),
        2 => Just(AuthSel::LiveIat),
        2 => any::<String>().prop_map(AuthSel::Raw),
        1 => "Bearer [ -~]{0,50}".prop_map(AuthSel::Raw),
    ]
}

fn body_sel() -> impl Strategy<Value = BodySel> {
    prop_oneof![
        2 => vec(any::<u8>(), 0..200).prop_map(BodySel::Bytes),
        2 => any_json().prop_map(BodySel::Json),
        3 => valid_case().prop_map(BodySel::Valid),
        4 => vec((select(KNOWN_MEMBERS.clone()).prop_map(str::to_string), any_json()), 0..3)
            .prop_map(BodySel::LiveUpdate),
        1 => btree_map(
                select(&["label", "expires_in", "max_uses", "profile"][..]).prop_map(str::to_string),
                prop_oneof![
                    any_json(),
                    select(&["partner", "nope", "x"][..]).prop_map(Value::from),
                    (-5i64..200_000).prop_map(Value::from),
                ],
                0..4,
            ).prop_map(|m| BodySel::Mint(Value::Object(m.into_iter().collect()))),
        1 => Just(BodySel::Oversized),
    ]
}

fn req() -> impl Strategy<Value = Req> {
    (
        prop_oneof![
            8 => select(&["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"][..]).prop_map(str::to_string),
            1 => select(&["PATCH", "TRACE", "CONNECT", "get", "", "POST "][..]).prop_map(str::to_string),
            1 => any::<String>(),
        ],
        path_sel(),
        prop_oneof![
            4 => Just(String::new()),
            2 => select(&[
                "limit=1", "limit=0", "limit=101", "limit=x", "cursor=!!", "cursor=MTcwMDAwMDAwMC54",
                "cursor=eA", "status=suspended", "status=x", "q=%FF%FE", "created_after=-1",
                "since=9223372036854775807", "until=-9223372036854775808", "limit=2&cursor=",
            ][..]).prop_map(str::to_string),
            1 => any::<String>(),
        ],
        prop_oneof![
            2 => Just(None),
            6 => Just(Some("application/json".to_string())),
            1 => select(&["application/json; charset=utf-8", "APPLICATION/JSON", "text/plain",
                          "application/jsonx", "application/json;", ";application/json"][..])
                .prop_map(|s| Some(s.to_string())),
            1 => any::<String>().prop_map(Some),
        ],
        auth_sel(),
        prop::option::of(prop_oneof![
            Just("https://app.example".to_string()),
            any::<String>()
        ]),
        prop::option::of(prop_oneof![Just("203.0.113.7".to_string()), any::<String>()]),
        body_sel(),
    )
        .prop_map(
            |(method, path, query, content_type, authorization, request_origin, client_ip, body)| Req {
                method,
                path,
                query,
                content_type,
                authorization,
                request_origin,
                client_ip,
                body,
            },
        )
}

/// The state a sequence of requests builds up: the live client and its current token.
struct Live {
    client_id: String,
    token: String,
    registration: Map<String, Value>,
    iat_id: String,
    iat: String,
}

#[track_caller]
fn send(
    config: &Config,
    store: &MemoryStore,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &[u8],
) -> ApiResponse {
    let req = json_request(method, path, auth, body);
    block_on(handle(&req, config, store, &NoLimits, T0)).response
}

fn setup(config: &Config, store: &MemoryStore) -> Live {
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let (iat_id, iat) = if config.admin_token.is_some() {
        let r = send(
            config,
            store,
            "POST",
            "/admin/initial-access-tokens",
            Some(&admin),
            br#"{"label": "properties", "max_uses": 1000, "profile": "partner"}"#,
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        let b = r.body.unwrap();
        (
            b["id"].as_str().unwrap().to_string(),
            b["token"].as_str().unwrap().to_string(),
        )
    } else {
        ("no-iat".to_string(), "no-iat".to_string())
    };
    let r = send(
        config,
        store,
        "POST",
        "/register",
        None,
        br#"{"redirect_uris": ["https://client.example/cb"], "client_name": "live",
             "grant_types": ["authorization_code", "refresh_token"]}"#,
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let reg = r.body.unwrap().as_object().unwrap().clone();
    Live {
        client_id: reg["client_id"].as_str().unwrap().to_string(),
        token: reg["registration_access_token"]
            .as_str()
            .unwrap()
            .to_string(),
        registration: reg,
        iat_id,
        iat,
    }
}

/// Sends `r` and checks the response invariants; follows a token rotation.
fn exercise(
    config: &Config,
    store: &MemoryStore,
    live: &mut Live,
    r: &Req,
) -> Result<(), TestCaseError> {
    let path = match &r.path {
        PathSel::Literal(p) => p.clone(),
        PathSel::LiveClient => format!("/register/{}", live.client_id),
        PathSel::AdminLiveClient(suffix) => format!("/admin/clients/{}{suffix}", live.client_id),
        PathSel::AdminLiveIat => format!("/admin/initial-access-tokens/{}", live.iat_id),
    };
    let authorization = match &r.authorization {
        AuthSel::None => None,
        AuthSel::LiveToken => Some(format!("Bearer {}", live.token)),
        AuthSel::LiveTokenAs(scheme) => Some(format!("{scheme} {}", live.token)),
        AuthSel::Admin => Some(format!("Bearer {ADMIN_TOKEN}")),
        AuthSel::LiveIat => Some(format!("Bearer {}", live.iat)),
        AuthSel::Raw(s) => Some(s.clone()),
    };
    let body: Vec<u8> = match &r.body {
        BodySel::Bytes(b) => b.clone(),
        BodySel::Json(v) | BodySel::Mint(v) => serde_json::to_vec(v).unwrap(),
        BodySel::Valid(c) => serde_json::to_vec(&c.body).unwrap(),
        BodySel::LiveUpdate(changes) => {
            let mut m = without(&live.registration, SERVER_ONLY_MEMBERS);
            for (k, v) in changes {
                m.insert(k.clone(), v.clone());
            }
            serde_json::to_vec(&m).unwrap()
        }
        BodySel::Oversized => {
            let mut b = br#"{"client_name": ""#.to_vec();
            b.resize(64 * 1024 - 1, b'a');
            b.extend_from_slice(b"\"}");
            b
        }
    };
    let req = ApiRequest {
        method: &r.method,
        path: &path,
        origin: ISSUER,
        query: &r.query,
        request_origin: r.request_origin.as_deref(),
        client_ip: r.client_ip.as_deref(),
        request_id: None,
        content_type: r.content_type.as_deref(),
        authorization: authorization.as_deref(),
        body: &body,
        cookie: None,
        csrf: None,
    };
    let outcome = block_on(handle(&req, config, store, &NoLimits, T0 + 1));
    let resp = &outcome.response;
    let shown = format!(
        "{} {:?} query={:?} ct={:?} auth={:?} body={}",
        r.method,
        path,
        r.query,
        r.content_type,
        authorization,
        String::from_utf8_lossy(&body)
    );

    prop_assert!(
        resp.status < 500,
        "{}: status {} {:?} (internal: {:?})",
        shown,
        resp.status,
        resp.body,
        outcome.internal_error
    );
    prop_assert!(outcome.internal_error.is_none());
    if let Some(b) = &resp.body {
        let found = null_paths(b);
        prop_assert!(
            found.is_empty(),
            "{}: null in body at {:?}: {}",
            shown,
            found,
            b
        );
        prop_assert!(
            resp.header("Content-Type") == Some("application/json"),
            "{}",
            shown
        );
    }
    if r.method == "HEAD" {
        prop_assert!(resp.body.is_none());
    }
    if resp.status >= 400 {
        prop_assert_eq!(resp.header("Cache-Control"), Some("no-store"), "{}", shown);
        if r.method != "HEAD" {
            let b = resp.body.as_ref();
            prop_assert!(
                b.is_some(),
                "{}: error {} without a body",
                shown,
                resp.status
            );
            let obj = b.unwrap().as_object();
            prop_assert!(obj.is_some(), "{}: error body not an object", shown);
            let obj = obj.unwrap();
            let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            keys.sort_unstable();
            let code = obj["error"].as_str().unwrap_or("");
            // A metadata error also names its member, the one its description starts with.
            let names_member = obj.get("member").and_then(Value::as_str).is_some_and(|m| {
                METADATA_CODES.contains(&code)
                    && obj["error_description"]
                        .as_str()
                        .is_some_and(|d| d.starts_with(&format!("{m}: ")))
            });
            let expected = if names_member {
                vec!["error", "error_description", "member"]
            } else {
                vec!["error", "error_description"]
            };
            prop_assert_eq!(keys, expected, "{}", shown);
            prop_assert!(
                error_allowed(resp.status, code),
                "{}: {} with error {:?}",
                shown,
                resp.status,
                code
            );
            prop_assert!(obj["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()));
        }
        if resp.status == 401 {
            prop_assert_eq!(
                resp.header("WWW-Authenticate"),
                Some(r#"Bearer error="invalid_token""#)
            );
        }
    } else {
        prop_assert!(
            matches!(resp.status, 200 | 201 | 204),
            "{}: status {}",
            shown,
            resp.status
        );
    }

    // Follow the live client: a successful update rotates its token.
    if r.method == "PUT" && path == format!("/register/{}", live.client_id) && resp.status == 200 {
        let b = resp.body.as_ref().unwrap().as_object().unwrap();
        live.token = b["registration_access_token"].as_str().unwrap().to_string();
        live.registration = b.clone();
    }
    if path
        == format!(
            "/admin/clients/{}/registration-access-token",
            live.client_id
        )
        && resp.status == 200
    {
        live.token = resp.body.as_ref().unwrap()["registration_access_token"]
            .as_str()
            .unwrap()
            .to_string();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// A sequence of arbitrary requests against a store holding one live client (and, with the
    /// admin API on, an initial access token): never a 5xx, errors in the documented form.
    #[test]
    fn every_request_gets_a_documented_answer_never_a_5xx(
        admin_api in any::<bool>(),
        requests in vec(req(), 1..6),
    ) {
        let config: &Config = if admin_api { &ADMIN_CONFIG } else { cfg(false, true) };
        let store = MemoryStore::new();
        let mut live = setup(config, &store);
        for r in &requests {
            exercise(config, &store, &mut live, r)?;
        }
    }
}

// =============================================================================================
// Fixed cases found worth keeping
// =============================================================================================

/// serde_json stops at 128 levels: a deeply nested body (within the 64 KiB limit) is a 400,
/// not a stack overflow.
#[test]
fn deeply_nested_body_is_400_invalid_request() {
    let config = cfg(false, true);
    let store = MemoryStore::new();
    for depth in [200usize, 30_000] {
        let mut body = b"{\"jwks\":".to_vec();
        body.extend(std::iter::repeat_n(b'[', depth));
        body.extend(std::iter::repeat_n(b']', depth));
        body.push(b'}');
        let r = send(config, &store, "POST", "/register", None, &body);
        assert_eq!(r.status, 400, "depth {depth}");
        assert_eq!(r.body.unwrap()["error"], "invalid_request");
    }
}

// =============================================================================================
// Findings of the property tests and fuzzers, as regression tests. All are fixed and run with the
// rest (none is `#[ignore]`d); SECURITY.md, "Known issues", lists them.
// =============================================================================================

/// docs/api.md: "No response contains a `null` member". `without_nulls` used to keep `null` array
/// items inside `jwks`, which were stored and echoed (201, GET, the admin summary); fixed in
/// df4989e.
#[test]
fn null_array_items_inside_jwks_never_reach_a_response() {
    let config = cfg(false, true);
    let store = MemoryStore::new();
    // A real key (the coordinates of "x": "a", "y": "b" are refused since JWK shapes are
    // checked), so the registration succeeds and the echo is what is examined.
    let key = common_jwk(P256_JWK, json!({"x5c": [null]}));
    let body = serde_json::to_vec(&json!({"redirect_uris": ["https://client.example/cb"],
        "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [key]}}))
    .unwrap();
    let r = send(config, &store, "POST", "/register", None, &body);
    assert_eq!(r.status, 201, "{:?}", r.body);
    let found = r.body.as_ref().map(null_paths).unwrap_or_default();
    assert!(
        r.status >= 400 || found.is_empty(),
        "{} with null at {found:?}",
        r.status
    );
}

/// A limiter allowing one request per key, recording nothing else.
struct OnePerKey(std::cell::RefCell<std::collections::HashMap<String, u32>>);

impl registrar::http::RateLimiter for OnePerKey {
    async fn allow(&self, bucket: registrar::service::LimitBucket, key: &str) -> bool {
        let mut seen = self.0.borrow_mut();
        let n = seen.entry(format!("{bucket:?}/{key}")).or_insert(0);
        *n += 1;
        *n <= 1
    }
}

/// `POST /register` is limited per client IP. The token bucket used to replace the IP bucket for
/// any presented bearer, valid or not, so a caller over its IP limit got a fresh bucket with every
/// made-up bearer, and each such request still reached the store and appended a
/// `registration_refused` audit event; fixed in df4989e (every non-admin registration counts
/// against its IP).
#[test]
fn made_up_bearer_tokens_do_not_escape_the_ip_limit() {
    let config = cfg(false, true);
    let store = MemoryStore::new();
    let limits = OnePerKey(Default::default());
    let mut statuses = Vec::new();
    for i in 0..6 {
        let bearer = format!("Bearer made-up-{i}");
        let req = ApiRequest {
            client_ip: Some("203.0.113.9"),
            ..json_request(
                "POST",
                "/register",
                (i > 0).then_some(bearer.as_str()),
                b"{}",
            )
        };
        statuses.push(
            block_on(handle(&req, config, &store, &limits, T0))
                .response
                .status,
        );
    }
    // One request was within the IP's limit; the five after it should all be 429, and the audit
    // log should hold one refusal, not six.
    assert_eq!(statuses[1..], [429; 5], "statuses {statuses:?}");
    assert_eq!(store.audit_log().len(), 1, "{:?}", store.audit_log());
}

/// docs/api.md: the round-trip law. serde_json without its `float_roundtrip` feature does not parse
/// every float to the nearest double, so a number inside `jwks` can change each time the JSON goes
/// through text: `3.68015493024308e180` is echoed as `3.6801549302430797e+180`, which parses back
/// to the first double again. The PUT of an unchanged registration then changes it (and so does
/// every write and read through D1 or KV, which store the metadata as JSON text). Fixed by
/// enabling serde_json's `float_roundtrip` feature.
#[test]
fn numbers_inside_jwks_survive_the_round_trip() {
    let config = cfg(false, true);
    let store = MemoryStore::new();
    // The float is spliced in as text: going through a serde_json Value first would already
    // round it.
    let key = RSA_2048_JWK.trim_end_matches('}');
    let body = format!(
        r#"{{"redirect_uris": ["https://client.example/cb"],
        "jwks": {{"keys": [{key}, "ext": 3.68015493024308e180}}]}}}}"#
    );
    let r = send(config, &store, "POST", "/register", None, body.as_bytes());
    assert_eq!(r.status, 201);
    let reg = r.body.unwrap().as_object().unwrap().clone();
    let update = serde_json::to_vec(&without(&reg, SERVER_ONLY_MEMBERS)).unwrap();
    let path = format!("/register/{}", reg["client_id"].as_str().unwrap());
    let auth = format!(
        "Bearer {}",
        reg["registration_access_token"].as_str().unwrap()
    );
    let r = send(config, &store, "PUT", &path, Some(&auth), &update);
    assert_eq!(r.status, 200);
    assert_eq!(r.body.unwrap()["jwks"], reg["jwks"]);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// src/base64url.rs encodes exactly as the `base64` crate's URL_SAFE_NO_PAD engine does.
    #[test]
    fn base64url_encodes_as_the_reference(bytes in vec(any::<u8>(), 0..100)) {
        use base64::Engine;
        let reference = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        prop_assert_eq!(registrar::base64url::encode(&bytes), reference);
    }

    /// ... and accepts exactly the texts that engine accepts (no padding, canonical trailing
    /// bits), decoding them to the same bytes. The text is drawn from the alphabet plus `=`, `+`,
    /// `/` and a space, so refusals of every kind come up.
    #[test]
    fn base64url_decodes_as_the_reference(text in "[A-Za-z0-9_=+/ -]{0,40}") {
        use base64::Engine;
        let reference = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&text).ok();
        prop_assert_eq!(registrar::base64url::decode(&text), reference);
    }
}
