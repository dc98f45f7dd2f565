//! [`ClientStore`] on Cloudflare D1. One statement or one batch (a transaction) per operation.
//! Updates and deletes are compare-and-set; audit events go in the same batch as their change,
//! guarded by `changes() = 1` so a change that did not happen records nothing. Quotas and
//! initial access token uses are enforced by the schema (migrations/0002), inside the batch.

use crate::store::redirect_host_matches;
use crate::store::StoreError;
use crate::store::{
    AdminChange, After, AuditEvent, AuditFilter, AuditKind, AuditRecord, CleanupReport,
    ClientFilter, ClientStatus, ClientStore, InitialAccessToken, StoredClient, READ_EVENT_INTERVAL,
    UNUSED_REMOVE_PER_RUN, USE_RECORD_INTERVAL,
};
use crate::token::TokenHash;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

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

const CLIENT_COLUMNS: &str = "client_id, metadata, client_secret_hash, registration_token_hash, \
     client_id_issued_at, updated_at, status, registered_by, policy_class, version, last_read_at, \
     last_used_at, projected_secret";

#[derive(Deserialize)]
struct ClientRow {
    client_id: String,
    metadata: String,
    client_secret_hash: Option<String>,
    registration_token_hash: String,
    client_id_issued_at: i64,
    updated_at: i64,
    status: String,
    registered_by: String,
    policy_class: String,
    version: i64,
    last_read_at: Option<i64>,
    last_used_at: Option<i64>,
    projected_secret: Option<String>,
}

impl ClientRow {
    fn into_client(self) -> Result<StoredClient, StoreError> {
        let metadata = serde_json::from_str(&self.metadata).map_err(|e| {
            StoreError::Backend(format!(
                "stored metadata of {} unreadable: {e}",
                self.client_id
            ))
        })?;
        Ok(StoredClient {
            metadata,
            status: ClientStatus::parse(&self.status).unwrap_or(ClientStatus::Suspended),
            client_id: self.client_id,
            client_secret_hash: self.client_secret_hash.map(TokenHash::from_stored),
            projected_secret: self.projected_secret,
            registration_token_hash: TokenHash::from_stored(self.registration_token_hash),
            client_id_issued_at: self.client_id_issued_at,
            updated_at: self.updated_at,
            registered_by: self.registered_by,
            policy_class: self.policy_class,
            version: self.version,
            last_read_at: self.last_read_at,
            last_used_at: self.last_used_at,
        })
    }
}

#[derive(Deserialize)]
struct AuditRow {
    id: i64,
    at: i64,
    event: String,
    client_id: Option<String>,
    actor: String,
    request_id: String,
    ip_hash: Option<String>,
    detail: Option<String>,
}

fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

/// A keyed hash as its column holds it (TEXT, the stored form).
fn hash(h: &TokenHash) -> JsValue {
    text(h.as_stored())
}

fn opt_hash(h: Option<&TokenHash>) -> JsValue {
    opt_text(h.map(TokenHash::as_stored))
}

