//! The registration policy engine (docs/protected-registration.md) as named table rows: each row
//! validates a request for a caller class and checks what is granted or which error names what.

mod common;

use common::config_with;
use registrar::config::Config;
use registrar::error::ApiError;
use registrar::metadata::ClientMetadata;
use registrar::policy::{CallerClass, Policy};
use serde_json::{json, Value};

const POLICY: &str = r#"{
  "reserved_scopes": ["phone"],
  "restricted_scopes": ["offline_access"],
  "anonymous": {
    "grant_types": ["authorization_code", "refresh_token"],
    "token_endpoint_auth_methods": ["none", "client_secret_basic"],
    "scopes": ["openid", "profile", "email"],
    "default_scope": "openid profile",
    "redirect_uri_hosts": ["app.example.com", "*.tenant.example", "127.0.0.1"]
  },
  "profiles": {
    "partner": { "scopes": ["openid", "email", "offline_access"], "max_clients": 5 }
  }
}"#;

fn config() -> Config {
    config_with(&[("REGISTRATION_POLICY", POLICY)])
}

fn anonymous() -> CallerClass {
    CallerClass::Anonymous
}

fn partner() -> CallerClass {
    CallerClass::Profile("partner".into())
}

/// A profile the policy does not name (removed from the configuration after clients and
/// tokens were made with it).
fn gone() -> CallerClass {
    CallerClass::Profile("gone".into())
}

/// Validates like the service does: RFC rules, then the class policy.
fn validate(class: CallerClass, body: Value) -> Result<ClientMetadata, ApiError> {
    let cfg = config();
    let map = body.as_object().expect("object").clone();
    let mut md = ClientMetadata::from_request(&map, &cfg)?;
    let scope_requested = map.get("scope").is_some_and(|v| !v.is_null());
    cfg.policy
        .apply(&class, &mut md, scope_requested, &cfg.default_scope)?;
    Ok(md)
}

