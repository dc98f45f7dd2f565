//! The dashboard sign-in core (src/signin/): settings, the provider's discovery document, the
//! authorization code flow with PKCE, ID token parsing, key selection and claims rules, sealed
//! cookies and the session. Signatures themselves are WebCrypto's (tests/worker/signin*.test.js
//! verify real ones from a real provider); here a stand-in verifier checks that the right key and
//! bytes reach it and that its answer is obeyed.

mod common;

use base64::Engine;
use common::block_on;
use registrar::base64url;
use registrar::signin::flow::{
    authorization_url, code_challenge, id_token_of, read_callback, return_path, token_request,
    Callback, PendingSignIn,
};
use registrar::signin::id_token::{self, check_claims, Expected, Identity, Verifier};
use registrar::signin::jws::{self, select_key};
use registrar::signin::provider::{self, Provider};
use registrar::signin::seal::{open, seal};
use registrar::signin::session::{cookie, is_admin, set_cookie, Session};
use registrar::signin::SignInSettings;
use registrar::token::{HashKey, Purpose};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const ISSUER: &str = "https://op.example";
const CLIENT: &str = "registrar-dashboard";
const NOW: i64 = 1_800_000_000;

fn settings_from(vars: &[(&str, &str)]) -> Result<Option<SignInSettings>, String> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    SignInSettings::from_vars(|n| vars.get(n).cloned())
}

fn settings() -> SignInSettings {
    settings_from(&[
        ("DASHBOARD_OIDC_ISSUER", ISSUER),
        ("DASHBOARD_OIDC_CLIENT_ID", CLIENT),
        ("DASHBOARD_ADMIN_CLAIM", "groups=registrar-admins"),
        ("DASHBOARD_ADMIN_SUBS", " alice , bob "),
    ])
    .unwrap()
    .unwrap()
}

#[test]
fn settings_are_off_when_unset_and_refused_when_half_set_or_unusable() {
    assert!(settings_from(&[]).unwrap().is_none());
    assert!(settings_from(&[("DASHBOARD_OIDC_ISSUER", "  ")])
        .unwrap()
        .is_none());
    let s = settings();
    assert_eq!(s.admin_subs, ["alice", "bob"]);
    assert_eq!(
        s.admin_claim,
        Some(("groups".into(), "registrar-admins".into()))
    );
    assert_eq!(s.session_seconds, 3600);
    assert!(s.client_secret.is_none());
    for (vars, says) in [
        (
            vec![("DASHBOARD_OIDC_ISSUER", ISSUER)],
            "DASHBOARD_OIDC_ISSUER is set without DASHBOARD_OIDC_CLIENT_ID",
        ),
        (
            vec![("DASHBOARD_OIDC_CLIENT_ID", CLIENT)],
            "DASHBOARD_OIDC_CLIENT_ID is set without DASHBOARD_OIDC_ISSUER",
        ),
        (
            vec![("DASHBOARD_ADMIN_SUBS", "alice")],
            "DASHBOARD_ADMIN_SUBS is set but DASHBOARD_OIDC_ISSUER and DASHBOARD_OIDC_CLIENT_ID are not",
        ),
        (
            vec![
                ("DASHBOARD_OIDC_ISSUER", "http://op.example"),
                ("DASHBOARD_OIDC_CLIENT_ID", CLIENT),
            ],
            "DASHBOARD_OIDC_ISSUER: must be https (http only on a loopback host)",
        ),
        (
            vec![
                ("DASHBOARD_OIDC_ISSUER", "https://op.example/?tenant=1"),
                ("DASHBOARD_OIDC_CLIENT_ID", CLIENT),
            ],
            "DASHBOARD_OIDC_ISSUER: must have no query or fragment",
        ),
        (
            vec![
                ("DASHBOARD_OIDC_ISSUER", "https://user@op.example"),
                ("DASHBOARD_OIDC_CLIENT_ID", CLIENT),
            ],
            "DASHBOARD_OIDC_ISSUER: must have no user information",
        ),
        (
            vec![
                ("DASHBOARD_OIDC_ISSUER", ISSUER),
                ("DASHBOARD_OIDC_CLIENT_ID", "has space"),
            ],
            "DASHBOARD_OIDC_CLIENT_ID: at most 255 printable ASCII characters, no spaces",
        ),
        (
            vec![
                ("DASHBOARD_OIDC_ISSUER", ISSUER),
                ("DASHBOARD_OIDC_CLIENT_ID", CLIENT),
                ("DASHBOARD_ADMIN_CLAIM", "groups"),
            ],
            "DASHBOARD_ADMIN_CLAIM: claim=value, such as groups=registrar-admins",
        ),
        (
            vec![
                ("DASHBOARD_OIDC_ISSUER", ISSUER),
                ("DASHBOARD_OIDC_CLIENT_ID", CLIENT),
                ("DASHBOARD_SESSION_SECONDS", "60"),
            ],
            "DASHBOARD_SESSION_SECONDS: a whole number of seconds from 300 to 43200",
        ),
    ] {
        assert_eq!(settings_from(&vars).unwrap_err(), says, "{vars:?}");
    }
    let local = settings_from(&[
        ("DASHBOARD_OIDC_ISSUER", "http://127.0.0.1:9090"),
        ("DASHBOARD_OIDC_CLIENT_ID", CLIENT),
        ("DASHBOARD_OIDC_CLIENT_SECRET", "s3cret"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(local.client_secret.unwrap().expose(), "s3cret");
}

fn discovery() -> Value {
    json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://op.example/auth?tenant=a",
        "token_endpoint": "https://op.example/token",
        "jwks_uri": "https://keys.op.example/jwks",
        "response_types_supported": ["code", "id_token"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "ES256", "none"],
    })
}

#[test]
fn the_discovery_document_is_read_strictly() {
    assert_eq!(
        provider::discovery_url("https://op.example/realms/x/"),
        "https://op.example/realms/x/.well-known/openid-configuration"
    );
    let p = provider::parse(&discovery(), ISSUER).unwrap();
    assert_eq!(p.id_token_algs, ["RS256", "ES256"], "only verifiable algs");
    assert_eq!(p.jwks_uri, "https://keys.op.example/jwks");
    assert_eq!(p.end_session_endpoint, None, "optional");
    let mut no_algs = discovery();
    no_algs
        .as_object_mut()
        .unwrap()
        .remove("id_token_signing_alg_values_supported");
    assert_eq!(
        provider::parse(&no_algs, ISSUER).unwrap().id_token_algs,
        ["RS256"]
    );
    for (member, value, says) in [
        (
            "issuer",
            json!("https://op.example/"),
            "the discovery document's issuer is not DASHBOARD_OIDC_ISSUER",
        ),
        (
            "token_endpoint",
            json!("http://op.example/token"),
            "the discovery document's token_endpoint is not a usable https URL",
        ),
        (
            "jwks_uri",
            json!("https://a@op.example/jwks"),
            "the discovery document's jwks_uri is not a usable https URL",
        ),
        (
            "authorization_endpoint",
            Value::Null,
            "the discovery document has no authorization_endpoint",
        ),
        (
            "response_types_supported",
            json!(["id_token"]),
            "the provider does not offer the authorization code flow",
        ),
        (
            "code_challenge_methods_supported",
            json!(["plain"]),
            "the provider does not offer PKCE with S256",
        ),
        (
            "id_token_signing_alg_values_supported",
            json!(["HS256"]),
            "the provider signs ID tokens with no algorithm this server verifies",
        ),
        (
            "end_session_endpoint",
            json!("http://op.example/logout"),
            "the discovery document's end_session_endpoint is not a usable https URL",
        ),
    ] {
        let mut doc = discovery();
        doc[member] = value;
        assert_eq!(provider::parse(&doc, ISSUER).unwrap_err(), says, "{member}");
    }
    // A provider on loopback http (local development) may have http endpoints there only.
    let local = "http://127.0.0.1:9090";
    let mut doc = discovery();
    doc["issuer"] = json!(local);
    for m in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
        doc[m] = json!(format!("{local}/{m}"));
    }
    assert!(provider::parse(&doc, local).is_ok());
    doc["jwks_uri"] = json!("http://keys.example/jwks");
    assert!(provider::parse(&doc, local).is_err());
}

