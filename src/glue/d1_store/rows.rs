//! The rows D1 returns for clients and audit events, and how they become the store's types.

use crate::store::{AuditRecord, ClientStatus, StoreError, StoredClient};
use crate::token::TokenHash;
use serde::Deserialize;

pub(super) const CLIENT_COLUMNS: &str =
    "client_id, metadata, client_secret_hash, registration_token_hash, \
     client_id_issued_at, updated_at, status, registered_by, policy_class, version, last_read_at, \
     last_used_at, projected_secret, owner";

/// A `clients` row. The hashes are read as text and typed in [`ClientRow::into_client`]:
/// `Option<TokenHash>` deserialised from the JS row measured +700 bytes gzip of wasm.
#[derive(Deserialize)]
pub(super) struct ClientRow {
    client_id: String,
    metadata: String,
    client_secret_hash: Option<String>,
    registration_token_hash: String,
    client_id_issued_at: i64,
    updated_at: i64,
    status: String,
    registered_by: String,
    policy_class: String,
    version: i64,
    last_read_at: Option<i64>,
    last_used_at: Option<i64>,
    projected_secret: Option<String>,
    owner: Option<String>,
}

impl ClientRow {
    pub(super) fn into_client(self) -> Result<StoredClient, StoreError> {
        let metadata = serde_json::from_str(&self.metadata).map_err(|e| {
            StoreError::Backend(format!(
                "stored metadata of {} unreadable: {e}",
                self.client_id
            ))
        })?;
        Ok(StoredClient {
            metadata,
            status: ClientStatus::parse(&self.status).unwrap_or(ClientStatus::Suspended),
            client_id: self.client_id,
            client_secret_hash: self.client_secret_hash.map(TokenHash::from_stored),
            projected_secret: self.projected_secret,
            registration_token_hash: TokenHash::from_stored(self.registration_token_hash),
            client_id_issued_at: self.client_id_issued_at,
            updated_at: self.updated_at,
            registered_by: self.registered_by,
            policy_class: self.policy_class,
            version: self.version,
            last_read_at: self.last_read_at,
            last_used_at: self.last_used_at,
            owner: self.owner.map(TokenHash::from_stored),
        })
    }
}

#[derive(Deserialize)]
pub(super) struct AuditRow {
    id: i64,
    at: i64,
    event: String,
    client_id: Option<String>,
    actor: String,
    request_id: String,
    ip_hash: Option<String>,
    detail: Option<String>,
}

impl AuditRow {
    pub(super) fn into_record(self) -> AuditRecord {
        AuditRecord {
            id: self.id,
            at: self.at,
            event: self.event,
            client_id: self.client_id,
            actor: self.actor,
            request_id: self.request_id,
            ip_hash: self.ip_hash,
            detail: self.detail.and_then(|d| serde_json::from_str(&d).ok()),
        }
    }
}
