//! The client information response (RFC 7591 §3.2.1, RFC 7592 §3): the stored metadata with the
//! server's members beside it, as one type whose fields are the wire form.

use super::Registrar;
use crate::metadata::ClientMetadata;
use crate::store::{ClientStore, StoredClient};
use crate::token::Secret;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
pub struct ClientInformation<'a> {
    #[serde(flatten)]
    pub metadata: &'a ClientMetadata,
    pub client_id: &'a str,
    pub client_id_issued_at: i64,
    /// Only in the answers that made it: registration and rotation (RFC 7592 §2.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    /// Present for every client that authenticates with a secret; 0: it does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<u64>,
    pub registration_access_token: &'a str,
    pub registration_client_uri: String,
}

impl ClientInformation<'_> {
    /// As a JSON object, the form the HTTP layer sends.
    pub fn into_json(self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // Strings, numbers and the metadata object always serialise to an object.
            _ => unreachable!("ClientInformation serialises to a JSON object"),
        }
    }
}

impl<S: ClientStore> Registrar<'_, S> {
    /// The response for `client`, with `secret` when this answer made it.
    pub(super) fn information(
        &self,
        client: &StoredClient,
        secret: Option<&Secret>,
        access_token: &Secret,
    ) -> Map<String, Value> {
        let uses_secret = client.metadata.token_endpoint_auth_method.uses_secret();
        ClientInformation {
            metadata: &client.metadata,
            client_id: &client.client_id,
            client_id_issued_at: client.client_id_issued_at,
            client_secret: secret.filter(|_| uses_secret).map(Secret::expose),
            client_secret_expires_at: uses_secret.then_some(0),
            registration_access_token: access_token.expose(),
            registration_client_uri: self.registration_client_uri(&client.client_id),
        }
        .into_json()
    }
}
