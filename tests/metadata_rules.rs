//! Metadata rules (RFC 7591 §2, OIDC Registration §2, RFC 8252, RFC 9700) as named table rows.
//!
//! Each row is its own `#[test]`, named by the behaviour it pins down. Rejection rows assert the
//! exact RFC error code (`ApiError::code()`) and, where relevant, that `error_description` names
//! the member (and index). Acceptance rows assert what is stored and echoed by `to_json()`.

mod common;

use common::{config, config_with, nulls};
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
    private_key_jwt_with_loopback_http_jwks_uri_is_accepted: {
        "token_endpoint_auth_method": "private_key_jwt", "redirect_uris": ["http://127.0.0.1/cb"],
        "jwks_uri": "http://127.0.0.1:8080/jwks.json"
    } => |echo| {
        assert_eq!(echo["jwks_uri"], "http://127.0.0.1:8080/jwks.json");
    }
}

#[test]
fn private_key_jwt_with_public_jwks_is_accepted_and_jwks_echoed() {
    let jwks = json!({"keys": [ec_public(), {"kty": "RSA", "kid": "r1", "n": "0vx7agoebGcQSuuPiLJXZpt", "e": "AQAB"}]});
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
    fetched_urls_are_accepted_on_https_and_loopback: {
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