fn the_provider() -> Provider {
    provider::parse(&discovery(), ISSUER).unwrap()
}

fn pending() -> PendingSignIn {
    PendingSignIn {
        state: "st-123".into(),
        nonce: "n-456".into(),
        verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
        return_to: "/".into(),
        exp: NOW + 600,
    }
}

#[test]
fn the_authorization_request_carries_pkce_state_and_nonce() {
    // RFC 7636 Appendix B.
    assert_eq!(
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    let url = authorization_url(
        &settings(),
        &the_provider(),
        "https://reg.example/dashboard/callback",
        &pending(),
    );
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(parsed.path(), "/auth");
    let q: HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["tenant"], "a", "the provider's own query is kept");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT);
    assert_eq!(q["redirect_uri"], "https://reg.example/dashboard/callback");
    assert_eq!(q["scope"], "openid profile email");
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["nonce"], "n-456");
    assert_eq!(
        q["code_challenge"],
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(q["code_challenge_method"], "S256");
}

#[test]
fn only_a_path_of_this_origin_is_returned_to() {
    for (asked, got) in [
        (Some("/"), "/"),
        (Some("/#/clients?q=a"), "/#/clients?q=a"),
        (Some("//evil.example/"), "/"),
        (Some("https://evil.example/"), "/"),
        (Some("/\\evil.example"), "/"),
        (Some("/a\nb"), "/"),
        // The callback's Location: printable ASCII only (percent-encoded is fine).
        (Some("/\u{20ac}"), "/"),
        (Some("/\u{e9}"), "/"),
        (Some("/a b"), "/"),
        (Some("/a\u{7f}"), "/"),
        (Some("/%E2%82%AC#x"), "/%E2%82%AC#x"),
        (None, "/"),
    ] {
        assert_eq!(return_path(asked), got, "{asked:?}");
    }
    assert_eq!(return_path(Some(&format!("/{}", "a".repeat(600)))), "/");
}

#[test]
fn the_callback_must_carry_this_sign_ins_state() {
    let p = pending();
    assert_eq!(
        read_callback("code=abc&state=st-123", &p),
        Ok(Callback::Code("abc".into()))
    );
    assert_eq!(
        read_callback("error=access_denied&state=st-123&error_description=no", &p),
        Ok(Callback::Refused("access_denied".into()))
    );
    for (query, says) in [
        ("code=abc", "the provider's answer has no state"),
        (
            "code=abc&state=st-124",
            "the provider's answer is not for this sign-in (state)",
        ),
        (
            "code=abc&state=st-12",
            "the provider's answer is not for this sign-in (state)",
        ),
        (
            "code=abc&code=def&state=st-123",
            "the provider's answer repeats a parameter",
        ),
        (
            "state=st-123",
            "the provider's answer has neither a code nor an error",
        ),
        (
            "code=&state=st-123",
            "the provider's answer has neither a code nor an error",
        ),
    ] {
        assert_eq!(read_callback(query, &p), Err(says), "{query}");
    }
}

#[test]
fn the_token_request_authenticates_as_the_settings_say() {
    let (body, auth) = token_request(&settings(), "c 1", "https://r/cb", "v");
    assert_eq!(auth, None);
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "c 1");
    assert_eq!(form["code_verifier"], "v");
    assert_eq!(form["client_id"], CLIENT);
    let mut with_secret = settings();
    with_secret.client_id = "dash:board".into();
    with_secret.client_secret = Some(registrar::token::Secret::from_presented("p@ss word"));
    let (body, auth) = token_request(&with_secret, "c", "https://r/cb", "v");
    assert!(!body.contains("client_id"));
    // RFC 6749 §2.3.1: each part form-encoded, then Basic.
    let expected = base64::engine::general_purpose::STANDARD.encode("dash%3Aboard:p%40ss+word");
    assert_eq!(auth.unwrap(), format!("Basic {expected}"));
    for n in 0..5 {
        let s = "x".repeat(n);
        let mut ws = settings();
        ws.client_id = s.clone();
        ws.client_secret = Some(registrar::token::Secret::from_presented(""));
        let (_, auth) = token_request(&ws, "c", "r", "v");
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{s}:"));
        assert_eq!(
            auth.unwrap(),
            format!("Basic {expected}"),
            "padding for {n}"
        );
    }
}

