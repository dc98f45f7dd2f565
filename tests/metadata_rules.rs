//! Metadata rules (RFC 7591 §2, OIDC Registration §2, RFC 8252, RFC 9700) as named table rows.
//!
//! Each row is its own `#[test]`, named by the behaviour it pins down. Rejection rows assert the
//! exact RFC error code (`ApiError::code()`) and, where relevant, that `error_description` names
//! the member (and index). Acceptance rows assert what is stored and echoed by `to_json()`.

mod common;

use common::{
    config, config_with, jwk, nulls, ED25519_JWK, ED448_JWK, P256_JWK, P384_JWK, P521_JWK,
    RSA_1024_JWK, RSA_2048_B_JWK, RSA_2048_JWK, RSA_4096_JWK, X25519_JWK, X448_JWK,
};
use registrar::config::Config;
use registrar::error::ApiError;
use registrar::metadata::ClientMetadata;
use serde_json::{json, Map, Value};

/// A configuration with the implicit grant enabled by the operator.
fn implicit_config() -> Config {
    config_with(&[(
        "GRANT_TYPES_SUPPORTED",
        "authorization_code implicit refresh_token",
    )])
}

/// A configuration with the development setting `ALLOW_PRIVATE_HOSTS=true`.
fn dev_config() -> Config {
    config_with(&[("ALLOW_PRIVATE_HOSTS", "true")])
}

/// A configuration whose operator lowered some `METADATA_LIMITS` and raised others.
fn operator_limits_config() -> Config {
    config_with(&[(
        "METADATA_LIMITS",
        r#"{"redirect_uris": 2, "contacts": 1, "jwks_keys": 1, "translations": 1,
            "request_uris": 40, "metadata_bytes": 2048}"#,
    )])
}

/// `len` bytes of URL: `https://client.example/` and a path of `a`s.
fn long_url(prefix: &str, len: usize) -> String {
    format!("{prefix}{}", "a".repeat(len - prefix.len()))
}

/// `n` distinct https URLs under `base`.
fn urls(base: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{base}{i}")).collect()
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("test input must be a JSON object, got {other}"),
    }
}

fn validate(cfg: &Config, body: Value) -> Result<ClientMetadata, ApiError> {
    ClientMetadata::from_request(&object(body), cfg)
}

#[track_caller]
fn assert_rejected(cfg: &Config, body: Value, code: &str, needles: &[&str]) {
    let shown = body.to_string();
    let err = match validate(cfg, body) {
        Ok(md) => panic!(
            "{shown} was accepted, expected {code}; echoed {:?}",
            md.to_json()
        ),
        Err(e) => e,
    };
    assert_eq!(
        err.code(),
        code,
        "{shown}: wrong error code; description: {}",
        err.description()
    );
    assert_eq!(err.status(), 400, "{shown}: metadata errors are 400");
    let description = err.description();
    for needle in needles {
        assert!(
            description.contains(needle),
            "{shown}: error_description {description:?} should name {needle:?}"
        );
    }
    let wire = err.body();
    assert_eq!(wire["error"], code);
    assert_eq!(wire["error_description"], description.as_str());
}

#[track_caller]
fn assert_accepted(cfg: &Config, body: Value) -> Map<String, Value> {
    let shown = body.to_string();
    let md = match validate(cfg, body) {
        Ok(md) => md,
        Err(e) => panic!("{shown} was refused: {} ({})", e.code(), e.description()),
    };
    let echoed = md.to_json();
    let mut found = Vec::new();
    nulls(&Value::Object(echoed.clone()), "$", &mut found);
    assert!(found.is_empty(), "{shown}: echo has null at {found:?}");
    echoed
}

/// One `#[test]` per row: `name: {json} => "error_code" [, "must appear in description"]*;`
macro_rules! rejected {
    ($cfg:expr; $( $name:ident : $body:tt => $code:literal $(, $needle:literal)* ; )*) => {
        $(
            #[test]
            fn $name() {
                assert_rejected(&$cfg, json!($body), $code, &[$($needle),*]);
            }
        )*
    };
}

/// One `#[test]` per row: `name: {json} => |echoed| { checks }`
macro_rules! accepted {
    ($cfg:expr; $( $name:ident : $body:tt => |$echo:ident| $check:block )*) => {
        $(
            #[test]
            fn $name() {
                let $echo: Map<String, Value> = assert_accepted(&$cfg, json!($body));
                $check
            }
        )*
    };
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v} is not an array"))
        .iter()
        .map(|s| s.as_str().unwrap_or_else(|| panic!("{s} is not a string")))
        .collect()
}

fn keys(m: &Map<String, Value>) -> Vec<&str> {
    let mut k: Vec<&str> = m.keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

const EC_PUBLIC: &str = r#"{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256",
    "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

fn ec_public() -> Value {
    serde_json::from_str(EC_PUBLIC).unwrap()
}

// ---------------------------------------------------------------------------------------------
// redirect_uris: presence and syntax → invalid_redirect_uri
// ---------------------------------------------------------------------------------------------

rejected! { config();
    missing_redirect_uris_for_authorization_code_is_invalid_redirect_uri:
        {"client_name": "no redirects"} => "invalid_redirect_uri", "redirect_uris";
    empty_redirect_uris_is_invalid_redirect_uri:
        {"redirect_uris": []} => "invalid_redirect_uri", "redirect_uris";
    null_redirect_uris_counts_as_missing_and_is_invalid_redirect_uri:
        {"redirect_uris": null} => "invalid_redirect_uri", "redirect_uris";
    missing_redirect_uris_with_explicit_authorization_code_is_invalid_redirect_uri:
        {"grant_types": ["authorization_code", "refresh_token"]} => "invalid_redirect_uri", "redirect_uris";
    redirect_uri_with_fragment_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb", "https://client.example/cb#frag"]}
        => "invalid_redirect_uri", "redirect_uris[1]";
    redirect_uri_with_empty_fragment_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb#"]} => "invalid_redirect_uri", "redirect_uris[0]";
    relative_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["/cb"]} => "invalid_redirect_uri", "redirect_uris[0]";
    schemeless_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/ok", "client.example/cb"]}
        => "invalid_redirect_uri", "redirect_uris[1]";
    authorityless_https_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["https:/client.example/cb"]} => "invalid_redirect_uri", "redirect_uris[0]";
    triple_slash_https_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["https:///127.0.0.1/cb"]} => "invalid_redirect_uri", "redirect_uris[0]";
    backslash_https_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example\\cb"]} => "invalid_redirect_uri", "redirect_uris[0]";
    triple_slash_client_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri": "https:///client.example"}
        => "invalid_client_metadata", "client_uri";
    empty_string_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": [""]} => "invalid_redirect_uri", "redirect_uris[0]";
    non_string_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb", 42]} => "invalid_redirect_uri", "redirect_uris[1]";
    redirect_uri_with_newline_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb\n"]} => "invalid_redirect_uri", "redirect_uris[0]";
    redirect_uri_with_tab_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/c\tb"]} => "invalid_redirect_uri", "redirect_uris[0]";
    redirect_uri_with_nul_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb\u{0000}"]} => "invalid_redirect_uri", "redirect_uris[0]";
    redirect_uri_with_del_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/c\u{007f}b"]} => "invalid_redirect_uri", "redirect_uris[0]";
    redirect_uri_with_c1_control_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/c\u{0085}b"]} => "invalid_redirect_uri", "redirect_uris[0]";
    javascript_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["javascript:alert(1)"]} => "invalid_redirect_uri", "redirect_uris[0]";
    uppercase_javascript_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb", "JavaScript:alert(1)"]}
        => "invalid_redirect_uri", "redirect_uris[1]";
    javascript_redirect_uri_for_native_is_invalid_redirect_uri:
        {"application_type": "native", "redirect_uris": ["javascript://app/%0Aalert(1)"]}
        => "invalid_redirect_uri", "redirect_uris[0]";
    data_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["data:text/html,<script>alert(1)</script>"]} => "invalid_redirect_uri", "redirect_uris[0]";
    data_redirect_uri_for_native_is_invalid_redirect_uri:
        {"application_type": "native", "redirect_uris": ["data:,x"]} => "invalid_redirect_uri", "redirect_uris[0]";
    vbscript_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["vbscript:msgbox(1)"]} => "invalid_redirect_uri", "redirect_uris[0]";
    file_redirect_uri_is_invalid_redirect_uri:
        {"redirect_uris": ["file:///etc/passwd"]} => "invalid_redirect_uri", "redirect_uris[0]";
    file_redirect_uri_for_native_is_invalid_redirect_uri:
        {"application_type": "native", "redirect_uris": ["com.example.app:/cb", "file:///tmp/cb"]}
        => "invalid_redirect_uri", "redirect_uris[1]";
}

// ---------------------------------------------------------------------------------------------
// redirect_uris: per application_type → invalid_redirect_uri
// ---------------------------------------------------------------------------------------------

rejected! { config();
    web_http_redirect_uri_off_loopback_is_invalid_redirect_uri:
        {"redirect_uris": ["http://client.example/cb"]} => "invalid_redirect_uri", "redirect_uris[0]";
    web_http_redirect_uri_on_127_0_0_2_is_invalid_redirect_uri:
        {"application_type": "web", "redirect_uris": ["https://client.example/cb", "http://127.0.0.2/cb"]}
        => "invalid_redirect_uri", "redirect_uris[1]";
    web_http_redirect_uri_on_localhost_lookalike_is_invalid_redirect_uri:
        {"redirect_uris": ["http://localhost.client.example/cb"]} => "invalid_redirect_uri", "redirect_uris[0]";
    web_private_use_scheme_is_invalid_redirect_uri:
        {"application_type": "web", "redirect_uris": ["com.example.app:/cb"]}
        => "invalid_redirect_uri", "redirect_uris[0]";
    omitted_application_type_with_https_and_private_use_is_web_and_refuses_private_use:
        {"redirect_uris": ["https://client.example/cb", "com.example.app:/cb"]}
        => "invalid_redirect_uri", "redirect_uris[1]";
    native_http_redirect_uri_off_loopback_is_invalid_redirect_uri:
        {"application_type": "native", "redirect_uris": ["com.example.app:/cb", "http://client.example/cb"]}
        => "invalid_redirect_uri", "redirect_uris[1]";
}

