//! Storage behind one trait, so the service logic does not know the backend. D1 (strongly
//! consistent) is the source of truth; see `glue::d1_store`. Every write that records an audit
//! event takes the events with it, and a backend writes both atomically or neither.

pub mod audit;
pub mod memory;
pub mod sql_errors;

pub use audit::{AuditFilter, AuditKind};

use crate::metadata::{ClientMetadata, RedirectUri};
use serde_json::{json, Value};

/// Largest audit event `detail`, in bytes of its stored JSON text.
pub const MAX_AUDIT_DETAIL_BYTES: usize = 512;

/// At most one `client_read` event per client in this many seconds: a read is recorded, a client
/// polling its registration does not add a row per request.
pub const READ_EVENT_INTERVAL: i64 = 3600;

/// At most one `last_used_at` write per client in this many seconds: the authorization server
/// API looks a client up on every authorization and token request.
pub const USE_RECORD_INTERVAL: i64 = 3600;

/// Most audit events one prune statement removes, and most statements per scheduled run: the run
/// stays well inside a Worker invocation's limits, and a backlog is worked off run by run.
pub const AUDIT_PRUNE_BATCH: usize = 2_000;
pub const AUDIT_PRUNE_MAX_BATCHES: usize = 25;

/// Most unused clients one scheduled run removes (`UNUSED_CLIENT_TTL`), in one transaction on D1;
/// a larger backlog is worked off by the next runs.
pub const UNUSED_REMOVE_PER_RUN: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientStatus {
    Active,
    Suspended,
}

impl ClientStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientStatus::Active => "active",
            ClientStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(ClientStatus::Active),
            "suspended" => Some(ClientStatus::Suspended),
            _ => None,
        }
    }
}

/// One registered client as stored: metadata plus keyed hashes, never the secrets themselves.
///
/// The stores map it to their rows by hand (D1's `ClientRow`, KV's `ClientRecord`): a serde
/// form of it measured +2.2 KB gzip of wasm on D1 (a row as `json_object(...)` read with
/// serde_json) and +4.3 KB on KV (`#[serde(flatten)]` beside KV's write stamp), issue 15 item 2.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredClient {
    pub client_id: String,
    pub metadata: ClientMetadata,
    /// HMAC of the client secret, for clients that have one.
    pub client_secret_hash: Option<String>,
    /// The secret as a client projection needs it (`projection::secret_digest`), kept only
    /// while `PROJECT_CLIENTS` is set and only for secrets issued since: the projection is
    /// rebuilt from the store alone, and the keyed hash above cannot give it.
    pub projected_secret: Option<String>,
    /// HMAC of the current registration access token.
    pub registration_token_hash: String,
    /// Unix seconds.
    pub client_id_issued_at: i64,
    pub updated_at: i64,
    pub status: ClientStatus,
    /// `anonymous`, `admin` or `iat:<id>`. A client inserted with `iat:<id>` uses that token
    /// once; the insert fails with [`StoreError::TokenUnusable`] if the token cannot be used.
    pub registered_by: String,
    /// The policy class (`policy::CallerClass::as_stored`).
    pub policy_class: String,
    /// Raised by every change; updates are compare-and-set on it.
    pub version: i64,
    /// When a read of it through RFC 7592 was last recorded (Unix seconds), if ever. Not part of
    /// the compare-and-set: recording a read never conflicts with an update.
    pub last_read_at: Option<i64>,
    /// When the authorization server API last recorded a use of it (Unix seconds, written at
    /// most once per [`USE_RECORD_INTERVAL`]), if ever. Not part of the compare-and-set either.
    pub last_used_at: Option<i64>,
}

impl StoredClient {
    /// Whether a read at `now` is to be recorded (none within [`READ_EVENT_INTERVAL`]).
    pub fn read_due(&self, now: i64) -> bool {
        due(self.last_read_at, now, READ_EVENT_INTERVAL)
    }

    /// Whether a use at `now` is to be recorded (none within [`USE_RECORD_INTERVAL`]).
    pub fn use_due(&self, now: i64) -> bool {
        due(self.last_used_at, now, USE_RECORD_INTERVAL)
    }

