//! The admin operations (docs/protected-registration.md): client search and lifecycle, initial
//! access tokens, the audit log. Authorisation (the admin token) is checked in [`crate::http`].
//! This file: query parsing, paging, the JSON forms and the scheduled jobs; clients.rs and
//! tokens.rs hold the operations.

mod clients;
pub mod owned;
mod tokens;

pub use owned::{Person, NOT_YOURS, SIGNED_IN_PROFILE};

use crate::error::{quoted, ApiError};
use crate::policy::{is_profile_name, CallerClass, Policy};
use crate::projection::{ResyncReport, PROJECTION_BUILT, PROJECTION_RESYNC_INTERVAL};
use crate::service::{parse_object, Registrar, SERVER_ONLY_MEMBERS};
use crate::store::{
    AdminChange, After, AuditFilter, AuditKind, AuditRecord, CleanupReport, ClientFilter,
    ClientStatus, ClientStore, IatState, InitialAccessToken, StoredClient, AUDIT_PRUNE_BATCH,
    AUDIT_PRUNE_MAX_BATCHES,
};
use crate::token::{self, Purpose, Secret};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const DEFAULT_PAGE: usize = 20;
pub const MAX_PAGE: usize = 100;
const DEFAULT_IAT_LIFETIME: i64 = 86_400;
const MAX_IAT_LIFETIME: i64 = 31_536_000;
const MAX_IAT_USES: i64 = 100_000;
/// How often an admin update is tried against a client that keeps changing meanwhile.
const ADMIN_UPDATE_ATTEMPTS: usize = 3;

/// Query parameters of an admin request.
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(query: &str) -> Query {
        Query(
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// A parameter's value, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .filter(|v| !v.is_empty())
            .map(String::as_str)
    }

    fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }

    fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError::InvalidRequest(format!(
                        "{name}: expected an integer, got {}",
                        quoted(&v)
                    ))
                })
            })
            .transpose()
    }

    fn limit(&self) -> Result<usize, ApiError> {
        match self.int("limit")? {
            None => Ok(DEFAULT_PAGE),
            Some(n) if (1..=MAX_PAGE as i64).contains(&n) => Ok(n as usize),
            Some(_) => Err(ApiError::InvalidRequest(format!(
                "limit: between 1 and {MAX_PAGE}"
            ))),
        }
    }

    /// A keyset cursor: base64url of `<time>.<id>`.
    fn after(&self) -> Result<After, ApiError> {
        let Some(c) = self.text("cursor") else {
            return Ok(None);
        };
        let bad = || ApiError::InvalidRequest("cursor: not a cursor from this API".into());
        let raw = crate::base64url::decode(&c).ok_or_else(bad)?;
        let text = String::from_utf8(raw).map_err(|_| bad())?;
        let (t, id) = text.split_once('.').ok_or_else(bad)?;
        Ok(Some((t.parse().map_err(|_| bad())?, id.to_string())))
    }
}

fn cursor(time: i64, id: &str) -> String {
    crate::base64url::encode(format!("{time}.{id}"))
}

/// A page of `items`, with `next_cursor` when there may be more.
fn page<T>(
    name: &str,
    mut items: Vec<T>,
    limit: usize,
    to_json: impl Fn(&T) -> Value,
    next: impl Fn(&T) -> String,
) -> Map<String, Value> {
    let more = items.len() > limit;
    items.truncate(limit);
    let mut body = Map::new();
    body.insert(name.into(), items.iter().map(to_json).collect());
    if more {
        if let Some(last) = items.last() {
            body.insert("next_cursor".into(), next(last).into());
        }
    }
    body
}

/// What the admin API shows of a client: never a secret, hash or token.
pub fn client_summary(c: &StoredClient) -> Value {
    let mut v = json!({
        "client_id": c.client_id,
        "status": c.status.as_str(),
        "registered_by": c.registered_by,
        "policy_class": c.policy_class,
        "client_id_issued_at": c.client_id_issued_at,
        "updated_at": c.updated_at,
        "metadata": c.metadata.to_json(),
    });
    if let Some(t) = c.last_used_at {
        v["last_used_at"] = t.into();
    }
    // As in the client information (RFC 7591 §3.2.1): a client with a secret learns when it
    // expires, here never (0); the secret itself is never shown.
    if c.metadata.token_endpoint_auth_method.uses_secret() {
        v["client_secret_expires_at"] = 0.into();
    }
    v
}

/// A token as the admin API shows it. `profile_removed`: usable but for its profile, which the
/// policy no longer has (registration with it is refused).
fn iat_json(t: &InitialAccessToken, now: i64, policy: &Policy) -> Value {
    let state = match t.state_at(now) {
        IatState::Revoked => "revoked",
        IatState::Expired => "expired",
        IatState::Exhausted => "exhausted",
        IatState::Usable if policy.is_removed_profile(t.profile.as_deref()) => "profile_removed",
        IatState::Usable => "active",
    };
    let mut v = json!({
        "id": t.id,
        "label": t.label,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "max_uses": t.max_uses,
        "uses": t.uses,
        "state": state,
    });
    if let Some(p) = &t.profile {
        v["profile"] = p.as_str().into();
    }
    if let Some(r) = t.revoked_at {
        v["revoked_at"] = r.into();
    }
    v
}