rejected! { implicit_config();
    web_implicit_http_loopback_is_invalid_redirect_uri:
        {"application_type": "web", "grant_types": ["implicit"], "response_types": ["id_token"],
         "redirect_uris": ["https://client.example/cb", "http://127.0.0.1:8080/cb"]}
        => "invalid_redirect_uri", "redirect_uris[1]";
    web_implicit_https_localhost_is_invalid_redirect_uri:
        {"application_type": "web", "grant_types": ["implicit"], "response_types": ["id_token token"],
         "redirect_uris": ["https://localhost/cb"]}
        => "invalid_redirect_uri", "redirect_uris[0]";
    web_implicit_https_127_0_0_1_is_invalid_redirect_uri:
        {"application_type": "web", "grant_types": ["implicit"], "response_types": ["token"],
         "redirect_uris": ["https://127.0.0.1/cb"]}
        => "invalid_redirect_uri", "redirect_uris[0]";
    web_implicit_https_ipv6_loopback_is_invalid_redirect_uri:
        {"application_type": "web", "grant_types": ["implicit"], "response_types": ["token"],
         "redirect_uris": ["https://[::1]:8443/cb"]}
        => "invalid_redirect_uri", "redirect_uris[0]";
    web_implicit_http_off_loopback_is_invalid_redirect_uri:
        {"grant_types": ["implicit"], "response_types": ["token"],
         "redirect_uris": ["http://client.example/cb"]}
        => "invalid_redirect_uri", "redirect_uris[0]";
    implicit_without_redirect_uris_is_invalid_redirect_uri:
        {"grant_types": ["implicit"], "response_types": ["id_token"]} => "invalid_redirect_uri", "redirect_uris";
}

