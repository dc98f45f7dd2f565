//! Shared helpers for host integration tests, and for the fuzz targets (fuzz/fuzz_targets/ include
//! this file with `#[path]`).
#![allow(dead_code)]

use registrar::config::Config;
use registrar::http::ApiRequest;
use registrar::metadata::enums::{ApplicationType, GrantType};
use registrar::metadata::ClientMetadata;
use registrar::service::{Registrar, RequestOrigin};
use registrar::store::memory::MemoryStore;
use serde_json::Value;
use std::future::Future;
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

/// Runs a future that never waits on I/O (the memory store is synchronous underneath).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// The issuer of [`config`] and of [`registrar`].
pub const ISSUER: &str = "https://registrar.example";
/// The request id and client IP hash every [`registrar`] records in audit events.
pub const REQUEST_ID: &str = "test-request";
pub const IP_HASH: &str = "ip-hash";
/// An `ADMIN_TOKEN` for configurations with the admin API on.
pub const ADMIN_TOKEN: &str = "admin-token-0123456789abcdef0123456789";
/// `GRANT_TYPES_SUPPORTED` with every grant, implicit included.
pub const ALL_GRANTS: &str = "authorization_code implicit refresh_token client_credentials \
    urn:ietf:params:oauth:grant-type:device_code urn:ietf:params:oauth:grant-type:token-exchange \
    urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Every client metadata member Registrar reads (RFC 7591 §2, OIDC Registration §2, RP-Initiated
/// Logout), for generators that pick member names: read from the documented contract,
/// static/openapi.json (the members of `ClientMetadataMembers` and the ones only requests may
/// send, which `ClientMetadataRequest` adds), not from `src/`.
pub static METADATA_MEMBERS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let doc: Value = serde_json::from_str(include_str!("../../static/openapi.json"))
        .expect("static/openapi.json is JSON");
    let mut names: Vec<&'static str> = Vec::new();
    for schema in ["ClientMetadataMembers", "ClientMetadataRequest"] {
        let members = doc["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("static/openapi.json: {schema} has no properties"));
        for name in members.keys() {
            if !names.contains(&name.as_str()) {
                names.push(String::leak(name.clone()));
            }
        }
    }
    names
});
/// A `REGISTRATION_POLICY` with restricted and reserved scopes, host rules and a profile.
pub const POLICY: &str = r#"{"reserved_scopes": ["phone"], "restricted_scopes": ["offline_access"],
    "anonymous": {"scopes": ["openid", "profile", "email"],
                  "redirect_uri_hosts": ["127.0.0.1", "localhost", "*.example", "client.example"]},
    "profiles": {"partner": {"scopes": ["openid", "profile", "email", "offline_access"]}},
    "admin": {}}"#;

