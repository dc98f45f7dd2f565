use super::*;
use std::collections::HashMap;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let mut m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    m.entry("REGISTRAR_HMAC_KEY".into())
        .or_insert_with(|| "k".repeat(32));
    move |k| m.get(k).cloned()
}

#[test]
fn defaults_leave_implicit_off() {
    let c = Config::from_vars(vars(&[])).unwrap();
    assert!(!c.implicit_enabled());
    assert_eq!(c.default_scope, "openid");
    assert!(c.rotate_registration_token);
    assert_eq!(c.cors, CorsPolicy::Any);
    assert_eq!(c.ipv6_rate_limit_prefix, 64);
    assert_eq!(c.audit_retention_days, 400);
}

#[test]
fn implicit_is_enabled_by_listing_it() {
    let c = Config::from_vars(vars(&[(
        "GRANT_TYPES_SUPPORTED",
        "authorization_code implicit",
    )]))
    .unwrap();
    assert!(c.implicit_enabled());
}

#[test]
fn refuses_bad_values_naming_the_variable() {
    for (var, value) in [
        ("ISSUER", "https://auth.example.com/"),
        ("ISSUER", "http://auth.example.com"),
        ("ISSUER", "https://auth.example.com/tenant"),
        ("GRANT_TYPES_SUPPORTED", "password"),
        ("ROTATE_REGISTRATION_ACCESS_TOKEN", "yes"),
        ("AUTHORIZATION_SERVER_METADATA", "[1]"),
        ("DEFAULT_SCOPE", "admin"),
        ("REGISTRAR_HMAC_KEY", "short"),
        ("REGISTRATION_MODE", "closed"),
        ("ADMIN_TOKEN", "short"),
        (
            "REGISTRATION_POLICY",
            r#"{"anonymous": {"scopes": ["admin"]}}"#,
        ),
        ("REGISTRATION_POLICY", r#"{"anonymus": {}}"#),
        ("RATE_LIMIT_PERIOD_SECONDS", "a minute"),
        ("STORAGE_BACKEND", "r2"),
        ("IDLE_ANONYMOUS_CLIENT_DAYS", "0"),
        ("LOG_REQUESTS", "none"),
        ("RATE_LIMIT_IPV6_PREFIX", "16"),
        ("RATE_LIMIT_IPV6_PREFIX", "/64"),
        ("AUDIT_RETENTION_DAYS", "7"),
        ("AUDIT_RETENTION_DAYS", "forever"),
        ("METADATA_LIMITS", "20"),
        ("METADATA_LIMITS", "{not json"),
        ("METADATA_LIMITS", r#"{"redirect_uri": 5}"#),
        ("METADATA_LIMITS", r#"{"contacts": -1}"#),
        ("METADATA_LIMITS", r#"{"contacts": 2.5}"#),
        ("METADATA_LIMITS", r#"{"contacts": "3"}"#),
        ("METADATA_LIMITS", r#"{"metadata_bytes": 100}"#),
        ("ALLOW_PRIVATE_HOSTS", "yes"),
        ("ALLOW_PRIVATE_HOSTS", "1"),
        ("ALLOW_PRIVATE_HOSTS", "TRUE"),
    ] {
        let err = Config::from_vars(vars(&[(var, value)])).unwrap_err();
        assert!(err.contains(var), "{var}={value}: {err}");
    }
}

#[test]
fn log_requests_all_by_default_or_errors_only() {
    let all = Config::from_vars(vars(&[])).unwrap().log_requests;
    assert_eq!(all, LogRequests::All);
    assert!(all.wants(201));
    let errors = Config::from_vars(vars(&[("LOG_REQUESTS", "errors")]))
        .unwrap()
        .log_requests;
    assert!(!errors.wants(201) && !errors.wants(204) && !errors.wants(304));
    assert!(errors.wants(400) && errors.wants(401) && errors.wants(500));
}

#[test]
fn cors_list_echoes_only_listed_origins() {
    let c = Config::from_vars(vars(&[(
        "CORS_ALLOW_ORIGIN",
        "https://a.example http://127.0.0.1:6274",
    )]))
    .unwrap();
    assert_eq!(
        c.cors.allow_origin(Some("http://127.0.0.1:6274")),
        Some("http://127.0.0.1:6274")
    );
    assert_eq!(c.cors.allow_origin(Some("https://evil.example")), None);
    assert_eq!(c.cors.allow_origin(None), None);
    assert!(c.cors.varies_by_origin());
    let one = Config::from_vars(vars(&[("CORS_ALLOW_ORIGIN", "https://a.example")])).unwrap();
    assert_eq!(one.cors.allow_origin(None), Some("https://a.example"));
    assert!(Config::from_vars(vars(&[("CORS_ALLOW_ORIGIN", "https://a.example/")])).is_err());
}

#[test]
fn kv_refuses_quotas_it_cannot_enforce() {
    let err = Config::from_vars(vars(&[
        ("STORAGE_BACKEND", "kv"),
        (
            "REGISTRATION_POLICY",
            r#"{"anonymous": {"max_clients": 5}}"#,
        ),
    ]))
    .unwrap_err();
    assert!(
        err.contains("max_clients needs STORAGE_BACKEND=d1"),
        "{err}"
    );
    let kv = Config::from_vars(vars(&[("STORAGE_BACKEND", "kv")])).unwrap();
    assert_eq!(kv.storage, StorageBackend::Kv);
}

#[test]
fn metadata_limits_default_and_partial_override() {
    let d = Config::from_vars(vars(&[])).unwrap().metadata_limits;
    assert_eq!(d, MetadataLimits::default());
    assert_eq!(
        (d.redirect_uris, d.post_logout_redirect_uris, d.request_uris),
        (20, 20, 20)
    );
    assert_eq!(
        (d.contacts, d.default_acr_values, d.jwks_keys),
        (10, 10, 10)
    );
    assert_eq!((d.translations, d.metadata_bytes), (30, 8192));
    let c = Config::from_vars(vars(&[(
        "METADATA_LIMITS",
        r#"{"redirect_uris": 3, "metadata_bytes": 4096}"#,
    )]))
    .unwrap()
    .metadata_limits;
    assert_eq!(c.redirect_uris, 3);
    assert_eq!(c.metadata_bytes, 4096);
    // Members left out keep their defaults.
    assert_eq!(c.contacts, 10);
    assert_eq!(c.jwks_keys, 10);
    let empty = Config::from_vars(vars(&[("METADATA_LIMITS", "{}")])).unwrap();
    assert_eq!(empty.metadata_limits, MetadataLimits::default());
}

#[test]
fn allow_private_hosts_is_off_unless_exactly_true() {
    assert!(!Config::from_vars(vars(&[])).unwrap().allow_private_hosts);
    let off = Config::from_vars(vars(&[("ALLOW_PRIVATE_HOSTS", "false")])).unwrap();
    assert!(!off.allow_private_hosts);
    let on = Config::from_vars(vars(&[("ALLOW_PRIVATE_HOSTS", "true")])).unwrap();
    assert!(on.allow_private_hosts);
}

#[test]
fn unused_client_ttl_defaults_to_a_day_where_uses_are_seen() {
    const AS: &str = "as-api-token-0123456789abcdef0123456789";
    const PROJECT: (&str, &str) = ("PROJECT_CLIENTS", "workers-oauth-provider");
    let ttl = |pairs: &[(&str, &str)]| Config::from_vars(vars(pairs)).map(|c| c.unused_client_ttl);
    // (variables, TTL in seconds)
    type Vars<'a> = &'a [(&'a str, &'a str)];
    let rows: &[(Vars, Option<u32>)] = &[
        (&[], None),
        (&[("AS_API_TOKEN", AS)], Some(86_400)),
        (&[("AS_API_TOKEN", AS), PROJECT], Some(86_400)),
        (&[PROJECT], Some(86_400)),
        (&[("AS_API_TOKEN", AS), ("UNUSED_CLIENT_TTL", "off")], None),
        (&[("AS_API_TOKEN", AS), ("UNUSED_CLIENT_TTL", "0")], None),
        (&[("UNUSED_CLIENT_TTL", "3600")], Some(3_600)),
        (&[("UNUSED_CLIENT_TTL", "3600s")], Some(3_600)),
        (&[("UNUSED_CLIENT_TTL", "90m")], Some(5_400)),
        (&[("UNUSED_CLIENT_TTL", "12h")], Some(43_200)),
        (&[("UNUSED_CLIENT_TTL", "7d")], Some(604_800)),
        (&[("UNUSED_CLIENT_TTL", "3650d")], Some(315_360_000)),
        (&[PROJECT, ("UNUSED_CLIENT_TTL", "off")], None),
        (
            &[("AS_API_TOKEN", AS), PROJECT, ("UNUSED_CLIENT_TTL", "2d")],
            Some(172_800),
        ),
    ];
    for (pairs, expected) in rows {
        assert_eq!(ttl(pairs), Ok(*expected), "{pairs:?}");
    }
    for bad in [
        "59m",
        "3599",
        "49711d",
        "4294967296",
        "1w",
        "h",
        "d",
        "-1h",
        "1.5h",
        "24 h",
        "never",
        "0s",
    ] {
        let err = ttl(&[("UNUSED_CLIENT_TTL", bad)]).unwrap_err();
        assert!(
            err.starts_with("UNUSED_CLIENT_TTL: expected off"),
            "{bad}: {err}"
        );
    }
    // A projection's uses are read from the AS's grants: an explicit value is accepted.
    assert_eq!(
        ttl(&[PROJECT, ("UNUSED_CLIENT_TTL", "24h")]),
        Ok(Some(86_400))
    );
}

#[test]
fn missing_key_is_an_error() {
    let err = Config::from_vars(|_| None).unwrap_err();
    assert!(err.contains("REGISTRAR_HMAC_KEY"));
}
