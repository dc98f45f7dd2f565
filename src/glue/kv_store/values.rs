//! KV reads and writes: JSON values, the client record written and read back, key listings.

use super::record::ClientRecord;
use super::{client_key, kv_error, KvStore, INVERT};
use crate::store::{After, AuditEvent, StoreError, StoredClient};
use serde::Serialize;

/// The `(issued_at, client_id)` of listing keys that end `<inverted issued_at>/<client_id>`
/// (`age/`, `owner/`), strictly after `after`, in D1's order: newest first, then `client_id`
/// descending. `keys` are in KV's key order (ascending), which lists equal times in ascending
/// `client_id`: each such run is reversed.
pub(super) fn newest_after<'k>(keys: &'k [worker::kv::Key], after: &After) -> Vec<(i64, &'k str)> {
    let mut entries: Vec<(i64, &str)> = keys
        .iter()
        .filter_map(|k| {
            let mut parts = k.name.rsplitn(3, '/');
            let id = parts.next()?;
            let inverted = parts.next()?.parse::<i64>().ok()?;
            Some((INVERT - inverted, id))
        })
        .collect();
    for run in entries.chunk_by_mut(|a, b| a.0 == b.0) {
        run.reverse();
    }
    entries.retain(|&(t, id)| {
        after
            .as_ref()
            .is_none_or(|(at, aid)| (t, id) < (*at, aid.as_str()))
    });
    entries
}

impl KvStore {
    /// Reads a JSON value with serde_json (the metadata model relies on `#[serde(flatten)]`,
    /// which the JS-object deserializer behind `KvStore::get().json()` does not handle).
    pub(super) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
        op: &'static str,
    ) -> Result<Option<T>, StoreError> {
        let Some(text) = self.kv.get(key).text().await.map_err(kv_error(op))? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Backend(format!("KV {op}: stored value unreadable: {e}")))
    }

    pub(super) async fn record(&self, id: &str) -> Result<Option<ClientRecord>, StoreError> {
        self.get_json(&client_key(id), "get client").await
    }

    pub(super) async fn put_json<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        expiration: Option<i64>,
        op: &'static str,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(value)
            .map_err(|e| StoreError::Backend(format!("KV {op}: {e}")))?;
        // put_bytes, not put: worker's generic `put` sends even a String through
        // serde_wasm_bindgen, for a value that is already text.
        let mut put = self
            .kv
            .put_bytes(key, text.as_bytes())
            .map_err(kv_error(op))?;
        if let Some(at) = expiration {
            put = put.expiration(at as u64);
        }
        put.execute().await.map_err(kv_error(op))
    }

    /// Writes the record, then reads it back: another version means a concurrent writer won.
    pub(super) async fn write_checked(&self, record: &ClientRecord) -> Result<bool, StoreError> {
        self.put_json(&client_key(&record.client_id), record, None, "put client")
            .await?;
        Ok(self
            .record(&record.client_id)
            .await?
            .is_some_and(|r| r.version == record.version))
    }

    /// [`KvStore::write_checked`] of `client`, then its events if this writer won.
    pub(super) async fn write_checked_with_events(
        &self,
        client: &StoredClient,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let won = self.write_checked(&ClientRecord::new(client)?).await?;
        if won {
            self.write_events(events).await?;
        }
        Ok(won)
    }

    /// Every key under `prefix` with its metadata, in key order.
    pub(super) async fn list_all(&self, prefix: &str) -> Result<Vec<worker::kv::Key>, StoreError> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut list = self.kv.list().prefix(prefix.to_string());
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let page = list.execute().await.map_err(kv_error("list"))?;
            keys.extend(page.keys);
            match page.cursor {
                Some(c) if !page.list_complete => cursor = Some(c),
                _ => return Ok(keys),
            }
        }
    }
}
