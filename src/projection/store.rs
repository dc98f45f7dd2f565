//! `Projecting` as a [`ClientStore`]: each call goes to the store, then the client it changed is
//! projected.

use super::*;

/// Forwards one call to the store, then projects the client it changed when it did.
impl<S: ClientStore, K: ProjectionKv> ClientStore for Projecting<S, K> {
    async fn insert(
        &self,
        client: &StoredClient,
        max_clients: Option<u64>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.store.insert(client, max_clients, events).await?;
        // A new client: nobody else knows its id yet, so what was written is what there is.
        if let Some(kv) = &self.kv {
            let entry = projected_entry(client);
            if Self::write(kv, &client.client_id, &entry).await.is_err() {
                self.after_change(&client.client_id, None, events).await;
            }
        }
        Ok(())
    }

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError> {
        self.store.find(client_id).await
    }

    async fn replace(
        &self,
        client: &StoredClient,
        current: &StoredClient,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let done = self.store.replace(client, current, events).await?;
        if done {
            let stored = StoredClient {
                version: current.version + 1,
                ..client.clone()
            };
            self.after_change(&client.client_id, Some(Some(stored)), events)
                .await;
        }
        Ok(done)
    }

    async fn delete(
        &self,
        client_id: &str,
        expected_token_hash: Option<&TokenHash>,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let done = self
            .store
            .delete(client_id, expected_token_hash, events)
            .await?;
        if done {
            self.after_change(client_id, Some(None), events).await;
        }
        Ok(done)
    }

    async fn admin_change(
        &self,
        client_id: &str,
        change: &AdminChange,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let done = self
            .store
            .admin_change(client_id, change, now, events)
            .await?;
        // A new registration access token changes nothing the projection holds.
        if done && !matches!(change, AdminChange::TokenHash(_)) {
            self.after_change(client_id, None, events).await;
        }
        Ok(done)
    }

    async fn list_clients(
        &self,
        filter: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<StoredClient>, StoreError> {
        self.store.list_clients(filter, after, limit).await
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        self.store.append_audit(events).await
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.store.list_audit(filter, before_id, limit).await
    }

    async fn insert_iat(
        &self,
        token: &InitialAccessToken,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.store.insert_iat(token, events).await
    }

    async fn find_iat_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<InitialAccessToken>, StoreError> {
        self.store.find_iat_by_hash(hash).await
    }

    async fn list_iats(
        &self,
        after: &After,
        limit: usize,
    ) -> Result<Vec<InitialAccessToken>, StoreError> {
        self.store.list_iats(after, limit).await
    }

    /// Clients the clean-up removes leave their records behind; the scheduled job resyncs
    /// right after it.
    async fn cleanup(
        &self,
        now: i64,
        idle_before: Option<i64>,
        unused_before: Option<i64>,
        template: &AuditEvent,
    ) -> Result<CleanupReport, StoreError> {
        self.store
            .cleanup(now, idle_before, unused_before, template)
            .await
    }

    async fn record_read(
        &self,
        client_id: &str,
        now: i64,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.store.record_read(client_id, now, event).await
    }

    async fn record_use(&self, client_id: &str, now: i64) -> Result<(), StoreError> {
        self.store.record_use(client_id, now).await
    }

    async fn prune_audit(&self, before: i64, limit: usize) -> Result<u64, StoreError> {
        self.store.prune_audit(before, limit).await
    }

    async fn revoke_iat(
        &self,
        id: &str,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        self.store.revoke_iat(id, now, events).await
    }

    async fn resync_projection(&self) -> Result<Option<ResyncReport>, StoreError> {
        self.resync().await
    }

    async fn record_uses(&self, client_ids: &[String], now: i64) -> Result<u64, StoreError> {
        self.store.record_uses(client_ids, now).await
    }

    async fn record_uses_from_projection(&self, now: i64) -> Result<Option<u64>, StoreError> {
        self.record_uses_from_grants(now).await
    }
}