#[test]
fn the_token_response_yields_the_id_token_or_says_why_not() {
    assert_eq!(
        id_token_of(200, br#"{"access_token":"a","id_token":"x.y.z"}"#),
        Ok("x.y.z".into())
    );
    assert_eq!(
        id_token_of(200, br#"{"access_token":"a"}"#).unwrap_err(),
        "the token response has no id_token"
    );
    assert_eq!(
        id_token_of(400, br#"{"error":"invalid_grant"}"#).unwrap_err(),
        "the token endpoint refused the code (400 invalid_grant)"
    );
    assert_eq!(
        id_token_of(502, b"<html>").unwrap_err(),
        "the token endpoint answered 502 without JSON"
    );
}

fn b64json(v: &Value) -> String {
    base64url::encode(v.to_string())
}

fn token(header: Value, claims: Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64json(&header),
        b64json(&claims),
        base64url::encode(signature)
    )
}

fn good_claims() -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT, "sub": "user-1", "nonce": "n-456",
        "exp": NOW + 300, "iat": NOW - 5, "name": "Ada Lovelace",
        "groups": ["staff", "registrar-admins"],
    })
}

#[test]
fn a_jws_is_parsed_strictly() {
    let ok = token(json!({"alg": "ES256", "kid": "k1"}), good_claims(), b"sig");
    let parsed = jws::parse(&ok).unwrap();
    assert_eq!(parsed.alg, "ES256");
    assert_eq!(parsed.kid.as_deref(), Some("k1"));
    assert_eq!(parsed.signature, b"sig");
    assert_eq!(
        parsed.signing_input,
        ok.rsplit_once('.').unwrap().0,
        "the signature covers header.payload as sent"
    );
    for (t, says) in [
        ("a.b".to_string(), "the ID token is not a compact JWS"),
        (format!("{ok}.x.y"), "the ID token is not a compact JWS"),
        (
            token(json!({"alg": "none"}), good_claims(), b""),
            "the ID token's alg is missing, unsigned, symmetric or unsupported",
        ),
        (
            token(json!({"alg": "HS256"}), good_claims(), b"s"),
            "the ID token's alg is missing, unsigned, symmetric or unsupported",
        ),
        (
            token(
                json!({"alg": "RS256", "crit": ["b64"]}),
                good_claims(),
                b"s",
            ),
            "the ID token's header has crit, which is not supported",
        ),
        (
            token(json!({"alg": "RS256", "kid": 7}), good_claims(), b"s"),
            "the ID token's kid is not a string",
        ),
        (
            format!(
                "{}.{}.c2ln",
                b64json(&json!(["alg"])),
                b64json(&good_claims())
            ),
            "the ID token's header is not a base64url JSON object",
        ),
        (
            format!("{}.bm90IGpzb24.c2ln", b64json(&json!({"alg": "RS256"}))),
            "the ID token's claims are not a base64url JSON object",
        ),
        (
            format!(
                "{}.{}.c2ln=",
                b64json(&json!({"alg": "RS256"})),
                b64json(&good_claims())
            ),
            "the ID token's signature is not base64url",
        ),
        ("a".repeat(16 * 1024 + 1), "the ID token is too large"),
    ] {
        assert_eq!(jws::parse(&t).unwrap_err(), says);
    }
}

fn jwks() -> Value {
    json!({"keys": [
        {"kty": "RSA", "kid": "r1", "use": "sig", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "r2", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "kid": "e1", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "EC", "kid": "e2", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "r3", "n": "AQAB", "e": "AQAB"},
    ]})
}

#[test]
fn the_one_fitting_key_is_selected() {
    let keys = jwks();
    let kid =
        |alg, kid| select_key(&keys, alg, kid).map(|k| k["kid"].as_str().unwrap().to_string());
    assert_eq!(kid("RS256", Some("r1")), Ok("r1".into()));
    assert_eq!(kid("ES256", None), Ok("e1".into()), "one P-256 key");
    assert_eq!(kid("ES384", None), Ok("e2".into()));
    assert_eq!(kid("PS256", Some("r2")), Ok("r2".into()));
    assert_eq!(
        kid("RS256", Some("r2")),
        Err("no key of the provider fits the ID token's alg and kid"),
        "r2 is for PS256 only"
    );
    assert_eq!(
        kid("RS256", Some("enc")),
        Err("no key of the provider fits the ID token's alg and kid"),
        "an encryption key never verifies"
    );
    assert_eq!(
        kid("ES256", Some("e2")),
        Err("no key of the provider fits the ID token's alg and kid"),
        "the curve must fit"
    );
    assert_eq!(
        kid("RS256", None),
        Err("several keys of the provider fit an ID token without kid"),
        "r1 and r3"
    );
    assert_eq!(
        select_key(&json!({}), "RS256", None).unwrap_err(),
        "the provider's JWK set has no keys array"
    );
}

/// Verifies when the signature is `good:<kid>` for the key it is handed, and records the call.
struct StandIn {
    calls: std::cell::RefCell<Vec<(String, String, Vec<u8>)>>,
    refuse_key: bool,
}

impl StandIn {
    fn new() -> Self {
        StandIn {
            calls: Default::default(),
            refuse_key: false,
        }
    }
}

impl Verifier for StandIn {
    async fn verify(
        &self,
        alg: &str,
        jwk: &Map<String, Value>,
        input: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        let kid = jwk["kid"].as_str().unwrap().to_string();
        self.calls
            .borrow_mut()
            .push((alg.into(), kid.clone(), input.to_vec()));
        if self.refuse_key {
            return Err("unsupported key".into());
        }
        Ok(signature == format!("good:{kid}").as_bytes())
    }
}

fn expected<'a>(algs: &'a [String]) -> Expected<'a> {
    Expected {
        issuer: ISSUER,
        client_id: CLIENT,
        nonce: "n-456",
        now: NOW,
        algs,
    }
}