fn web(extra: Value) -> Value {
    let mut body = json!({"redirect_uris": ["https://app.example.com/cb"]});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

macro_rules! granted {
    ($($name:ident: $class:expr, $body:expr => scope $scope:expr;)+) => {$(
        #[test]
        fn $name() {
            let md = validate($class, $body).unwrap_or_else(|e| panic!("refused: {e}"));
            assert_eq!(md.scope, $scope);
        }
    )+};
}

macro_rules! refused {
    ($($name:ident: $class:expr, $body:expr => $code:literal naming $member:literal;)+) => {$(
        #[test]
        fn $name() {
            let err = validate($class, $body).expect_err("should be refused");
            assert_eq!(err.code(), $code, "{}", err.description());
            assert!(
                err.description().starts_with($member),
                "{:?} should name {:?}",
                err.description(),
                $member
            );
        }
    )+};
}

granted! {
    allowed_scopes_are_granted_as_asked:
        anonymous(), web(json!({"scope": "openid email"})) => scope "openid email";
    restricted_scope_is_dropped_for_a_class_that_does_not_list_it:
        anonymous(), web(json!({"scope": "openid offline_access"})) => scope "openid";
    restricted_scope_is_kept_for_a_profile_that_lists_it:
        partner(), web(json!({"scope": "openid offline_access"})) => scope "openid offline_access";
    reserved_scope_is_dropped_for_everyone:
        partner(), web(json!({"scope": "openid phone"})) => scope "openid";
    reserved_scope_is_dropped_even_for_the_admin:
        CallerClass::Admin, web(json!({"scope": "phone email"})) => scope "email";
    admin_without_a_scope_list_may_have_restricted_scopes:
        CallerClass::Admin, web(json!({"scope": "offline_access"})) => scope "offline_access";
    class_default_scope_applies_when_none_is_asked:
        anonymous(), web(json!({})) => scope "openid profile";
    global_default_scope_applies_for_a_class_without_one:
        partner(), web(json!({})) => scope "openid";
    a_request_narrowed_to_nothing_gets_the_class_default:
        anonymous(), web(json!({"scope": "offline_access"})) => scope "openid profile";
    wildcard_host_allows_one_label:
        anonymous(), json!({"redirect_uris": ["https://a.tenant.example/cb"]}) => scope "openid profile";
    private_use_redirects_are_not_host_restricted:
        anonymous(), json!({"redirect_uris": ["com.example.app:/cb"], "token_endpoint_auth_method": "none"}) => scope "openid profile";
    // Issue 11, item 3: a profile the policy does not name gets the anonymous rules.
    removed_profile_gets_the_anonymous_default_scope:
        gone(), web(json!({})) => scope "openid profile";
    removed_profile_has_restricted_scopes_dropped_as_anonymous:
        gone(), web(json!({"scope": "openid offline_access"})) => scope "openid";
    profile_less_token_without_profiles_default_gets_the_anonymous_default_scope:
        CallerClass::Profile("default".into()), web(json!({})) => scope "openid profile";
    profile_less_token_without_profiles_default_has_restricted_scopes_dropped:
        CallerClass::Profile("default".into()), web(json!({"scope": "email offline_access"})) => scope "email";
}

refused! {
    grant_type_outside_the_class_list_is_invalid_client_metadata:
        anonymous(), web(json!({"grant_types": ["authorization_code", "client_credentials"]}))
        => "invalid_client_metadata" naming "grant_types[1]";
    auth_method_outside_the_class_list_is_invalid_client_metadata:
        anonymous(), web(json!({"token_endpoint_auth_method": "client_secret_post"}))
        => "invalid_client_metadata" naming "token_endpoint_auth_method";
    scope_outside_the_class_list_is_invalid_client_metadata:
        anonymous(), web(json!({"scope": "openid address"}))
        => "invalid_client_metadata" naming "scope";
    redirect_host_outside_the_class_list_is_invalid_redirect_uri:
        anonymous(), json!({"redirect_uris": ["https://app.example.com/cb", "https://evil.example/cb"]})
        => "invalid_redirect_uri" naming "redirect_uris[1]";
    wildcard_host_does_not_match_the_bare_domain:
        anonymous(), json!({"redirect_uris": ["https://tenant.example/cb"]})
        => "invalid_redirect_uri" naming "redirect_uris[0]";
    wildcard_host_does_not_match_two_labels:
        anonymous(), json!({"redirect_uris": ["https://a.b.tenant.example/cb"]})
        => "invalid_redirect_uri" naming "redirect_uris[0]";
    post_logout_redirect_host_outside_the_class_list_is_invalid_client_metadata:
        anonymous(), web(json!({"post_logout_redirect_uris": ["https://evil.example/bye"]}))
        => "invalid_client_metadata" naming "post_logout_redirect_uris[0]";
    profile_scope_list_is_enforced:
        partner(), web(json!({"scope": "profile"}))
        => "invalid_client_metadata" naming "scope";
    // Issue 11, item 3: never unrestricted by omission.
    removed_profile_is_held_to_the_anonymous_grant_types:
        gone(), web(json!({"grant_types": ["authorization_code", "client_credentials"]}))
        => "invalid_client_metadata" naming "grant_types[1]";
    removed_profile_is_held_to_the_anonymous_auth_methods:
        gone(), web(json!({"token_endpoint_auth_method": "client_secret_post"}))
        => "invalid_client_metadata" naming "token_endpoint_auth_method";
    removed_profile_is_held_to_the_anonymous_scopes:
        gone(), web(json!({"scope": "openid address"}))
        => "invalid_client_metadata" naming "scope";
    removed_profile_is_held_to_the_anonymous_redirect_hosts:
        gone(), json!({"redirect_uris": ["https://evil.example/cb"]})
        => "invalid_redirect_uri" naming "redirect_uris[0]";
    profile_less_token_without_profiles_default_is_held_to_the_anonymous_grant_types:
        CallerClass::Profile("default".into()), web(json!({"grant_types": ["authorization_code", "client_credentials"], "scope": "openid"}))
        => "invalid_client_metadata" naming "grant_types[1]";
    profile_less_token_without_profiles_default_is_held_to_the_anonymous_scopes:
        CallerClass::Profile("default".into()), web(json!({"scope": "address"}))
        => "invalid_client_metadata" naming "scope";
    profile_less_token_without_profiles_default_is_held_to_the_anonymous_redirect_hosts:
        CallerClass::Profile("default".into()), json!({"redirect_uris": ["https://evil.example/cb"]})
        => "invalid_redirect_uri" naming "redirect_uris[0]";
}

#[test]
fn refusal_for_a_removed_profile_says_the_anonymous_rules_apply() {
    let err = validate(
        gone(),
        web(json!({"grant_types": ["authorization_code", "client_credentials"]})),
    )
    .unwrap_err();
    assert_eq!(
        err.description(),
        "grant_types[1]: client_credentials is not allowed for initial access token profile \
         \"gone\" (not configured on this server: the anonymous rules apply)"
    );
}

#[test]
fn a_configured_default_profile_is_used_for_profile_less_tokens() {
    let cfg = config_with(&[(
        "REGISTRATION_POLICY",
        r#"{"anonymous": {"grant_types": ["authorization_code"]},
            "profiles": {"default": {"grant_types": ["client_credentials"]}}}"#,
    )]);
    let class = CallerClass::Profile("default".into());
    let map = json!({"grant_types": ["client_credentials"]});
    let mut md = ClientMetadata::from_request(map.as_object().unwrap(), &cfg).unwrap();
    cfg.policy
        .apply(&class, &mut md, false, &cfg.default_scope)
        .expect("profiles.default allows client_credentials");
}

