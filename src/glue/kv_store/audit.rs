//! The audit log on KV: one key per event, the event as key metadata, expiring by itself.

use super::{kv_error, now_ms, now_s, KvStore, INVERT, MIN_TTL};
use crate::store::{AuditEvent, AuditFilter, AuditRecord, StoreError};

impl KvStore {
    /// Events are appended one key each; KV cannot tie them to the change (docs/storage.md).
    pub(super) async fn write_events(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        let mut random = [0u8; 1];
        getrandom::fill(&mut random).map_err(|e| StoreError::Backend(format!("getrandom: {e}")))?;
        // Milliseconds, then a random tens digit against concurrent requests, then the event's
        // place in this call so one request's events keep their order.
        let base = now_ms() * 1000 + i64::from(random[0] % 100) * 10;
        for (i, e) in events.iter().enumerate() {
            let id = base + i as i64;
            // The event's serde form is its key metadata; the detail is bounded to 512 bytes,
            // which keeps it under KV's 1024-byte limit.
            let meta = e.record(id);
            let expires = (e.at + self.audit_retention).max(now_s() + MIN_TTL);
            self.kv
                .put_bytes(&format!("audit/{:016}", INVERT - id), b"")
                .map_err(kv_error("audit"))?
                .metadata(&meta)
                .map_err(kv_error("audit"))?
                .expiration(expires as u64)
                .execute()
                .await
                .map_err(kv_error("audit"))?;
        }
        Ok(())
    }

    /// [`ClientStore::list_audit`](crate::store::ClientStore::list_audit) on KV.
    pub(super) async fn audit_page(
        &self,
        f: &AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut out = Vec::new();
        for key in self.list_all("audit/").await? {
            let Some(record) = key
                .metadata
                .and_then(|m| serde_json::from_value::<AuditRecord>(m).ok())
            else {
                continue;
            };
            if f.matches(&record, before_id) {
                out.push(record);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}