accepted! { config();
    https_redirect_uri_is_echoed_byte_for_byte: {
        "redirect_uris": ["https://EXAMPLE.com:443/a/../cb?x=1", "https://client.example/cb?a=%41&b"]
    } => |echo| {
        assert_eq!(
            echo["redirect_uris"],
            json!(["https://EXAMPLE.com:443/a/../cb?x=1", "https://client.example/cb?a=%41&b"])
        );
        assert_eq!(echo["application_type"], "web");
    }
    private_use_redirect_uri_is_echoed_byte_for_byte: {
        "redirect_uris": ["com.Example.App:/Call/../back?X=%2F"]
    } => |echo| {
        assert_eq!(echo["redirect_uris"], json!(["com.Example.App:/Call/../back?X=%2F"]));
    }
    web_http_on_each_loopback_host_is_accepted: {
        "application_type": "web",
        "redirect_uris": ["http://127.0.0.1:3000/cb", "http://[::1]/cb", "http://localhost:8080/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "web");
        assert_eq!(
            strings(&echo["redirect_uris"]),
            ["http://127.0.0.1:3000/cb", "http://[::1]/cb", "http://localhost:8080/cb"]
        );
    }
    omitted_application_type_with_only_private_use_redirects_is_native: {
        "redirect_uris": ["com.example.app:/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "native");
    }
    omitted_application_type_with_only_http_loopback_redirects_is_native: {
        "redirect_uris": ["http://127.0.0.1:51234/cb", "http://[::1]:51234/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "native");
    }
    omitted_application_type_with_localhost_and_private_use_is_native: {
        "redirect_uris": ["http://localhost/cb", "com.example.app:/oauth"]
    } => |echo| {
        assert_eq!(echo["application_type"], "native");
    }
    omitted_application_type_with_any_https_redirect_is_web: {
        "redirect_uris": ["http://127.0.0.1/cb", "https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "web");
    }
    omitted_application_type_with_https_localhost_is_web: {
        "redirect_uris": ["https://localhost:8443/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "web");
    }
    null_application_type_counts_as_omitted: {
        "application_type": null, "redirect_uris": ["com.example.app:/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "native");
    }
    explicit_web_with_only_loopback_redirects_stays_web: {
        "application_type": "web", "redirect_uris": ["http://127.0.0.1/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "web");
    }
    native_with_claimed_https_redirect_is_accepted: {
        "application_type": "native", "redirect_uris": ["https://app.example/oauth/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "native");
        assert_eq!(strings(&echo["redirect_uris"]), ["https://app.example/oauth/cb"]);
    }
    native_with_private_use_and_loopback_is_accepted: {
        "application_type": "native",
        "redirect_uris": ["com.example.app:/cb", "http://127.0.0.1/cb", "http://[::1]:9/cb", "http://localhost/cb"]
    } => |echo| {
        assert_eq!(echo["application_type"], "native");
        assert_eq!(strings(&echo["redirect_uris"]).len(), 4);
    }
}

accepted! { implicit_config();
    web_implicit_with_https_redirect_is_accepted_when_enabled: {
        "grant_types": ["implicit"], "response_types": ["id_token token"],
        "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["grant_types"], json!(["implicit"]));
        assert_eq!(echo["response_types"], json!(["id_token token"]));
        assert_eq!(echo["application_type"], "web");
    }
    hybrid_code_id_token_with_both_grants_is_accepted_when_enabled: {
        "grant_types": ["authorization_code", "implicit"], "response_types": ["code id_token"],
        "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["grant_types"], json!(["authorization_code", "implicit"]));
        assert_eq!(echo["response_types"], json!(["code id_token"]));
    }
}

// ---------------------------------------------------------------------------------------------
// grant_types / response_types → invalid_client_metadata
// ---------------------------------------------------------------------------------------------

rejected! { config();
    unknown_grant_type_is_invalid_client_metadata:
        {"grant_types": ["authorization_code", "password"], "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "grant_types[1]";
    implicit_grant_is_invalid_client_metadata_by_default:
        {"grant_types": ["implicit"], "response_types": ["token"], "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "grant_types[0]";
    token_response_type_is_invalid_client_metadata_by_default:
        {"response_types": ["token"], "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "response_types[0]";
    hybrid_id_token_response_type_is_invalid_client_metadata_by_default:
        {"response_types": ["code", "code id_token"], "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "response_types[1]";
    unknown_response_type_is_invalid_client_metadata:
        {"response_types": ["code", "bogus"], "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "response_types[1]";
    grant_types_not_an_array_is_invalid_client_metadata:
        {"grant_types": "authorization_code", "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "grant_types";
    grant_type_not_a_string_is_invalid_client_metadata:
        {"grant_types": [7], "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "grant_types[0]";
    response_types_not_an_array_is_invalid_client_metadata:
        {"response_types": "code", "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "response_types";
    code_response_type_without_authorization_code_grant_is_invalid_client_metadata:
        {"grant_types": ["client_credentials"], "response_types": ["code"]}
        => "invalid_client_metadata";
    authorization_code_grant_without_code_response_type_is_invalid_client_metadata:
        {"grant_types": ["authorization_code"], "response_types": [], "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata";
    client_credentials_with_auth_method_none_is_invalid_client_metadata:
        {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}
        => "invalid_client_metadata";
    refresh_token_alone_is_invalid_client_metadata:
        {"grant_types": ["refresh_token"]} => "invalid_client_metadata", "grant_types";
}

rejected! { implicit_config();
    implicit_grant_without_token_response_type_is_invalid_client_metadata:
        {"grant_types": ["authorization_code", "implicit"], "response_types": ["code"],
         "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata";
    token_response_type_without_implicit_grant_is_invalid_client_metadata:
        {"grant_types": ["authorization_code"], "response_types": ["code", "token"],
         "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata";
    code_id_token_without_implicit_grant_is_invalid_client_metadata:
        {"grant_types": ["authorization_code"], "response_types": ["code id_token"],
         "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata";
    code_token_without_authorization_code_grant_is_invalid_client_metadata:
        {"grant_types": ["implicit"], "response_types": ["code token"],
         "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata";
}

accepted! { config();
    minimal_web_client_gets_every_default: {
        "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["grant_types"], json!(["authorization_code"]));
        assert_eq!(echo["response_types"], json!(["code"]));
        assert_eq!(echo["application_type"], "web");
        assert_eq!(echo["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(echo["id_token_signed_response_alg"], "RS256");
        assert_eq!(echo["scope"], "openid");
        assert_eq!(
            keys(&echo),
            [
                "application_type",
                "grant_types",
                "id_token_signed_response_alg",
                "redirect_uris",
                "response_types",
                "scope",
                "token_endpoint_auth_method",
            ]
        );
    }
    client_credentials_only_needs_no_redirect_and_gets_empty_response_types: {
        "grant_types": ["client_credentials"]
    } => |echo| {
        assert_eq!(echo["grant_types"], json!(["client_credentials"]));
        assert_eq!(echo["response_types"], json!([]));
        assert_eq!(echo["token_endpoint_auth_method"], "client_secret_basic");
        assert!(echo.get("redirect_uris").is_none_or(|v| v == &json!([])), "{echo:?}");
    }
    every_known_grant_type_is_accepted_and_echoed_in_order: {
        "grant_types": [
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ],
        "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(
            strings(&echo["grant_types"]),
            [
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ]
        );
        assert_eq!(echo["response_types"], json!(["code"]));
    }
    device_code_public_client_is_accepted_without_redirect: {
        "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
        "token_endpoint_auth_method": "none"
    } => |echo| {
        assert_eq!(echo["token_endpoint_auth_method"], "none");
        assert_eq!(echo["response_types"], json!([]));
    }
    response_types_code_alone_implies_authorization_code: {
        "response_types": ["code"], "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["grant_types"], json!(["authorization_code"]));
    }
    authorization_code_with_refresh_token_is_accepted: {
        "grant_types": ["authorization_code", "refresh_token"], "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["grant_types"], json!(["authorization_code", "refresh_token"]));
        assert_eq!(echo["response_types"], json!(["code"]));
    }
}

// ---------------------------------------------------------------------------------------------
// token_endpoint_auth_method and keys
// ---------------------------------------------------------------------------------------------

rejected! { config();
    client_secret_jwt_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "client_secret_jwt", "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "token_endpoint_auth_method";
    unknown_auth_method_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "tls_client_auth", "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "token_endpoint_auth_method";
    non_string_auth_method_is_invalid_client_metadata:
        {"token_endpoint_auth_method": ["none"], "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "token_endpoint_auth_method";
    private_key_jwt_without_keys_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["https://client.example/cb"]}
        => "invalid_client_metadata", "jwks";
    private_key_jwt_with_both_jwks_and_jwks_uri_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["https://client.example/cb"],
         "jwks_uri": "https://client.example/jwks.json",
         "jwks": {"keys": [{"kty": "EC", "crv": "P-256",
                            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}}
        => "invalid_client_metadata", "jwks";
    jwks_with_private_ec_key_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["https://client.example/cb"],
         "jwks": {"keys": [
             {"kty": "EC", "crv": "P-256", "kid": "pub",
              "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
              "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
             {"kty": "EC", "crv": "P-256", "kid": "priv",
              "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
              "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
              "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}]}}
        => "invalid_client_metadata", "jwks", "keys[1]";
    jwks_with_rsa_private_factors_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["https://client.example/cb"],
         "jwks": {"keys": [{"kty": "RSA", "n": "0vx7agoebGcQSuuPiLJXZpt", "e": "AQAB", "p": "83i-7IvMGXoMXCskv"}]}}
        => "invalid_client_metadata", "jwks", "keys[0]";
    jwks_with_symmetric_oct_key_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["https://client.example/cb"],
         "jwks": {"keys": [{"kty": "oct", "k": "GawgguFyGrWKav7AX4VKUg"}]}}
        => "invalid_client_metadata", "jwks", "keys[0]";
    jwks_that_is_a_bare_jwk_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["https://client.example/cb"],
         "jwks": {"kty": "EC", "crv": "P-256",
                  "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                  "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}}
        => "invalid_client_metadata", "jwks";
    jwks_that_is_a_string_is_invalid_client_metadata:
        {"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["https://client.example/cb"],
         "jwks": "https://client.example/jwks.json"}
        => "invalid_client_metadata", "jwks";
}

#[test]
fn jwks_and_jwks_uri_together_are_refused_even_without_private_key_jwt() {
    assert_rejected(
        &config(),
        json!({
            "redirect_uris": ["https://client.example/cb"],
            "jwks_uri": "https://client.example/jwks.json",
            "jwks": {"keys": [ec_public()]},
        }),
        "invalid_client_metadata",
        &["jwks"],
    );
}

accepted! { config();
    auth_method_none_is_accepted_and_echoed: {
        "token_endpoint_auth_method": "none", "redirect_uris": ["com.example.app:/cb"]
    } => |echo| {
        assert_eq!(echo["token_endpoint_auth_method"], "none");
    }
    auth_method_client_secret_post_is_accepted_and_echoed: {
        "token_endpoint_auth_method": "client_secret_post", "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["token_endpoint_auth_method"], "client_secret_post");
    }
    auth_method_client_secret_basic_is_accepted_and_echoed: {
        "token_endpoint_auth_method": "client_secret_basic", "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["token_endpoint_auth_method"], "client_secret_basic");
    }
    private_key_jwt_with_jwks_uri_is_accepted: {
        "token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["https://client.example/cb"],
        "jwks_uri": "https://client.example/jwks.json"
    } => |echo| {
        assert_eq!(echo["token_endpoint_auth_method"], "private_key_jwt");
        assert_eq!(echo["jwks_uri"], "https://client.example/jwks.json");
        assert!(echo.get("jwks").is_none());
    }
}

accepted! { dev_config();
    private_key_jwt_with_loopback_http_jwks_uri_is_accepted_with_allow_private_hosts: {
        "token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["http://127.0.0.1/cb"],
        "jwks_uri": "http://127.0.0.1:8080/jwks.json"
    } => |echo| {
        assert_eq!(echo["jwks_uri"], "http://127.0.0.1:8080/jwks.json");
    }
    fetched_urls_on_loopback_http_are_accepted_with_allow_private_hosts: {
        "redirect_uris": ["https://client.example/cb"],
        "initiate_login_uri": "https://client.example/login",
        "request_uris": ["https://client.example/r/1", "http://localhost:9000/r/2"]
    } => |echo| {
        assert_eq!(echo["initiate_login_uri"], "https://client.example/login");
        assert_eq!(
            strings(&echo["request_uris"]),
            ["https://client.example/r/1", "http://localhost:9000/r/2"]
        );
    }
}

#[test]
fn private_key_jwt_with_public_jwks_is_accepted_and_jwks_echoed() {
    let jwks = json!({"keys": [ec_public(), jwk(RSA_2048_JWK, json!({"kid": "r1"}))]});
    let echo = assert_accepted(
        &config(),
        json!({
            "token_endpoint_auth_method": "private_key_jwt",
            "redirect_uris": ["https://client.example/cb"],
            "jwks": jwks.clone(),
        }),
    );
    assert_eq!(echo["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(echo["jwks"], jwks);
    assert!(echo.get("jwks_uri").is_none());
}

// ---------------------------------------------------------------------------------------------
// URL members and typed members → invalid_client_metadata naming the member
// ---------------------------------------------------------------------------------------------

rejected! { config();
    relative_client_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri": "/about"}
        => "invalid_client_metadata", "client_uri";
    javascript_client_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri": "javascript:alert(1)"}
        => "invalid_client_metadata", "client_uri";
    scheme_relative_client_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri": "//client.example/"}
        => "invalid_client_metadata", "client_uri";
    authorityless_client_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri": "https:client.example"}
        => "invalid_client_metadata", "client_uri";
    single_slash_logo_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "logo_uri": "https:/cdn.client.example/logo.png"}
        => "invalid_client_metadata", "logo_uri";
    backslash_policy_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "policy_uri": "https:\\\\client.example\\privacy"}
        => "invalid_client_metadata", "policy_uri";
    authorityless_localized_tos_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "tos_uri#fr": "https:client.example/tos"}
        => "invalid_client_metadata", "tos_uri#fr";
    single_slash_jwks_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https:/client.example/jwks.json"}
        => "invalid_client_metadata", "jwks_uri";
    ftp_logo_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "logo_uri": "ftp://client.example/logo.png"}
        => "invalid_client_metadata", "logo_uri";
    data_logo_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "logo_uri": "data:image/png;base64,iVBORw0KGgo="}
        => "invalid_client_metadata", "logo_uri";
    non_string_tos_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "tos_uri": 42}
        => "invalid_client_metadata", "tos_uri";
    non_url_policy_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "policy_uri": "our policy"}
        => "invalid_client_metadata", "policy_uri";
    http_jwks_uri_off_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "http://client.example/jwks.json"}
        => "invalid_client_metadata", "jwks_uri";
    relative_jwks_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "/jwks.json"}
        => "invalid_client_metadata", "jwks_uri";
    http_initiate_login_uri_off_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "http://client.example/login"}
        => "invalid_client_metadata", "initiate_login_uri";
    http_request_uri_off_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"],
         "request_uris": ["https://client.example/r/1", "http://client.example/r/2"]}
        => "invalid_client_metadata", "request_uris[1]";
    request_uris_not_an_array_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": "https://client.example/r"}
        => "invalid_client_metadata", "request_uris";
    post_logout_redirect_uri_with_fragment_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "post_logout_redirect_uris": ["https://client.example/bye#x"]}
        => "invalid_client_metadata", "post_logout_redirect_uris[0]";
    post_logout_redirect_uri_http_off_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"],
         "post_logout_redirect_uris": ["https://client.example/bye", "http://client.example/bye"]}
        => "invalid_client_metadata", "post_logout_redirect_uris[1]";
    post_logout_redirect_uri_javascript_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "post_logout_redirect_uris": ["javascript:alert(1)"]}
        => "invalid_client_metadata", "post_logout_redirect_uris[0]";
    contacts_not_an_array_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": "ops@client.example"}
        => "invalid_client_metadata", "contacts";
    contacts_with_non_string_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", 7]}
        => "invalid_client_metadata", "contacts[1]";
    negative_default_max_age_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_max_age": -1}
        => "invalid_client_metadata", "default_max_age";
    fractional_default_max_age_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_max_age": 1.5}
        => "invalid_client_metadata", "default_max_age";
    string_default_max_age_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_max_age": "3600"}
        => "invalid_client_metadata", "default_max_age";
    string_require_auth_time_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "require_auth_time": "true"}
        => "invalid_client_metadata", "require_auth_time";
    numeric_require_auth_time_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "require_auth_time": 1}
        => "invalid_client_metadata", "require_auth_time";
    non_string_scope_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "scope": ["openid"]}
        => "invalid_client_metadata", "scope";
    unsupported_scope_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "scope": "openid admin"}
        => "invalid_client_metadata", "scope";
    scope_with_double_space_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "scope": "openid  profile"}
        => "invalid_client_metadata", "scope";
    scope_with_comma_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "scope": "openid,profile"}
        => "invalid_client_metadata", "scope";
    non_string_client_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": {"en": "App"}}
        => "invalid_client_metadata", "client_name";
    unknown_application_type_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "application_type": "desktop"}
        => "invalid_client_metadata", "application_type";
}

accepted! { config();
    informational_urls_are_accepted_and_echoed: {
        "redirect_uris": ["https://client.example/cb"],
        "client_uri": "http://client.example/",
        "logo_uri": "https://cdn.client.example/logo.png",
        "tos_uri": "https://client.example/tos",
        "policy_uri": "https://client.example/privacy?lang=en"
    } => |echo| {
        assert_eq!(echo["client_uri"], "http://client.example/");
        assert_eq!(echo["logo_uri"], "https://cdn.client.example/logo.png");
        assert_eq!(echo["tos_uri"], "https://client.example/tos");
        assert_eq!(echo["policy_uri"], "https://client.example/privacy?lang=en");
    }
    fetched_urls_are_accepted_on_public_https_hosts: {
        "redirect_uris": ["https://client.example/cb"],
        "initiate_login_uri": "https://client.example/login",
        "request_uris": ["https://client.example/r/1", "https://cdn.client.example/r/2#hash"]
    } => |echo| {
        assert_eq!(echo["initiate_login_uri"], "https://client.example/login");
        assert_eq!(
            strings(&echo["request_uris"]),
            ["https://client.example/r/1", "https://cdn.client.example/r/2#hash"]
        );
    }
    post_logout_redirect_uris_are_accepted_and_echoed: {
        "redirect_uris": ["https://client.example/cb"],
        "post_logout_redirect_uris": ["https://client.example/bye", "http://127.0.0.1/bye"]
    } => |echo| {
        assert_eq!(
            strings(&echo["post_logout_redirect_uris"]),
            ["https://client.example/bye", "http://127.0.0.1/bye"]
        );
    }
    typed_members_are_accepted_and_echoed: {
        "redirect_uris": ["https://client.example/cb"],
        "client_name": "Example App",
        "contacts": ["ops@client.example", "security@client.example"],
        "default_max_age": 0,
        "require_auth_time": false,
        "software_id": "4NRB1-0XZABZI9E6-5SM3R",
        "software_version": "2.1"
    } => |echo| {
        assert_eq!(echo["client_name"], "Example App");
        assert_eq!(echo["contacts"], json!(["ops@client.example", "security@client.example"]));
        assert_eq!(echo["default_max_age"], 0);
        assert_eq!(echo["require_auth_time"], false);
        assert_eq!(echo["software_id"], "4NRB1-0XZABZI9E6-5SM3R");
        assert_eq!(echo["software_version"], "2.1");
    }
    large_default_max_age_is_accepted: {
        "redirect_uris": ["https://client.example/cb"], "default_max_age": 86400, "require_auth_time": true
    } => |echo| {
        assert_eq!(echo["default_max_age"], 86400);
        assert_eq!(echo["require_auth_time"], true);
    }
    every_supported_scope_is_accepted_and_echoed: {
        "redirect_uris": ["https://client.example/cb"],
        "scope": "openid profile email address phone offline_access"
    } => |echo| {
        assert_eq!(echo["scope"], "openid profile email address phone offline_access");
    }
    requested_scope_replaces_the_default: {
        "redirect_uris": ["https://client.example/cb"], "scope": "profile"
    } => |echo| {
        assert_eq!(echo["scope"], "profile");
    }
    omitted_scope_defaults_to_openid: {
        "redirect_uris": ["https://client.example/cb"]
    } => |echo| {
        assert_eq!(echo["scope"], "openid");
    }
}

#[test]
fn configured_default_scope_is_used_when_none_asked() {
    let cfg = config_with(&[("DEFAULT_SCOPE", "openid profile")]);
    let echo = assert_accepted(
        &cfg,
        json!({"redirect_uris": ["https://client.example/cb"]}),
    );
    assert_eq!(echo["scope"], "openid profile");
}

// ---------------------------------------------------------------------------------------------
// Localized variants (OIDC Registration §2.1)
// ---------------------------------------------------------------------------------------------

rejected! { config();
    client_name_with_underscore_language_tag_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr_CA": "Mon appli"}
        => "invalid_client_metadata", "client_name#fr_CA";
    client_name_with_empty_language_tag_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#": "App"}
        => "invalid_client_metadata", "client_name#";
    logo_uri_with_overlong_language_tag_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "logo_uri#toolonglanguage": "https://client.example/l.png"}
        => "invalid_client_metadata", "logo_uri#toolonglanguage";
    tos_uri_with_dangling_hyphen_tag_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "tos_uri#fr-": "https://client.example/tos"}
        => "invalid_client_metadata", "tos_uri#fr-";
    policy_uri_with_space_in_tag_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "policy_uri#en US": "https://client.example/p"}
        => "invalid_client_metadata", "policy_uri#en US";
    client_uri_with_single_letter_tag_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri#f": "https://client.example/"}
        => "invalid_client_metadata", "client_uri#f";
    localized_client_uri_that_is_not_a_url_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri#fr": "/a-propos"}
        => "invalid_client_metadata", "client_uri#fr";
}

accepted! { config();
    localized_variants_with_valid_tags_are_kept_and_echoed: {
        "redirect_uris": ["https://client.example/cb"],
        "client_name": "My App",
        "client_name#fr": "Mon appli",
        "client_name#zh-Hant-TW": "我的應用",
        "client_uri#de": "https://client.example/de/",
        "logo_uri#ja-Jpan": "https://client.example/ja/logo.png",
        "tos_uri#es-419": "https://client.example/es/tos",
        "policy_uri#en-US": "https://client.example/en/privacy"
    } => |echo| {
        assert_eq!(echo["client_name"], "My App");
        assert_eq!(echo["client_name#fr"], "Mon appli");
        assert_eq!(echo["client_name#zh-Hant-TW"], "我的應用");
        assert_eq!(echo["client_uri#de"], "https://client.example/de/");
        assert_eq!(echo["logo_uri#ja-Jpan"], "https://client.example/ja/logo.png");
        assert_eq!(echo["tos_uri#es-419"], "https://client.example/es/tos");
        assert_eq!(echo["policy_uri#en-US"], "https://client.example/en/privacy");
    }
    localized_client_name_without_base_member_is_kept: {
        "redirect_uris": ["https://client.example/cb"], "client_name#de-CH-1901": "Meine App"
    } => |echo| {
        assert_eq!(echo["client_name#de-CH-1901"], "Meine App");
        assert!(echo.get("client_name").is_none());
    }
}

// ---------------------------------------------------------------------------------------------
// Refused members, unknown and null members
// ---------------------------------------------------------------------------------------------

rejected! { config();
    sector_identifier_uri_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "sector_identifier_uri": "https://client.example/sector.json"}
        => "invalid_client_metadata", "sector_identifier_uri";
    software_statement_is_invalid_software_statement:
        {"redirect_uris": ["https://client.example/cb"], "software_statement": "eyJhbGciOiJSUzI1NiJ9.e30.sig"}
        => "invalid_software_statement";
}

accepted! { config();
    unknown_members_are_ignored_and_not_echoed: {
        "redirect_uris": ["https://client.example/cb"],
        "foo": "bar",
        "x_vendor_extension": {"nested": [1, 2, 3]},
        "foo#fr": "pas echo",
        "client_id": "chosen-by-client",
        "client_secret": "chosen-by-client",
        "client_secret_expires_at": 5,
        "registration_access_token": "chosen-by-client"
    } => |echo| {
        for k in [
            "foo",
            "x_vendor_extension",
            "foo#fr",
            "client_id",
            "client_secret",
            "client_secret_expires_at",
            "registration_access_token",
        ] {
            assert!(echo.get(k).is_none(), "{k} must not be echoed: {echo:?}");
        }
        assert_eq!(echo["redirect_uris"], json!(["https://client.example/cb"]));
    }
    null_members_count_as_absent: {
        "redirect_uris": ["https://client.example/cb"],
        "client_name": null,
        "client_name#fr": null,
        "client_uri": null,
        "logo_uri": null,
        "scope": null,
        "contacts": null,
        "grant_types": null,
        "response_types": null,
        "token_endpoint_auth_method": null,
        "jwks": null,
        "jwks_uri": null,
        "default_max_age": null,
        "require_auth_time": null,
        "id_token_signed_response_alg": null,
        "id_token_encrypted_response_alg": null,
        "id_token_encrypted_response_enc": null,
        "software_statement": null,
        "sector_identifier_uri": null,
        "post_logout_redirect_uris": null
    } => |echo| {
        assert_eq!(echo["scope"], "openid");
        assert_eq!(echo["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(echo["grant_types"], json!(["authorization_code"]));
        assert_eq!(echo["response_types"], json!(["code"]));
        assert_eq!(echo["id_token_signed_response_alg"], "RS256");
        for k in ["client_name", "client_name#fr", "client_uri", "logo_uri", "contacts", "jwks",
                  "jwks_uri", "default_max_age", "require_auth_time",
                  "id_token_encrypted_response_alg", "id_token_encrypted_response_enc"] {
            assert!(echo.get(k).is_none(), "{k} was null and must not be echoed: {echo:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encryption members
// ---------------------------------------------------------------------------------------------

rejected! { config();
    id_token_enc_without_alg_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://client.example/jwks.json",
         "id_token_encrypted_response_enc": "A256GCM"}
        => "invalid_client_metadata", "id_token_encrypted_response_enc";
    userinfo_enc_without_alg_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://client.example/jwks.json",
         "userinfo_encrypted_response_enc": "A128CBC-HS256"}
        => "invalid_client_metadata", "userinfo_encrypted_response_enc";
    request_object_enc_without_alg_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_object_encryption_enc": "A128GCM"}
        => "invalid_client_metadata", "request_object_encryption_enc";
    id_token_encryption_without_client_keys_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "id_token_encrypted_response_alg": "RSA-OAEP"}
        => "invalid_client_metadata", "id_token_encrypted_response_alg";
    userinfo_encryption_without_client_keys_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "userinfo_encrypted_response_alg": "ECDH-ES",
         "userinfo_encrypted_response_enc": "A256GCM"}
        => "invalid_client_metadata", "userinfo_encrypted_response_alg";
}

accepted! { config();
    id_token_encryption_alg_alone_gets_default_enc: {
        "redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://client.example/jwks.json",
        "id_token_encrypted_response_alg": "RSA-OAEP"
    } => |echo| {
        assert_eq!(echo["id_token_encrypted_response_alg"], "RSA-OAEP");
        assert_eq!(echo["id_token_encrypted_response_enc"], "A128CBC-HS256");
    }
    userinfo_encryption_alg_alone_gets_default_enc: {
        "redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://client.example/jwks.json",
        "userinfo_encrypted_response_alg": "RSA-OAEP-256"
    } => |echo| {
        assert_eq!(echo["userinfo_encrypted_response_alg"], "RSA-OAEP-256");
        assert_eq!(echo["userinfo_encrypted_response_enc"], "A128CBC-HS256");
    }
    request_object_encryption_alg_alone_gets_default_enc_without_client_keys: {
        "redirect_uris": ["https://client.example/cb"], "request_object_encryption_alg": "RSA-OAEP"
    } => |echo| {
        assert_eq!(echo["request_object_encryption_alg"], "RSA-OAEP");
        assert_eq!(echo["request_object_encryption_enc"], "A128CBC-HS256");
    }
    explicit_encryption_enc_is_kept: {
        "redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://client.example/jwks.json",
        "id_token_encrypted_response_alg": "ECDH-ES", "id_token_encrypted_response_enc": "A256GCM"
    } => |echo| {
        assert_eq!(echo["id_token_encrypted_response_enc"], "A256GCM");
    }
    no_encryption_members_are_echoed_when_none_asked: {
        "redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://client.example/jwks.json"
    } => |echo| {
        for k in ["id_token_encrypted_response_alg", "id_token_encrypted_response_enc",
                  "userinfo_encrypted_response_alg", "userinfo_encrypted_response_enc",
                  "request_object_encryption_alg", "request_object_encryption_enc"] {
            assert!(echo.get(k).is_none(), "{k} echoed without being asked: {echo:?}");
        }
    }
}

#[test]
fn id_token_encryption_with_inline_jwks_is_accepted() {
    let echo = assert_accepted(
        &config(),
        json!({
            "redirect_uris": ["https://client.example/cb"],
            "jwks": {"keys": [ec_public()]},
            "id_token_encrypted_response_alg": "ECDH-ES+A128KW",
        }),
    );
    assert_eq!(echo["id_token_encrypted_response_alg"], "ECDH-ES+A128KW");
    assert_eq!(echo["id_token_encrypted_response_enc"], "A128CBC-HS256");
}

// ---------------------------------------------------------------------------------------------
// The echo is a faithful, re-submittable description of the registration
// ---------------------------------------------------------------------------------------------

#[test]
fn echoed_metadata_validates_to_the_same_registration() {
    let cfg = config();
    let rich = json!({
        "redirect_uris": ["https://client.example/cb", "https://client.example/cb2?x=1"],
        "client_name": "Rich",
        "client_name#fr": "Riche",
        "client_uri": "https://client.example/",
        "scope": "openid email",
        "contacts": ["ops@client.example"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [ec_public()]},
        "id_token_encrypted_response_alg": "RSA-OAEP",
        "default_max_age": 60,
        "post_logout_redirect_uris": ["https://client.example/bye"],
    });
    let first = validate(&cfg, rich).expect("valid");
    let again = ClientMetadata::from_request(&first.to_json(), &cfg).expect("echo re-validates");
    assert_eq!(first, again);
    assert_eq!(first.to_json(), again.to_json());
}

// =============================================================================================
// Issue 11, finding 5: user information (user:pass@) in any URL member
// =============================================================================================

rejected! { config();
    client_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri": "https://accounts.google.com@evil.example/"}
        => "invalid_client_metadata", "client_uri", "user information (user:pass@) is not allowed";
    logo_uri_with_user_and_password_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "logo_uri": "https://user:pass@cdn.client.example/logo.png"}
        => "invalid_client_metadata", "logo_uri", "user information (user:pass@) is not allowed";
    tos_uri_with_empty_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "tos_uri": "https://@client.example/tos"}
        => "invalid_client_metadata", "tos_uri", "user information (user:pass@) is not allowed";
    policy_uri_with_password_only_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "policy_uri": "https://:pw@client.example/privacy"}
        => "invalid_client_metadata", "policy_uri", "user information (user:pass@) is not allowed";
    localized_client_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri#fr": "https://accounts.google.com@evil.example/fr"}
        => "invalid_client_metadata", "client_uri#fr", "user information (user:pass@) is not allowed";
    localized_logo_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "logo_uri#de": "https://cdn.client.example@evil.example/logo.png"}
        => "invalid_client_metadata", "logo_uri#de", "user information (user:pass@) is not allowed";
    localized_tos_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "tos_uri#es-419": "https://user@client.example/tos"}
        => "invalid_client_metadata", "tos_uri#es-419", "user information (user:pass@) is not allowed";
    localized_policy_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "policy_uri#ja": "https://@client.example/privacy"}
        => "invalid_client_metadata", "policy_uri#ja", "user information (user:pass@) is not allowed";
    jwks_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://keys.client.example@evil.example/jwks.json"}
        => "invalid_client_metadata", "jwks_uri", "user information (user:pass@) is not allowed";
    initiate_login_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://user:pass@client.example/login"}
        => "invalid_client_metadata", "initiate_login_uri", "user information (user:pass@) is not allowed";
    request_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://client.example@evil.example/r/2"]}
        => "invalid_client_metadata", "request_uris[1]", "user information (user:pass@) is not allowed";
    sector_identifier_uri_with_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "sector_identifier_uri": "https://client.example@evil.example/sector.json"}
        => "invalid_client_metadata", "sector_identifier_uri", "user information (user:pass@) is not allowed";
    redirect_uri_with_user_info_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb", "https://client.example@evil.example/cb"]}
        => "invalid_redirect_uri", "redirect_uris[1]", "user information (user:pass@) is not allowed";
    redirect_uri_with_empty_user_info_is_invalid_redirect_uri:
        {"redirect_uris": ["https://@client.example/cb"]}
        => "invalid_redirect_uri", "redirect_uris[0]", "user information (user:pass@) is not allowed";
    redirect_uri_with_password_only_is_invalid_redirect_uri:
        {"redirect_uris": ["http://:pw@127.0.0.1:8080/cb"]}
        => "invalid_redirect_uri", "redirect_uris[0]", "user information (user:pass@) is not allowed";
    post_logout_redirect_uri_with_empty_user_info_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "post_logout_redirect_uris": ["https://@client.example/bye"]}
        => "invalid_client_metadata", "post_logout_redirect_uris[0]", "user information (user:pass@) is not allowed";
}