#[test]
fn without_an_anonymous_section_an_unnamed_profile_is_unrestricted_but_the_admin_always_is() {
    // The operator configured no anonymous restriction: the anonymous rules restrict nothing,
    // so neither does the fallback. An unconfigured admin class is the operator's own.
    let cfg = config_with(&[(
        "REGISTRATION_POLICY",
        r#"{"profiles": {"partner": {"grant_types": ["authorization_code"]}}}"#,
    )]);
    for class in [
        CallerClass::Profile("gone".into()),
        CallerClass::Profile("default".into()),
        CallerClass::Admin,
    ] {
        let map = json!({"grant_types": ["client_credentials"], "scope": "address"});
        let mut md = ClientMetadata::from_request(map.as_object().unwrap(), &cfg).unwrap();
        cfg.policy
            .apply(&class, &mut md, true, &cfg.default_scope)
            .unwrap_or_else(|e| panic!("{class:?}: {e}"));
    }
}

#[test]
fn an_unnamed_profile_gets_the_anonymous_max_clients_for_its_own_count() {
    let cfg = config_with(&[(
        "REGISTRATION_POLICY",
        r#"{"anonymous": {"max_clients": 7}, "admin": {"max_clients": 2}}"#,
    )]);
    assert_eq!(cfg.policy.class(&gone()).max_clients, Some(7));
    assert_eq!(cfg.policy.class(&CallerClass::Admin).max_clients, Some(2));
    assert!(cfg.policy.is_removed_profile(Some("gone")));
    assert!(!cfg.policy.is_removed_profile(None));
}

#[test]
fn profile_quota_is_read_from_the_policy() {
    let cfg = config();
    assert_eq!(cfg.policy.class(&partner()).max_clients, Some(5));
    assert_eq!(cfg.policy.class(&anonymous()).max_clients, None);
}

#[test]
fn unset_policy_restricts_nothing() {
    let cfg = config_with(&[]);
    let map = json!({"grant_types": ["client_credentials"], "scope": "offline_access"});
    let mut md = ClientMetadata::from_request(map.as_object().unwrap(), &cfg).unwrap();
    cfg.policy
        .apply(&anonymous(), &mut md, true, &cfg.default_scope)
        .unwrap();
    assert_eq!(md.scope, "offline_access");
}