// Real public keys as JWK JSON text (generated once with Node's crypto for these tests; the
// private halves were never kept). RSA_1024_JWK is a real key below the 2048-bit minimum.
pub const RSA_2048_JWK: &str = r#"{"kty":"RSA","n":"pBAkcnN-g3NLFU1ioblRhprDEPktWkP3Lgow77e_f99hAnjXw20SSHQibF1C9bystploh3PDLcsfMiLoSFCrXBsQOhxSsAzjg1kJNZzCCUoYboEzWUGR9857eh-YWNV62Wk76mHZxyUsv-jDM6rld_03Tc-EJdR1KuVrO1cjy9HQ-Be8pkGtP3h30yYe43bLgzYcf2sysWSZsSHQNjSYmkMb7_TE1hb_FoxdgO_qDKy0UTN06rn_UvwwSkaEdutENT8-IKiP1diUFdD38hApeV_zoalB_D8PsN0jF_cj94ngMh8av4f083Oqjbx_hHOTeLwVwb5xjYKoMa76ZmfMMQ","e":"AQAB"}"#;
pub const RSA_2048_B_JWK: &str = r#"{"kty":"RSA","n":"ycNQ4Yp1AjNZJEvPjjiraKJwDmE0TRCFxL-M0Gox1NvUv4WN2pz5GsU3mqrIZTuVM0LAbHn2pV2r10MMemKCXhbhQ3krVFFZLfKnevlXxHgkmhXj3e7Em0DfBBiID9qiYiyKOIJp0YxF_0bQq1vj1LwcvWTv7XthwgbeUKTkMKok4hDTCAaFpC1QKtCdtYZ1RAhYROOJH1KDT9q7JGpWXBlNtzJ7WRaJRO01tkbA3nDkdQaANJGSafSD2CLhtRnPo0uYjnoJjgYHI-Sp3PmXA6W5oWC54oC4rhIadPc9qTmlwCAg3r8IFQafbNzXHzuHJbN7U0hRV3rwq4k3f6Vpew","e":"AQAB"}"#;
pub const RSA_4096_JWK: &str = r#"{"kty":"RSA","n":"x35x1RR97OD5MvSNl--WOncKoBF0INQJvlgR89iBTfKl1YjPSTmQinKtXwNbuPjdYi_zRoQJl96e_2KwctAbvftFH0r0fd9Mw_0wunkh3G_VJgpLlVpRsDXoEI41Xh32S8iNdgPrqKaWsDyE51z-R-EHMYKl4rYQr5bZxGr_hLI9x5v9W8onWZbCNphhRSxgC8UhA5ZgAuC9Rx3-ajxMZYXt5KXm2nJOwW-xQnwhQxpqMMNh_9IZjmC26yPvf9oAVm5ov_jTOD0D7r3PsVMqrqkWT1rxElu61yLqkN9Jrbr3DVjLe7upmlT2LaLZklJaJ7ueM4O1S6Ba9GEPrCJj_9KA6sDLITzS1fyLOVngbhW4mkGBUohbkDMzrUTEHWmZ7L9L6AR8dSg-c62sd1tkMwo_wzzYyBPDMTDAn-YVEpjegs3yoTjhyYfsvDGVAP-OkQsdIM7kLx-poWMQjPQHBR2nzJCP5gVE3-8ZWr1-Ak8qCBRVWdANNsYkbf612rxR-Qnpyafq0jRbPcTYSeTvCfL2TTrSquPC81Zxb-Fd8vOboczrKkKS0dWKa0jBVIMrHGfY2yL7i3iFGtZZKrp6axGJnnOfI7tcIa-9mRfOt_XWfuDx-nk19DxGbwtGZdY9smcr-wAISjxwluk5mGcSEqGQHyNJq115biAm0b7r3Ic","e":"AQAB"}"#;
pub const RSA_1024_JWK: &str = r#"{"kty":"RSA","n":"7BuxF_0gFKoEKlZCB7h55kwxiVytaC_MsznYCm7Qv2mzBq9LczS-WE1PQOLbgNrEo5aogYkqlBuiyKF2Q7rADe1Ohka1xjdLpebHksszV1gh0u8Ig67QkZZFjGZMR3e8iY5f6UYp-nngFpKdKDdmlkU3dyJ401ER1O2FQ5WhYkE","e":"AQAB"}"#;
pub const P256_JWK: &str = r#"{"kty":"EC","x":"lim0NgAQVMo1m75lgXyRbJpgdCfly5y-IuKH-Qe9rlo","y":"0UD1mc-HXfiB8Ly_kXT0DEbDRcupTsG1IBtiszvB5Pk","crv":"P-256"}"#;
pub const P384_JWK: &str = r#"{"kty":"EC","x":"ebXH4C-LKzCbD6L3TN-455N9s04zQ6MUAv-6ZkDDmhAd1EE45sdY3RzxtPhA9z15","y":"okDO8JWsRou4_jL7vW3_3GwbbtwpEpMNgzl-sR1JswJas_qvviJCjzquWLv8Ee0o","crv":"P-384"}"#;
pub const P521_JWK: &str = r#"{"kty":"EC","x":"AOq1y0cgoWrgnOxtEmZx7mYy1XwtPkcDHkaz2iQZ7PZb8T5vH8kvwWH88Uyoz5GqPsk-9sEqARyB4Q_E1pu7lIKc","y":"AcQymnP8mncA_l36LOks8U_xH8NL4cCn5XtrkkKRyAoqhnNcZQjJ1dw4clngBti4ZU-dN6yW55NigGra66JvVL48","crv":"P-521"}"#;
pub const ED25519_JWK: &str =
    r#"{"crv":"Ed25519","x":"jiI2qs7wiPS1je4g2Whsv_VZc_Lihq95klxZaDnJVSo","kty":"OKP"}"#;