accepted! { config();
    an_at_sign_after_the_authority_is_not_user_info: {
        "redirect_uris": ["https://client.example/cb?login=a@b.example"],
        "client_uri": "https://client.example/@team",
        "request_uris": ["https://client.example/r#a@b"]
    } => |echo| {
        assert_eq!(echo["client_uri"], "https://client.example/@team");
        assert_eq!(echo["redirect_uris"], json!(["https://client.example/cb?login=a@b.example"]));
    }
}

// =============================================================================================
// Issue 11, finding 6: control, bidi, zero-width characters and lengths in what people read
// =============================================================================================

rejected! { config();
    client_name_with_c0_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{0007}gle"}
        => "invalid_client_metadata", "client_name", "U+0007";
    client_name_with_c1_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{009B}gle"}
        => "invalid_client_metadata", "client_name", "U+009B";
    client_name_with_bidi_override_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{202E}gle"}
        => "invalid_client_metadata", "client_name", "U+202E";
    client_name_with_bidi_embedding_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{202A}gle"}
        => "invalid_client_metadata", "client_name", "U+202A";
    client_name_with_bidi_isolate_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{2067}gle"}
        => "invalid_client_metadata", "client_name", "U+2067";
    client_name_with_zero_width_space_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{200B}gle"}
        => "invalid_client_metadata", "client_name", "U+200B";
    client_name_with_zero_width_joiner_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{200D}gle"}
        => "invalid_client_metadata", "client_name", "U+200D";
    client_name_with_byte_order_mark_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{FEFF}gle"}
        => "invalid_client_metadata", "client_name", "U+FEFF";
    client_name_with_line_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{2028}gle"}
        => "invalid_client_metadata", "client_name", "U+2028";
    client_name_with_paragraph_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "Goo\u{2029}gle"}
        => "invalid_client_metadata", "client_name", "U+2029";
    localized_client_name_with_c0_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{0007}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+0007";
    localized_client_name_with_c1_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{009B}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+009B";
    localized_client_name_with_bidi_override_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{202E}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+202E";
    localized_client_name_with_bidi_embedding_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{202A}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+202A";
    localized_client_name_with_bidi_isolate_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{2067}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+2067";
    localized_client_name_with_zero_width_space_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{200B}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+200B";
    localized_client_name_with_zero_width_joiner_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{200D}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+200D";
    localized_client_name_with_byte_order_mark_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{FEFF}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+FEFF";
    localized_client_name_with_line_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{2028}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+2028";
    localized_client_name_with_paragraph_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#fr": "Goo\u{2029}gle"}
        => "invalid_client_metadata", "client_name#fr", "U+2029";
    software_id_with_c0_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{0007}1"}
        => "invalid_client_metadata", "software_id", "U+0007";
    software_id_with_c1_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{009B}1"}
        => "invalid_client_metadata", "software_id", "U+009B";
    software_id_with_bidi_override_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{202E}1"}
        => "invalid_client_metadata", "software_id", "U+202E";
    software_id_with_bidi_embedding_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{202A}1"}
        => "invalid_client_metadata", "software_id", "U+202A";
    software_id_with_bidi_isolate_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{2067}1"}
        => "invalid_client_metadata", "software_id", "U+2067";
    software_id_with_zero_width_space_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{200B}1"}
        => "invalid_client_metadata", "software_id", "U+200B";
    software_id_with_zero_width_joiner_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{200D}1"}
        => "invalid_client_metadata", "software_id", "U+200D";
    software_id_with_byte_order_mark_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{FEFF}1"}
        => "invalid_client_metadata", "software_id", "U+FEFF";
    software_id_with_line_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{2028}1"}
        => "invalid_client_metadata", "software_id", "U+2028";
    software_id_with_paragraph_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "sw-\u{2029}1"}
        => "invalid_client_metadata", "software_id", "U+2029";
    software_version_with_c0_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{0007}"}
        => "invalid_client_metadata", "software_version", "U+0007";
    software_version_with_c1_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{009B}"}
        => "invalid_client_metadata", "software_version", "U+009B";
    software_version_with_bidi_override_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{202E}"}
        => "invalid_client_metadata", "software_version", "U+202E";
    software_version_with_bidi_embedding_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{202A}"}
        => "invalid_client_metadata", "software_version", "U+202A";
    software_version_with_bidi_isolate_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{2067}"}
        => "invalid_client_metadata", "software_version", "U+2067";
    software_version_with_zero_width_space_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{200B}"}
        => "invalid_client_metadata", "software_version", "U+200B";
    software_version_with_zero_width_joiner_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{200D}"}
        => "invalid_client_metadata", "software_version", "U+200D";
    software_version_with_byte_order_mark_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{FEFF}"}
        => "invalid_client_metadata", "software_version", "U+FEFF";
    software_version_with_line_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{2028}"}
        => "invalid_client_metadata", "software_version", "U+2028";
    software_version_with_paragraph_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1.0\u{2029}"}
        => "invalid_client_metadata", "software_version", "U+2029";
    contact_with_c0_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{0007}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+0007";
    contact_with_c1_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{009B}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+009B";
    contact_with_bidi_override_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{202E}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+202E";
    contact_with_bidi_embedding_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{202A}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+202A";
    contact_with_bidi_isolate_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{2067}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+2067";
    contact_with_zero_width_space_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{200B}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+200B";
    contact_with_zero_width_joiner_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{200D}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+200D";
    contact_with_byte_order_mark_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{FEFF}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+FEFF";
    contact_with_line_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{2028}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+2028";
    contact_with_paragraph_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["ops@client.example", "sec\u{2029}@client.example"]}
        => "invalid_client_metadata", "contacts[1]", "U+2029";
    acr_value_with_c0_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{0007}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+0007";
    acr_value_with_c1_control_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{009B}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+009B";
    acr_value_with_bidi_override_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{202E}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+202E";
    acr_value_with_bidi_embedding_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{202A}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+202A";
    acr_value_with_bidi_isolate_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{2067}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+2067";
    acr_value_with_zero_width_space_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{200B}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+200B";
    acr_value_with_zero_width_joiner_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{200D}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+200D";
    acr_value_with_byte_order_mark_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{FEFF}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+FEFF";
    acr_value_with_line_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{2028}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+2028";
    acr_value_with_paragraph_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["\u{2029}urn:acr:1"]}
        => "invalid_client_metadata", "default_acr_values[0]", "U+2029";
    client_uri_with_bidi_override_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri": "https://client.example/\u{202E}gpj.exe"}
        => "invalid_client_metadata", "client_uri", "U+202E";
    localized_logo_uri_with_bidi_isolate_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "logo_uri#de": "https://client.example/\u{2066}logo.png"}
        => "invalid_client_metadata", "logo_uri#de", "U+2066";
    jwks_uri_with_byte_order_mark_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://client.example/jwks\u{FEFF}.json"}
        => "invalid_client_metadata", "jwks_uri", "U+FEFF";
    request_uri_with_zero_width_space_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r\u{200B}"]}
        => "invalid_client_metadata", "request_uris[0]", "U+200B";
    initiate_login_uri_with_bidi_embedding_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://client.example/\u{202B}login"}
        => "invalid_client_metadata", "initiate_login_uri", "U+202B";
    tos_uri_with_line_separator_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "tos_uri": "https://client.example/tos\u{2028}"}
        => "invalid_client_metadata", "tos_uri", "control characters and whitespace";
    redirect_uri_with_bidi_override_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb\u{202E}"]}
        => "invalid_redirect_uri", "redirect_uris[0]", "U+202E";
    redirect_uri_with_zero_width_joiner_is_invalid_redirect_uri:
        {"redirect_uris": ["com.example.app:/c\u{200D}b"]}
        => "invalid_redirect_uri", "redirect_uris[0]", "U+200D";
    post_logout_redirect_uri_with_byte_order_mark_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "post_logout_redirect_uris": ["https://client.example/\u{FEFF}bye"]}
        => "invalid_client_metadata", "post_logout_redirect_uris[0]", "U+FEFF";
}

