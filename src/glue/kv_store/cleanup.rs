//! The `UNUSED_CLIENT_TTL` clean-up on KV, oldest first through the listing index.

use super::{kv_error, used_key, KvStore, INVERT};
use crate::store::{AuditEvent, ClientStore, StoreError, UNUSED_REMOVE_PER_RUN};

impl KvStore {
    /// The `UNUSED_CLIENT_TTL` part of the clean-up: up to [`UNUSED_REMOVE_PER_RUN`] clients
    /// that are `StoredClient::unused_before` `issued_before`, oldest first, each with `event`.
    pub(super) async fn remove_unused(
        &self,
        issued_before: i64,
        event: &AuditEvent,
    ) -> Result<u64, StoreError> {
        // The index lists newest first: walk it from the end, oldest first, until a client
        // issued at or after the cut-off. Check and delete are separate KV calls: a use
        // recorded in another location within KV's propagation delay (about 60 s) may be
        // missed (docs/storage.md, "Storage backends").
        let mut removed = 0;
        for key in self.list_all("age/").await?.iter().rev() {
            if removed as usize >= UNUSED_REMOVE_PER_RUN {
                break;
            }
            let mut parts = key.name.splitn(3, '/').skip(1);
            let (Some(inverted), Some(id)) = (parts.next(), parts.next()) else {
                continue;
            };
            let issued = inverted.parse::<i64>().map_or(i64::MAX, |n| INVERT - n);
            if issued >= issued_before {
                break;
            }
            let Some(mut client) = self.find(id).await? else {
                continue;
            };
            if self
                .kv
                .get(&used_key(id))
                .text()
                .await
                .map_err(kv_error("get used"))?
                .is_some()
            {
                client.last_used_at = Some(0);
            }
            if !client.unused_before(issued_before) {
                continue;
            }
            let mut e = event.clone();
            e.client_id = Some(id.to_string());
            if self.delete(id, None, &[e]).await? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
