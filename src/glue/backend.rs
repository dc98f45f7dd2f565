//! The storage backend chosen by `STORAGE_BACKEND`, as one type: the service and HTTP code are
//! compiled once for it (not once per backend), which keeps the wasm small.

use super::d1_store::D1Store;
#[cfg(feature = "kv")]
use super::kv_store::KvStore;
use crate::store::StoreError;
use crate::store::{
    AdminChange, After, AuditEvent, AuditFilter, AuditRecord, CleanupReport, ClientFilter,
    ClientStore, InitialAccessToken, StoredClient,
};
use crate::token::TokenHash;

pub enum Backend {
    D1(D1Store),
    /// Only in builds with the `kv` feature (about 34 KB gzip of wasm).
    #[cfg(feature = "kv")]
    Kv(KvStore),
}

/// Forwards one trait method to the selected backend.
macro_rules! forward {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            Backend::D1(store) => store.$method($($arg),*).await,
            #[cfg(feature = "kv")]
            Backend::Kv(store) => store.$method($($arg),*).await,
        }
    };
}

impl Backend {
    /// Whether D1 is read through a session (possibly a replica) in this request.
    pub fn is_d1_session(&self) -> bool {
        match self {
            Backend::D1(store) => store.is_session(),
            #[cfg(feature = "kv")]
            Backend::Kv(_) => false,
        }
    }
}

impl ClientStore for Backend {
    async fn insert(
        &self,
        client: &StoredClient,
        max_clients: Option<u64>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        forward!(self.insert(client, max_clients, events))
    }

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError> {
        forward!(self.find(client_id))
    }

    async fn replace(
        &self,
        client: &StoredClient,
        current: &StoredClient,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        forward!(self.replace(client, current, events))
    }

    async fn delete(
        &self,
        client_id: &str,
        expected_token_hash: Option<&TokenHash>,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        forward!(self.delete(client_id, expected_token_hash, events))
    }

    async fn admin_change(
        &self,
        client_id: &str,
        change: &AdminChange,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        forward!(self.admin_change(client_id, change, now, events))
    }

    async fn list_clients(
        &self,
        filter: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<StoredClient>, StoreError> {
        forward!(self.list_clients(filter, after, limit))
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        forward!(self.append_audit(events))
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        forward!(self.list_audit(filter, before_id, limit))
    }

    async fn insert_iat(
        &self,
        token: &InitialAccessToken,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        forward!(self.insert_iat(token, events))
    }

    async fn find_iat_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<InitialAccessToken>, StoreError> {
        forward!(self.find_iat_by_hash(hash))
    }

    async fn list_iats(
        &self,
        after: &After,
        limit: usize,
    ) -> Result<Vec<InitialAccessToken>, StoreError> {
        forward!(self.list_iats(after, limit))
    }

    async fn cleanup(
        &self,
        now: i64,
        idle_before: Option<i64>,
        unused_before: Option<i64>,
        template: &AuditEvent,
    ) -> Result<CleanupReport, StoreError> {
        forward!(self.cleanup(now, idle_before, unused_before, template))
    }

    async fn record_read(
        &self,
        client_id: &str,
        now: i64,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        forward!(self.record_read(client_id, now, event))
    }

    async fn record_use(&self, client_id: &str, now: i64) -> Result<(), StoreError> {
        forward!(self.record_use(client_id, now))
    }

    #[cfg(feature = "projection")]
    async fn record_uses(&self, client_ids: &[String], now: i64) -> Result<u64, StoreError> {
        forward!(self.record_uses(client_ids, now))
    }

    async fn prune_audit(&self, before: i64, limit: usize) -> Result<u64, StoreError> {
        forward!(self.prune_audit(before, limit))
    }

    async fn revoke_iat(
        &self,
        id: &str,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        forward!(self.revoke_iat(id, now, events))
    }
}