rejected! { config();
    client_name_over_200_characters_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name": "é".repeat(201)}
        => "invalid_client_metadata", "client_name", "at most 200 characters";
    localized_client_name_over_200_characters_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_name#zh-Hant-TW": "應".repeat(201)}
        => "invalid_client_metadata", "client_name#zh-Hant-TW", "at most 200 characters";
    software_id_over_200_characters_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_id": "s".repeat(201)}
        => "invalid_client_metadata", "software_id", "at most 200 characters";
    software_version_over_64_characters_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "software_version": "1".repeat(65)}
        => "invalid_client_metadata", "software_version", "at most 64 characters";
    contact_over_320_characters_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"],
         "contacts": ["ops@client.example", format!("{}@client.example", "a".repeat(310))]}
        => "invalid_client_metadata", "contacts[1]", "at most 320 characters";
    acr_value_over_200_characters_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": ["a".repeat(201)]}
        => "invalid_client_metadata", "default_acr_values[0]", "at most 200 characters";
    redirect_uri_over_2000_bytes_is_invalid_redirect_uri:
        {"redirect_uris": ["https://client.example/cb", long_url("https://client.example/", 2001)]}
        => "invalid_redirect_uri", "redirect_uris[1]", "at most 2000 bytes";
    post_logout_redirect_uri_over_2000_bytes_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"],
         "post_logout_redirect_uris": [long_url("https://client.example/", 2001)]}
        => "invalid_client_metadata", "post_logout_redirect_uris[0]", "at most 2000 bytes";
    client_uri_over_2000_bytes_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "client_uri": long_url("https://client.example/", 2001)}
        => "invalid_client_metadata", "client_uri", "at most 2000 bytes";
    localized_logo_uri_over_2000_bytes_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "logo_uri#fr": long_url("https://client.example/", 2001)}
        => "invalid_client_metadata", "logo_uri#fr", "at most 2000 bytes";
    jwks_uri_over_2000_bytes_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": long_url("https://client.example/", 2001)}
        => "invalid_client_metadata", "jwks_uri", "at most 2000 bytes";
    request_uri_over_2000_bytes_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": [long_url("https://client.example/", 2001)]}
        => "invalid_client_metadata", "request_uris[0]", "at most 2000 bytes";
    initiate_login_uri_over_2000_bytes_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": long_url("https://client.example/", 2001)}
        => "invalid_client_metadata", "initiate_login_uri", "at most 2000 bytes";
}

