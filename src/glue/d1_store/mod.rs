//! [`ClientStore`] on Cloudflare D1. One statement or one batch (a transaction) per operation.
//! Updates and deletes are compare-and-set; audit events go in the same batch as their change,
//! guarded by `changes() = 1` so a change that did not happen records nothing. Quotas and
//! initial access token uses are enforced by the schema (migrations/0002), inside the batch.
//!
//! By responsibility: the rows and their mapping (`rows`), binding and errors (`sql`), the admin
//! client search (`client_search`), the audit log (`audit`) and the scheduled clean-up
//! (`cleanup`); the statements of every other operation are here.

mod audit;
mod cleanup;
mod client_search;
mod rows;
mod sql;

use crate::store::StoreError;
use crate::store::{
    AdminChange, After, AuditEvent, AuditFilter, AuditRecord, CleanupReport, ClientFilter,
    ClientStore, InitialAccessToken, StoredClient, READ_EVENT_INTERVAL, USE_RECORD_INTERVAL,
};
use crate::token::TokenHash;
use rows::{ClientRow, CLIENT_COLUMNS};
use serde::Deserialize;
use sql::{changes, d1_error, hash, int, metadata_json, opt_hash, opt_text, text};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// The store on the database binding (every read on the primary) or on a D1 Sessions API
/// session of one request (reads may be served by a read replica; writes always go to the
/// primary).
///
/// Both are held as a [`D1Database`]: a `D1DatabaseSession` has the same `prepare(sql)` and
/// `batch(statements)` as the database (D1's client API), and worker's bindings call those by
/// name (`structural`), so the store is written and compiled once (an enum dispatching to
/// `D1DatabaseSession`'s own methods measured +250 bytes gzip). Nothing else is called on it
/// (`dump`, `exec` and `withSession` are not on a session).
pub struct D1Store {
    db: D1Database,
    /// With a session: the binding itself, where [`ClientStore::find`] looks again for a client
    /// the session did not find.
    primary: Option<D1Database>,
}

impl D1Store {
    /// On the binding itself, or when `session`, on a session starting `first-unconstrained`
    /// (its first read may go to any replica). A runtime without sessions gets the primary.
    pub fn new(db: D1Database, session: bool) -> Self {
        match session.then(|| db.with_session(Some("first-unconstrained"))) {
            Some(Ok(s)) => D1Store {
                db: JsValue::from(s).unchecked_into(),
                primary: Some(db),
            },
            _ => D1Store { db, primary: None },
        }
    }

    /// Whether reads go through a D1 session (for the request log).
    pub fn is_session(&self) -> bool {
        self.primary.is_some()
    }

    fn statement(
        &self,
        sql: &str,
        args: &[JsValue],
        op: &'static str,
    ) -> Result<D1PreparedStatement, StoreError> {
        self.db.prepare(sql).bind(args).map_err(d1_error(op))
    }

    /// Runs `change` and its guarded events as one batch; returns whether `change` changed a row.
    async fn change_with_events(
        &self,
        change: D1PreparedStatement,
        events: &[AuditEvent],
        op: &'static str,
    ) -> Result<bool, StoreError> {
        let mut batch = vec![change];
        batch.extend(self.audit_statements(events, true)?);
        let results = self.db.batch(batch).await.map_err(d1_error(op))?;
        let first = results
            .first()
            .ok_or_else(|| StoreError::Backend(format!("D1 {op}: empty batch result")))?;
        // D1's `changes` also counts rows changed by triggers (the quota row), so "changed" is
        // any count above zero; the statement itself addresses one row by primary key.
        Ok(changes(first, op)? > 0)
    }

    /// Sets the client's `column` (`last_read_at` or `last_used_at`) to `now` with `events`,
    /// unless it is within `interval` of `now`. Conditional, so of concurrent requests in one
    /// interval only the first writes.
    async fn mark_at_most_every(
        &self,
        column: &'static str,
        interval: i64,
        client_id: &str,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let update = self.statement(
            &format!(
                "UPDATE clients SET {column} = ?2 \
                 WHERE client_id = ?1 AND coalesce({column}, 0) <= ?2 - ?3"
            ),
            &[text(client_id), int(now), int(interval)],
            "mark",
        )?;
        self.change_with_events(update, events, "mark")
            .await
            .map(|_| ())
    }

    async fn all<T: for<'de> Deserialize<'de>>(
        &self,
        sql: &str,
        args: &[JsValue],
        op: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let result = self
            .statement(sql, args, op)?
            .all()
            .await
            .map_err(d1_error(op))?;
        result.results().map_err(d1_error(op))
    }
}

