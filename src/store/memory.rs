//! An in-memory store for host tests, with the same semantics as the D1 schema: compare-and-set
//! updates, per-class quotas, initial access token use counts, events written with their change.

use super::{
    AdminChange, After, AuditEvent, AuditFilter, AuditKind, AuditRecord, CleanupReport,
    ClientFilter, ClientStore, InitialAccessToken, StoredClient,
};
use crate::store::StoreError;
use crate::token::TokenHash;
use std::cell::RefCell;
use std::collections::HashMap;

#[derive(Debug, Default)]
struct State {
    clients: HashMap<String, StoredClient>,
    iats: HashMap<String, InitialAccessToken>,
    audit: Vec<AuditRecord>,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RefCell<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every stored client, for tests that look for leaked secrets.
    pub fn dump(&self) -> Vec<StoredClient> {
        self.state.borrow().clients.values().cloned().collect()
    }

    /// The whole audit log, oldest first.
    pub fn audit_log(&self) -> Vec<AuditRecord> {
        self.state.borrow().audit.clone()
    }
}

impl State {
    fn record(&mut self, events: &[AuditEvent]) {
        for e in events {
            // Ids only grow, also after pruning removed the oldest.
            let id = self.audit.last().map_or(1, |e| e.id + 1);
            self.audit.push(e.record(id));
        }
    }
}

fn newest_after<'a, T>(
    items: impl Iterator<Item = &'a T>,
    key: impl Fn(&T) -> (i64, String),
    after: &After,
    limit: usize,
) -> Vec<T>
where
    T: Clone + 'a,
{
    let mut all: Vec<&T> = items
        .filter(|t| after.as_ref().is_none_or(|a| key(t) < *a))
        .collect();
    all.sort_by_key(|t| std::cmp::Reverse(key(t)));
    all.into_iter().take(limit).cloned().collect()
}

impl ClientStore for MemoryStore {
    async fn insert(
        &self,
        client: &StoredClient,
        max_clients: Option<u64>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let mut s = self.state.borrow_mut();
        if s.clients.contains_key(&client.client_id) {
            return Err(StoreError::Conflict);
        }
        if let Some(max) = max_clients {
            let held = s
                .clients
                .values()
                .filter(|c| c.policy_class == client.policy_class)
                .count() as u64;
            if held >= max {
                return Err(StoreError::QuotaExceeded);
            }
        }
        if let Some(id) = client.registered_by.strip_prefix("iat:") {
            let now = client.client_id_issued_at;
            match s.iats.get_mut(id) {
                Some(t) if t.usable_at(now) => t.uses += 1,
                _ => return Err(StoreError::TokenUnusable),
            }
        }
        s.clients.insert(client.client_id.clone(), client.clone());
        s.record(events);
        Ok(())
    }

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError> {
        Ok(self.state.borrow().clients.get(client_id).cloned())
    }

