//! [`ClientStore`] on Workers KV (`STORAGE_BACKEND=kv`). KV has no transactions and no
//! conditional writes, and is eventually consistent between locations (about 60 s);
//! docs/storage.md ("Storage backends") lists what this backend guarantees and what it cannot.
//! Where KV cannot be exact this code does the best it allows: a version stamp on every client
//! record checked by reading back after each write, and listings from key metadata.
//!
//! Keys (values JSON; nothing secret, only keyed hashes):
//! - `client/<client_id>`: the client record, with a random `version`;
//! - `age/<inverted issued_at>/<client_id>`: listing index, newest first; empty;
//! - `owner/<owner hash>/<inverted issued_at>/<client_id>`: the owner index ("My clients"),
//!   one empty key per owned client (`owners`);
//! - `iat/<token hash>`: an initial access token; `iat-id/<id>`: its hash; both expire with it;
//! - `audit/<inverted id>`: an audit event, the event itself as key metadata; `id` is
//!   `milliseconds × 1000 + random`, so events list newest first. Each expires
//!   `AUDIT_RETENTION_DAYS` after it was written: KV removes it, there is no prune run.
//! - `read/<client_id>`: present for an hour after a recorded RFC 7592 read (reads are recorded
//!   at most hourly); it expires by itself.
//! - `used/<client_id>`: the time of the last recorded use through the authorization server API
//!   (written at most hourly); kept as long as the client, so `UNUSED_CLIENT_TTL` knows a
//!   client was ever used. The client record holds no `last_used_at` (the idle clean-up and the
//!   admin API's `last_used_at` are D1 features).
//!
//! By responsibility: the client record (`record`), reads and writes of values and listings
//! (`values`), the audit log (`audit`), initial access tokens (`tokens`), the owner index
//! (`owners`) and the unused-client clean-up (`cleanup`); the operations themselves are here.

mod audit;
mod cleanup;
mod owners;
mod record;
mod tokens;
mod values;

use crate::store::StoreError;
use crate::store::{
    AdminChange, After, AuditEvent, AuditFilter, AuditKind, AuditRecord, CleanupReport,
    ClientFilter, ClientStore, InitialAccessToken, StoredClient, READ_EVENT_INTERVAL,
    USE_RECORD_INTERVAL,
};
use crate::token::TokenHash;
use record::ClientRecord;
use worker::kv::KvStore as Kv;

pub struct KvStore {
    kv: Kv,
    /// Seconds an audit event is kept (`AUDIT_RETENTION_DAYS`).
    audit_retention: i64,
}

/// Inverting keeps the newest first in KV's ascending key order.
const INVERT: i64 = 9_999_999_999_999_999;
/// KV's shortest expiration TTL.
const MIN_TTL: i64 = 60;

fn kv_error(op: &'static str) -> impl Fn(worker::kv::KvError) -> StoreError {
    move |e| StoreError::Backend(format!("KV {op}: {e:?}"))
}

fn client_key(id: &str) -> String {
    format!("client/{id}")
}

fn used_key(id: &str) -> String {
    format!("used/{id}")
}

fn iat_key(hash: &TokenHash) -> String {
    format!("iat/{}", hash.as_stored())
}

fn age_key(issued_at: i64, id: &str) -> String {
    format!("age/{:016}/{id}", INVERT - issued_at)
}

impl KvStore {
    pub fn new(kv: Kv, audit_retention_days: u32) -> Self {
        KvStore {
            kv,
            audit_retention: i64::from(audit_retention_days) * 86_400,
        }
    }

    /// Sets the marker `key` for `ttl` seconds unless it is there; whether it was absent (the
    /// first read or use of its period).
    async fn first_mark(&self, key: &str, ttl: i64) -> Result<bool, StoreError> {
        let present = self
            .kv
            .get(key)
            .text()
            .await
            .map_err(kv_error("get mark"))?;
        if present.is_some() {
            return Ok(false);
        }
        self.kv
            .put_bytes(key, b"")
            .map_err(kv_error("put mark"))?
            .expiration_ttl(ttl as u64)
            .execute()
            .await
            .map_err(kv_error("put mark"))?;
        Ok(true)
    }
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

fn now_s() -> i64 {
    now_ms() / 1000
}

impl ClientStore for KvStore {
    async fn insert(
        &self,
        client: &StoredClient,
        max_clients: Option<u64>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        if max_clients.is_some() {
            return Err(StoreError::Backend(
                "max_clients needs STORAGE_BACKEND=d1 (refused at configuration)".into(),
            ));
        }
        if let Some(id) = client.registered_by.strip_prefix("iat:") {
            // Read, check, write: concurrent registrations can exceed max_uses on KV
            // (docs/storage.md).
            let mut t = self.iat_by_id(id).await?.ok_or(StoreError::TokenUnusable)?;
            if !t.usable_at(client.client_id_issued_at) {
                return Err(StoreError::TokenUnusable);
            }
            t.uses += 1;
            self.put_iat(&t).await?;
        }
        // The owner's index entry before the record: a stored owned client always has one.
        self.put_owner_entry(client).await?;
        let record = ClientRecord::new(client)?;
        self.put_json(&client_key(&client.client_id), &record, None, "put client")
            .await?;
        self.kv
            .put_bytes(&age_key(client.client_id_issued_at, &client.client_id), b"")
            .map_err(kv_error("put index"))?
            .execute()
            .await
            .map_err(kv_error("put index"))?;
        self.write_events(events).await
    }

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError> {
        Ok(self.record(client_id).await?.map(ClientRecord::client))
    }

