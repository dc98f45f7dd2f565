//! A sequence of up to 8 HTTP requests through `registrar::http::handle` over one `MemoryStore`,
//! built by `arbitrary`: method, path, query, content type, authorization and body. Paths and
//! tokens may refer to what earlier responses returned (client ids, registration access tokens,
//! initial access tokens), so register → read → update → delete and the admin routes are reached.
//!
//! Checked for every response: no panic, status below 500 (and no internal error), errors are
//! exactly `{error, error_description}` with a documented code for their status, 401s carry
//! `WWW-Authenticate`, no `null` in a body. Two oracles: a GET of
//! a live client with its current token is 200, and the round trip (its registration minus the
//! server-only members, PUT back unchanged) is 200 (403 while suspended).
#![no_main]

#[path = "../../tests/common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use common::{block_on, config_with, ADMIN_TOKEN, ALL_GRANTS, ISSUER, POLICY};
use libfuzzer_sys::fuzz_target;
use registrar::config::Config;
use registrar::http::{handle, ApiRequest, NoLimits};
use registrar::service::SERVER_ONLY_MEMBERS;
use registrar::store::memory::MemoryStore;
use serde_json::{json, Map, Number, Value};
use std::sync::LazyLock;

const T0: i64 = 1_700_000_000;
const MAX_STEPS: usize = 8;

static CONFIGS: LazyLock<Vec<Config>> = LazyLock::new(|| {
    let admin = ("ADMIN_TOKEN", ADMIN_TOKEN);
    vec![
        config_with(&[]),
        config_with(&[
            admin,
            ("GRANT_TYPES_SUPPORTED", ALL_GRANTS),
            ("REGISTRATION_POLICY", POLICY),
        ]),
        config_with(&[
            admin,
            ("REGISTRATION_MODE", "token"),
            ("REGISTRATION_POLICY", POLICY),
        ]),
        config_with(&[admin, ("REGISTRATION_MODE", "disabled")]),
        config_with(&[
            admin,
            ("GRANT_TYPES_SUPPORTED", ALL_GRANTS),
            ("ROTATE_REGISTRATION_ACCESS_TOKEN", "false"),
        ]),
    ]
});

/// Member names Registrar reads, near misses, JWK members and admin request members.
static KNOWN_KEYS: LazyLock<Vec<&str>> = LazyLock::new(|| {
    let extra = [
        "client_name#fr",
        "client_name#FR",
        "logo_uri#de",
        "tos_uri#x-private",
        "client_uri#es-419",
        "policy_uri#",
        "client_id",
        "client_secret",
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
        "keys",
        "kty",
        "crv",
        "x",
        "y",
        "n",
        "e",
        "d",
        "k",
        "kid",
        "use",
        "alg",
        "label",
        "expires_in",
        "max_uses",
        "profile",
    ];
    common::METADATA_MEMBERS
        .iter()
        .copied()
        .chain(extra)
        .collect()
});

const STRINGS: &[&str] = &[
    "",
    "https://client.example/cb",
    "https://a.example/cb",
    "https://client.example/cb#f",
    "http://127.0.0.1:8080/cb",
    "http://[::1]/cb",
    "http://localhost",
    "https://localhost/cb",
    "http://127.1/cb",
    "https:client.example",
    "http://u@client.example/",
    "https://@client.example/cb",
    "https://accounts.example@evil.example/",
    "https://169.254.169.254/jwks.json",
    "https://10.0.0.1/r",
    "https://[::ffff:127.0.0.1]/",
    "https://intranet/login",
    "App\u{202E}gpj.exe",
    "Name\u{200B}",
    "sig",
    "enc",
    "EdDSA",
    "Ed25519",
    "_w",
    "com.example.app:/cb",
    "javascript:alert(1)",
    "urn:ietf:wg:oauth:2.0:oob",
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "code",
    "token",
    "id_token",
    "code id_token",
    "id_token token",
    "none",
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "client_secret_jwt",
    "web",
    "native",
    "public",
    "pairwise",
    "RS256",
    "ES256",
    "none",
    "RSA-OAEP",
    "ECDH-ES",
    "A128GCM",
    "openid",
    "openid profile",
    "offline_access",
    "openid offline_access",
    "phone",
    "email",
    "EC",
    "RSA",
    "OKP",
    "oct",
    "P-256",
    "AQAB",
    "partner",
    "default",
    "fr",
];