#[test]
fn verification_hands_the_fitting_key_and_signed_bytes_and_obeys_the_answer() {
    let algs = vec!["RS256".to_string(), "ES256".to_string()];
    let v = StandIn::new();
    let t = token(json!({"alg": "ES256"}), good_claims(), b"good:e1");
    let who = block_on(id_token::verify(&t, &jwks(), &v, &expected(&algs))).unwrap();
    assert_eq!(who.sub, "user-1");
    assert_eq!(who.display_name.as_deref(), Some("Ada Lovelace"));
    let calls = v.calls.borrow();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "ES256");
    assert_eq!(calls[0].1, "e1");
    assert_eq!(calls[0].2, t.rsplit_once('.').unwrap().0.as_bytes());

    for (t, says) in [
        (
            token(json!({"alg": "ES256"}), good_claims(), b"good:r1"),
            "the ID token's signature does not verify",
        ),
        (
            token(
                json!({"alg": "PS256", "kid": "r2"}),
                good_claims(),
                b"good:r2",
            ),
            "the ID token's alg PS256 is not one the provider advertises",
        ),
        (
            token(json!({"alg": "RS256", "kid": "nope"}), good_claims(), b"x"),
            "no key of the provider fits the ID token's alg and kid",
        ),
    ] {
        let err = block_on(id_token::verify(
            &t,
            &jwks(),
            &StandIn::new(),
            &expected(&algs),
        ))
        .unwrap_err();
        assert_eq!(err, says);
    }
    // A bad signature is refused before the claims are looked at: an expired token with a bad
    // signature says "signature".
    let mut stale = good_claims();
    stale["exp"] = json!(NOW - 3600);
    let t = token(json!({"alg": "RS256", "kid": "r1"}), stale, b"bad");
    assert_eq!(
        block_on(id_token::verify(
            &t,
            &jwks(),
            &StandIn::new(),
            &expected(&algs)
        ))
        .unwrap_err(),
        "the ID token's signature does not verify"
    );
    let refusing = StandIn {
        refuse_key: true,
        ..StandIn::new()
    };
    let t = token(
        json!({"alg": "RS256", "kid": "r1"}),
        good_claims(),
        b"good:r1",
    );
    assert_eq!(
        block_on(id_token::verify(&t, &jwks(), &refusing, &expected(&algs))).unwrap_err(),
        "the provider's key cannot be used: unsupported key"
    );
}

fn claims_result(edit: impl FnOnce(&mut Map<String, Value>)) -> Result<Identity, String> {
    let mut c = good_claims();
    edit(c.as_object_mut().unwrap());
    let t = token(json!({"alg": "RS256"}), c, b"s");
    let algs = vec!["RS256".to_string()];
    check_claims(jws::parse(&t).unwrap(), &expected(&algs))
}

#[test]
fn the_claims_rules_of_oidc_core_3_1_3_7() {
    assert!(claims_result(|_| {}).is_ok());
    type Edit = Box<dyn FnOnce(&mut Map<String, Value>)>;
    let set = |k: &'static str, v: Value| -> Edit {
        Box::new(move |c| {
            c.insert(k.into(), v);
        })
    };
    let drop = |k: &'static str| -> Edit {
        Box::new(move |c| {
            c.remove(k);
        })
    };
    let cases: Vec<(Edit, &str)> = vec![
        (
            set("iss", json!("https://op.example/")),
            "the ID token's iss is not the configured issuer",
        ),
        (
            drop("iss"),
            "the ID token's iss is not the configured issuer",
        ),
        (
            set("aud", json!("other")),
            "the ID token's aud does not name this dashboard's client",
        ),
        (
            set("aud", json!([CLIENT, "other"])),
            "the ID token has several audiences and no azp",
        ),
        (
            set("azp", json!("other")),
            "the ID token's azp is another client",
        ),
        (set("exp", json!(NOW - 61)), "the ID token has expired"),
        (drop("exp"), "the ID token has no exp"),
        (set("exp", json!("soon")), "the ID token has no exp"),
        (
            set("iat", json!(NOW + 61)),
            "the ID token was issued in the future",
        ),
        (drop("iat"), "the ID token has no iat"),
        (set("nbf", json!(NOW + 61)), "the ID token is not valid yet"),
        (
            set("nonce", json!("n-457")),
            "the ID token's nonce is not this sign-in's",
        ),
        (drop("nonce"), "the ID token's nonce is not this sign-in's"),
        (
            drop("sub"),
            "the ID token's sub is missing or not 1 to 255 printable ASCII characters",
        ),
        (
            set("sub", json!("")),
            "the ID token's sub is missing or not 1 to 255 printable ASCII characters",
        ),
        (
            set("sub", json!("line\nbreak")),
            "the ID token's sub is missing or not 1 to 255 printable ASCII characters",
        ),
        (
            set("sub", json!("x".repeat(256))),
            "the ID token's sub is missing or not 1 to 255 printable ASCII characters",
        ),
    ];
    for (edit, says) in cases {
        assert_eq!(claims_result(edit).unwrap_err(), says);
    }
    // Within the leeway, and several audiences with azp.
    assert!(claims_result(|c| {
        c.insert("exp".into(), json!(NOW - 59));
        c.insert("iat".into(), json!(NOW + 59));
        c.insert("aud".into(), json!(["other", CLIENT]));
        c.insert("azp".into(), json!(CLIENT));
    })
    .is_ok());
    // The greeting: name, else preferred_username, else email; control characters removed.
    let named = |edit: Edit| claims_result(edit).unwrap().display_name;
    assert_eq!(named(drop("name")), None);
    assert_eq!(
        named(set("name", json!("Ada\u{202e}\n"))),
        Some("Ada\u{202e}".into())
    );
    assert_eq!(
        named(Box::new(|c| {
            c.remove("name");
            c.insert("email".into(), json!("ada@example.com"));
        })),
        Some("ada@example.com".into())
    );
}

fn key() -> HashKey {
    HashKey::new(&[9u8; 32]).unwrap()
}

fn session(admin: bool) -> Session {
    Session {
        iss: ISSUER.into(),
        sub: "user-1".into(),
        name: Some("Ada".into()),
        admin,
        csrf: "csrf-token-1".into(),
        exp: NOW + 3600,
    }
}

#[test]
fn a_sealed_value_opens_only_unchanged_unexpired_and_for_its_purpose() {
    let k = key();
    let s = session(false);
    let sealed = s.seal(&k);
    assert_eq!(
        Session::open(&k, &settings(), &sealed, NOW),
        Some(s.clone())
    );
    assert_eq!(
        Session::open(&k, &settings(), &sealed, NOW + 3600),
        None,
        "expired"
    );
    let other_key = HashKey::new(&[8u8; 32]).unwrap();
    assert_eq!(Session::open(&other_key, &settings(), &sealed, NOW), None);
    // The same bytes sealed for the sign-in cookie do not open as a session, nor the reverse.
    let as_signin = seal(&k, Purpose::SignInCookie, &s);
    assert_eq!(Session::open(&k, &settings(), &as_signin, NOW), None);
    assert_eq!(
        open::<PendingSignIn>(&k, Purpose::SignInCookie, &sealed, NOW),
        None
    );
    // Any change to the body (making oneself an admin) or to the MAC is refused.
    let (body, mac) = sealed.rsplit_once('.').unwrap();
    let mut forged: Value = serde_json::from_slice(&base64url::decode(body).unwrap()).unwrap();
    forged["admin"] = json!(true);
    let forged_body = b64json(&forged);
    assert_eq!(
        Session::open(&k, &settings(), &format!("{forged_body}.{mac}"), NOW),
        None
    );
    let mut bad_mac = mac.to_string();
    bad_mac.replace_range(0..1, if mac.starts_with('A') { "B" } else { "A" });
    assert_eq!(
        Session::open(&k, &settings(), &format!("{body}.{bad_mac}"), NOW),
        None
    );
    assert_eq!(Session::open(&k, &settings(), "garbage", NOW), None);
    assert_eq!(Session::open(&k, &settings(), &"a".repeat(4000), NOW), None);
    // A session of a provider the operator has since replaced is void.
    let mut replaced = settings();
    replaced.issuer = "https://new-op.example".into();
    assert_eq!(Session::open(&k, &replaced, &sealed, NOW), None);
    // The pending sign-in round-trips too.
    let p = pending();
    let sealed = seal(&k, Purpose::SignInCookie, &p);
    assert_eq!(
        open::<PendingSignIn>(&k, Purpose::SignInCookie, &sealed, NOW),
        Some(p)
    );
}

