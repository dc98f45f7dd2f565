//! What a scheduled clean-up and a projection resync report.

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
/// projection; defined here because
/// [`ClientStore::resync_projection`](super::ClientStore::resync_projection) returns it).
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