/// Complete, valid registrations to start from (mutated by overrides).
fn template(i: u8) -> Map<String, Value> {
    let v = match i % 6 {
        0 => json!({"redirect_uris": ["https://client.example/cb"], "client_name": "web"}),
        1 => json!({"redirect_uris": ["com.example.app:/cb", "http://127.0.0.1/cb"],
                    "token_endpoint_auth_method": "none",
                    "grant_types": ["authorization_code", "refresh_token"]}),
        2 => {
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_post",
                    "scope": "openid profile"})
        }
        3 => {
            json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
                    "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1",
                                       "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                                       "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]},
                    "id_token_encrypted_response_alg": "ECDH-ES", "subject_type": "pairwise"})
        }
        4 if i % 12 == 10 => {
            json!({"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
                    "jwks": {"keys": [common::jwk(common::RSA_2048_JWK, json!({"kid": "r", "alg": "PS256"})),
                                      common::jwk(common::ED25519_JWK, json!({"kid": "e", "use": "sig"}))]}})
        }
        4 => json!({"redirect_uris": ["https://client.example/cb"],
                    "grant_types": ["authorization_code", "implicit"],
                    "response_types": ["code id_token", "code"]}),
        _ => json!({"redirect_uris": ["https://a.example/cb"], "client_name": "x",
                    "client_name#fr": "y", "logo_uri": "https://a.example/l.png",
                    "scope": "openid offline_access", "contacts": ["a@a.example"],
                    "post_logout_redirect_uris": ["https://a.example/bye"],
                    "request_uris": ["https://a.example/r#h"], "default_max_age": 60}),
    };
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

#[derive(Arbitrary, Debug)]
enum S {
    Known(u8),
    Raw(String),
}

