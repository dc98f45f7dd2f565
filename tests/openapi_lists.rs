//! The value lists of static/openapi.json against the Rust value sets they document.
//!
//! Each closed list (algorithms, auth methods, grant types, response types, application and
//! subject types, client status) is one `components/schemas` entry that every use site reaches
//! with `$ref`. These tests fail when such an entry and the code's set disagree, when a member
//! of the metadata or of discovery documents a different set than the code enforces, and when a
//! list is spelled out again instead of referenced.

mod common;

use std::collections::BTreeSet;

use registrar::discovery;
use registrar::metadata::algorithms::{EncryptionAlg, EncryptionEnc, SigningAlg};
use registrar::metadata::enums::{
    ApplicationType, AuthMethod, GrantType, ResponseType, SubjectType,
};
use registrar::store::ClientStatus;
use serde_json::{json, Value};

type Set = BTreeSet<String>;

fn doc() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/static/openapi.json");
    let text = std::fs::read_to_string(path).expect("static/openapi.json");
    serde_json::from_str(&text).expect("static/openapi.json is JSON")
}

fn set<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Set {
    values.into_iter().map(|s| s.as_ref().to_string()).collect()
}

/// The node a local `$ref` ("#/components/schemas/X") points at.
fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("not a local $ref: {reference}"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("$ref {reference} does not resolve"))
}

/// The string values a schema admits through `enum`, `const`, `$ref`, `anyOf`, `oneOf` and an
/// array's `items` (a `{"type": "null"}` branch adds none).
fn values_of(doc: &Value, schema: &Value) -> Set {
    let mut out = Set::new();
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        out.extend(values_of(doc, resolve(doc, r)));
    }
    if let Some(list) = schema.get("enum").and_then(Value::as_array) {
        for v in list {
            out.insert(v.as_str().expect("enum of strings").to_string());
        }
    }
    if let Some(v) = schema.get("const") {
        out.insert(v.as_str().expect("const string").to_string());
    }
    for key in ["anyOf", "oneOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.extend(values_of(doc, branch));
        }
    }
    if let Some(items) = schema.get("items") {
        out.extend(values_of(doc, items));
    }
    out
}

fn component(doc: &Value, name: &str) -> Set {
    let schema = doc
        .pointer(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("no components/schemas/{name}"));
    let values = values_of(doc, schema);
    assert!(
        !values.is_empty(),
        "components/schemas/{name} lists no values"
    );
    values
}

fn member(doc: &Value, schema: &str, member: &str) -> Set {
    let node = doc
        .pointer(&format!("/components/schemas/{schema}/properties/{member}"))
        .unwrap_or_else(|| panic!("no {schema}.{member}"));
    values_of(doc, node)
}