accepted! { config();
    text_members_at_their_caps_are_accepted: {
        "redirect_uris": [long_url("https://client.example/", 2000)],
        "client_name": "é".repeat(200),
        "client_name#fr": "é".repeat(200),
        "software_id": "s".repeat(200),
        "software_version": "1".repeat(64),
        "contacts": [format!("{}@client.example", "a".repeat(305))],
        "default_acr_values": ["a".repeat(200)]
    } => |echo| {
        assert_eq!(echo["client_name"].as_str().map(|s| s.chars().count()), Some(200));
        assert_eq!(echo["redirect_uris"][0].as_str().map(str::len), Some(2000));
        assert_eq!(echo["contacts"][0].as_str().map(str::len), Some(320));
    }
    names_in_any_script_with_marks_and_emoji_are_accepted: {
        "redirect_uris": ["https://client.example/cb"],
        "client_name": "تطبيقي \u{200E}(Beta) 🚀",
        "client_name#he": "האפליקציה שלי",
        "software_version": "2.1.0-rc.1+build.5"
    } => |echo| {
        assert_eq!(echo["client_name#he"], "האפליקציה שלי");
    }
}

// ---------------------------------------------------------------------------------------------
// Lists and the stored metadata as a whole: METADATA_LIMITS (defaults, then operator values)
// ---------------------------------------------------------------------------------------------

rejected! { config();
    twenty_one_redirect_uris_are_invalid_redirect_uri:
        {"redirect_uris": urls("https://client.example/cb/", 21)}
        => "invalid_redirect_uri", "redirect_uris: at most 20 entries (METADATA_LIMITS.redirect_uris)";
    redirect_uris_over_the_cap_are_refused_before_their_items_are_read:
        {"redirect_uris": vec![json!(42); 1900]}
        => "invalid_redirect_uri", "redirect_uris: at most 20 entries (METADATA_LIMITS.redirect_uris)";
    twenty_one_post_logout_redirect_uris_are_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "post_logout_redirect_uris": urls("https://client.example/bye/", 21)}
        => "invalid_client_metadata", "post_logout_redirect_uris: at most 20 entries (METADATA_LIMITS.post_logout_redirect_uris)";
    twenty_one_request_uris_are_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": urls("https://client.example/r/", 21)}
        => "invalid_client_metadata", "request_uris: at most 20 entries (METADATA_LIMITS.request_uris)";
    eleven_contacts_are_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "contacts": urls("ops", 11)}
        => "invalid_client_metadata", "contacts: at most 10 entries (METADATA_LIMITS.contacts)";
    eleven_default_acr_values_are_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "default_acr_values": urls("urn:acr:", 11)}
        => "invalid_client_metadata", "default_acr_values: at most 10 entries (METADATA_LIMITS.default_acr_values)";
    eleven_jwks_keys_are_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"],
         "jwks": {"keys": (0..11).map(|i| jwk(P256_JWK, json!({"kid": format!("k{i}")}))).collect::<Vec<_>>()}}
        => "invalid_client_metadata", "jwks.keys: at most 10 entries (METADATA_LIMITS.jwks_keys)";
    thirty_one_translations_are_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"],
         "client_name#aa": "x", "client_name#ab": "x", "client_name#ac": "x", "client_name#ad": "x",
         "client_name#ae": "x", "client_name#af": "x", "client_name#ag": "x", "client_name#ah": "x",
         "client_name#ai": "x", "client_name#aj": "x", "client_name#ak": "x", "client_name#al": "x",
         "client_name#am": "x", "client_name#an": "x", "client_name#ao": "x", "client_name#ap": "x",
         "client_name#aq": "x", "client_name#ar": "x", "client_name#as": "x", "client_name#at": "x",
         "logo_uri#aa": "https://client.example/l", "logo_uri#ab": "https://client.example/l",
         "logo_uri#ac": "https://client.example/l", "logo_uri#ad": "https://client.example/l",
         "logo_uri#ae": "https://client.example/l", "logo_uri#af": "https://client.example/l",
         "logo_uri#ag": "https://client.example/l", "logo_uri#ah": "https://client.example/l",
         "logo_uri#ai": "https://client.example/l", "logo_uri#aj": "https://client.example/l",
         "logo_uri#ak": "https://client.example/l"}
        => "invalid_client_metadata", "logo_uri#ak", "at most 30 localized members", "METADATA_LIMITS.translations";
    stored_metadata_over_8192_bytes_is_invalid_client_metadata:
        {"redirect_uris": (0..5).map(|i| long_url(&format!("https://client.example/{i}/"), 1900)).collect::<Vec<_>>()}
        => "invalid_client_metadata", "at most 8192 (METADATA_LIMITS.metadata_bytes)", "bytes of JSON";
}

accepted! { config();
    lists_at_their_caps_are_accepted: {
        "redirect_uris": urls("https://client.example/cb/", 20),
        "post_logout_redirect_uris": urls("https://client.example/bye/", 20),
        "request_uris": urls("https://client.example/r/", 20),
        "contacts": urls("ops", 10),
        "default_acr_values": urls("urn:acr:", 10)
    } => |echo| {
        assert_eq!(echo["redirect_uris"].as_array().map(Vec::len), Some(20));
        assert_eq!(echo["request_uris"].as_array().map(Vec::len), Some(20));
        assert_eq!(echo["contacts"].as_array().map(Vec::len), Some(10));
    }
    an_rsa_4096_key_and_a_few_redirect_uris_fit_the_default_total: {
        "redirect_uris": ["https://client.example/cb", "https://client.example/cb2", "http://127.0.0.1:8080/cb"],
        "client_name": "Example App", "client_name#fr": "Exemple",
        "logo_uri": "https://client.example/logo.png", "client_uri": "https://client.example/",
        "contacts": ["ops@client.example"], "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [jwk(RSA_4096_JWK, json!({"kid": "rsa-4096", "use": "sig", "alg": "PS256"}))]}
    } => |echo| {
        let stored = serde_json::to_vec(&echo).expect("JSON").len();
        assert!(stored < 8192, "{stored} bytes");
    }
}

rejected! { operator_limits_config();
    operator_cap_of_two_redirect_uris_refuses_three:
        {"redirect_uris": urls("https://client.example/cb/", 3)}
        => "invalid_redirect_uri", "redirect_uris: at most 2 entries (METADATA_LIMITS.redirect_uris)";
    operator_cap_of_one_contact_refuses_two:
        {"redirect_uris": ["https://client.example/cb"], "contacts": ["a@client.example", "b@client.example"]}
        => "invalid_client_metadata", "contacts: at most 1 entries (METADATA_LIMITS.contacts)";
    operator_cap_of_one_jwks_key_refuses_two:
        {"redirect_uris": ["https://client.example/cb"],
         "jwks": {"keys": [jwk(P256_JWK, json!({"kid": "a"})), jwk(ED25519_JWK, json!({"kid": "b"}))]}}
        => "invalid_client_metadata", "jwks.keys: at most 1 entries (METADATA_LIMITS.jwks_keys)";
    operator_cap_of_one_translation_refuses_two:
        {"redirect_uris": ["https://client.example/cb"], "client_name#de": "App", "client_name#fr": "Appli"}
        => "invalid_client_metadata", "client_name#fr", "at most 1 localized members", "METADATA_LIMITS.translations";
    operator_total_of_2048_bytes_refuses_a_larger_registration:
        {"redirect_uris": [long_url("https://client.example/a/", 1200), long_url("https://client.example/b/", 1200)]}
        => "invalid_client_metadata", "at most 2048 (METADATA_LIMITS.metadata_bytes)";
}

accepted! { operator_limits_config();
    operator_raised_request_uris_cap_accepts_forty: {
        "redirect_uris": ["https://client.example/cb"],
        "request_uris": urls("https://r.example/", 40)
    } => |echo| {
        assert_eq!(echo["request_uris"].as_array().map(Vec::len), Some(40));
    }
}

// =============================================================================================
// Issue 11, finding 7: URLs the authorization server fetches must name public hosts
// =============================================================================================

