//! The stored form of a client on KV (`client/<client_id>`), with its write stamp.

use crate::metadata::ClientMetadata;
use crate::store::{ClientStatus, StoreError, StoredClient};
use crate::token::TokenHash;
use serde::{Deserialize, Serialize};

/// The stored form of a client.
#[derive(Serialize, Deserialize)]
pub(super) struct ClientRecord {
    pub(super) client_id: String,
    metadata: ClientMetadata,
    client_secret_hash: Option<TokenHash>,
    pub(super) registration_token_hash: TokenHash,
    pub(super) client_id_issued_at: i64,
    updated_at: i64,
    status: String,
    registered_by: String,
    policy_class: String,
    /// The client's revision number (compare-and-set, as far as KV allows).
    #[serde(default)]
    pub(super) revision: i64,
    /// Changes on every write; a writer that reads back another stamp lost a race.
    pub(super) version: String,
    /// Absent in records written before ownership (and for clients nobody owns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<TokenHash>,
}

impl ClientRecord {
    pub(super) fn new(c: &StoredClient) -> Result<Self, StoreError> {
        Ok(ClientRecord {
            client_id: c.client_id.clone(),
            metadata: c.metadata.clone(),
            client_secret_hash: c.client_secret_hash.clone(),
            registration_token_hash: c.registration_token_hash.clone(),
            client_id_issued_at: c.client_id_issued_at,
            updated_at: c.updated_at,
            status: c.status.as_str().into(),
            registered_by: c.registered_by.clone(),
            policy_class: c.policy_class.clone(),
            revision: c.version,
            version: crate::token::random_id().map_err(|e| StoreError::Backend(e.to_string()))?,
            owner: c.owner.clone(),
        })
    }

    /// Who owns the client, if anyone.
    pub(super) fn owner(&self) -> Option<TokenHash> {
        self.owner.clone()
    }

    pub(super) fn client(self) -> StoredClient {
        StoredClient {
            status: ClientStatus::parse(&self.status).unwrap_or(ClientStatus::Suspended),
            client_id: self.client_id,
            metadata: self.metadata,
            client_secret_hash: self.client_secret_hash,
            // PROJECT_CLIENTS needs D1 (config refuses it with KV).
            projected_secret: None,
            registration_token_hash: self.registration_token_hash,
            client_id_issued_at: self.client_id_issued_at,
            updated_at: self.updated_at,
            registered_by: self.registered_by,
            policy_class: self.policy_class,
            version: self.revision,
            // Kept under its own key (`read/<id>`), so a read never rewrites the record.
            last_read_at: None,
            last_used_at: None,
            owner: self.owner,
        }
    }
}