/// Every order of every non-empty subset of the parts, space-separated (the candidates of
/// `ResponseType::parse`). `none` is among the parts so that accepting it would show.
fn response_type_candidates() -> Vec<String> {
    fn orders(rest: &[&str], prefix: &mut Vec<String>, out: &mut Vec<String>) {
        if !prefix.is_empty() {
            out.push(prefix.join(" "));
        }
        for (i, part) in rest.iter().enumerate() {
            let mut left = rest.to_vec();
            left.remove(i);
            prefix.push(part.to_string());
            orders(&left, prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    orders(
        &["code", "token", "id_token", "none"],
        &mut Vec::new(),
        &mut out,
    );
    out
}

fn response_types() -> Vec<ResponseType> {
    response_type_candidates()
        .iter()
        .filter_map(|s| ResponseType::parse(s).ok())
        .collect()
}

/// Every client status. The match has no wildcard: a new status does not compile until added.
fn client_statuses() -> Set {
    let all = [ClientStatus::Active, ClientStatus::Suspended];
    for s in all {
        match s {
            ClientStatus::Active | ClientStatus::Suspended => {}
        }
        assert_eq!(ClientStatus::parse(s.as_str()), Some(s));
    }
    set(all.iter().map(|s| s.as_str()))
}

fn grants_without_redirection() -> Set {
    let uses_redirect = [GrantType::AuthorizationCode, GrantType::Implicit];
    set(GrantType::ALL
        .iter()
        .filter(|g| !uses_redirect.contains(g))
        .map(|g| g.as_str()))
}

/// Each component list and the Rust set it documents.
fn expected_components() -> Vec<(&'static str, Set)> {
    let rts = response_types();
    vec![
        ("SigningAlg", set(SigningAlg::SIGNED_NAMES)),
        ("RequestObjectSigningAlg", set(SigningAlg::NAMES)),
        ("EncryptionAlg", set(EncryptionAlg::NAMES)),
        ("EncryptionEnc", set(EncryptionEnc::NAMES)),
        ("TokenEndpointAuthMethod", set(AuthMethod::NAMES)),
        (
            "SecretTokenEndpointAuthMethod",
            set(AuthMethod::ALL
                .iter()
                .filter(|a| a.uses_secret())
                .map(|a| a.as_str())),
        ),
        ("GrantType", set(GrantType::NAMES)),
        ("GrantTypeWithoutRedirection", grants_without_redirection()),
        (
            "GrantTypeOfClientWithoutRedirection",
            grants_without_redirection()
                .into_iter()
                .filter(|g| g != GrantType::RefreshToken.as_str())
                .collect(),
        ),
        ("ResponseType", set(rts.iter().map(|r| r.as_str()))),
        (
            "CodeResponseType",
            set(rts.iter().filter(|r| r.uses_code()).map(|r| r.as_str())),
        ),
        (
            "ImplicitResponseType",
            set(rts.iter().filter(|r| r.uses_implicit()).map(|r| r.as_str())),
        ),
        ("SubjectType", set(SubjectType::NAMES)),
        ("ApplicationType", set(ApplicationType::NAMES)),
        ("ClientStatus", client_statuses()),
    ]
}

#[test]
fn each_component_list_is_the_rust_value_set() {
    let doc = doc();
    for (name, rust) in expected_components() {
        assert_eq!(
            component(&doc, name),
            rust,
            "components/schemas/{name} (left) and the Rust values (right) disagree"
        );
    }
}

#[test]
fn response_types_include_every_one_discovery_can_advertise() {
    let doc = doc();
    let documented = component(&doc, "ResponseType");
    for rt in ResponseType::all(true) {
        assert!(documented.contains(rt), "{rt:?} is not in ResponseType");
    }
    assert_eq!(documented.len(), 15, "1 + 2 + 6 orders of 1, 2 and 3 parts");
}

#[test]
fn metadata_members_use_the_lists_the_code_enforces() {
    let doc = doc();
    let secret_free = set(AuthMethod::NAMES);
    let rows: Vec<(&str, Set)> = vec![
        ("token_endpoint_auth_method", secret_free),
        (
            "token_endpoint_auth_signing_alg",
            set(SigningAlg::SIGNED_NAMES),
        ),
        (
            "id_token_signed_response_alg",
            set(SigningAlg::SIGNED_NAMES),
        ),
        (
            "userinfo_signed_response_alg",
            set(SigningAlg::SIGNED_NAMES),
        ),
        ("request_object_signing_alg", set(SigningAlg::NAMES)),
        ("id_token_encrypted_response_alg", set(EncryptionAlg::NAMES)),
        ("userinfo_encrypted_response_alg", set(EncryptionAlg::NAMES)),
        ("request_object_encryption_alg", set(EncryptionAlg::NAMES)),
        ("id_token_encrypted_response_enc", set(EncryptionEnc::NAMES)),
        ("userinfo_encrypted_response_enc", set(EncryptionEnc::NAMES)),
        ("request_object_encryption_enc", set(EncryptionEnc::NAMES)),
        ("grant_types", set(GrantType::NAMES)),
        (
            "response_types",
            set(response_types().iter().map(|r| r.as_str())),
        ),
        ("subject_type", set(SubjectType::NAMES)),
        ("application_type", set(ApplicationType::NAMES)),
    ];
    // Each member is written once, in ClientMetadataMembers (the request and the response
    // schemas use it: `every_metadata_member_is_written_once`).
    for schema in ["ClientMetadataMembers"] {
        for (name, rust) in &rows {
            assert_eq!(
                &member(&doc, schema, name),
                rust,
                "{schema}.{name} (left) and the Rust values (right) disagree"
            );
        }
    }
    assert_eq!(
        member(&doc, "AsClient", "token_endpoint_auth_method"),
        set(AuthMethod::NAMES)
    );
    for schema in ["ClientSummary", "AdminUpdatedClient", "AsClient"] {
        assert_eq!(
            member(&doc, schema, "status"),
            client_statuses(),
            "{schema}.status"
        );
    }
}

#[test]
fn discovery_members_document_what_discovery_advertises() {
    let doc = doc();
    // Implicit enabled: the most discovery can list.
    let config = common::config_with(&[(
        "GRANT_TYPES_SUPPORTED",
        "authorization_code implicit refresh_token client_credentials",
    )]);
    let advertised = discovery::document(&config, common::ISSUER);
    let rows: Vec<(&str, Set)> = vec![
        (
            "token_endpoint_auth_methods_supported",
            set(AuthMethod::NAMES),
        ),
        (
            "token_endpoint_auth_signing_alg_values_supported",
            set(SigningAlg::SIGNED_NAMES),
        ),
        (
            "id_token_signing_alg_values_supported",
            set(SigningAlg::SIGNED_NAMES),
        ),
        (
            "userinfo_signing_alg_values_supported",
            set(SigningAlg::SIGNED_NAMES),
        ),
        (
            "request_object_signing_alg_values_supported",
            set(SigningAlg::NAMES),
        ),
        (
            "id_token_encryption_alg_values_supported",
            set(EncryptionAlg::NAMES),
        ),
        (
            "userinfo_encryption_alg_values_supported",
            set(EncryptionAlg::NAMES),
        ),
        (
            "request_object_encryption_alg_values_supported",
            set(EncryptionAlg::NAMES),
        ),
        (
            "id_token_encryption_enc_values_supported",
            set(EncryptionEnc::NAMES),
        ),
        (
            "userinfo_encryption_enc_values_supported",
            set(EncryptionEnc::NAMES),
        ),
        (
            "request_object_encryption_enc_values_supported",
            set(EncryptionEnc::NAMES),
        ),
        ("grant_types_supported", set(GrantType::NAMES)),
        (
            "response_types_supported",
            set(response_types().iter().map(|r| r.as_str())),
        ),
        ("subject_types_supported", set(SubjectType::NAMES)),
    ];
    for (name, rust) in &rows {
        let documented = member(&doc, "DiscoveryDocument", name);
        assert_eq!(
            &documented, rust,
            "DiscoveryDocument.{name} (left) and the Rust values (right) disagree"
        );
        let values = advertised
            .get(*name)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("discovery does not advertise {name}"));
        for v in values {
            let v = v.as_str().expect("string");
            assert!(
                documented.contains(v),
                "discovery advertises {v:?} in {name}, which the document does not list"
            );
        }
    }
}

#[test]
fn no_list_is_spelled_out_twice() {
    let doc = doc();
    let shared: Vec<(&str, Set)> = expected_components()
        .into_iter()
        .map(|(name, _)| (name, component(&doc, name)))
        .collect();
    let mut seen: Vec<(String, Set)> = Vec::new();
    fn walk(node: &Value, at: &str, out: &mut Vec<(String, Set)>) {
        match node {
            Value::Object(map) => {
                if let Some(list) = map.get("enum").and_then(Value::as_array) {
                    if list.len() > 1 {
                        out.push((
                            at.to_string(),
                            list.iter()
                                .filter_map(Value::as_str)
                                .map(String::from)
                                .collect(),
                        ));
                    }
                }
                for (k, v) in map {
                    walk(
                        v,
                        &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    walk(v, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    walk(&doc, "", &mut seen);
    for (at, values) in &seen {
        for (name, list) in &shared {
            let home = format!("/components/schemas/{name}");
            if at != &home && values == list {
                panic!("{at} spells out the list of {home}: use {{\"$ref\": \"#{home}\"}}");
            }
        }
    }
    for (i, (at, values)) in seen.iter().enumerate() {
        for (other, again) in &seen[i + 1..] {
            assert!(
                values != again,
                "{at} and {other} spell out the same list: make it a components/schemas entry"
            );
        }
    }
}

/// The request (`ClientMetadataRequest`) and the response (`RegisteredMetadataMembers`) both take
/// their members from `ClientMetadataMembers`: the request adds only `format` annotations (for
/// generators; responses echo URIs byte for byte and assert no format) and the members it refuses,
/// the response only `required`.
#[test]
fn every_metadata_member_is_written_once() {
    let doc = doc();
    let schema = |name: &str| &doc["components"]["schemas"][name];
    let shared = json!([{"$ref": "#/components/schemas/ClientMetadataMembers"}]);
    let members = schema("ClientMetadataMembers")["properties"]
        .as_object()
        .expect("ClientMetadataMembers.properties");
    assert!(members.len() > 30, "{} members", members.len());
    for name in ["ClientMetadataRequest", "RegisteredMetadataMembers"] {
        assert_eq!(schema(name)["allOf"], shared, "{name}.allOf");
    }
    assert_eq!(
        schema("RegisteredMetadataMembers")["properties"],
        Value::Null
    );
    let refused = ["software_statement", "sector_identifier_uri"];
    for (member, s) in schema("ClientMetadataRequest")["properties"]
        .as_object()
        .expect("ClientMetadataRequest.properties")
    {
        let annotation =
            s == &json!({"format": "uri"}) || s == &json!({"items": {"format": "uri"}});
        assert!(
            refused.contains(&member.as_str()) || (members.contains_key(member) && annotation),
            "ClientMetadataRequest.{member} is more than a format annotation: write it in \
             ClientMetadataMembers"
        );
    }
}

/// The `?signin_error=` reasons of a failed sign-in (`components/schemas/SignInError`) are the
/// ones `src/http/signin.rs` sends: each `failed(route, "<reason>", ...)` there. Read from the
/// source, as the reasons are literals at their call sites, not a Rust type.
#[test]
fn signin_errors_are_the_reasons_the_handler_sends() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/signin.rs");
    let source = std::fs::read_to_string(path).expect("src/http/signin.rs");
    let mut sent = Set::new();
    for call in source.split("failed(").skip(1) {
        let rest = call.trim_start();
        let Some(rest) = rest.strip_prefix("route,") else {
            continue; // the definition `fn failed(route: ...`
        };
        let reason = rest
            .trim_start()
            .strip_prefix('"')
            .and_then(|r| r.split_once('"'))
            .map(|(reason, _)| reason)
            .unwrap_or_else(|| panic!("failed(route, ...) without a literal reason: {rest:.40}"));
        sent.insert(reason.to_string());
    }
    assert!(sent.len() >= 5, "found only {sent:?}");
    assert_eq!(component(&doc(), "SignInError"), sent);
}