rejected! { config();
    jwks_uri_on_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://127.0.0.1/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "127.0.0.1 is a loopback address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://127.0.0.1/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "127.0.0.1 is a loopback address";
    initiate_login_uri_on_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://127.0.0.1/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "127.0.0.1 is a loopback address";
    jwks_uri_on_decimal_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://2130706433/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "127.0.0.1 is a loopback address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_decimal_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://2130706433/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "127.0.0.1 is a loopback address";
    initiate_login_uri_on_decimal_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://2130706433/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "127.0.0.1 is a loopback address";
    jwks_uri_on_hex_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://0x7f.1/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "127.0.0.1 is a loopback address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_hex_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://0x7f.1/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "127.0.0.1 is a loopback address";
    initiate_login_uri_on_hex_ipv4_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://0x7f.1/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "127.0.0.1 is a loopback address";
    jwks_uri_on_ipv6_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://[::1]/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "[::1] is a loopback address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv6_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://[::1]/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "[::1] is a loopback address";
    initiate_login_uri_on_ipv6_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://[::1]/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "[::1] is a loopback address";
    jwks_uri_on_ipv4_unspecified_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://0.0.0.0/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "0.0.0.0 is an unspecified", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv4_unspecified_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://0.0.0.0/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "0.0.0.0 is an unspecified";
    initiate_login_uri_on_ipv4_unspecified_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://0.0.0.0/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "0.0.0.0 is an unspecified";
    jwks_uri_on_ipv6_unspecified_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://[::]/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "[::] is the unspecified address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv6_unspecified_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://[::]/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "[::] is the unspecified address";
    initiate_login_uri_on_ipv6_unspecified_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://[::]/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "[::] is the unspecified address";
    jwks_uri_on_private_10_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://10.0.0.1/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "10.0.0.1 is a private address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_private_10_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://10.0.0.1/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "10.0.0.1 is a private address";
    initiate_login_uri_on_private_10_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://10.0.0.1/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "10.0.0.1 is a private address";
    jwks_uri_on_private_172_16_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://172.16.5.4/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "172.16.5.4 is a private address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_private_172_16_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://172.16.5.4/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "172.16.5.4 is a private address";
    initiate_login_uri_on_private_172_16_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://172.16.5.4/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "172.16.5.4 is a private address";
    jwks_uri_on_private_192_168_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://192.168.1.1/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "192.168.1.1 is a private address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_private_192_168_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://192.168.1.1/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "192.168.1.1 is a private address";
    initiate_login_uri_on_private_192_168_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://192.168.1.1/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "192.168.1.1 is a private address";
    jwks_uri_on_ipv6_unique_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://[fd00::1]/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "[fd00::1] is a private (unique local) address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv6_unique_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://[fd00::1]/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "[fd00::1] is a private (unique local) address";
    initiate_login_uri_on_ipv6_unique_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://[fd00::1]/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "[fd00::1] is a private (unique local) address";
    jwks_uri_on_cloud_metadata_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://169.254.169.254/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "169.254.169.254 is a link-local address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_cloud_metadata_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://169.254.169.254/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "169.254.169.254 is a link-local address";
    initiate_login_uri_on_cloud_metadata_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://169.254.169.254/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "169.254.169.254 is a link-local address";
    jwks_uri_on_ipv6_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://[fe80::1]/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "[fe80::1] is a link-local address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv6_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://[fe80::1]/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "[fe80::1] is a link-local address";
    initiate_login_uri_on_ipv6_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://[fe80::1]/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "[fe80::1] is a link-local address";
    jwks_uri_on_shared_100_64_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://100.64.0.1/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "100.64.0.1 is a shared", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_shared_100_64_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://100.64.0.1/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "100.64.0.1 is a shared";
    initiate_login_uri_on_shared_100_64_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://100.64.0.1/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "100.64.0.1 is a shared";
    jwks_uri_on_broadcast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://255.255.255.255/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "255.255.255.255 is the broadcast address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_broadcast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://255.255.255.255/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "255.255.255.255 is the broadcast address";
    initiate_login_uri_on_broadcast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://255.255.255.255/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "255.255.255.255 is the broadcast address";
    jwks_uri_on_ipv4_multicast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://224.0.0.251/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "224.0.0.251 is a multicast address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv4_multicast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://224.0.0.251/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "224.0.0.251 is a multicast address";
    initiate_login_uri_on_ipv4_multicast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://224.0.0.251/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "224.0.0.251 is a multicast address";
    jwks_uri_on_ipv6_multicast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://[ff02::1]/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "[ff02::1] is a multicast address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv6_multicast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://[ff02::1]/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "[ff02::1] is a multicast address";
    initiate_login_uri_on_ipv6_multicast_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://[ff02::1]/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "[ff02::1] is a multicast address";
    jwks_uri_on_reserved_240_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://240.0.0.1/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "240.0.0.1 is a reserved address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_reserved_240_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://240.0.0.1/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "240.0.0.1 is a reserved address";
    initiate_login_uri_on_reserved_240_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://240.0.0.1/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "240.0.0.1 is a reserved address";
    jwks_uri_on_ipv4_mapped_private_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://[::ffff:10.0.0.1]/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "[::ffff:a00:1] is a private address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_ipv4_mapped_private_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://[::ffff:10.0.0.1]/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "[::ffff:a00:1] is a private address";
    initiate_login_uri_on_ipv4_mapped_private_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://[::ffff:10.0.0.1]/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "[::ffff:a00:1] is a private address";
    jwks_uri_on_nat64_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://[64:ff9b::a9fe:a9fe]/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "is a link-local address", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_nat64_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://[64:ff9b::a9fe:a9fe]/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "is a link-local address";
    initiate_login_uri_on_nat64_link_local_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://[64:ff9b::a9fe:a9fe]/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "is a link-local address";
    jwks_uri_on_localhost_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://localhost/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "\"localhost\" is a loopback name", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_localhost_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://localhost/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "\"localhost\" is a loopback name";
    initiate_login_uri_on_localhost_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://localhost/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "\"localhost\" is a loopback name";
    jwks_uri_on_localhost_subdomain_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://app.localhost/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "\"app.localhost\" is a loopback name", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_localhost_subdomain_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://app.localhost/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "\"app.localhost\" is a loopback name";
    initiate_login_uri_on_localhost_subdomain_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://app.localhost/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "\"app.localhost\" is a loopback name";
    jwks_uri_on_single_label_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://intranet/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "\"intranet\" is a single-label name", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_single_label_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://intranet/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "\"intranet\" is a single-label name";
    initiate_login_uri_on_single_label_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://intranet/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "\"intranet\" is a single-label name";
    jwks_uri_on_mdns_local_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://printer.local/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "\"printer.local\" is a local-network name", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_mdns_local_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://printer.local/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "\"printer.local\" is a local-network name";
    initiate_login_uri_on_mdns_local_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://printer.local/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "\"printer.local\" is a local-network name";
    jwks_uri_on_internal_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://metadata.google.internal/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "\"metadata.google.internal\" is a local-network name", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_internal_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://metadata.google.internal/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "\"metadata.google.internal\" is a local-network name";
    initiate_login_uri_on_internal_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://metadata.google.internal/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "\"metadata.google.internal\" is a local-network name";
    jwks_uri_on_home_arpa_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://nas.home.arpa/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "\"nas.home.arpa\" is a local-network name", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_home_arpa_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://nas.home.arpa/r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "\"nas.home.arpa\" is a local-network name";
    initiate_login_uri_on_home_arpa_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://nas.home.arpa/login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "\"nas.home.arpa\" is a local-network name";
    jwks_uri_on_localdomain_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://box.localdomain./jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must name a public host", "\"box.localdomain.\" is a local-network name", "ALLOW_PRIVATE_HOSTS=true";
    request_uri_on_localdomain_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["https://client.example/r/1", "https://box.localdomain./r/2"]}
        => "invalid_client_metadata", "request_uris[1]: must name a public host", "\"box.localdomain.\" is a local-network name";
    initiate_login_uri_on_localdomain_name_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "https://box.localdomain./login"}
        => "invalid_client_metadata", "initiate_login_uri: must name a public host", "\"box.localdomain.\" is a local-network name";
    sector_identifier_uri_on_cloud_metadata_link_local_is_refused_for_its_host:
        {"redirect_uris": ["https://client.example/cb"], "sector_identifier_uri": "https://169.254.169.254/sector.json"}
        => "invalid_client_metadata", "sector_identifier_uri: must name a public host", "169.254.169.254 is a link-local address";
    sector_identifier_uri_on_localhost_is_refused_for_its_host:
        {"redirect_uris": ["https://client.example/cb"], "sector_identifier_uri": "https://localhost/sector.json"}
        => "invalid_client_metadata", "sector_identifier_uri: must name a public host";
    http_jwks_uri_on_loopback_is_invalid_client_metadata_without_allow_private_hosts:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "http://127.0.0.1:8080/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must be an https URL";
    http_request_uri_on_localhost_is_invalid_client_metadata_without_allow_private_hosts:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["http://localhost:9000/r"]}
        => "invalid_client_metadata", "request_uris[0]: must be an https URL";
    http_initiate_login_uri_on_loopback_is_invalid_client_metadata:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "http://127.0.0.1/login"}
        => "invalid_client_metadata", "initiate_login_uri: must be an https URL";
}

rejected! { dev_config();
    http_initiate_login_uri_on_loopback_is_refused_even_with_allow_private_hosts:
        {"redirect_uris": ["https://client.example/cb"], "initiate_login_uri": "http://127.0.0.1:3000/login"}
        => "invalid_client_metadata", "initiate_login_uri: must be an https URL";
    http_jwks_uri_on_a_private_address_is_refused_even_with_allow_private_hosts:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "http://10.0.0.1/jwks.json"}
        => "invalid_client_metadata", "jwks_uri: must be an https URL";
    http_request_uri_on_127_1_is_refused_even_with_allow_private_hosts:
        {"redirect_uris": ["https://client.example/cb"], "request_uris": ["http://127.1/r"]}
        => "invalid_client_metadata", "request_uris[0]: must be an https URL";
    user_info_is_refused_even_with_allow_private_hosts:
        {"redirect_uris": ["https://client.example/cb"], "jwks_uri": "https://u@127.0.0.1/jwks.json"}
        => "invalid_client_metadata", "jwks_uri", "user information";
    sector_identifier_uri_stays_unsupported_with_allow_private_hosts:
        {"redirect_uris": ["https://client.example/cb"], "sector_identifier_uri": "https://10.0.0.1/s.json"}
        => "invalid_client_metadata", "sector_identifier_uri: not supported yet";
}

accepted! { dev_config();
    internal_hosts_are_accepted_with_allow_private_hosts: {
        "redirect_uris": ["https://client.example/cb"],
        "jwks_uri": "https://169.254.169.254/jwks.json",
        "request_uris": ["https://10.0.0.1/r", "https://[fd00::1]/r", "https://intranet/r", "http://[::1]:9000/r"],
        "initiate_login_uri": "https://app.localhost:8443/login"
    } => |echo| {
        assert_eq!(echo["jwks_uri"], "https://169.254.169.254/jwks.json");
        assert_eq!(echo["request_uris"].as_array().map(Vec::len), Some(4));
        assert_eq!(echo["initiate_login_uri"], "https://app.localhost:8443/login");
    }
}

