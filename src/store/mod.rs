//! Storage behind one trait, so the service logic does not know the backend. D1 (strongly
//! consistent) is the source of truth; see `glue::d1_store`. Every write that records an audit
//! event takes the events with it, and a backend writes both atomically or neither.

pub mod audit;
mod client_filter;
mod initial_access_tokens;
pub mod memory;
mod reports;
pub mod sql_errors;

pub use audit::{
    bounded_detail, AuditEvent, AuditFilter, AuditKind, AuditRecord, MAX_AUDIT_DETAIL_BYTES,
};
pub use client_filter::{name_contains, redirect_host_matches, ClientFilter};
pub use initial_access_tokens::{IatState, InitialAccessToken};
pub use reports::{CleanupReport, ResyncReport};

use crate::metadata::ClientMetadata;
use crate::token::TokenHash;

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
    pub client_secret_hash: Option<TokenHash>,
    /// The secret as a client projection needs it (`projection::secret_digest`), kept only
    /// while `PROJECT_CLIENTS` is set and only for secrets issued since: the projection is
    /// rebuilt from the store alone, and the keyed hash above cannot give it.
    pub projected_secret: Option<String>,
    /// HMAC of the current registration access token.
    pub registration_token_hash: TokenHash,
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
    /// Who owns the client: the keyed hash of a signed-in person's issuer and subject
    /// (`signin::session::Session::owner`), for clients registered or claimed in the dashboard.
    pub owner: Option<TokenHash>,
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

/// A change an admin makes to one client.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminChange {
    Status(ClientStatus),
    /// A new client secret: its keyed hash and, with a projection, its projected form.
    SecretHash {
        hash: TokenHash,
        projected: Option<String>,
    },
    TokenHash(TokenHash),
    /// A signed-in person claims the client (docs/dashboard-sign-in.md).
    Owner(TokenHash),
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
            AdminChange::Owner(o) => c.owner = Some(o.clone()),
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
        expected_token_hash: Option<&TokenHash>,
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

    async fn find_iat_by_hash(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<InitialAccessToken>, StoreError>;

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