pub const ED448_JWK: &str = r#"{"crv":"Ed448","x":"wJpIW-viyUwb0pOrSDheEuIqPP0qBKxtZSSLp0hU5FFp1XQKWKqJVH9-TUikGe1ZA7TFL4rqaH8A","kty":"OKP"}"#;
pub const X25519_JWK: &str =
    r#"{"crv":"X25519","x":"TgBNKE14YtZP1581bg33rDsploWSg1aJXUa6V7gJ_H8","kty":"OKP"}"#;
pub const X448_JWK: &str = r#"{"crv":"X448","x":"qLQbnJlP1teXQd_sCt8V3eX8VWXUxaKm-y_jsom_Y7h2sUPwQepOiWThA-IjqMo_CleOQcBXGY8","kty":"OKP"}"#;

/// The JWK constants above that registration accepts, with the `alg` values that fit each
/// (RFC 7518 §3.1, §4.1; RFC 8037 §3), for generators.
pub const VALID_JWKS: &[(&str, &[&str])] = &[
    (
        RSA_2048_JWK,
        &[
            "RS256",
            "RS384",
            "RS512",
            "PS256",
            "PS384",
            "PS512",
            "RSA-OAEP",
            "RSA-OAEP-256",
        ],
    ),
    (RSA_2048_B_JWK, &["RS256", "PS256", "RSA-OAEP"]),
    (RSA_4096_JWK, &["RS512", "PS512", "RSA-OAEP-256"]),
    (P256_JWK, &["ES256", "ECDH-ES", "ECDH-ES+A128KW"]),
    (P384_JWK, &["ES384", "ECDH-ES+A192KW"]),
    (P521_JWK, &["ES512", "ECDH-ES+A256KW"]),
    (ED25519_JWK, &["EdDSA", "Ed25519"]),
    (ED448_JWK, &["EdDSA", "Ed448"]),
    (X25519_JWK, &["ECDH-ES", "ECDH-ES+A128KW"]),
    (X448_JWK, &["ECDH-ES+A256KW"]),
];

/// Whether a character may appear in a human-readable member (`client_name`, `contacts`, …),
/// restated from docs/api.md "Metadata rules" for generators: no C0/C1 control, bidi embedding,
/// override or isolate, zero-width space/joiner/non-joiner, BOM, line or paragraph separator.
pub fn displayable(c: char) -> bool {
    !(c.is_control()
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        || ('\u{200B}'..='\u{200D}').contains(&c)
        || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}'))
}

/// A JWK constant above as a JSON value, with `extra` members laid over it (`kid`, `use`, `alg`).
pub fn jwk(text: &str, extra: Value) -> Value {
    let mut key: Value = serde_json::from_str(text).expect("a JWK constant is JSON");
    if let (Some(key), Value::Object(extra)) = (key.as_object_mut(), extra) {
        key.extend(extra);
    }
    key
}

/// A configuration as the local wrangler.toml sets it, with `overrides` applied.
pub fn config_with(overrides: &[(&str, &str)]) -> Config {
    let base = [
        ("ISSUER", ISSUER),
        ("REGISTRAR_HMAC_KEY", "0123456789abcdef0123456789abcdef"),
    ];
    Config::from_vars(|name| {
        overrides
            .iter()
            .chain(base.iter())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("test configuration is valid")
}

pub fn config() -> Config {
    config_with(&[])
}

/// The service over the in-memory store at time `now`, for one request from [`REQUEST_ID`].
pub fn registrar<'a>(
    config: &'a Config,
    store: &'a MemoryStore,
    now: i64,
) -> Registrar<'a, MemoryStore> {
    Registrar {
        config,
        store,
        issuer: ISSUER.to_string(),
        now,
        origin: RequestOrigin {
            request_id: REQUEST_ID.into(),
            ip_hash: Some(IP_HASH.into()),
            ip_limit_key: Some(IP_HASH.into()),
            admin_actor: None,
        },
    }
}

/// An `application/json` request to the pure router at [`ISSUER`], without query, `Origin`,
/// client IP or request id; tests set what else they need with struct update syntax.
pub fn json_request<'a>(
    method: &'a str,
    path: &'a str,
    authorization: Option<&'a str>,
    body: &'a [u8],
) -> ApiRequest<'a> {
    ApiRequest {
        method,
        path,
        origin: ISSUER,
        query: "",
        request_origin: None,
        client_ip: None,
        request_id: None,
        content_type: Some("application/json"),
        authorization,
        body,
        cookie: None,
        csrf: None,
    }
}

