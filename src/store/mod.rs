//! Storage of client registrations behind one trait, so the service logic does not know the
//! backend. D1 (strongly consistent) is the source of truth; see `glue::d1_store`.

pub mod memory;

use crate::error::ApiError;
use crate::metadata::ClientMetadata;

/// One registered client as stored: metadata plus keyed hashes, never the secrets themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredClient {
    pub client_id: String,
    pub metadata: ClientMetadata,
    /// HMAC of the client secret, for clients that have one.
    pub client_secret_hash: Option<String>,
    /// HMAC of the current registration access token.
    pub registration_token_hash: String,
    /// Unix seconds.
    pub client_id_issued_at: i64,
    pub updated_at: i64,
}

/// Worker futures are not `Send`, so neither are these; callers are generic over the store.
#[allow(async_fn_in_trait)]
pub trait ClientStore {
    /// Saves a new client. Returns only once the write is durable.
    async fn insert(&self, client: &StoredClient) -> Result<(), ApiError>;

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, ApiError>;

    /// Replaces the client only if its stored registration token hash is still
    /// `expected_token_hash` (compare-and-set). `Ok(false)` when it was not.
    async fn replace(
        &self,
        client: &StoredClient,
        expected_token_hash: &str,
    ) -> Result<bool, ApiError>;

    /// Deletes the client only if its registration token hash is `expected_token_hash`.
    async fn delete(&self, client_id: &str, expected_token_hash: &str) -> Result<bool, ApiError>;
}