fn audit_json(e: &AuditRecord) -> Value {
    let mut v = json!({
        "id": e.id,
        "at": e.at,
        "event": e.event,
        "actor": e.actor,
        "request_id": e.request_id,
    });
    if let Some(c) = &e.client_id {
        v["client_id"] = c.as_str().into();
    }
    if let Some(h) = &e.ip_hash {
        v["ip_hash"] = h.as_str().into();
    }
    if let Some(d) = &e.detail {
        v["detail"] = d.clone();
    }
    v
}

impl<S: ClientStore> Registrar<'_, S> {
    /// The scheduled clean-up (cron trigger): expired initial access tokens, idle anonymous
    /// clients when `IDLE_ANONYMOUS_CLIENT_DAYS` is set, anonymous clients never used within
    /// `UNUSED_CLIENT_TTL`, and old audit events.
    pub async fn scheduled_cleanup(&self) -> Result<CleanupReport, ApiError> {
        let idle_before = self
            .config
            .idle_anonymous_client_days
            .map(|days| self.now - i64::from(days) * 86_400);
        let unused_before = self
            .config
            .unused_client_ttl
            .map(|ttl| self.now - i64::from(ttl));
        let template = self.event(AuditKind::ScheduledCleanup, None, "system");
        // Uses the AS made of projected clients first, so the clean-up never takes a client
        // the AS has authorized for unused or idle.
        let used_by_grants = if PROJECTION_BUILT {
            self.store.record_uses_from_projection(self.now).await?
        } else {
            None
        };
        let mut report = self
            .store
            .cleanup(self.now, idle_before, unused_before, &template)
            .await?;
        report.pruned_events = self.prune_audit_log().await?;
        report.used_by_grants = used_by_grants;
        Ok(report)
    }

    /// Rebuilds the client projection from the store (`crate::projection`), recording a
    /// `projection_resynced` event when it changed something, failed somewhere, or `actor`
    /// asked for it; `None` without a projection.
    pub async fn resync_projection(&self, actor: &str) -> Result<Option<ResyncReport>, ApiError> {
        if !PROJECTION_BUILT {
            return Ok(None); // the store has no projection in such a build
        }
        let Some(report) = self.store.resync_projection().await? else {
            return Ok(None);
        };
        if actor == self.admin_actor() || report.written + report.removed + report.failed > 0 {
            let event = self
                .event(AuditKind::ProjectionResynced, None, actor)
                .with_detail(report.to_json());
            self.store.append_audit(&[event]).await?;
        }
        Ok(Some(report))
    }

    /// The frequent cron (`PROJECTION_RESYNC_CRON`): a resync only when a projection write
    /// failed since the previous run or the one before (a `projection_failed` event), so the
    /// repair follows within minutes without reading every client every few minutes. The daily
    /// run resyncs whatever happened.
    pub async fn scheduled_projection_repair(&self) -> Result<Option<ResyncReport>, ApiError> {
        if self.config.projection.is_none() || !PROJECTION_BUILT {
            return Ok(None);
        }
        let filter = AuditFilter {
            event: Some(AuditKind::ProjectionFailed.as_str().into()),
            since: Some(self.now - 2 * PROJECTION_RESYNC_INTERVAL),
            ..AuditFilter::default()
        };
        if self.store.list_audit(&filter, None, 1).await?.is_empty() {
            return Ok(None);
        }
        self.resync_projection("system").await
    }

    /// `POST /admin/projection/resync`.
    pub async fn admin_resync_projection(&self) -> Result<Value, ApiError> {
        match self.resync_projection(self.admin_actor()).await? {
            Some(report) => Ok(report.to_json()),
            None => Err(ApiError::NotFound(
                "no client projection is configured (PROJECT_CLIENTS)",
            )),
        }
    }

    /// Removes audit events older than `AUDIT_RETENTION_DAYS`, in bounded batches, and records
    /// what it removed as one `audit_pruned` event. A backlog larger than one run's batches is
    /// worked off by the next runs.
    async fn prune_audit_log(&self) -> Result<u64, ApiError> {
        let before = self.now - i64::from(self.config.audit_retention_days) * 86_400;
        let mut pruned = 0;
        for _ in 0..AUDIT_PRUNE_MAX_BATCHES {
            let n = self.store.prune_audit(before, AUDIT_PRUNE_BATCH).await?;
            pruned += n;
            if n < AUDIT_PRUNE_BATCH as u64 {
                break;
            }
        }
        if pruned > 0 {
            let event = self
                .event(AuditKind::AuditPruned, None, "system")
                .with_detail(json!({
                    "deleted": pruned,
                    "before": before,
                    "retention_days": self.config.audit_retention_days,
                }));
            self.store.append_audit(&[event]).await?;
        }
        Ok(pruned)
    }
}
