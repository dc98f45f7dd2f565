//! The scheduled clean-up on D1: expired tokens, idle and unused clients, in one transaction.

use super::sql::{changes, d1_error, int, text};
use super::D1Store;
use crate::store::{AuditEvent, AuditKind, CleanupReport, StoreError, UNUSED_REMOVE_PER_RUN};
use wasm_bindgen::JsValue;

impl D1Store {
    /// [`ClientStore::cleanup`](crate::store::ClientStore::cleanup) on D1: each removal's event
    /// and the removal in one batch.
    pub(super) async fn scheduled_cleanup(
        &self,
        now: i64,
        idle_before: Option<i64>,
        unused_before: Option<i64>,
        template: &AuditEvent,
    ) -> Result<CleanupReport, StoreError> {
        // Each removal's event is inserted first, from the same condition, in one transaction.
        // `expires_at <= ?1` is `InitialAccessToken::expired_at`.
        let actor = text(&template.actor);
        let request_id = text(&template.request_id);
        let mut batch = vec![
            self.statement(
                "INSERT INTO audit_events (at, event, actor, request_id, detail) \
                 SELECT ?1, ?4, ?2, ?3, json_object('iat_id', id) \
                 FROM initial_access_tokens WHERE expires_at <= ?1",
                &[
                    int(now),
                    actor.clone(),
                    request_id.clone(),
                    text(AuditKind::IatExpired.as_str()),
                ],
                "cleanup",
            )?,
            self.statement(
                "DELETE FROM initial_access_tokens WHERE expires_at <= ?1",
                &[int(now)],
                "cleanup",
            )?,
        ];
        if let Some(cutoff) = idle_before {
            const IDLE: &str = "policy_class = 'anonymous' \
                 AND max(updated_at, coalesce(last_read_at, 0), coalesce(last_used_at, 0)) < ?4";
            batch.push(self.statement(
                &format!(
                    "INSERT INTO audit_events (at, event, client_id, actor, request_id) \
                     SELECT ?1, ?5, client_id, ?2, ?3 FROM clients WHERE {IDLE}"
                ),
                &[
                    int(now),
                    actor.clone(),
                    request_id.clone(),
                    int(cutoff),
                    text(AuditKind::ClientExpired.as_str()),
                ],
                "cleanup",
            )?);
            batch.push(self.statement(
                &format!("DELETE FROM clients WHERE {IDLE}"),
                &[JsValue::NULL, JsValue::NULL, JsValue::NULL, int(cutoff)],
                "cleanup",
            )?);
        }
        let unused_at = batch.len();
        if let Some(cutoff) = unused_before {
            // StoredClient::unused_before, oldest first (clients_newest read backwards). Events
            // and delete select the same rows in one transaction, and the delete carries the
            // whole condition: a use recorded before it commits keeps the client.
            macro_rules! unused {
                () => {
                    "SELECT client_id FROM clients WHERE registered_by = 'anonymous' \
                     AND status = 'active' AND last_used_at IS NULL AND client_id_issued_at < ?4 \
                     ORDER BY client_id_issued_at, client_id LIMIT ?5"
                };
            }
            let limit = int(UNUSED_REMOVE_PER_RUN as i64);
            batch.push(self.statement(
                concat!(
                    "INSERT INTO audit_events (at, event, client_id, actor, request_id, detail) \
                     SELECT ?1, ?6, client_id, ?2, ?3, \
                     json_object('unused_client_ttl', CAST(?1 - ?4 AS INTEGER)) FROM (",
                    unused!(),
                    ")"
                ),
                &[
                    int(now),
                    actor,
                    request_id,
                    int(cutoff),
                    limit.clone(),
                    text(AuditKind::ClientRemovedUnused.as_str()),
                ],
                "cleanup",
            )?);
            batch.push(self.statement(
                concat!("DELETE FROM clients WHERE client_id IN (", unused!(), ")"),
                &[
                    JsValue::NULL,
                    JsValue::NULL,
                    JsValue::NULL,
                    int(cutoff),
                    limit,
                ],
                "cleanup",
            )?);
        }
        let results = self.db.batch(batch).await.map_err(d1_error("cleanup"))?;
        // Counted from the event inserts: D1's counts for deletes include trigger changes.
        let count = |i: usize| -> Result<u64, StoreError> {
            results
                .get(i)
                .map_or(Ok(0), |r| changes(r, "cleanup").map(|n| n as u64))
        };
        Ok(CleanupReport {
            expired_tokens: count(0)?,
            idle_clients: if idle_before.is_some() { count(2)? } else { 0 },
            unused_clients: if unused_before.is_some() {
                count(unused_at)?
            } else {
                0
            },
            ..CleanupReport::default()
        })
    }
}