accepted! { config();
    fetched_urls_on_public_addresses_and_names_are_accepted: {
        "redirect_uris": ["https://client.example/cb"],
        "jwks_uri": "https://8.8.8.8/jwks.json",
        "request_uris": ["https://[2606:4700::1111]/r", "https://172.32.0.1/r", "https://local.example/r",
                         "https://app.example./r"],
        "initiate_login_uri": "https://localhost.example/login"
    } => |echo| {
        assert_eq!(echo["jwks_uri"], "https://8.8.8.8/jwks.json");
        assert_eq!(echo["request_uris"].as_array().map(Vec::len), Some(4));
    }
    display_urls_may_still_name_any_host: {
        "redirect_uris": ["https://client.example/cb"],
        "client_uri": "http://127.0.0.1:3000/", "logo_uri": "https://10.0.0.1/logo.png"
    } => |echo| {
        assert_eq!(echo["client_uri"], "http://127.0.0.1:3000/");
    }
}

// =============================================================================================
// Issue 11, finding 8: the shape of each key in jwks
// =============================================================================================

/// A `jwks` registration body around `keys`.
fn with_keys(keys: Vec<Value>) -> Value {
    json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
           "jwks": {"keys": keys}})
}

/// An RSA-2048 public key with `n` or `e` replaced.
fn rsa_with(member: &str, value: Value) -> Value {
    jwk(RSA_2048_JWK, json!({ member: value }))
}

/// A JWK constant with a member removed.
fn without_member(text: &str, member: &str) -> Value {
    let mut key = jwk(text, json!({}));
    key.as_object_mut()
        .expect("a JWK is an object")
        .remove(member);
    key
}

/// `n` bytes as unpadded base64url.
fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

macro_rules! jwks_rejected {
    ($( $name:ident : [$($key:expr),* $(,)?] => $($needle:literal),+ ; )*) => {
        $(
            #[test]
            fn $name() {
                assert_rejected(&config(), with_keys(vec![$($key),*]), "invalid_client_metadata", &[$($needle),+]);
            }
        )*
    };
}

jwks_rejected! {
    rsa_key_with_a_one_byte_modulus_is_invalid_client_metadata:
        [rsa_with("n", json!("_w"))] => "jwks.keys[0]: RSA modulus is 8 bits; at least 2048";
    rsa_1024_key_is_invalid_client_metadata:
        [jwk(RSA_2048_JWK, json!({"kid": "a"})), jwk(RSA_1024_JWK, json!({"kid": "b"}))]
        => "jwks.keys[1]: RSA modulus is 1024 bits; at least 2048";
    rsa_modulus_of_2047_bits_is_invalid_client_metadata:
        [rsa_with("n", json!(b64(&[&[0x7f][..], &[0xff; 255][..]].concat())))]
        => "jwks.keys[0]: RSA modulus is 2047 bits";
    rsa_modulus_over_16384_bits_is_invalid_client_metadata:
        [rsa_with("n", json!(b64(&[0xff; 2049])))] => "jwks.keys[0]", "at most 16384";
    rsa_key_without_modulus_is_invalid_client_metadata:
        [without_member(RSA_2048_JWK, "n")] => "jwks.keys[0]: has no \"n\"";
    rsa_key_without_exponent_is_invalid_client_metadata:
        [without_member(RSA_2048_JWK, "e")] => "jwks.keys[0]: has no \"e\"";
    rsa_key_with_even_exponent_is_invalid_client_metadata:
        [rsa_with("e", json!("Ag"))] => "jwks.keys[0]: RSA exponent must be odd and greater than 1";
    rsa_key_with_exponent_one_is_invalid_client_metadata:
        [rsa_with("e", json!("AQ"))] => "jwks.keys[0]: RSA exponent must be odd and greater than 1";
    rsa_key_with_nine_byte_exponent_is_invalid_client_metadata:
        [rsa_with("e", json!(b64(&[1, 0, 0, 0, 0, 0, 0, 0, 1])))] => "jwks.keys[0]: RSA exponent is 9 bytes; at most 8";
    rsa_modulus_with_padding_is_invalid_client_metadata:
        [rsa_with("n", json!(format!("{}==", b64(&[0xc1; 256]).trim_end_matches('='))))] => "jwks.keys[0]", "not base64url";
    rsa_modulus_in_standard_base64_is_invalid_client_metadata:
        [rsa_with("n", json!(b64(&[0xfb; 256]).replace('-', "+").replace('_', "/")))] => "jwks.keys[0]", "not base64url";
    rsa_modulus_that_is_a_number_is_invalid_client_metadata:
        [rsa_with("n", json!(65537))] => "jwks.keys[0]", "\"n\" must be a base64url string";
    ec_key_on_an_unsupported_curve_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"crv": "secp256k1"}))] => "jwks.keys[0]: unsupported EC crv \"secp256k1\"";
    ec_key_without_curve_is_invalid_client_metadata:
        [without_member(P256_JWK, "crv")] => "jwks.keys[0]: EC key has no \"crv\"";
    ec_p256_key_with_short_x_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"x": b64(&[7; 31])}))] => "jwks.keys[0]: \"x\" is 31 bytes; P-256 needs 32";
    ec_p384_key_with_p256_sized_y_is_invalid_client_metadata:
        [jwk(P384_JWK, json!({"y": b64(&[7; 32])}))] => "jwks.keys[0]: \"y\" is 32 bytes; P-384 needs 48";
    ec_p521_key_with_64_byte_x_is_invalid_client_metadata:
        [jwk(P521_JWK, json!({"x": b64(&[7; 64])}))] => "jwks.keys[0]: \"x\" is 64 bytes; P-521 needs 66";
    ec_key_without_y_is_invalid_client_metadata:
        [without_member(P256_JWK, "y")] => "jwks.keys[0]: has no \"y\"";
    okp_ed25519_key_with_short_x_is_invalid_client_metadata:
        [jwk(ED25519_JWK, json!({"x": b64(&[7; 31])}))] => "jwks.keys[0]: \"x\" is 31 bytes; Ed25519 needs 32";
    okp_ed448_key_with_ed25519_sized_x_is_invalid_client_metadata:
        [jwk(ED448_JWK, json!({"x": b64(&[7; 32])}))] => "jwks.keys[0]: \"x\" is 32 bytes; Ed448 needs 57";
    okp_key_on_an_unsupported_curve_is_invalid_client_metadata:
        [jwk(ED25519_JWK, json!({"crv": "P-256"}))] => "jwks.keys[0]: unsupported OKP crv \"P-256\"";
    empty_kid_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"kid": ""}))] => "jwks.keys[0]: \"kid\" must be a non-empty string";
    numeric_kid_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"kid": 1}))] => "jwks.keys[0]: \"kid\" must be a non-empty string";
    duplicate_kid_in_a_set_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"kid": "k"})), jwk(RSA_2048_JWK, json!({"kid": "k"}))]
        => "jwks.keys[1]: kid \"k\" is also the kid of jwks.keys[0]";
    unknown_use_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"use": "signing"}))] => "jwks.keys[0]: use \"signing\" is not sig or enc";
    rsa_key_with_an_ec_alg_is_invalid_client_metadata:
        [jwk(RSA_2048_JWK, json!({"alg": "ES256"}))] => "jwks.keys[0]: alg \"ES256\" does not fit a key of kty RSA";
    rsa_key_with_rsa1_5_alg_is_invalid_client_metadata:
        [jwk(RSA_2048_JWK, json!({"alg": "RSA1_5"}))] => "jwks.keys[0]: alg \"RSA1_5\" does not fit";
    ec_key_with_an_rsa_alg_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"alg": "RS256"}))] => "jwks.keys[0]: alg \"RS256\" does not fit a key of kty EC";
    ec_p256_key_with_es384_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"alg": "ES384"}))] => "jwks.keys[0]: alg \"ES384\" needs crv P-384, not P-256";
    okp_ed25519_key_with_ecdh_alg_is_invalid_client_metadata:
        [jwk(ED25519_JWK, json!({"alg": "ECDH-ES"}))] => "jwks.keys[0]: alg \"ECDH-ES\" needs crv X25519 or X448";
    okp_x25519_key_with_eddsa_is_invalid_client_metadata:
        [jwk(X25519_JWK, json!({"alg": "EdDSA"}))] => "jwks.keys[0]: alg \"EdDSA\" needs crv Ed25519 or Ed448";
    okp_key_with_an_hmac_alg_is_invalid_client_metadata:
        [jwk(ED25519_JWK, json!({"alg": "HS256"}))] => "jwks.keys[0]: alg \"HS256\" does not fit a key of kty OKP";
    key_that_is_not_an_object_is_invalid_client_metadata:
        [jwk(P256_JWK, json!({"kid": "a"})), json!("a key")] => "jwks.keys[1]: must be a JSON object";
}

accepted! { config();
    every_supported_key_shape_is_accepted_and_echoed: {
        "redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [
            jwk(RSA_2048_JWK, json!({"kid": "rs", "use": "sig", "alg": "RS256"})),
            jwk(RSA_2048_B_JWK, json!({"kid": "oaep", "use": "enc", "alg": "RSA-OAEP-256"})),
            jwk(P256_JWK, json!({"kid": "p256", "alg": "ES256"})),
            jwk(P384_JWK, json!({"kid": "p384", "alg": "ECDH-ES+A256KW", "use": "enc"})),
            jwk(P521_JWK, json!({"kid": "p521", "alg": "ES512"})),
            jwk(ED25519_JWK, json!({"kid": "ed25519", "alg": "EdDSA"})),
            jwk(ED448_JWK, json!({"kid": "ed448", "alg": "Ed448"})),
            jwk(X25519_JWK, json!({"kid": "x25519", "alg": "ECDH-ES"})),
            jwk(X448_JWK, json!({"kid": "x448"}))
        ]}
    } => |echo| {
        assert_eq!(echo["jwks"]["keys"].as_array().map(Vec::len), Some(9));
        assert_eq!(echo["jwks"]["keys"][0]["kid"], "rs");
    }
    one_key_needs_no_kid_and_keys_without_kid_may_share_a_set: {
        "redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [jwk(P256_JWK, json!({})), jwk(RSA_2048_JWK, json!({})), jwk(ED25519_JWK, json!({"kid": "e"}))]}
    } => |echo| {
        assert_eq!(echo["jwks"]["keys"].as_array().map(Vec::len), Some(3));
    }
    rsa_modulus_with_a_leading_zero_byte_counts_its_significant_bits: {
        "redirect_uris": ["https://client.example/cb"],
        "jwks": {"keys": [rsa_with("n", json!(b64(&[&[0][..], &[0xc1; 256][..]].concat())))]}
    } => |echo| {
        assert!(echo["jwks"]["keys"][0]["n"].as_str().is_some_and(|n| n.starts_with("AM")));
    }
}