    async fn replace(
        &self,
        client: &StoredClient,
        read: &StoredClient,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let before = match self.record(&client.client_id).await? {
            Some(now)
                if now.registration_token_hash == read.registration_token_hash
                    && now.revision == read.version =>
            {
                now.owner()
            }
            _ => return Ok(false),
        };
        let next = StoredClient {
            version: read.version + 1,
            ..client.clone()
        };
        self.write_with_owner(&next, before.as_ref(), events).await
    }

    async fn delete(
        &self,
        client_id: &str,
        expected_token_hash: Option<&TokenHash>,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let Some(current) = self.record(client_id).await? else {
            return Ok(false);
        };
        if expected_token_hash.is_some_and(|h| *h != current.registration_token_hash) {
            return Ok(false);
        }
        self.kv
            .delete(&client_key(client_id))
            .await
            .map_err(kv_error("delete"))?;
        self.kv
            .delete(&age_key(current.client_id_issued_at, client_id))
            .await
            .map_err(kv_error("delete index"))?;
        // After the record: a failure before this leaves an entry that finds no client.
        if let Some(owner) = current.owner() {
            self.delete_owner_entry(&owner, current.client_id_issued_at, client_id)
                .await?;
        }
        self.kv
            .delete(&used_key(client_id))
            .await
            .map_err(kv_error("delete used"))?;
        self.write_events(events).await?;
        Ok(true)
    }

    async fn admin_change(
        &self,
        client_id: &str,
        change: &AdminChange,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let Some(current) = self.record(client_id).await? else {
            return Ok(false);
        };
        let mut client = current.client();
        let before = client.owner.clone();
        change.apply(&mut client, now);
        self.write_with_owner(&client, before.as_ref(), events)
            .await
    }

    async fn list_clients(
        &self,
        filter: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<StoredClient>, StoreError> {
        self.client_page(filter, after, limit).await
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        self.write_events(events).await
    }

    async fn list_audit(
        &self,
        f: &AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.audit_page(f, before_id, limit).await
    }

    async fn insert_iat(
        &self,
        token: &InitialAccessToken,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.put_iat(token).await?;
        self.write_events(events).await
    }

    async fn find_iat_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<InitialAccessToken>, StoreError> {
        self.get_json(&iat_key(hash), "get iat").await
    }

    async fn list_iats(
        &self,
        after: &After,
        limit: usize,
    ) -> Result<Vec<InitialAccessToken>, StoreError> {
        let mut all = Vec::new();
        for key in self.list_all("iat-id/").await? {
            if let Some(id) = key.name.strip_prefix("iat-id/") {
                if let Some(r) = self.iat_by_id(id).await? {
                    all.push(r);
                }
            }
        }
        all.retain(|t| {
            after
                .as_ref()
                .is_none_or(|a| (t.created_at, t.id.clone()) < *a)
        });
        all.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.id.clone())));
        all.truncate(limit);
        Ok(all)
    }

    async fn cleanup(
        &self,
        now: i64,
        idle_before: Option<i64>,
        unused_before: Option<i64>,
        template: &AuditEvent,
    ) -> Result<CleanupReport, StoreError> {
        // Tokens carry a KV expiration and vanish by themselves; idle-client removal needs the
        // read history only D1 keeps (refused at configuration).
        if idle_before.is_some() {
            return Err(StoreError::Backend(
                "IDLE_ANONYMOUS_CLIENT_DAYS needs STORAGE_BACKEND=d1".into(),
            ));
        }
        let mut report = CleanupReport::default();
        if let Some(cutoff) = unused_before {
            let mut event = template.clone();
            event.event = AuditKind::ClientRemovedUnused;
            event.detail = Some(serde_json::json!({ "unused_client_ttl": now - cutoff }));
            report.unused_clients = self.remove_unused(cutoff, &event).await?;
        }
        Ok(report)
    }

    async fn record_read(
        &self,
        client_id: &str,
        _now: i64,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        // Best effort, as everything on KV: two reads in different locations within KV's
        // propagation delay may both record an event.
        if self
            .first_mark(&format!("read/{client_id}"), READ_EVENT_INTERVAL)
            .await?
        {
            self.write_events(std::slice::from_ref(event)).await?;
        }
        Ok(())
    }

    async fn record_use(&self, client_id: &str, now: i64) -> Result<(), StoreError> {
        // At most hourly, best effort like reads. The key has no expiration: it is how the
        // unused-client clean-up knows a client was ever used. (A marker of an older version
        // holds no time and is written again.)
        let key = used_key(client_id);
        let last = self
            .kv
            .get(&key)
            .text()
            .await
            .map_err(kv_error("get used"))?;
        let last = last.and_then(|t| t.parse::<i64>().ok());
        if last.is_some_and(|t| now.saturating_sub(t) < USE_RECORD_INTERVAL) {
            return Ok(());
        }
        self.kv
            .put_bytes(&key, now.to_string().as_bytes())
            .map_err(kv_error("put used"))?
            .execute()
            .await
            .map_err(kv_error("put used"))
    }

    async fn prune_audit(&self, _before: i64, _limit: usize) -> Result<u64, StoreError> {
        // Events carry their expiration (write_events); KV removes them by itself.
        Ok(0)
    }

    async fn revoke_iat(
        &self,
        id: &str,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let Some(mut r) = self.iat_by_id(id).await? else {
            return Ok(false);
        };
        if r.revoked_at.is_some() {
            return Ok(false);
        }
        r.revoked_at = Some(now);
        self.put_iat(&r).await?;
        self.write_events(events).await?;
        Ok(true)
    }
}