/// D1 numbers are JavaScript numbers: exact up to 2^53, far beyond any time or count here.
fn int(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn d1_error(op: &'static str) -> impl Fn(worker::Error) -> StoreError {
    move |e| crate::store::sql_errors::sql_error(op, &e.to_string())
}

/// Limits the schema enforces surface as constraint errors naming the rule.
fn batch_error(op: &'static str) -> impl Fn(worker::Error) -> StoreError {
    move |e| crate::store::sql_errors::sql_error(op, &e.to_string())
}

fn changes(result: &D1Result, op: &str) -> Result<usize, StoreError> {
    if let Some(e) = result.error() {
        return Err(StoreError::Backend(format!("D1 {op}: {e}")));
    }
    let meta = result
        .meta()
        .map_err(|e| StoreError::Backend(format!("D1 {op}: {e}")))?;
    Ok(meta.and_then(|m| m.changes).unwrap_or(0))
}

fn metadata_json(client: &StoredClient) -> Result<JsValue, StoreError> {
    serde_json::to_string(&client.metadata)
        .map(|s| JsValue::from_str(&s))
        .map_err(|e| StoreError::Backend(format!("serialise metadata: {e}")))
}

/// A dynamic `WHERE` clause with numbered parameters.
#[derive(Default)]
struct Conditions {
    clauses: Vec<String>,
    args: Vec<JsValue>,
}

impl Conditions {
    /// Adds a clause in which every `?` stands for the next parameter, bound to `value`
    /// (so the clause must hold no other `?`: write `char(63)` for a literal one).
    fn add(&mut self, clause: &str, value: JsValue) {
        let n = self.args.len() + 1;
        self.clauses.push(clause.replace('?', &format!("?{n}")));
        self.args.push(value);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// Escapes `%`, `_` and `\` for `LIKE ... ESCAPE '\'`.
fn like_literal(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Clients read per query of a `redirect_host` search (or the page's `limit` when larger).
const REDIRECT_HOST_PAGE: usize = 200;

/// The SQL narrowing of a `redirect_host` search, when there is a safe one: a redirect URI whose
/// parsed host is `host` contains `host` as written (ASCII case folded) unless the URL parser
/// changed it on reading, which needs a `%` (percent-decoding), a character outside printable
/// ASCII (IDNA, a tab or newline it drops) or an IP address (`0x7f.1` is `127.0.0.1`); the
/// candidates are the clients with a URI of one of these kinds. `None` (no narrowing) for a
/// filter that is no plain domain name. `store::redirect_host_matches` decides.
fn host_candidates(host: &str) -> Option<String> {
    let plain = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    let address = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    (plain && !address && !host.is_empty()).then(|| host.to_ascii_lowercase())
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

    /// Audit inserts; `guarded` ones are written only if the statement before changed a row.
    fn audit_statements(
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

    /// Runs `change` and its guarded events as one batch; returns whether `change` changed a row.
    async fn change_with_events(
        &self,
        change: D1PreparedStatement,
        events: &[AuditEvent],
        op: &'static str,
    ) -> Result<bool, StoreError> {
        let mut batch = vec![change];
        batch.extend(self.audit_statements(events, true)?);
        let results = self.db.batch(batch).await.map_err(batch_error(op))?;
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

    /// Up to `limit` clients newest first, strictly after `after`, that pass the members of `f`
    /// SQL decides: all but `redirect_host`, for which it keeps only candidates
    /// ([`host_candidates`]).
    async fn client_page(
        &self,
        f: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<ClientRow>, StoreError> {
        let mut w = Conditions::default();
        if let Some(q) = &f.q {
            // `store::name_contains`: SQLite's lower() folds A–Z only, as that rule does.
            w.add(
                "instr(lower(json_extract(metadata, '$.client_name')), lower(?)) > 0",
                text(q),
            );
        }
        if let Some(p) = &f.client_id_prefix {
            w.add(
                "client_id LIKE ? ESCAPE '\\'",
                text(&format!("{}%", like_literal(p))),
            );
        }
        if let Some(h) = f.redirect_host.as_deref().and_then(host_candidates) {
            w.add(
                "EXISTS (SELECT 1 FROM json_each(clients.metadata, '$.redirect_uris') r \
                 WHERE instr(lower(r.value), ?) > 0 OR instr(r.value, '%') > 0 \
                 OR r.value GLOB '*[^ -~]*')",
                text(&h),
            );
        }
        if let Some(s) = &f.software_id {
            w.add("json_extract(metadata, '$.software_id') = ?", text(s));
        }
        if let Some(s) = f.status {
            w.add("status = ?", text(s.as_str()));
        }
        if let Some(t) = f.created_after {
            w.add("client_id_issued_at > ?", int(t));
        }
        if let Some(t) = f.created_before {
            w.add("client_id_issued_at < ?", int(t));
        }
        if let Some((t, id)) = after {
            let n = w.args.len() + 1;
            w.clauses.push(format!(
                "(client_id_issued_at < ?{n} OR (client_id_issued_at = ?{n} AND client_id < ?{}))",
                n + 1
            ));
            w.args.push(int(*t));
            w.args.push(text(id));
        }
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM clients{} \
             ORDER BY client_id_issued_at DESC, client_id DESC LIMIT {limit}",
            w.sql()
        );
        self.all(&sql, &w.args, "list_clients").await
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
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, NULL, ?11)"
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
            ],
            "insert",
        )?);
        batch.extend(self.audit_statements(events, false)?);
        self.db.batch(batch).await.map_err(batch_error("insert"))?;
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
        // The host the URL parser reads is not an SQL expression: for `redirect_host`, SQL
        // decides the other members and narrows the candidates (`host_candidates`), and
        // `store::redirect_host_matches` decides, page by page, until `limit` clients match or
        // the candidates run out. Without it, the first page is the answer.
        let host = f.redirect_host.as_deref();
        let page = if host.is_some() {
            limit.max(REDIRECT_HOST_PAGE)
        } else {
            limit
        };
        let mut after = after.clone();
        let mut out = Vec::new();
        loop {
            let rows = self.client_page(f, &after, page).await?;
            let last_page = host.is_none() || rows.len() < page;
            for row in rows {
                let c = row.into_client()?;
                after = Some((c.client_id_issued_at, c.client_id.clone()));
                if host.is_none_or(|h| redirect_host_matches(&c.metadata.redirect_uris, h)) {
                    out.push(c);
                    if out.len() == limit {
                        return Ok(out);
                    }
                }
            }
            if last_page {
                return Ok(out);
            }
        }
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
        Ok(rows
            .into_iter()
            .map(|r| AuditRecord {
                id: r.id,
                at: r.at,
                event: r.event,
                client_id: r.client_id,
                actor: r.actor,
                request_id: r.request_id,
                ip_hash: r.ip_hash,
                detail: r.detail.and_then(|d| serde_json::from_str(&d).ok()),
            })
            .collect())
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
        let results = self.db.batch(batch).await.map_err(batch_error("cleanup"))?;
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
