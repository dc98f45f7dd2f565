//! The owner index on KV: `owner/<owner hash>/<inverted issued_at>/<client_id>`, one empty key
//! per owned client, so "My clients" lists a person's keys only instead of every client.
//!
//! The index is a hint, the client record the truth: an entry is written before the record
//! that needs it (so a stored owned client always has one) and removed after the record stops
//! needing it (deleted, or moved to another owner by a write that won). A failure or a lost race
//! in between leaves an entry that points to a client that is gone or not that person's; every
//! listed client is read and its owner checked, so such an entry shows nothing to anyone.

use super::values::newest_after;
use super::{kv_error, KvStore, INVERT};
use crate::store::{After, AuditEvent, ClientFilter, ClientStore, StoreError, StoredClient};
use crate::token::TokenHash;

/// The owner's part of the index (`owner/<hash>/`): a keyed hash, 43 URL-safe characters.
fn owner_prefix(owner: &TokenHash) -> String {
    format!("owner/{}/", owner.as_stored())
}

/// One entry: at most 6 + 43 + 1 + 16 + 1 + 22 = 89 bytes, under KV's 512-byte key limit.
fn owner_key(owner: &TokenHash, issued_at: i64, id: &str) -> String {
    format!("{}{:016}/{id}", owner_prefix(owner), INVERT - issued_at)
}

impl KvStore {
    pub(super) async fn put_owner_entry(&self, c: &StoredClient) -> Result<(), StoreError> {
        let Some(owner) = &c.owner else {
            return Ok(());
        };
        self.kv
            .put_bytes(&owner_key(owner, c.client_id_issued_at, &c.client_id), b"")
            .map_err(kv_error("put owner"))?
            .execute()
            .await
            .map_err(kv_error("put owner"))
    }

    pub(super) async fn delete_owner_entry(
        &self,
        owner: &TokenHash,
        issued_at: i64,
        id: &str,
    ) -> Result<(), StoreError> {
        self.kv
            .delete(&owner_key(owner, issued_at, id))
            .await
            .map_err(kv_error("delete owner"))
    }

    /// Writes `next` over a client whose stored owner was `before` (read-back checked, events
    /// if it won), keeping the index: the new owner's entry first; the old owner's removed only
    /// once this write has won. A lost write leaves its entry, harmless as above: a concurrent
    /// writer with the same owner may need it.
    pub(super) async fn write_with_owner(
        &self,
        next: &StoredClient,
        before: Option<&TokenHash>,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        if next.owner.is_some() && next.owner.as_ref() != before {
            self.put_owner_entry(next).await?;
        }
        let won = self.write_checked_with_events(next, events).await?;
        if let Some(old) = before.filter(|o| won && next.owner.as_ref() != Some(*o)) {
            self.delete_owner_entry(old, next.client_id_issued_at, &next.client_id)
                .await?;
        }
        Ok(won)
    }

    /// [`ClientStore::list_clients`](crate::store::ClientStore::list_clients): with
    /// `filter.owner`, from the owner's entries (their keys, not everyone's); otherwise from the
    /// `age/` index (every client). In D1's order (newest first, then `client_id` descending),
    /// strictly after `after`; each client is read and checked against the whole filter, so a
    /// left-over entry (see the module comment) that finds no client, another owner's client or
    /// a client issued at another time is skipped.
    pub(super) async fn client_page(
        &self,
        filter: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<StoredClient>, StoreError> {
        let prefix = filter.owner.as_ref().map_or("age/".into(), owner_prefix);
        let keys = self.list_all(&prefix).await?;
        let mut out = Vec::new();
        for (t, id) in newest_after(&keys, after) {
            if out.len() == limit {
                break;
            }
            if let Some(c) = self.find(id).await? {
                if c.client_id_issued_at == t && filter.matches(&c) {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }
}