#[test]
fn csrf_tokens_and_admins() {
    let s = session(false);
    assert!(s.csrf_matches(Some("csrf-token-1")));
    for bad in [None, Some(""), Some("csrf-token-2"), Some("csrf-token-1 ")] {
        assert!(!s.csrf_matches(bad), "{bad:?}");
    }
    let who = |sub: &str, claims: Value| Identity {
        sub: sub.into(),
        display_name: None,
        claims: claims.as_object().unwrap().clone(),
    };
    let st = settings();
    assert!(is_admin(&st, &who("bob", json!({}))), "listed subject");
    assert!(is_admin(
        &st,
        &who("x", json!({"groups": ["a", "registrar-admins"]}))
    ));
    assert!(is_admin(
        &st,
        &who("x", json!({"groups": "registrar-admins"}))
    ));
    assert!(!is_admin(
        &st,
        &who("x", json!({"groups": ["registrar-admins-not"]}))
    ));
    assert!(!is_admin(
        &st,
        &who("x", json!({"group": ["registrar-admins"]}))
    ));
    assert!(
        !is_admin(&st, &who("Alice", json!({}))),
        "subjects are case-sensitive"
    );
    let s = Session::start(
        &st,
        who("x", json!({"groups": ["registrar-admins"]})),
        "c".into(),
        NOW,
    );
    assert!(s.admin);
    assert_eq!(s.exp, NOW + 3600);
    assert_eq!(s.iss, ISSUER);
}

#[test]
fn cookies_are_read_and_written_with_their_attributes() {
    let h = Some("a=1; __Secure-registrar-session=abc.def; b=2; __Secure-registrar-session=second");
    assert_eq!(cookie(h, "__Secure-registrar-session"), Some("abc.def"));
    assert_eq!(cookie(h, "b"), Some("2"));
    assert_eq!(cookie(h, "c"), None);
    assert_eq!(cookie(None, "a"), None);
    assert_eq!(
        set_cookie("n", "v", "/dashboard", 3600),
        "n=v; Path=/dashboard; Max-Age=3600; HttpOnly; Secure; SameSite=Lax"
    );
}

mod endpoints {
    use super::*;
    use registrar::config::Config;
    use registrar::http::signin::{answer_without_signin, handle};
    use registrar::http::ApiRequest;
    use registrar::http::Outcome;
    use registrar::ratelimit::NoLimits;
    use registrar::signin::provider::ProviderPort;
    use std::cell::{Cell, RefCell};

    const ORIGIN: &str = "https://reg.example";

    /// The provider as the endpoints see it: its documents, a token endpoint that signs what
    /// the test sets, and the stand-in verifier (`good:<kid>` verifies).
    struct Op {
        keys: RefCell<Value>,
        fresh_keys: Value,
        fresh_fetches: Cell<u32>,
        token_status: Cell<u16>,
        claims: RefCell<Value>,
        kid: RefCell<String>,
        posted: RefCell<Vec<(String, String, Option<String>)>>,
        /// The discovery document's `end_session_endpoint`, if any.
        end_session: RefCell<Option<&'static str>>,
        /// Whether the discovery document can be fetched.
        reachable: Cell<bool>,
        discovery_fetches: Cell<u32>,
    }

    impl Op {
        fn new() -> Self {
            Op {
                keys: RefCell::new(jwks()),
                fresh_keys: jwks(),
                fresh_fetches: Cell::new(0),
                token_status: Cell::new(200),
                claims: RefCell::new(good_claims()),
                kid: RefCell::new("e1".into()),
                posted: RefCell::new(Vec::new()),
                end_session: RefCell::new(None),
                reachable: Cell::new(true),
                discovery_fetches: Cell::new(0),
            }
        }
    }

    impl Verifier for Op {
        async fn verify(
            &self,
            alg: &str,
            jwk: &Map<String, Value>,
            input: &[u8],
            signature: &[u8],
        ) -> Result<bool, String> {
            StandIn::new().verify(alg, jwk, input, signature).await
        }
    }

    impl ProviderPort for Op {
        async fn document(&self, url: &str, fresh: bool) -> Result<Value, String> {
            match url {
                "https://op.example/.well-known/openid-configuration" => {
                    self.discovery_fetches.set(self.discovery_fetches.get() + 1);
                    if !self.reachable.get() {
                        return Err("unreachable".into());
                    }
                    let mut doc = discovery();
                    if let Some(e) = *self.end_session.borrow() {
                        doc["end_session_endpoint"] = json!(e);
                    }
                    Ok(doc)
                }
                "https://keys.op.example/jwks" if fresh => {
                    self.fresh_fetches.set(self.fresh_fetches.get() + 1);
                    Ok(self.fresh_keys.clone())
                }
                "https://keys.op.example/jwks" => Ok(self.keys.borrow().clone()),
                _ => Err(format!("no document at {url}")),
            }
        }
        async fn post_form(
            &self,
            url: &str,
            body: &str,
            authorization: Option<&str>,
        ) -> Result<(u16, Vec<u8>), String> {
            self.posted.borrow_mut().push((
                url.into(),
                body.into(),
                authorization.map(String::from),
            ));
            if self.token_status.get() != 200 {
                return Ok((
                    self.token_status.get(),
                    br#"{"error":"invalid_grant"}"#.to_vec(),
                ));
            }
            let kid = self.kid.borrow().clone();
            let t = token(
                json!({"alg": "ES256", "kid": kid}),
                self.claims.borrow().clone(),
                format!("good:{kid}").as_bytes(),
            );
            Ok((
                200,
                json!({"id_token": t, "access_token": "at"})
                    .to_string()
                    .into_bytes(),
            ))
        }
    }

