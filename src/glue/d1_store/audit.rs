//! The audit log on D1: event inserts (guarded to follow their change), the query, the prune.

use super::rows::AuditRow;
use super::sql::{changes, d1_error, int, opt_text, text, Conditions};
use super::D1Store;
use crate::store::{AuditEvent, AuditFilter, AuditRecord, StoreError};
use worker::D1PreparedStatement;

impl D1Store {
    /// Audit inserts; `guarded` ones are written only if the statement before changed a row.
    pub(super) fn audit_statements(
        &self,
        events: &[AuditEvent],
        guarded: bool,
    ) -> Result<Vec<D1PreparedStatement>, StoreError> {
        let sql = if guarded {
            "INSERT INTO audit_events (at, event, client_id, actor, request_id, ip_hash, detail) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() = 1"
        } else {
            "INSERT INTO audit_events (at, event, client_id, actor, request_id, ip_hash, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        };
        events
            .iter()
            .map(|e| {
                let detail = e.detail_text();
                self.statement(
                    sql,
                    &[
                        int(e.at),
                        text(e.event.as_str()),
                        opt_text(e.client_id.as_deref()),
                        text(&e.actor),
                        text(&e.request_id),
                        opt_text(e.ip_hash.as_deref()),
                        opt_text(detail.as_deref()),
                    ],
                    "audit",
                )
            })
            .collect()
    }

    /// [`ClientStore::list_audit`](crate::store::ClientStore::list_audit) on D1.
    pub(super) async fn audit_page(
        &self,
        f: &AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut w = Conditions::default();
        if let Some(id) = before_id {
            w.add("id < ?", int(id));
        }
        if let Some(c) = &f.client_id {
            w.add("client_id = ?", text(c));
        }
        if let Some(e) = &f.event {
            w.add("event = ?", text(e));
        }
        if let Some(a) = &f.actor {
            w.add("actor = ?", text(a));
        }
        if let Some(t) = f.since {
            w.add("at >= ?", int(t));
        }
        if let Some(t) = f.until {
            w.add("at <= ?", int(t));
        }
        let sql = format!(
            "SELECT id, at, event, client_id, actor, request_id, ip_hash, detail \
             FROM audit_events{} ORDER BY id DESC LIMIT {limit}",
            w.sql()
        );
        let rows: Vec<AuditRow> = self.all(&sql, &w.args, "list_audit").await?;
        Ok(rows.into_iter().map(AuditRow::into_record).collect())
    }

    /// [`ClientStore::prune_audit`](crate::store::ClientStore::prune_audit) on D1.
    pub(super) async fn prune_oldest(&self, before: i64, limit: usize) -> Result<u64, StoreError> {
        // The horizon first: the schema refuses to delete any event at or after it
        // (migrations/0004).
        let batch = vec![
            self.statement(
                "UPDATE audit_prune_horizon SET before = max(before, ?1) WHERE id = 1",
                &[int(before)],
                "prune_audit",
            )?,
            self.statement(
                &format!(
                    "DELETE FROM audit_events WHERE id IN \
                     (SELECT id FROM audit_events WHERE at < ?1 ORDER BY id LIMIT {limit})"
                ),
                &[int(before)],
                "prune_audit",
            )?,
        ];
        let results = self
            .db
            .batch(batch)
            .await
            .map_err(d1_error("prune_audit"))?;
        match results.get(1) {
            Some(r) => changes(r, "prune_audit").map(|n| n as u64),
            None => Err(StoreError::Backend("D1 prune_audit: no result".into())),
        }
    }
}