    /// The `UNUSED_CLIENT_TTL` rule: an anonymous (`registered_by`), active client that the
    /// authorization server API never saw (`last_used_at` unset), issued before `issued_before`.
    /// A suspended client is an operator's decision and stays until the operator deletes it.
    /// D1 writes the same rule in SQL (`glue::d1_store`, `UNUSED`).
    pub fn unused_before(&self, issued_before: i64) -> bool {
        self.registered_by == "anonymous"
            && self.status == ClientStatus::Active
            && self.last_used_at.is_none()
            && self.client_id_issued_at < issued_before
    }
}

/// Whether something last written at `last` (if ever) is to be written again at `now`.
fn due(last: Option<i64>, now: i64, interval: i64) -> bool {
    last.is_none_or(|t| now.saturating_sub(t) >= interval)
}

/// An audit log entry. Never holds a secret or token.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub at: i64,
    pub event: AuditKind,
    pub client_id: Option<String>,
    pub actor: String,
    pub request_id: String,
    pub ip_hash: Option<String>,
    pub detail: Option<Value>,
}

impl AuditEvent {
    /// The event with `detail`, cut to [`MAX_AUDIT_DETAIL_BYTES`] (see [`bounded_detail`]).
    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = Some(bounded_detail(detail));
        self
    }

    /// The event as stored under `id`, its detail bounded ([`bounded_detail`]).
    pub fn record(&self, id: i64) -> AuditRecord {
        AuditRecord {
            id,
            at: self.at,
            event: self.event.as_str().into(),
            client_id: self.client_id.clone(),
            actor: self.actor.clone(),
            request_id: self.request_id.clone(),
            ip_hash: self.ip_hash.clone(),
            detail: self.detail.as_ref().map(|d| bounded_detail(d.clone())),
        }
    }

    /// `detail` as the JSON text a store writes: never over [`MAX_AUDIT_DETAIL_BYTES`], however
    /// the event was built.
    pub fn detail_text(&self) -> Option<String> {
        self.detail
            .as_ref()
            .map(|d| bounded_detail(d.clone()).to_string())
    }
}

/// `detail` if its JSON text fits [`MAX_AUDIT_DETAIL_BYTES`]; else the same object with its
/// string members cut (marked `"truncated": true`), or only that marker when nothing else fits.
/// A refused registration's description repeats what was sent, so this is what keeps one
/// request from storing more than a row's worth.
pub fn bounded_detail(detail: Value) -> Value {
    let fits = |v: &Value| v.to_string().len() <= MAX_AUDIT_DETAIL_BYTES;
    if fits(&detail) {
        return detail;
    }
    if let Value::Object(map) = &detail {
        let mut room = MAX_AUDIT_DETAIL_BYTES / 2;
        while room >= 8 {
            let mut cut: serde_json::Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.len() <= 64)
                .map(|(k, v)| match v {
                    Value::String(s) if s.len() > room => {
                        let end = (0..=room)
                            .rev()
                            .find(|i| s.is_char_boundary(*i))
                            .unwrap_or(0);
                        (k.clone(), Value::String(format!("{}…", &s[..end])))
                    }
                    Value::String(_) | Value::Number(_) | Value::Bool(_) => (k.clone(), v.clone()),
                    _ => (k.clone(), json!("…")),
                })
                .collect();
            cut.insert("truncated".into(), true.into());
            let cut = Value::Object(cut);
            if fits(&cut) {
                return cut;
            }
            room /= 2;
        }
    }
    json!({ "truncated": true })
}

/// An audit entry as read back. Its serde form is KV's key metadata of the event (absent members
/// read as `None`, `None` is not written). D1 maps its row by hand (`AuditRow`): the row as
/// `json_object(...)` read with serde_json measured +1.9 KB gzip of wasm.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub actor: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

/// An initial access token as stored (the value itself never is). Its serde form is its D1 row
/// and its KV value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InitialAccessToken {
    pub id: String,
    pub token_hash: String,
    pub label: String,
    pub profile: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub uses: i64,
    pub revoked_at: Option<i64>,
}