    async fn replace(
        &self,
        client: &StoredClient,
        read: &StoredClient,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let mut s = self.state.borrow_mut();
        match s.clients.get_mut(&client.client_id) {
            Some(current)
                if current.registration_token_hash == read.registration_token_hash
                    && current.version == read.version =>
            {
                *current = StoredClient {
                    version: read.version + 1,
                    last_read_at: current.last_read_at,
                    last_used_at: current.last_used_at,
                    owner: current.owner.clone(),
                    ..client.clone()
                };
                s.record(events);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(
        &self,
        client_id: &str,
        expected_token_hash: Option<&TokenHash>,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let mut s = self.state.borrow_mut();
        let allowed = s
            .clients
            .get(client_id)
            .is_some_and(|c| expected_token_hash.is_none_or(|h| c.registration_token_hash == *h));
        if allowed {
            s.clients.remove(client_id);
            s.record(events);
        }
        Ok(allowed)
    }

    async fn admin_change(
        &self,
        client_id: &str,
        change: &AdminChange,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let mut s = self.state.borrow_mut();
        let Some(c) = s.clients.get_mut(client_id) else {
            return Ok(false);
        };
        change.apply(c, now);
        s.record(events);
        Ok(true)
    }

    async fn list_clients(
        &self,
        filter: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<StoredClient>, StoreError> {
        let s = self.state.borrow();
        Ok(newest_after(
            s.clients.values().filter(|c| filter.matches(c)),
            |c| (c.client_id_issued_at, c.client_id.clone()),
            after,
            limit,
        ))
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        self.state.borrow_mut().record(events);
        Ok(())
    }

    async fn list_audit(
        &self,
        f: &AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let s = self.state.borrow();
        Ok(s.audit
            .iter()
            .rev()
            .filter(|e| f.matches(e, before_id))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn insert_iat(
        &self,
        token: &InitialAccessToken,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let mut s = self.state.borrow_mut();
        s.iats.insert(token.id.clone(), token.clone());
        s.record(events);
        Ok(())
    }

    async fn find_iat_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<InitialAccessToken>, StoreError> {
        Ok(self
            .state
            .borrow()
            .iats
            .values()
            .find(|t| t.token_hash == *hash)
            .cloned())
    }

    async fn list_iats(
        &self,
        after: &After,
        limit: usize,
    ) -> Result<Vec<InitialAccessToken>, StoreError> {
        let s = self.state.borrow();
        Ok(newest_after(
            s.iats.values(),
            |t| (t.created_at, t.id.clone()),
            after,
            limit,
        ))
    }

    async fn cleanup(
        &self,
        now: i64,
        idle_before: Option<i64>,
        unused_before: Option<i64>,
        template: &AuditEvent,
    ) -> Result<CleanupReport, StoreError> {
        let mut s = self.state.borrow_mut();
        let mut report = CleanupReport::default();
        let expired: Vec<String> = s
            .iats
            .values()
            .filter(|t| t.expired_at(now))
            .map(|t| t.id.clone())
            .collect();
        for id in expired {
            s.iats.remove(&id);
            let mut e = template.clone();
            e.event = AuditKind::IatExpired;
            e.detail = Some(serde_json::json!({ "iat_id": id }));
            s.record(&[e]);
            report.expired_tokens += 1;
        }
        if let Some(cutoff) = idle_before {
            let idle: Vec<String> = s
                .clients
                .values()
                .filter(|c| c.policy_class == "anonymous")
                .filter(|c| {
                    let used = c.last_read_at.max(c.last_used_at).unwrap_or(0);
                    c.updated_at.max(used) < cutoff
                })
                .map(|c| c.client_id.clone())
                .collect();
            for id in idle {
                s.clients.remove(&id);
                let mut e = template.clone();
                e.event = AuditKind::ClientExpired;
                e.client_id = Some(id);
                s.record(&[e]);
                report.idle_clients += 1;
            }
        }
        if let Some(cutoff) = unused_before {
            let mut unused: Vec<(i64, String)> = s
                .clients
                .values()
                .filter(|c| c.unused_before(cutoff))
                .map(|c| (c.client_id_issued_at, c.client_id.clone()))
                .collect();
            // Oldest first, as D1 removes them.
            unused.sort();
            unused.truncate(super::UNUSED_REMOVE_PER_RUN);
            for (_, id) in unused {
                s.clients.remove(&id);
                let mut e = template.clone();
                e.event = AuditKind::ClientRemovedUnused;
                e.client_id = Some(id);
                e.detail = Some(serde_json::json!({ "unused_client_ttl": now - cutoff }));
                s.record(&[e]);
                report.unused_clients += 1;
            }
        }
        Ok(report)
    }

    async fn record_read(
        &self,
        client_id: &str,
        now: i64,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut s = self.state.borrow_mut();
        match s.clients.get_mut(client_id) {
            Some(c) if c.read_due(now) => {
                c.last_read_at = Some(now);
                s.record(std::slice::from_ref(event));
            }
            _ => {}
        }
        Ok(())
    }

    async fn record_use(&self, client_id: &str, now: i64) -> Result<(), StoreError> {
        let mut s = self.state.borrow_mut();
        if let Some(c) = s.clients.get_mut(client_id).filter(|c| c.use_due(now)) {
            c.last_used_at = Some(now);
        }
        Ok(())
    }

    async fn prune_audit(&self, before: i64, limit: usize) -> Result<u64, StoreError> {
        let mut s = self.state.borrow_mut();
        // Oldest first (lowest ids, the front of the log), as D1 removes them.
        let mut removed = 0;
        s.audit.retain(|e| {
            let prune = removed < limit && e.at < before;
            removed += usize::from(prune);
            !prune
        });
        Ok(removed as u64)
    }

    async fn revoke_iat(
        &self,
        id: &str,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let mut s = self.state.borrow_mut();
        match s.iats.get_mut(id) {
            Some(t) if t.revoked_at.is_none() => {
                t.revoked_at = Some(now);
                s.record(events);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
