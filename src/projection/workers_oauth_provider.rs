//! The client record of @cloudflare/workers-oauth-provider 1.2.3 (`ClientInfo` in its
//! `dist/oauth-provider.d.ts`), which that library reads from `client:<client_id>` in its
//! `OAUTH_KV` namespace at `/authorize` and at its token endpoint.
//!
//! What the library does with the record, read from its source: it compares
//! `hashSecret(presented)` (lowercase hex SHA-256) with `clientSecret`; it allows exactly
//! `tokenEndpointAuthMethod` when `authMethodExplicit` is set (without it, either
//! `client_secret_basic` or `client_secret_post` for a secret client); it matches redirect URIs
//! exactly, with any port on a loopback host; it checks `grantTypes` at the token endpoint and
//! `responseTypes` at `/authorize`; it reads no scope, and treats a missing record as an unknown
//! client (deleting that client's grants when next used).

use super::{Absence, Entry};
use crate::metadata::enums::AuthMethod;
use crate::store::{ClientStatus, StoredClient};
use serde_json::{Map, Value};

/// The localized members the library keeps (its `i18n` map); the others it ignores.
const I18N_MEMBERS: &[&str] = &[
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
];

/// What `client:<client_id>` must hold for `client`, or why it must be absent.
pub fn entry(client: &StoredClient) -> Entry {
    if client.status == ClientStatus::Suspended {
        return Entry::Absent(Absence::Suspended);
    }
    let m = &client.metadata;
    let secret = match m.token_endpoint_auth_method {
        AuthMethod::None => None,
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
            match &client.projected_secret {
                Some(digest) => Some(digest),
                // Issued before PROJECT_CLIENTS was set: only a rotation can project it.
                None => return Entry::Absent(Absence::SecretNotKept),
            }
        }
        // The library accepts private_key_jwt only from client ID metadata documents.
        AuthMethod::PrivateKeyJwt => return Entry::Absent(Absence::UnsupportedAuthMethod),
    };

    let mut r = Map::new();
    r.insert("clientId".into(), client.client_id.as_str().into());
    if let Some(digest) = secret {
        r.insert("clientSecret".into(), digest.as_str().into());
    }
    r.insert("redirectUris".into(), m.redirect_uris.clone().into());
    for (key, value) in [
        ("clientName", &m.client_name),
        ("logoUri", &m.logo_uri),
        ("clientUri", &m.client_uri),
        ("policyUri", &m.policy_uri),
        ("tosUri", &m.tos_uri),
        ("jwksUri", &m.jwks_uri),
    ] {
        if let Some(v) = value {
            r.insert(key.into(), v.as_str().into());
        }
    }
    let i18n: Map<String, Value> = m
        .localized
        .iter()
        .filter(|(k, _)| {
            k.split_once('#')
                .is_some_and(|(base, _)| I18N_MEMBERS.contains(&base))
        })
        .map(|(k, v)| (k.clone(), v.as_str().into()))
        .collect();
    if !i18n.is_empty() {
        r.insert("i18n".into(), i18n.into());
    }
    if !m.contacts.is_empty() {
        r.insert("contacts".into(), m.contacts.clone().into());
    }
    let grants: Vec<Value> = m.grant_types.iter().map(|g| g.as_str().into()).collect();
    r.insert("grantTypes".into(), grants.into());
    let responses: Vec<Value> = m.response_types.iter().map(|t| t.as_str().into()).collect();
    r.insert("responseTypes".into(), responses.into());
    r.insert("registrationDate".into(), client.client_id_issued_at.into());
    r.insert(
        "tokenEndpointAuthMethod".into(),
        m.token_endpoint_auth_method.as_str().into(),
    );
    // The registered method, and only it: without this flag the library lets a
    // client_secret_basic client use client_secret_post and the reverse.
    r.insert("authMethodExplicit".into(), true.into());
    Entry::record(Value::Object(r).to_string())
}