/// Where an initial access token stands at a given time ([`InitialAccessToken::state_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IatState {
    Revoked,
    Expired,
    /// Used `max_uses` times.
    Exhausted,
    Usable,
}

impl InitialAccessToken {
    /// The one rule of a token's state, in this order: revoked, expired (`expires_at <= now`),
    /// used up (`uses >= max_uses`), else usable. The service checks a presented token with it,
    /// the admin API shows it, and the in-memory and KV stores check it again when a client is
    /// inserted through the token. D1 writes the same rule in SQL: the `iat_valid` trigger
    /// (revoked, expired) and the `iat_uses` CHECK (used up) of migrations/0002, and the
    /// scheduled clean-up's `expires_at <= now`.
    pub fn state_at(&self, now: i64) -> IatState {
        if self.revoked_at.is_some() {
            IatState::Revoked
        } else if self.expired_at(now) {
            IatState::Expired
        } else if self.uses >= self.max_uses {
            IatState::Exhausted
        } else {
            IatState::Usable
        }
    }

    /// Whether a registration at `now` may use the token ([`InitialAccessToken::state_at`]).
    pub fn usable_at(&self, now: i64) -> bool {
        self.state_at(now) == IatState::Usable
    }

    /// Whether the token has expired by `now` (the clean-up removes it).
    pub fn expired_at(&self, now: i64) -> bool {
        self.expires_at <= now
    }
}

/// Admin search over clients; every member narrows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientFilter {
    /// A substring of `client_name`, compared with ASCII letters folded to lower case and
    /// every other character as it is ([`name_contains`]; the rule of SQLite's `lower()`, so
    /// every backend matches the same clients: `q=cole` and `q=École` find `Grande École`,
    /// `q=école` does not).
    pub q: Option<String>,
    pub client_id_prefix: Option<String>,
    /// Exact host of one of the redirect URIs, as the URL parser reads it (ASCII case folded):
    /// a host in a URI's path or query does not count ([`redirect_host_matches`]).
    pub redirect_host: Option<String>,
    pub software_id: Option<String>,
    pub status: Option<ClientStatus>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
}

/// The `q` rule ([`ClientFilter::q`]): whether `name` contains `q` with ASCII letters compared
/// case-insensitively and every other character exactly. D1 writes it as
/// `instr(lower(name), lower(q)) > 0`: SQLite's built-in `lower()` folds only A–Z.
pub fn name_contains(name: &str, q: &str) -> bool {
    name.to_ascii_lowercase()
        .contains(q.to_ascii_lowercase().as_str())
}

/// The `redirect_host` rule ([`ClientFilter::redirect_host`]): whether the host the URL parser
/// reads from one of `uris` is `host`, ASCII case folded. D1 narrows the candidates in SQL and
/// applies this to them (`glue::d1_store`, `list_clients`).
pub fn redirect_host_matches(uris: &[RedirectUri], host: &str) -> bool {
    uris.iter()
        .any(|u| u.host().is_some_and(|x| x.eq_ignore_ascii_case(host)))
}

impl ClientFilter {
    /// Whether `c` passes every member of the filter: the in-memory and KV backends, and D1
    /// for the candidates of a `redirect_host` search; D1 writes the other members in SQL.
    pub fn matches(&self, c: &StoredClient) -> bool {
        let f = self;
        let name_ok = f.q.as_ref().is_none_or(|q| {
            c.metadata
                .client_name
                .as_ref()
                .is_some_and(|n| name_contains(n, q))
        });
        let host_ok = f
            .redirect_host
            .as_ref()
            .is_none_or(|h| redirect_host_matches(&c.metadata.redirect_uris, h));
        name_ok
            && host_ok
            && f.client_id_prefix
                .as_ref()
                .is_none_or(|p| c.client_id.starts_with(p.as_str()))
            && f.software_id
                .as_ref()
                .is_none_or(|s| c.metadata.software_id.as_ref() == Some(s))
            && f.status.is_none_or(|s| c.status == s)
            && f.created_after.is_none_or(|t| c.client_id_issued_at > t)
            && f.created_before.is_none_or(|t| c.client_id_issued_at < t)
    }
}