/// Every path to a `null` anywhere in `v` (object members and array items alike).
pub fn nulls(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Null => out.push(path.to_string()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nulls(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                nulls(item, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

/// Every `null` in a response body, as paths from `$` (the API promises none).
pub fn null_paths(v: &Value) -> Vec<String> {
    let mut found = Vec::new();
    nulls(v, "$", &mut found);
    found
}

/// The `error` values the API may send, with their status (RFC 7591 §3.2.2, RFC 6750 §3.1,
/// and Registrar's `not_found` / `too_many_requests`).
pub fn error_allowed(status: u16, code: &str) -> bool {
    match status {
        400 => matches!(
            code,
            "invalid_request"
                | "invalid_redirect_uri"
                | "invalid_client_metadata"
                | "invalid_software_statement"
        ),
        401 => code == "invalid_token",
        403 => code == "access_denied",
        404 => code == "not_found",
        405 | 413 | 415 => code == "invalid_request",
        429 => code == "too_many_requests",
        _ => false,
    }
}

/// What an accepted redirect URI must be as a browser parses it (RFC 9700 §2.1, §4.1; RFC 8252 §7):
/// no fragment, not a script or file scheme, no user info in http(s), plain http only to a loopback host;
/// a web client only http(s), and with the implicit grant https off loopback.
pub fn check_redirects(m: &ClientMetadata) {
    let implicit = m.grant_types.contains(&GrantType::Implicit);
    for raw in m.redirect_uris.iter().chain(&m.post_logout_redirect_uris) {
        let url =
            url::Url::parse(raw).unwrap_or_else(|e| panic!("{raw:?} accepted but unparsable: {e}"));
        // User info confuses whoever reads the host (RFC 9700 §4.1.1); a private-use scheme's
        // authority, if any, is the app's business.
        if matches!(url.scheme(), "http" | "https") {
            assert!(
                url.username().is_empty() && url.password().is_none(),
                "{raw:?}: user info"
            );
        }
        assert!(url.fragment().is_none(), "{raw:?}: fragment");
        assert!(
            !matches!(
                url.scheme(),
                "javascript" | "data" | "vbscript" | "file" | "blob" | "about"
            ),
            "{raw:?}: scheme"
        );
        let host = url.host_str().map(str::to_ascii_lowercase);
        let loopback = matches!(host.as_deref(), Some("127.0.0.1" | "[::1]" | "localhost"));
        match url.scheme() {
            "http" => assert!(loopback, "{raw:?}: http to {host:?}"),
            "https" => assert!(host.is_some(), "{raw:?}: https without a host"),
            _ => assert_eq!(
                m.application_type,
                ApplicationType::Native,
                "{raw:?}: custom scheme for web"
            ),
        }
        if implicit && m.application_type == ApplicationType::Web && m.redirect_uris.contains(raw) {
            assert!(
                url.scheme() == "https" && !loopback,
                "{raw:?}: implicit web redirect"
            );
        }
    }
}

/// docs/api.md "Metadata rules", restated independently of `src/` for the property tests and the
/// `metadata` fuzz target: what an accepted registration under `config` must never hold.
/// Text a person reads holds no control, bidi or invisible character and keeps its length cap;
/// no http(s) URL member has user information (an `@` in its written authority) or exceeds
/// 2,000 bytes; a URL the authorization server fetches is https on a public host (unless
/// `ALLOW_PRIVATE_HOSTS`); no list exceeds its `METADATA_LIMITS` cap, nor the stored JSON its size.
pub fn check_hostile_metadata(m: &ClientMetadata, config: &Config) {
    let mut texts: Vec<(String, &str, usize)> = Vec::new();
    for (member, value, cap) in [
        ("client_name", &m.client_name, 200),
        ("software_id", &m.software_id, 200),
        ("software_version", &m.software_version, 64),
    ] {
        if let Some(v) = value {
            texts.push((member.into(), v, cap));
        }
    }
    texts.extend(
        m.contacts
            .iter()
            .map(|c| ("contacts[]".into(), c.as_str(), 320)),
    );
    texts.extend(
        m.default_acr_values
            .iter()
            .map(|c| ("default_acr_values[]".into(), c.as_str(), 200)),
    );
    let mut urls: Vec<(String, &str)> = Vec::new();
    for (k, v) in &m.localized {
        if k.starts_with("client_name#") {
            texts.push((k.clone(), v, 200));
        } else {
            urls.push((k.clone(), v));
        }
    }
    for (member, v, cap) in &texts {
        assert!(
            v.chars().all(displayable),
            "{member}: {v:?} holds a refused character"
        );
        assert!(v.chars().count() <= *cap, "{member}: over {cap} characters");
    }
    for (member, v) in [
        ("client_uri", &m.client_uri),
        ("logo_uri", &m.logo_uri),
        ("tos_uri", &m.tos_uri),
        ("policy_uri", &m.policy_uri),
    ] {
        if let Some(v) = v {
            urls.push((member.into(), v));
        }
    }
    let mut fetched: Vec<&str> = m.request_uris.iter().map(String::as_str).collect();
    fetched.extend(m.jwks_uri.as_deref());
    fetched.extend(m.initiate_login_uri.as_deref());
    urls.extend(fetched.iter().map(|u| ("fetched".to_string(), *u)));
    urls.extend(
        m.redirect_uris
            .iter()
            .chain(&m.post_logout_redirect_uris)
            .map(|u| ("redirect".to_string(), u.as_str())),
    );
    for (member, raw) in &urls {
        assert!(raw.len() <= 2000, "{member}: {} bytes", raw.len());
        assert!(
            raw.chars().all(|c| displayable(c) && !c.is_whitespace()),
            "{member}: {raw:?} holds a refused character"
        );
        let Ok(url) = url::Url::parse(raw) else {
            continue;
        };
        if matches!(url.scheme(), "http" | "https") {
            let authority = raw
                .split_once("://")
                .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
                .unwrap_or("");
            assert!(
                !authority.contains('@'),
                "{member}: {raw:?} has user information"
            );
            assert!(
                url.username().is_empty() && url.password().is_none(),
                "{raw:?}"
            );
        }
    }
    if !config.allow_private_hosts {
        for raw in fetched {
            let url = url::Url::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(url.scheme(), "https", "{raw:?}: fetched over http");
            assert!(
                public_host(&url),
                "{raw:?}: a fetched URL on an internal host"
            );
        }
    }
    let limits = &config.metadata_limits;
    for (member, len, cap) in [
        ("redirect_uris", m.redirect_uris.len(), limits.redirect_uris),
        (
            "post_logout_redirect_uris",
            m.post_logout_redirect_uris.len(),
            limits.post_logout_redirect_uris,
        ),
        ("request_uris", m.request_uris.len(), limits.request_uris),
        ("contacts", m.contacts.len(), limits.contacts),
        (
            "default_acr_values",
            m.default_acr_values.len(),
            limits.default_acr_values,
        ),
        ("translations", m.localized.len(), limits.translations),
        (
            "jwks.keys",
            m.jwks
                .as_ref()
                .and_then(|j| j["keys"].as_array())
                .map_or(0, Vec::len),
            limits.jwks_keys,
        ),
    ] {
        assert!(len <= cap, "{member}: {len} entries, over {cap}");
    }
    let stored = serde_json::to_string(m).expect("metadata serialises").len();
    assert!(stored <= limits.metadata_bytes, "{stored} bytes stored");
}

/// Whether a URL's host is one a server may fetch from: not loopback, private, link-local,
/// shared, multicast, reserved or unspecified (IPv4, IPv6 and IPv4 inside IPv6), nor a local name.
pub fn public_host(url: &url::Url) -> bool {
    use std::net::Ipv4Addr;
    let v4 = |ip: Ipv4Addr| {
        let [a, b, ..] = ip.octets();
        !(ip.is_loopback()
            || ip.is_private()
            || ip.is_link_local()
            || ip.is_unspecified()
            || ip.is_broadcast()
            || ip.is_multicast()
            || a == 0
            || a >= 240
            || (a == 100 && (64..128).contains(&b)))
    };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => v4(ip),
        Some(url::Host::Ipv6(ip)) => {
            let s = ip.segments();
            if let Some(mapped) = ip.to_ipv4() {
                return v4(mapped);
            }
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return v4(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
            }
            !(ip.is_multicast() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80)
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            let under = |s: &str| d == s || d.ends_with(&format!(".{s}"));
            d.contains('.')
                && !["localhost", "local", "internal", "home.arpa", "localdomain"]
                    .iter()
                    .any(|s| under(s))
        }
        None => false,
    }
}