impl S {
    fn get(&self) -> String {
        match self {
            S::Known(i) => STRINGS[*i as usize % STRINGS.len()].to_string(),
            S::Raw(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8),
    Raw(String),
}

impl Key {
    fn get(&self) -> String {
        match self {
            Key::Known(i) => KNOWN_KEYS[*i as usize % KNOWN_KEYS.len()].to_string(),
            Key::Raw(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum J {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(S),
    Arr(Vec<J>),
    Obj(Vec<(Key, J)>),
}

impl J {
    fn get(&self) -> Value {
        match self {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Int(i) => (*i).into(),
            J::UInt(u) => (*u).into(),
            J::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            J::Str(s) => s.get().into(),
            J::Arr(items) => items.iter().map(J::get).collect(),
            J::Obj(members) => members.iter().map(|(k, v)| (k.get(), v.get())).collect(),
        }
    }
}

fn apply(mut m: Map<String, Value>, overrides: &[(Key, J)]) -> Map<String, Value> {
    for (k, v) in overrides {
        m.insert(k.get(), v.get());
    }
    m
}

#[derive(Arbitrary, Debug)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
    Options,
    Head,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum AdminAction {
    None,
    Suspend,
    Reactivate,
    ClientSecret,
    RegistrationAccessToken,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum PathSel {
    Register,
    Client(u8),
    ClientRaw(String),
    Discovery(bool),
    AdminClients,
    AdminClient(u8, AdminAction),
    AdminIats,
    AdminIat(u8),
    AdminAudit,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Auth {
    None,
    Client(u8),
    ClientScheme(u8, String),
    Admin,
    Iat(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum ContentType {
    None,
    Json,
    JsonCharset,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Query {
    Empty,
    Limit(i64),
    Cursor(String),
    Filter(Key, S),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(Vec<u8>),
    Json(J),
    Template(u8, Vec<(Key, J)>),
    /// The live client's registration minus the server-only members, with overrides.
    Update(u8, Vec<(Key, J)>),
    Mint {
        label: Option<J>,
        expires_in: Option<i64>,
        max_uses: Option<i64>,
        profile: Option<J>,
    },
}

#[derive(Arbitrary, Debug)]
struct Step {
    method: Method,
    path: PathSel,
    query: Query,
    content_type: ContentType,
    authorization: Auth,
    origin_header: Option<String>,
    client_ip: Option<String>,
    body: Body,
}

#[derive(Arbitrary, Debug)]
struct Input {
    config: u8,
    steps: Vec<Step>,
}

struct Client {
    id: String,
    token: String,
    registration: Map<String, Value>,
    suspended: bool,
}

#[derive(Default)]
struct Live {
    clients: Vec<Client>,
    iats: Vec<(String, String)>,
}

const NO_CLIENT: &str = "aaaaaaaaaaaaaaaaaaaaaa";

impl Live {
    fn client(&self, i: u8) -> Option<&Client> {
        (!self.clients.is_empty()).then(|| &self.clients[i as usize % self.clients.len()])
    }
    fn client_id(&self, i: u8) -> String {
        self.client(i)
            .map_or(NO_CLIENT.to_string(), |c| c.id.clone())
    }
    fn iat(&self, i: u8) -> Option<&(String, String)> {
        (!self.iats.is_empty()).then(|| &self.iats[i as usize % self.iats.len()])
    }
}

fn run(input: &Input) {
    let config = &CONFIGS[input.config as usize % CONFIGS.len()];
    let store = MemoryStore::new();
    let mut live = Live::default();
    for (n, step) in input.steps.iter().take(MAX_STEPS).enumerate() {
        let method = match &step.method {
            Method::Get => "GET".to_string(),
            Method::Post => "POST".to_string(),
            Method::Put => "PUT".to_string(),
            Method::Delete => "DELETE".to_string(),
            Method::Options => "OPTIONS".to_string(),
            Method::Head => "HEAD".to_string(),
            Method::Other(m) => m.clone(),
        };
        let path = match &step.path {
            PathSel::Register => "/register".to_string(),
            PathSel::Client(i) => format!("/register/{}", live.client_id(*i)),
            PathSel::ClientRaw(s) => format!("/register/{s}"),
            PathSel::Discovery(true) => "/.well-known/openid-configuration".to_string(),
            PathSel::Discovery(false) => "/.well-known/oauth-authorization-server".to_string(),
            PathSel::AdminClients => "/admin/clients".to_string(),
            PathSel::AdminClient(i, action) => {
                let id = live.client_id(*i);
                match action {
                    AdminAction::None => format!("/admin/clients/{id}"),
                    AdminAction::Suspend => format!("/admin/clients/{id}/suspend"),
                    AdminAction::Reactivate => format!("/admin/clients/{id}/reactivate"),
                    AdminAction::ClientSecret => format!("/admin/clients/{id}/client-secret"),
                    AdminAction::RegistrationAccessToken => {
                        format!("/admin/clients/{id}/registration-access-token")
                    }
                    AdminAction::Other(s) => format!("/admin/clients/{id}/{s}"),
                }
            }
            PathSel::AdminIats => "/admin/initial-access-tokens".to_string(),
            PathSel::AdminIat(i) => format!(
                "/admin/initial-access-tokens/{}",
                live.iat(*i).map_or("none", |t| t.0.as_str())
            ),
            PathSel::AdminAudit => "/admin/audit".to_string(),
            PathSel::Raw(s) => s.clone(),
        };
        let query = match &step.query {
            Query::Empty => String::new(),
            Query::Limit(l) => format!("limit={l}"),
            Query::Cursor(c) => format!("cursor={c}"),
            Query::Filter(k, v) => format!("{}={}", k.get(), v.get()),
            Query::Raw(s) => s.clone(),
        };
        let content_type = match &step.content_type {
            ContentType::None => None,
            ContentType::Json => Some("application/json".to_string()),
            ContentType::JsonCharset => Some("application/json; charset=utf-8".to_string()),
            ContentType::Raw(s) => Some(s.clone()),
        };
        let authorization = match &step.authorization {
            Auth::None => None,
            Auth::Client(i) => live.client(*i).map(|c| format!("Bearer {}", c.token)),
            Auth::ClientScheme(i, scheme) => {
                live.client(*i).map(|c| format!("{scheme} {}", c.token))
            }
            Auth::Admin => Some(format!("Bearer {ADMIN_TOKEN}")),
            Auth::Iat(i) => live.iat(*i).map(|t| format!("Bearer {}", t.1)),
            Auth::Raw(s) => Some(s.clone()),
        };
        let body: Vec<u8> = match &step.body {
            Body::Raw(b) => b.clone(),
            Body::Json(j) => serde_json::to_vec(&j.get()).unwrap(),
            Body::Template(i, o) => serde_json::to_vec(&apply(template(*i), o)).unwrap(),
            Body::Update(i, o) => {
                let mut m = live
                    .client(*i)
                    .map(|c| c.registration.clone())
                    .unwrap_or_default();
                for k in SERVER_ONLY_MEMBERS {
                    m.remove(*k);
                }
                serde_json::to_vec(&apply(m, o)).unwrap()
            }
            Body::Mint {
                label,
                expires_in,
                max_uses,
                profile,
            } => {
                let mut m = Map::new();
                m.insert("label".into(), label.as_ref().map_or("fuzz".into(), J::get));
                if let Some(e) = expires_in {
                    m.insert("expires_in".into(), (*e).into());
                }
                if let Some(u) = max_uses {
                    m.insert("max_uses".into(), (*u).into());
                }
                if let Some(p) = profile {
                    m.insert("profile".into(), p.get());
                }
                serde_json::to_vec(&m).unwrap()
            }
        };
        let req = ApiRequest {
            method: &method,
            path: &path,
            origin: ISSUER,
            query: &query,
            request_origin: step.origin_header.as_deref(),
            client_ip: step.client_ip.as_deref(),
            request_id: None,
            content_type: content_type.as_deref(),
            authorization: authorization.as_deref(),
            body: &body,
            cookie: None,
            csrf: None,
        };
        let outcome = block_on(handle(&req, config, &store, &NoLimits, T0 + n as i64));
        let resp = &outcome.response;
        let shown = || {
            format!(
                "step {n}: {method} {path:?} ?{query:?} ct={content_type:?} auth={authorization:?} body={}",
                String::from_utf8_lossy(&body)
            )
        };

        assert!(
            resp.status < 500 && outcome.internal_error.is_none(),
            "{}: {} {:?} {:?}",
            shown(),
            resp.status,
            resp.body,
            outcome.internal_error
        );
        if let Some(b) = &resp.body {
            let nulls = common::null_paths(b);
            assert!(nulls.is_empty(), "{}: null at {nulls:?} in {b}", shown());
        }
        if method == "HEAD" {
            assert!(resp.body.is_none(), "{}", shown());
        }
        if resp.status >= 400 {
            if method != "HEAD" {
                let obj = resp
                    .body
                    .as_ref()
                    .and_then(Value::as_object)
                    .unwrap_or_else(|| panic!("{}: error without an object body", shown()));
                let code = obj.get("error").and_then(Value::as_str).unwrap_or("");
                // RFC 7591's two members, and for a metadata error the member at fault: the
                // text its description starts with.
                let description = obj
                    .get("error_description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                match obj.get("member").and_then(Value::as_str) {
                    Some(member) => {
                        assert_eq!(obj.len(), 3, "{}: {obj:?}", shown());
                        assert!(
                            matches!(
                                code,
                                "invalid_client_metadata"
                                    | "invalid_redirect_uri"
                                    | "invalid_software_statement"
                            ) && description.starts_with(&format!("{member}: ")),
                            "{}: {obj:?}",
                            shown()
                        );
                    }
                    None => assert_eq!(obj.len(), 2, "{}: {obj:?}", shown()),
                }
                assert!(
                    common::error_allowed(resp.status, code),
                    "{}: {} {code:?}",
                    shown(),
                    resp.status
                );
                assert!(
                    obj.get("error_description")
                        .and_then(Value::as_str)
                        .is_some(),
                    "{}",
                    shown()
                );
            }
            if resp.status == 401 {
                assert!(resp.header("WWW-Authenticate").is_some(), "{}", shown());
            }
        } else {
            assert!(
                matches!(resp.status, 200 | 201 | 204),
                "{}: {}",
                shown(),
                resp.status
            );
        }

        // Oracles on the live client addressed with its current token.
        let addressed = match (&step.path, &step.authorization) {
            (PathSel::Client(i), Auth::Client(j)) if live.client(*i).is_some() => {
                let (a, b) = (live.client(*i).unwrap(), live.client(*j).unwrap());
                (a.id == b.id).then_some(a)
            }
            _ => None,
        };
        if let Some(c) = addressed {
            if method == "GET" {
                assert_eq!(
                    resp.status,
                    200,
                    "{}: live client unreadable: {:?}",
                    shown(),
                    resp.body
                );
            }
            let round_trip = matches!(&step.body, Body::Update(k, o)
                if o.is_empty() && live.client(*k).is_some_and(|x| x.id == c.id));
            if method == "PUT"
                && round_trip
                && matches!(
                    step.content_type,
                    ContentType::Json | ContentType::JsonCharset
                )
            {
                let expected = if c.suspended { 403 } else { 200 };
                assert_eq!(
                    resp.status,
                    expected,
                    "{}: round trip: {:?}",
                    shown(),
                    resp.body
                );
                if expected == 200 {
                    let mut got = resp.body.as_ref().unwrap().as_object().unwrap().clone();
                    let mut before = c.registration.clone();
                    for m in [&mut got, &mut before] {
                        m.remove("registration_access_token");
                        m.remove("client_secret");
                    }
                    assert_eq!(
                        got,
                        before,
                        "{}: the round trip changed the registration",
                        shown()
                    );
                }
            }
        }

        // Follow what the response hands out.
        let body_obj = resp.body.as_ref().and_then(Value::as_object);
        let token_of =
            |b: &Map<String, Value>, k: &str| b.get(k).and_then(Value::as_str).map(str::to_string);
        match (method.as_str(), resp.status) {
            ("POST", 201) if path == "/register" => {
                let b = body_obj.unwrap();
                live.clients.push(Client {
                    id: token_of(b, "client_id").unwrap(),
                    token: token_of(b, "registration_access_token").unwrap(),
                    registration: b.clone(),
                    suspended: false,
                });
            }
            ("POST", 201) if path == "/admin/initial-access-tokens" => {
                let b = body_obj.unwrap();
                live.iats
                    .push((token_of(b, "id").unwrap(), token_of(b, "token").unwrap()));
            }
            // The admin's update answers the client summary: the registration is its metadata
            // plus the server members the client already had; a secret it now needs is new.
            ("PUT", 200) if path.starts_with("/admin/clients/") => {
                let b = body_obj.unwrap();
                let id = token_of(b, "client_id").unwrap_or_default();
                if let Some(c) = live.clients.iter_mut().find(|c| c.id == id) {
                    let mut next = b
                        .get("metadata")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    let uses_secret = matches!(
                        next.get("token_endpoint_auth_method")
                            .and_then(Value::as_str),
                        Some("client_secret_basic" | "client_secret_post")
                    );
                    for k in [
                        "client_id",
                        "client_id_issued_at",
                        "registration_access_token",
                        "registration_client_uri",
                    ] {
                        if let Some(v) = c.registration.get(k) {
                            next.insert(k.into(), v.clone());
                        }
                    }
                    if uses_secret {
                        for k in ["client_secret", "client_secret_expires_at"] {
                            if let Some(v) = b.get(k).or_else(|| c.registration.get(k)) {
                                next.insert(k.into(), v.clone());
                            }
                        }
                    }
                    c.registration = next;
                }
            }
            ("PUT", 200) => {
                let b = body_obj.unwrap();
                let id = token_of(b, "client_id").unwrap();
                if let Some(c) = live.clients.iter_mut().find(|c| c.id == id) {
                    c.token = token_of(b, "registration_access_token").unwrap();
                    // A secret sent in the update is echoed; keep the registration complete.
                    let secret = c.registration.get("client_secret").cloned();
                    c.registration = b.clone();
                    if let (Some(s), true) = (secret, !b.contains_key("client_secret")) {
                        if b.contains_key("client_secret_expires_at") {
                            c.registration.insert("client_secret".into(), s);
                        }
                    }
                }
            }
            ("DELETE", 204) => {
                let id = path.rsplit('/').next().unwrap_or("");
                if path.starts_with("/register/") || path.starts_with("/admin/clients/") {
                    live.clients.retain(|c| c.id != id);
                }
            }
            ("POST", 200) if path.starts_with("/admin/clients/") => {
                let b = body_obj.unwrap();
                let id = token_of(b, "client_id").unwrap_or_default();
                if let Some(c) = live.clients.iter_mut().find(|c| c.id == id) {
                    if let Some(t) = token_of(b, "registration_access_token") {
                        c.token = t;
                    }
                    if let Some(s) = b.get("client_secret") {
                        c.registration.insert("client_secret".into(), s.clone());
                    }
                    if let Some(status) = b.get("status").and_then(Value::as_str) {
                        c.suspended = status == "suspended";
                    }
                }
            }
            _ => {}
        }
    }
}

fuzz_target!(|input: Input| {
    run(&input);
});