impl ClientStore for D1Store {
    async fn insert(
        &self,
        client: &StoredClient,
        max_clients: Option<u64>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        // The quota row follows the configuration on every insert: created (counting the class's
        // existing clients) or updated when the class has a maximum, removed when it has none.
        let quota = match max_clients {
            Some(max) => self.statement(
                "INSERT INTO client_quota (class, n, max) \
                 VALUES (?1, (SELECT COUNT(*) FROM clients WHERE policy_class = ?1), ?2) \
                 ON CONFLICT (class) DO UPDATE SET max = excluded.max",
                &[text(&client.policy_class), int(max as i64)],
                "insert",
            )?,
            None => self.statement(
                "DELETE FROM client_quota WHERE class = ?1",
                &[text(&client.policy_class)],
                "insert",
            )?,
        };
        // Through an initial access token, `InitialAccessToken::usable_at` is the schema's to
        // check in this batch: the `iat_valid` trigger (revoked, expired) and the `iat_uses`
        // CHECK (used up) of migrations/0002 refuse the insert (`StoreError::TokenUnusable`).
        let mut batch = vec![quota];
        batch.push(self.statement(
            &format!(
                "INSERT INTO clients ({CLIENT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, NULL, ?11, ?12)"
            ),
            &[
                text(&client.client_id),
                metadata_json(client)?,
                opt_hash(client.client_secret_hash.as_ref()),
                hash(&client.registration_token_hash),
                int(client.client_id_issued_at),
                int(client.updated_at),
                text(client.status.as_str()),
                text(&client.registered_by),
                text(&client.policy_class),
                int(client.version),
                opt_text(client.projected_secret.as_deref()),
                opt_hash(client.owner.as_ref()),
            ],
            "insert",
        )?);
        batch.extend(self.audit_statements(events, false)?);
        self.db.batch(batch).await.map_err(d1_error("insert"))?;
        Ok(())
    }

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = ?1");
        // With a session, a miss is asked of the primary: a client registered a moment ago may
        // not have reached the replica yet (an MCP client registers and sends its user to
        // authorize at once).
        for db in std::iter::once(&self.db).chain(&self.primary) {
            let row: Option<ClientRow> = db
                .prepare(&sql)
                .bind(&[text(client_id)])
                .map_err(d1_error("find"))?
                .first(None)
                .await
                .map_err(d1_error("find"))?;
            if let Some(row) = row {
                return row.into_client().map(Some);
            }
        }
        Ok(None)
    }

    async fn replace(
        &self,
        client: &StoredClient,
        current: &StoredClient,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let update = self.statement(
            "UPDATE clients SET metadata = ?2, client_secret_hash = ?3, \
             registration_token_hash = ?4, updated_at = ?5, projected_secret = ?8, \
             version = version + 1 \
             WHERE client_id = ?1 AND registration_token_hash = ?6 AND version = ?7",
            &[
                text(&client.client_id),
                metadata_json(client)?,
                opt_hash(client.client_secret_hash.as_ref()),
                hash(&client.registration_token_hash),
                int(client.updated_at),
                hash(&current.registration_token_hash),
                int(current.version),
                opt_text(client.projected_secret.as_deref()),
            ],
            "replace",
        )?;
        self.change_with_events(update, events, "replace").await
    }

    async fn delete(
        &self,
        client_id: &str,
        expected_token_hash: Option<&TokenHash>,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let delete = match expected_token_hash {
            Some(h) => self.statement(
                "DELETE FROM clients WHERE client_id = ?1 AND registration_token_hash = ?2",
                &[text(client_id), hash(h)],
                "delete",
            )?,
            None => self.statement(
                "DELETE FROM clients WHERE client_id = ?1",
                &[text(client_id)],
                "delete",
            )?,
        };
        self.change_with_events(delete, events, "delete").await
    }

    async fn admin_change(
        &self,
        client_id: &str,
        change: &AdminChange,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let (column, value, projected) = match change {
            AdminChange::Status(s) => ("status", s.as_str(), None),
            AdminChange::SecretHash { hash, projected } => (
                "client_secret_hash",
                hash.as_stored(),
                Some(opt_text(projected.as_deref())),
            ),
            AdminChange::TokenHash(h) => ("registration_token_hash", h.as_stored(), None),
            AdminChange::Owner(o) => ("owner", o.as_stored(), None),
        };
        // A new secret replaces its projected form too (NULL when there is no projection).
        let (also, mut params) = match projected {
            Some(p) => (", projected_secret = ?4", vec![p]),
            None => ("", vec![]),
        };
        params.splice(0..0, [text(client_id), text(value), int(now)]);
        let update = self.statement(
            &format!(
                "UPDATE clients SET {column} = ?2, updated_at = ?3{also}, \
                 version = version + 1 WHERE client_id = ?1"
            ),
            &params,
            "admin_change",
        )?;
        self.change_with_events(update, events, "admin_change")
            .await
    }

    async fn list_clients(
        &self,
        f: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<StoredClient>, StoreError> {
        self.search_clients(f, after, limit).await
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        let statements = self.audit_statements(events, false)?;
        if !statements.is_empty() {
            self.db
                .batch(statements)
                .await
                .map_err(d1_error("append_audit"))?;
        }
        Ok(())
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
        t: &InitialAccessToken,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let mut batch = vec![self.statement(
            "INSERT INTO initial_access_tokens \
             (id, token_hash, label, profile, created_at, expires_at, max_uses, uses) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
            &[
                text(&t.id),
                hash(&t.token_hash),
                text(&t.label),
                opt_text(t.profile.as_deref()),
                int(t.created_at),
                int(t.expires_at),
                int(t.max_uses),
            ],
            "insert_iat",
        )?];
        batch.extend(self.audit_statements(events, false)?);
        self.db.batch(batch).await.map_err(d1_error("insert_iat"))?;
        Ok(())
    }

    async fn find_iat_by_hash(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<InitialAccessToken>, StoreError> {
        let row: Option<InitialAccessToken> = self
            .statement(
                "SELECT id, token_hash, label, profile, created_at, expires_at, max_uses, uses, \
                 revoked_at FROM initial_access_tokens WHERE token_hash = ?1",
                &[hash(token_hash)],
                "find_iat",
            )?
            .first(None)
            .await
            .map_err(d1_error("find_iat"))?;
        Ok(row)
    }

    async fn list_iats(
        &self,
        after: &After,
        limit: usize,
    ) -> Result<Vec<InitialAccessToken>, StoreError> {
        let (clause, args) = match after {
            Some((t, id)) => (
                " WHERE created_at < ?1 OR (created_at = ?1 AND id < ?2)",
                vec![int(*t), text(id)],
            ),
            None => ("", Vec::new()),
        };
        let sql = format!(
            "SELECT id, token_hash, label, profile, created_at, expires_at, max_uses, uses, \
             revoked_at FROM initial_access_tokens{clause} \
             ORDER BY created_at DESC, id DESC LIMIT {limit}"
        );
        self.all(&sql, &args, "list_iats").await
    }

    async fn cleanup(
        &self,
        now: i64,
        idle_before: Option<i64>,
        unused_before: Option<i64>,
        template: &AuditEvent,
    ) -> Result<CleanupReport, StoreError> {
        self.scheduled_cleanup(now, idle_before, unused_before, template)
            .await
    }

    async fn record_read(
        &self,
        client_id: &str,
        now: i64,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let event = std::slice::from_ref(event);
        self.mark_at_most_every("last_read_at", READ_EVENT_INTERVAL, client_id, now, event)
            .await
    }

    /// One statement for all of them (the projection's daily use scan).
    #[cfg(feature = "projection")]
    async fn record_uses(&self, client_ids: &[String], now: i64) -> Result<u64, StoreError> {
        let ids = serde_json::to_string(client_ids)
            .map_err(|e| StoreError::Backend(format!("D1 record_uses: {e}")))?;
        let result = self
            .statement(
                "UPDATE clients SET last_used_at = ?2 \
                 WHERE client_id IN (SELECT value FROM json_each(?1)) \
                 AND coalesce(last_used_at, 0) <= ?2 - ?3",
                &[text(&ids), int(now), int(USE_RECORD_INTERVAL)],
                "record_uses",
            )?
            .run()
            .await
            .map_err(d1_error("record_uses"))?;
        changes(&result, "record_uses").map(|n| n as u64)
    }

    async fn record_use(&self, client_id: &str, now: i64) -> Result<(), StoreError> {
        self.mark_at_most_every("last_used_at", USE_RECORD_INTERVAL, client_id, now, &[])
            .await
    }

    async fn prune_audit(&self, before: i64, limit: usize) -> Result<u64, StoreError> {
        self.prune_oldest(before, limit).await
    }

    async fn revoke_iat(
        &self,
        id: &str,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        // A registration batch that commits after this sees revoked_at in the iat_valid trigger.
        let update = self.statement(
            "UPDATE initial_access_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            &[text(id), int(now)],
            "revoke_iat",
        )?;
        self.change_with_events(update, events, "revoke_iat").await
    }
}