    fn request<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        cookie: Option<&'a str>,
    ) -> ApiRequest<'a> {
        ApiRequest {
            origin: ORIGIN,
            query,
            cookie,
            ..common::json_request(method, path, None, b"")
        }
    }

    /// The configuration with the sign-in settings of [`settings`].
    fn cfg() -> Config {
        common::config_with(&[
            ("DASHBOARD_OIDC_ISSUER", ISSUER),
            ("DASHBOARD_OIDC_CLIENT_ID", CLIENT),
            ("DASHBOARD_ADMIN_CLAIM", "groups=registrar-admins"),
            ("DASHBOARD_ADMIN_SUBS", " alice , bob "),
        ])
    }

    fn run(req: &ApiRequest<'_>, config: &Config, op: &Op, now: i64) -> Outcome {
        block_on(handle(req, config, op, &NoLimits, now))
    }

    /// The provider's redirect back: `GET /dashboard/callback?<query>` with the sign-in cookie.
    fn callback(config: &Config, op: &Op, query: &str, pending: Option<&str>, now: i64) -> Outcome {
        run(
            &request("GET", "/dashboard/callback", query, pending),
            config,
            op,
            now,
        )
    }

    fn headers<'a>(o: &'a Outcome, name: &str) -> Vec<&'a str> {
        o.response
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `name=value` of the Set-Cookie that sets `name` (not the one that clears it).
    fn cookie_set(o: &Outcome, name: &str) -> Option<String> {
        headers(o, "Set-Cookie")
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
            .map(|c| c.split(';').next().unwrap().to_string())
    }

    /// Starts a sign-in (`query`: of `GET /dashboard/signin`): the authorization request's
    /// parameters and the sign-in cookie.
    fn start(op: &Op, config: &Config, query: &str) -> (HashMap<String, String>, String) {
        let start = run(
            &request("GET", "/dashboard/signin", query, None),
            config,
            op,
            NOW,
        );
        assert_eq!(start.response.status, 302);
        let location = url::Url::parse(headers(&start, "Location")[0]).unwrap();
        let params = location.query_pairs().into_owned().collect();
        (
            params,
            cookie_set(&start, "__Secure-registrar-signin").unwrap(),
        )
    }

    /// Signs in through the endpoints; returns the callback's outcome and the session cookie.
    fn sign_in(op: &Op, return_to: &str) -> (Outcome, Option<String>) {
        let st = cfg();
        let (params, pending) = start(op, &st, &format!("return_to={return_to}"));
        op.claims.borrow_mut()["nonce"] = json!(params["nonce"]);
        let query = format!("code=the-code&state={}", params["state"]);
        let done = callback(&st, op, &query, Some(&pending), NOW + 30);
        let session = cookie_set(&done, "__Secure-registrar-session");
        (done, session)
    }

    #[test]
    fn without_settings_only_the_session_endpoint_answers() {
        let op = Op::new();
        let s = run(
            &request("GET", "/dashboard/session", "", None),
            &common::config_with(&[]),
            &op,
            NOW,
        );
        assert_eq!(s.response.status, 200);
        assert_eq!(s.response.body, Some(json!({"sign_in": false})));
        let r = run(
            &request("GET", "/dashboard/signin", "", None),
            &common::config_with(&[]),
            &op,
            NOW,
        );
        assert_eq!(r.response.status, 404);
        let r = run(
            &request("POST", "/dashboard/session", "", None),
            &common::config_with(&[]),
            &op,
            NOW,
        );
        assert_eq!(r.response.status, 405);
        assert_eq!(headers(&r, "Allow"), ["GET"]);
    }

    #[test]
    fn a_sign_in_sets_the_session_and_returns_to_the_page() {
        let op = Op::new();
        let st = cfg();
        let start = run(
            &request("GET", "/dashboard/signin", "return_to=%2F%23admin", None),
            &st,
            &op,
            NOW,
        );
        let set = headers(&start, "Set-Cookie");
        assert_eq!(set.len(), 1);
        assert!(
            set[0].ends_with(
                "; Path=/dashboard/callback; Max-Age=600; HttpOnly; Secure; SameSite=Lax"
            ),
            "{}",
            set[0]
        );
        assert_eq!(headers(&start, "Cache-Control"), ["no-store"]);
        let location = headers(&start, "Location")[0];
        assert!(location.starts_with("https://op.example/auth?tenant=a&response_type=code&"));
        assert!(location.contains("redirect_uri=https%3A%2F%2Freg.example%2Fdashboard%2Fcallback"));

        let (done, session) = sign_in(&op, "%2F%23admin");
        assert_eq!(done.response.status, 302, "{:?}", done.internal_error);
        assert_eq!(headers(&done, "Location"), ["/#admin"]);
        let set = headers(&done, "Set-Cookie");
        assert!(set
            .iter()
            .any(|c| c.starts_with("__Secure-registrar-session=")
                && c.ends_with("; Path=/dashboard; Max-Age=3600; HttpOnly; Secure; SameSite=Lax")));
        assert!(set.contains(&"__Secure-registrar-signin=; Path=/dashboard/callback; Max-Age=0; HttpOnly; Secure; SameSite=Lax"));
        // The code was redeemed at the token endpoint with the PKCE verifier, as a public client.
        let posted = op.posted.borrow();
        assert_eq!(posted.len(), 1);
        assert_eq!(posted[0].0, "https://op.example/token");
        let form: HashMap<String, String> = url::form_urlencoded::parse(posted[0].1.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(form["code"], "the-code");
        assert_eq!(
            form["redirect_uri"],
            "https://reg.example/dashboard/callback"
        );
        assert_eq!(form["code_verifier"].len(), 43);
        assert_eq!(form["client_id"], CLIENT);

        let session = session.unwrap();
        let s = run(
            &request("GET", "/dashboard/session", "", Some(&session)),
            &st,
            &op,
            NOW + 60,
        );
        let body = s.response.body.clone().unwrap();
        assert_eq!(body["signed_in"], json!(true));
        assert_eq!(body["name"], json!("Ada Lovelace"));
        assert_eq!(body["admin"], json!(true), "groups holds registrar-admins");
        assert_eq!(body["expires_at"], json!(NOW + 30 + 3600));
        assert_eq!(body["csrf"].as_str().unwrap().len(), 22);
        assert_eq!(headers(&s, "Cache-Control"), ["no-store"]);
        // A person without a name, preferred_username or email: no `null` in the answer.
        let nameless = Op::new();
        for claim in ["name", "email"] {
            nameless
                .claims
                .borrow_mut()
                .as_object_mut()
                .unwrap()
                .remove(claim);
        }
        let (_, cookie) = sign_in(&nameless, "/");
        let s = run(
            &request("GET", "/dashboard/session", "", cookie.as_deref()),
            &st,
            &nameless,
            NOW + 60,
        );
        let body = s.response.body.unwrap();
        assert_eq!(body["signed_in"], json!(true));
        assert!(body.get("name").is_none(), "{body}");
        // After it expires the session is gone.
        let later = run(
            &request("GET", "/dashboard/session", "", Some(&session)),
            &st,
            &op,
            NOW + 30 + 3600,
        );
        assert_eq!(later.response.body.unwrap()["signed_in"], json!(false));
    }

    #[test]
    fn a_rotated_key_is_fetched_once_afresh() {
        let op = Op::new();
        op.keys.replace(json!({"keys": []}));
        let (done, session) = sign_in(&op, "/");
        assert_eq!(done.response.status, 302);
        assert!(session.is_some(), "{:?}", done.internal_error);
        assert_eq!(op.fresh_fetches.get(), 1);
    }

    #[test]
    fn every_failure_goes_back_with_a_reason_and_no_session() {
        type Setup = Box<dyn Fn(&Op)>;
        let cases: Vec<(Setup, &str, &str)> = vec![
            (
                Box::new(|op: &Op| op.token_status.set(400)),
                "token",
                "the token endpoint refused the code (400 invalid_grant)",
            ),
            (
                Box::new(|op: &Op| {
                    op.claims.borrow_mut()["aud"] = json!("another");
                }),
                "id_token",
                "aud does not name",
            ),
            (
                Box::new(|op: &Op| {
                    op.claims.borrow_mut()["iss"] = json!("https://evil.example");
                }),
                "id_token",
                "iss is not the configured issuer",
            ),
            (
                Box::new(|op: &Op| {
                    op.claims.borrow_mut()["exp"] = json!(NOW - 100);
                }),
                "id_token",
                "has expired",
            ),
            (
                Box::new(|op: &Op| {
                    op.kid.replace("e2".into());
                }),
                "id_token",
                "no key of the provider fits",
            ),
        ];
        for (setup, reason, cause) in cases {
            let op = Op::new();
            setup(&op);
            let st = cfg();
            let (params, pending) = start(&op, &st, "");
            if op.claims.borrow()["nonce"] == json!("n-456") {
                op.claims.borrow_mut()["nonce"] = json!(params["nonce"]);
            }
            let q = format!("code=c&state={}", params["state"]);
            let done = callback(&st, &op, &q, Some(&pending), NOW);
            assert_eq!(done.response.status, 302);
            assert_eq!(
                headers(&done, "Location"),
                [format!("/?signin_error={reason}").as_str()]
            );
            assert!(cookie_set(&done, "__Secure-registrar-session").is_none());
            assert!(
                done.internal_error.as_deref().unwrap().contains(cause),
                "{:?}",
                done.internal_error
            );
        }
        // A nonce of an earlier sign-in (a replayed ID token) is refused.
        let op = Op::new();
        let st = cfg();
        let (old, _) = start(&op, &st, "");
        op.claims.borrow_mut()["nonce"] = json!(old["nonce"]);
        let (params, pending) = start(&op, &st, "");
        let q = format!("code=c&state={}", params["state"]);
        let done = callback(&st, &op, &q, Some(&pending), NOW);
        assert_eq!(headers(&done, "Location"), ["/?signin_error=id_token"]);
        assert!(done.internal_error.unwrap().contains("nonce"));
        // No pending cookie, another sign-in's state, the person declining.
        let q = format!("code=c&state={}", params["state"]);
        let none = callback(&st, &op, &q, None, NOW);
        assert_eq!(headers(&none, "Location"), ["/?signin_error=expired"]);
        let late = callback(&st, &op, &q, Some(&pending), NOW + 601);
        assert_eq!(headers(&late, "Location"), ["/?signin_error=expired"]);
        let wrong = callback(&st, &op, "code=c&state=other", Some(&pending), NOW);
        assert_eq!(headers(&wrong, "Location"), ["/?signin_error=state"]);
        let q = format!("error=access_denied&state={}", params["state"]);
        let declined = callback(&st, &op, &q, Some(&pending), NOW);
        assert_eq!(headers(&declined, "Location"), ["/?signin_error=declined"]);
    }

    /// A session cookie of a person signed in at `op`, and its CSRF token as the dashboard
    /// reads it a minute later.
    fn signed_in(op: &Op, st: &Config) -> (String, String) {
        let (_, session) = sign_in(op, "/");
        let session = session.unwrap();
        let info = run(
            &request("GET", "/dashboard/session", "", Some(&session)),
            st,
            op,
            NOW + 60,
        );
        let csrf = info.response.body.unwrap()["csrf"]
            .as_str()
            .unwrap()
            .to_string();
        (session, csrf)
    }

    #[test]
    fn sign_out_needs_this_origin_and_the_sessions_csrf_token() {
        let op = Op::new();
        let st = cfg();
        let (session, csrf) = signed_in(&op, &st);
        let out = |origin: Option<&str>, token: Option<&str>| {
            let mut r = request("POST", "/dashboard/signout", "", Some(&session));
            r.request_origin = origin;
            r.csrf = token;
            run(&r, &st, &op, NOW + 60)
        };
        assert_eq!(out(None, Some(&csrf)).response.status, 403);
        assert_eq!(
            out(Some("https://evil.example"), Some(&csrf))
                .response
                .status,
            403
        );
        assert_eq!(out(Some(ORIGIN), None).response.status, 403);
        assert_eq!(out(Some(ORIGIN), Some("guess")).response.status, 403);
        let ok = out(Some(ORIGIN), Some(&csrf));
        assert_eq!(ok.response.status, 204);
        assert_eq!(
            headers(&ok, "Set-Cookie"),
            ["__Secure-registrar-session=; Path=/dashboard; Max-Age=0; HttpOnly; Secure; SameSite=Lax"]
        );
    }

    #[test]
    fn sign_out_sends_a_signed_in_person_to_the_providers_logout_when_it_has_one() {
        let op = Op::new();
        let st = cfg();
        let (session, csrf) = signed_in(&op, &st);
        let out = |cookie: Option<&str>| {
            let mut r = request("POST", "/dashboard/signout", "", cookie);
            r.request_origin = Some(ORIGIN);
            r.csrf = Some(&csrf);
            run(&r, &st, &op, NOW + 60)
        };
        // A provider without an end_session_endpoint: signed out here only.
        assert_eq!(out(Some(&session)).response.status, 204);

        *op.end_session.borrow_mut() = Some("https://op.example/logout?tenant=a");
        let ok = out(Some(&session));
        assert_eq!(ok.response.status, 200);
        assert_eq!(headers(&ok, "Cache-Control"), ["no-store"]);
        assert_eq!(
            headers(&ok, "Set-Cookie"),
            ["__Secure-registrar-session=; Path=/dashboard; Max-Age=0; HttpOnly; Secure; SameSite=Lax"]
        );
        let body = ok.response.body.unwrap();
        let url = url::Url::parse(body["end_session_url"].as_str().unwrap()).unwrap();
        assert_eq!(
            (url.scheme(), url.host_str(), url.path()),
            ("https", Some("op.example"), "/logout")
        );
        let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            params,
            [
                ("tenant".to_string(), "a".to_string()),
                ("client_id".into(), CLIENT.into()),
                ("post_logout_redirect_uri".into(), format!("{ORIGIN}/")),
            ]
        );
        assert_eq!(ok.internal_error, None);

        // Without a session nobody is sent to the provider, and it is not asked.
        let fetched = op.discovery_fetches.get();
        assert_eq!(out(None).response.status, 204);
        assert_eq!(
            out(Some("__Secure-registrar-session=forged.x"))
                .response
                .status,
            204
        );
        assert_eq!(op.discovery_fetches.get(), fetched);

        // A provider that cannot be reached: signed out here all the same.
        op.reachable.set(false);
        let local = out(Some(&session));
        assert_eq!(local.response.status, 204);
        assert_eq!(
            headers(&local, "Set-Cookie"),
            ["__Secure-registrar-session=; Path=/dashboard; Max-Age=0; HttpOnly; Secure; SameSite=Lax"]
        );
    }

    /// Allows one request per bucket and key.
    struct Once(std::cell::RefCell<Vec<String>>);

    impl registrar::ratelimit::RateLimiter for Once {
        async fn allow(&self, bucket: registrar::ratelimit::LimitBucket, key: &str) -> bool {
            let k = format!("{bucket:?}/{key}");
            let mut seen = self.0.borrow_mut();
            let first = !seen.contains(&k);
            seen.push(k);
            first
        }
    }

    /// The headers every API answer carries, and the error form of the rest of the API: the
    /// sign-in endpoints are documented with the same components (static/openapi.json).
    fn assert_api_answer(o: &Outcome) {
        for (name, value) in [
            ("Cache-Control", "no-store"),
            ("Pragma", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            (
                "Content-Security-Policy",
                "default-src 'none'; frame-ancestors 'none'",
            ),
            // The requests here arrive at an https origin.
            ("Strict-Transport-Security", "max-age=31536000"),
        ] {
            assert_eq!(headers(o, name), [value], "{name} of {}", o.route);
        }
        let status = o.response.status;
        if status >= 400 {
            let body = o.response.body.as_ref().expect("an error body");
            let members: Vec<&String> = body.as_object().unwrap().keys().collect();
            assert_eq!(members, ["error", "error_description"], "{body}");
            let description = body["error_description"].as_str().unwrap();
            assert!(!description.is_empty());
        }
    }

    #[test]
    fn every_answer_has_the_api_headers_and_errors_their_one_form() {
        let op = Op::new();
        let none = common::config_with(&[]);
        let wrong = run(
            &request("POST", "/dashboard/session", "", None),
            &none,
            &op,
            NOW,
        );
        assert_eq!(wrong.response.status, 405);
        assert_eq!(
            wrong.response.body.as_ref().unwrap()["error"],
            "invalid_request"
        );
        assert_api_answer(&wrong);
        let off = run(
            &request("GET", "/dashboard/signin", "", None),
            &none,
            &op,
            NOW,
        );
        assert_eq!(off.response.status, 404);
        assert_eq!(off.response.body.as_ref().unwrap()["error"], "not_found");
        assert_api_answer(&off);
        assert_api_answer(&run(
            &request("GET", "/dashboard/session", "", None),
            &none,
            &op,
            NOW,
        ));
        // A build without the feature answers the same way.
        for (method, path) in [
            ("GET", "/dashboard/session"),
            ("GET", "/dashboard/signin"),
            ("GET", "/dashboard/signout"),
        ] {
            assert_api_answer(&answer_without_signin(method, path, &none, ORIGIN));
        }

        let st = cfg();
        let (_, pending) = start(&op, &st, "");
        for (method, path, query, cookie) in [
            ("GET", "/dashboard/signin", "", None),
            (
                "GET",
                "/dashboard/callback",
                "code=c&state=s",
                Some(pending.as_str()),
            ),
            ("GET", "/dashboard/callback", "", None),
            ("GET", "/dashboard/session", "", None),
            ("POST", "/dashboard/signout", "", None),
            ("DELETE", "/dashboard/signout", "", None),
        ] {
            assert_api_answer(&run(&request(method, path, query, cookie), &st, &op, NOW));
        }
        // 429: as every other 429 of the API, not cached and with Retry-After.
        let limits = Once(Default::default());
        let req = request("GET", "/dashboard/signin", "", None);
        block_on(handle(&req, &st, &op, &limits, NOW));
        let limited = block_on(handle(&req, &st, &op, &limits, NOW));
        assert_eq!(limited.response.status, 429);
        assert_eq!(
            limited.response.body.as_ref().unwrap()["error"],
            "too_many_requests"
        );
        assert_api_answer(&limited);
    }

    #[test]
    fn calls_that_reach_the_provider_are_rate_limited_per_network() {
        let op = Op::new();
        let config = cfg();
        let limits = Once(Default::default());
        let mut req = request("GET", "/dashboard/signin", "", None);
        req.client_ip = Some("198.51.100.7");
        let first = block_on(handle(&req, &config, &op, &limits, NOW));
        assert_eq!(first.response.status, 302);
        let second = block_on(handle(&req, &config, &op, &limits, NOW));
        assert_eq!(second.response.status, 429);
        assert!(second.response.header("Retry-After").is_some());
        // The session endpoint calls nobody and is not limited.
        let mut s = request("GET", "/dashboard/session", "", None);
        s.client_ip = Some("198.51.100.7");
        for _ in 0..3 {
            assert_eq!(
                block_on(handle(&s, &config, &op, &limits, NOW))
                    .response
                    .status,
                200
            );
        }
    }
}