/// A change an admin makes to one client.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminChange {
    Status(ClientStatus),
    /// A new client secret: its keyed hash and, with a projection, its projected form.
    SecretHash {
        hash: String,
        projected: Option<String>,
    },
    TokenHash(String),
}

impl AdminChange {
    /// The change applied to `c` at `now`: the changed member (a new secret replaces its
    /// projected form too, `None` without a projection), `updated_at`, and the version raised.
    /// The in-memory and KV stores call this; D1 writes the same `UPDATE` (`admin_change`).
    pub fn apply(&self, c: &mut StoredClient, now: i64) {
        match self {
            AdminChange::Status(status) => c.status = *status,
            AdminChange::SecretHash { hash, projected } => {
                c.client_secret_hash = Some(hash.clone());
                c.projected_secret = projected.clone();
            }
            AdminChange::TokenHash(h) => c.registration_token_hash = h.clone(),
        }
        c.updated_at = now;
        c.version += 1;
    }
}

/// Why a store operation failed. The stores know nothing of the wire: the service maps each
/// to its RFC error (`impl From<StoreError> for ApiError`, src/service/mod.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The caller class's quota of clients is reached (`insert` with a quota; D1's
    /// `client_quota` CHECK).
    QuotaExceeded,
    /// The initial access token is expired, revoked or used up (`insert` through a token; D1's
    /// `iat_uses` CHECK or `iat_invalid` trigger).
    TokenUnusable,
    /// A row with the same key exists (a generated `client_id` collided).
    Conflict,
    /// The backend failed: what failed, for the log. The request gets a server error.
    Backend(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::QuotaExceeded => f.write_str("client quota reached"),
            StoreError::TokenUnusable => f.write_str("initial access token unusable"),
            StoreError::Conflict => f.write_str("key conflict"),
            StoreError::Backend(cause) => f.write_str(cause),
        }
    }
}

/// What a scheduled clean-up removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanupReport {
    pub expired_tokens: u64,
    pub idle_clients: u64,
    /// Audit events older than `AUDIT_RETENTION_DAYS`.
    pub pruned_events: u64,
    /// Anonymous clients never used within `UNUSED_CLIENT_TTL`.
    pub unused_clients: u64,
    /// Clients found holding a grant in the projection before the clean-up (recorded as used).
    pub used_by_grants: Option<u64>,
}

/// What one resync of a client projection did (`projection::Projecting`, the one store with a
/// projection; defined here because [`ClientStore::resync_projection`] returns it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResyncReport {
    /// Records written: missing, stale, or written by someone else under a client's key.
    pub written: u64,
    /// Records removed: of deleted, suspended or unprojectable clients.
    pub removed: u64,
    /// Records already as they must be.
    pub unchanged: u64,
    /// Clients that cannot be projected (an unsupported method, a secret from before the
    /// projection); none of them has a record.
    pub skipped: u64,
    /// Keys under the prefix that Registrar did not write and has no client for; left alone.
    pub foreign: u64,
    /// Writes that failed; the next resync tries again.
    pub failed: u64,
    /// Grants (with their tokens) revoked because their client has no record any more.
    pub grants_revoked: u64,
    /// False when `projection::MAX_RESYNC_CHANGES` stopped the run; the next one goes on.
    pub complete: bool,
}

impl ResyncReport {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "written": self.written,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "foreign": self.foreign,
            "failed": self.failed,
            "grants_revoked": self.grants_revoked,
            "complete": self.complete,
        })
    }
}

/// Keyset position: the `(sort time, id)` of the last item of the previous page.
pub type After = Option<(i64, String)>;