#[test]
fn policy_errors_name_the_member_at_fault() {
    let supported: Vec<String> = ["openid", "email"].iter().map(|s| s.to_string()).collect();
    for (json, needle) in [
        (r#"{"reserved_scopes": ["admin"]}"#, "admin"),
        (r#"{"anonymous": {"scopes": ["openid", "x"]}}"#, "anonymous"),
        (
            r#"{"profiles": {"p": {"default_scope": "openid y"}}}"#,
            "profiles.p",
        ),
        (r#"{"profiles": {"bad name": {}}}"#, "bad name"),
        (
            r#"{"anonymous": {"redirect_uri_hosts": ["https://x"]}}"#,
            "https://x",
        ),
        (
            r#"{"anonymous": {"grant_types": ["password"]}}"#,
            "password",
        ),
        (r#"{"anonymous": {"max_client": 3}}"#, "max_client"),
    ] {
        let err = Policy::parse(json, &supported).unwrap_err();
        assert!(err.contains(needle), "{json}: {err}");
    }
}

// =============================================================================================
// Issue 11, item 4: an RFC 7592 update keeps what the client has and adds only what anonymous
// registration may have (Policy::apply_update), whatever the client's class.
// =============================================================================================

/// What a client holds that anonymous registration may have.
fn base() -> Value {
    json!({"redirect_uris": ["https://app.example.com/cb"], "scope": "openid email"})
}

/// What the admin (or the partner profile) gave a client beyond the anonymous rules.
fn wide() -> Value {
    json!({
        "redirect_uris": ["https://partner.example.net/cb"],
        "post_logout_redirect_uris": ["https://partner.example.net/bye"],
        "grant_types": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_method": "client_secret_post",
        "scope": "openid email offline_access"
    })
}

/// `v` with the members of `extra` set.
fn with(v: Value, extra: Value) -> Value {
    let mut v = v;
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

/// Validates an RFC 7592 update like the service: `current` is the client's stored metadata.
fn update_with(
    cfg: &Config,
    class: &CallerClass,
    current: Value,
    body: Value,
) -> Result<ClientMetadata, ApiError> {
    let current = ClientMetadata::from_request(current.as_object().unwrap(), cfg).expect("current");
    let map = body.as_object().expect("object").clone();
    let mut md = ClientMetadata::from_request(&map, cfg)?;
    let scope_requested = map.get("scope").is_some_and(|v| !v.is_null());
    cfg.policy.apply_update(
        class,
        &mut md,
        &current,
        scope_requested,
        &cfg.default_scope,
    )?;
    Ok(md)
}

fn update(class: &CallerClass, current: Value, body: Value) -> Result<ClientMetadata, ApiError> {
    update_with(&config(), class, current, body)
}

/// One test per class and row: `classes` are the names of the class constructors.
macro_rules! update_allowed {
    ($($name:ident: [$($class:ident),+] $current:expr, $body:expr => scope $scope:expr;)+) => {$(
        #[test]
        fn $name() {
            for class in [$($class()),+] {
                let md = update(&class, $current, $body)
                    .unwrap_or_else(|e| panic!("{class:?}: refused: {e}"));
                assert_eq!(md.scope, $scope, "{class:?}");
            }
        }
    )+};
}

macro_rules! update_refused {
    ($($name:ident: [$($class:ident),+] $current:expr, $body:expr => $code:literal naming $member:literal;)+) => {$(
        #[test]
        fn $name() {
            for class in [$($class()),+] {
                let err = update(&class, $current, $body)
                    .expect_err(&format!("{class:?}: should be refused"));
                assert_eq!(err.code(), $code, "{class:?}: {}", err.description());
                assert!(
                    err.description().starts_with($member),
                    "{class:?}: {:?} should name {:?}",
                    err.description(),
                    $member
                );
            }
        }
    )+};
}

fn admin() -> CallerClass {
    CallerClass::Admin
}

update_allowed! {
    update_keeping_what_the_client_has_is_allowed_for_every_class:
        [anonymous, partner, gone, admin] base(), base() => scope "openid email";
    // What the client has is kept, also beyond its class: the admin may have granted it, or
    // the class (a removed profile) allowed it when it was registered.
    update_keeping_grants_scopes_hosts_and_method_beyond_the_anonymous_rules_is_allowed:
        [anonymous, partner, gone, admin] wide(), wide() => scope "openid email offline_access";
    update_adding_a_uri_on_a_host_the_client_has_is_allowed:
        [anonymous, partner, gone, admin] wide(), with(wide(), json!({"redirect_uris": ["https://partner.example.net/cb", "https://PARTNER.example.net:8443/other"]}))
        => scope "openid email offline_access";
    update_adding_what_anonymous_may_have_is_allowed:
        [anonymous, partner, gone, admin] base(), with(base(), json!({
            "redirect_uris": ["https://app.example.com/cb", "https://a.tenant.example/cb", "http://127.0.0.1:9000/cb"],
            "grant_types": ["authorization_code", "refresh_token"]
        })) => scope "openid email";
    update_adding_a_plain_scope_anonymous_may_have_is_allowed:
        [anonymous, gone, admin] base(), with(base(), json!({"scope": "openid email profile"}))
        => scope "openid email profile";
    update_adding_a_private_use_redirect_is_not_host_based:
        [anonymous, partner, gone, admin] with(base(), json!({"application_type": "native", "token_endpoint_auth_method": "none"})),
        with(base(), json!({"application_type": "native", "token_endpoint_auth_method": "none", "redirect_uris": ["https://app.example.com/cb", "com.example.app:/cb"]}))
        => scope "openid email";
    update_changing_to_an_auth_method_anonymous_may_use_is_allowed:
        [anonymous, partner, gone, admin] base(), with(base(), json!({"token_endpoint_auth_method": "none"})) => scope "openid email";
    update_adding_a_restricted_scope_drops_it_for_every_class:
        [anonymous, partner, gone, admin] base(), with(base(), json!({"scope": "openid email offline_access"})) => scope "openid email";
    update_adding_a_reserved_scope_drops_it_for_every_class:
        [anonymous, partner, gone, admin] base(), with(base(), json!({"scope": "openid email phone"})) => scope "openid email";
    update_asking_only_for_dropped_additions_gets_what_it_holds_of_the_class_default:
        [partner, admin] json!({"redirect_uris": ["https://app.example.com/cb"], "scope": "openid"}),
        with(base(), json!({"scope": "offline_access"})) => scope "openid";
}

update_refused! {
    update_adding_client_credentials_is_refused_for_every_class:
        [anonymous, partner, gone, admin] base(), with(base(), json!({"grant_types": ["authorization_code", "client_credentials"]}))
        => "invalid_client_metadata" naming "grant_types[1]";
    update_adding_a_plain_scope_outside_the_anonymous_list_is_refused_for_every_class:
        [anonymous, partner, gone, admin] base(), with(base(), json!({"scope": "openid email address"}))
        => "invalid_client_metadata" naming "scope";
    update_adding_a_redirect_host_outside_the_anonymous_hosts_is_refused_for_every_class:
        [anonymous, partner, gone, admin] base(), with(base(), json!({"redirect_uris": ["https://app.example.com/cb", "https://evil.example/cb"]}))
        => "invalid_redirect_uri" naming "redirect_uris[1]";
    update_adding_a_logout_host_outside_the_anonymous_hosts_is_refused_for_every_class:
        [anonymous, partner, gone, admin] base(), with(base(), json!({"post_logout_redirect_uris": ["https://evil.example/bye"]}))
        => "invalid_client_metadata" naming "post_logout_redirect_uris[0]";
    update_changing_the_auth_method_outside_the_anonymous_list_is_refused_for_every_class:
        [anonymous, partner, gone, admin] base(), with(base(), json!({"token_endpoint_auth_method": "client_secret_post"}))
        => "invalid_client_metadata" naming "token_endpoint_auth_method";
    update_adding_what_the_clients_own_class_refuses_is_refused:
        [partner] base(), with(base(), json!({"scope": "openid email profile"}))
        => "invalid_client_metadata" naming "scope";
    update_of_a_removed_profile_client_adds_only_what_anonymous_may_have:
        [gone] wide(), with(wide(), json!({"grant_types": ["authorization_code", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"]}))
        => "invalid_client_metadata" naming "grant_types[2]";
}

#[test]
fn refused_additions_say_they_need_the_admin_api() {
    for (body, text) in [
        (
            with(
                base(),
                json!({"grant_types": ["authorization_code", "client_credentials"]}),
            ),
            "grant_types[1]: client_credentials is not allowed for anonymous registration; \
             adding it to this client needs the admin API",
        ),
        (
            with(base(), json!({"scope": "openid email address"})),
            "scope: \"address\" is not allowed for anonymous registration; adding it to this \
             client needs the admin API",
        ),
        (
            with(
                base(),
                json!({"redirect_uris": ["https://evil.example/cb"]}),
            ),
            "redirect_uris[0]: host of \"https://evil.example/cb\" is not allowed for anonymous \
             registration; adding it to this client needs the admin API",
        ),
        (
            with(
                base(),
                json!({"token_endpoint_auth_method": "client_secret_post"}),
            ),
            "token_endpoint_auth_method: client_secret_post is not allowed for anonymous \
             registration; changing this client to it needs the admin API",
        ),
    ] {
        let err = update(&CallerClass::Admin, base(), body).unwrap_err();
        assert_eq!(err.description(), text);
    }
}

#[test]
fn refused_additions_quote_at_most_64_characters_of_the_value() {
    let long = format!("https://{}.evil.example/cb", "a".repeat(60_000));
    let err = update(
        &CallerClass::Admin,
        base(),
        with(base(), json!({"redirect_uris": [long]})),
    )
    .unwrap_err();
    assert!(
        err.description().chars().count() < 200,
        "{}",
        err.description()
    );
}

#[test]
fn a_held_plain_scope_outside_the_anonymous_list_is_kept() {
    let current = with(base(), json!({"scope": "openid address"}));
    let md = update(&CallerClass::Admin, current.clone(), current).unwrap();
    assert_eq!(md.scope, "openid address");
}

#[test]
fn without_an_anonymous_section_updates_may_add_anything_but_restricted_scopes() {
    // No anonymous section: the operator restricts no anonymous registration, so additions are
    // judged by nothing but the restricted and reserved scopes (which no class lists here).
    let cfg = config_with(&[(
        "REGISTRATION_POLICY",
        r#"{"restricted_scopes": ["offline_access"], "reserved_scopes": ["phone"]}"#,
    )]);
    let body = with(
        base(),
        json!({
            "redirect_uris": ["https://anywhere.example.net/cb"],
            "grant_types": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_method": "client_secret_post",
            "scope": "openid address offline_access phone"
        }),
    );
    let md = update_with(&cfg, &CallerClass::Admin, base(), body).unwrap();
    assert_eq!(md.scope, "openid address");
    assert_eq!(md.grant_types.len(), 2);
}

#[test]
fn unset_policy_lets_updates_add_anything() {
    let cfg = config_with(&[]);
    let body = with(
        base(),
        json!({"grant_types": ["client_credentials"], "scope": "offline_access", "redirect_uris": null}),
    );
    let md = update_with(&cfg, &CallerClass::Anonymous, base(), body).unwrap();
    assert_eq!(md.scope, "offline_access");
}