/// Worker futures are not `Send`, so neither are these; callers are generic over the store.
#[allow(async_fn_in_trait)]
pub trait ClientStore {
    /// Saves a new client with its events, counting it against `max_clients` of its policy
    /// class (`None`: no limit). Over the quota → [`StoreError::QuotaExceeded`]; registered through
    /// an initial access token that is expired, revoked or used up → [`StoreError::TokenUnusable`].
    /// Returns only once the write is durable.
    async fn insert(
        &self,
        client: &StoredClient,
        max_clients: Option<u64>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;

    async fn find(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError>;

    /// Replaces the client only if it is still as read: its registration token hash is
    /// `current.registration_token_hash` and its version `current.version` (compare-and-set).
    /// Stores `client` with the version raised. `Ok(false)` when it changed; then no event.
    async fn replace(
        &self,
        client: &StoredClient,
        current: &StoredClient,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError>;

    /// Deletes the client, only if its token hash is `expected_token_hash` when one is given.
    async fn delete(
        &self,
        client_id: &str,
        expected_token_hash: Option<&str>,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError>;

    /// Applies an admin change; `Ok(false)` if the client does not exist.
    async fn admin_change(
        &self,
        client_id: &str,
        change: &AdminChange,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError>;

    /// Newest first, strictly after `after`.
    async fn list_clients(
        &self,
        filter: &ClientFilter,
        after: &After,
        limit: usize,
    ) -> Result<Vec<StoredClient>, StoreError>;

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError>;

    /// Newest first, with ids below `before_id`.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        before_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, StoreError>;

    async fn insert_iat(
        &self,
        token: &InitialAccessToken,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;

    async fn find_iat_by_hash(&self, hash: &str) -> Result<Option<InitialAccessToken>, StoreError>;

    /// Newest first, strictly after `after`.
    async fn list_iats(
        &self,
        after: &After,
        limit: usize,
    ) -> Result<Vec<InitialAccessToken>, StoreError>;

    /// Scheduled clean-up: removes initial access tokens expired by `now`; when
    /// `idle_before` is given, anonymous clients neither read, used nor updated since then; when
    /// `unused_before` is given, up to [`UNUSED_REMOVE_PER_RUN`] clients that are
    /// [`StoredClient::unused_before`] it, oldest first (`client_removed_unused`, detail
    /// `{"unused_client_ttl": now - unused_before}`; D1 carries the condition in the delete, so a
    /// use recorded meanwhile keeps the client). Writes one event per removal (from `template`:
    /// actor, request id) with the removal.
    async fn cleanup(
        &self,
        now: i64,
        idle_before: Option<i64>,
        unused_before: Option<i64>,
        template: &AuditEvent,
    ) -> Result<CleanupReport, StoreError>;

    /// Records an RFC 7592 read of the client at `now` with its event, unless one was recorded
    /// within [`READ_EVENT_INTERVAL`] (then nothing is written). Sets `last_read_at`, which the
    /// idle clean-up reads; never touches the client's version.
    async fn record_read(
        &self,
        client_id: &str,
        now: i64,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Records a use of the client through the authorization server API at `now`, unless one
    /// was recorded within [`USE_RECORD_INTERVAL`]. Sets `last_used_at`, which the idle clean-up
    /// and the admin API read; writes no audit event and never touches the client's version.
    async fn record_use(&self, client_id: &str, now: i64) -> Result<(), StoreError>;

    /// [`ClientStore::record_use`] for many clients at once (uses seen in a projection's
    /// grants); returns how many were written.
    async fn record_uses(&self, client_ids: &[String], now: i64) -> Result<u64, StoreError> {
        for id in client_ids {
            self.record_use(id, now).await?;
        }
        Ok(client_ids.len() as u64)
    }

    /// Records as a use every client that holds a grant in the projection's namespace (the AS
    /// authorized it; Registrar sees no other use of a projected client); `Ok(None)` without a
    /// projection (only `projection::Projecting` has one).
    async fn record_uses_from_projection(&self, _now: i64) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }

    /// Removes up to `limit` audit events older than `before` (oldest first) and returns how
    /// many. The only deletion of audit events there is; the D1 schema refuses any other.
    async fn prune_audit(&self, before: i64, limit: usize) -> Result<u64, StoreError>;

    /// Revokes the token; `Ok(false)` if it does not exist or was already revoked.
    async fn revoke_iat(
        &self,
        id: &str,
        now: i64,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError>;

    /// Rebuilds the client projection from the store (`crate::projection`); `Ok(None)` when
    /// there is none (only `projection::Projecting` has one).
    async fn resync_projection(&self) -> Result<Option<ResyncReport>, StoreError> {
        Ok(None)
    }
}
