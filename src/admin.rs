//! The admin operations (docs/protected-registration.md): client search and lifecycle, initial
//! access tokens, the audit log. Authorisation (the admin token) is checked in [`crate::http`].

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
const ADMIN: &str = "admin";
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
        if actor == ADMIN || report.written + report.removed + report.failed > 0 {
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
        match self.resync_projection(ADMIN).await? {
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

    pub async fn admin_list_clients(&self, q: &Query) -> Result<Map<String, Value>, ApiError> {
        let status =
            match q.text("status") {
                None => None,
                Some(s) => Some(ClientStatus::parse(&s).ok_or_else(|| {
                    ApiError::InvalidRequest("status: active or suspended".into())
                })?),
            };
        let filter = ClientFilter {
            q: q.text("q"),
            client_id_prefix: q.text("client_id_prefix"),
            redirect_host: q.text("redirect_host"),
            software_id: q.text("software_id"),
            status,
            created_after: q.int("created_after")?,
            created_before: q.int("created_before")?,
        };
        let limit = q.limit()?;
        let items = self
            .store
            .list_clients(&filter, &q.after()?, limit + 1)
            .await?;
        Ok(page("clients", items, limit, client_summary, |c| {
            cursor(c.client_id_issued_at, &c.client_id)
        }))
    }

    async fn existing(&self, client_id: &str) -> Result<StoredClient, ApiError> {
        self.store
            .find(client_id)
            .await?
            .ok_or(ApiError::NotFound("no client with this client_id"))
    }

    pub async fn admin_get_client(&self, client_id: &str) -> Result<Value, ApiError> {
        Ok(client_summary(&self.existing(client_id).await?))
    }

    async fn change(
        &self,
        client_id: &str,
        change: AdminChange,
        event: AuditKind,
    ) -> Result<(), ApiError> {
        let events = [self.event(event, Some(client_id), ADMIN)];
        if self
            .store
            .admin_change(client_id, &change, self.now, &events)
            .await?
        {
            Ok(())
        } else {
            Err(ApiError::NotFound("no client with this client_id"))
        }
    }

    pub async fn admin_set_status(
        &self,
        client_id: &str,
        status: ClientStatus,
    ) -> Result<Value, ApiError> {
        let event = match status {
            ClientStatus::Suspended => AuditKind::ClientSuspended,
            ClientStatus::Active => AuditKind::ClientReactivated,
        };
        self.change(client_id, AdminChange::Status(status), event)
            .await?;
        self.admin_get_client(client_id).await
    }

    pub async fn admin_delete_client(&self, client_id: &str) -> Result<(), ApiError> {
        let events = [self.event(AuditKind::ClientDeleted, Some(client_id), ADMIN)];
        if self.store.delete(client_id, None, &events).await? {
            Ok(())
        } else {
            Err(ApiError::NotFound("no client with this client_id"))
        }
    }

    /// Replaces a client's metadata (`PUT /admin/clients/{id}`): the RFC rules and the admin
    /// class policy, not the client's own class nor the RFC 7592 echo rules. The client keeps its
    /// class, status, secret and registration access token; a move to a secret-based method
    /// without a secret issues one, returned once as `client_secret`.
    pub async fn admin_update_client(
        &self,
        client_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        let mut current = self.existing(client_id).await?;
        let request = parse_object(body)?;
        if let Some(member) = SERVER_ONLY_MEMBERS
            .iter()
            .chain(&["client_secret"])
            .find(|m| request.get(**m).is_some_and(|v| !v.is_null()))
        {
            return Err(ApiError::InvalidRequest(format!(
                "{member}: set by the server, not in an admin update (a new client secret: \
                 POST /admin/clients/{{id}}/client-secret)"
            )));
        }
        match request.get("client_id") {
            None | Some(Value::Null) => {}
            Some(Value::String(id)) if id == client_id => {}
            Some(_) => {
                return Err(ApiError::InvalidRequest(
                    "client_id: does not match the client being updated".into(),
                ))
            }
        }
        let metadata = self.validate(&request, &CallerClass::Admin, None)?;
        // Compare-and-set as an RFC 7592 update; a concurrent change (the client updating
        // itself, another admin call) is read again and the admin's metadata applied over it.
        for _ in 0..ADMIN_UPDATE_ATTEMPTS {
            let secret = self.secret_after_update(&metadata, &current)?;
            let fresh = secret.fresh;
            let updated = StoredClient {
                metadata: metadata.clone(),
                client_secret_hash: secret.hash,
                projected_secret: secret.projected,
                updated_at: self.now,
                ..current.clone()
            };
            let events = [self.event(AuditKind::ClientUpdated, Some(client_id), ADMIN)];
            if self.store.replace(&updated, &current, &events).await? {
                let mut out = client_summary(&updated);
                if let Some(secret) = fresh {
                    out["client_secret"] = secret.expose().into();
                    out["client_secret_expires_at"] = 0.into();
                }
                return Ok(out);
            }
            current = self.existing(client_id).await?;
        }
        Err(ApiError::Internal(format!(
            "admin update of {client_id}: the client changed during {ADMIN_UPDATE_ATTEMPTS} attempts"
        )))
    }

    /// A new client secret, returned once; the old one stops working.
    pub async fn admin_rotate_secret(&self, client_id: &str) -> Result<Value, ApiError> {
        let client = self.existing(client_id).await?;
        if !client.metadata.token_endpoint_auth_method.uses_secret() {
            return Err(ApiError::InvalidRequest(format!(
                "this client authenticates with {}, which uses no client secret",
                client.metadata.token_endpoint_auth_method
            )));
        }
        let secret = Secret::generate()?;
        let hash = self
            .config
            .hash_key
            .hash(Purpose::ClientSecret, client_id, &secret);
        let projected = self.projected_secret(Some(&secret));
        self.change(
            client_id,
            AdminChange::SecretHash { hash, projected },
            AuditKind::ClientSecretRotated,
        )
        .await?;
        Ok(json!({
            "client_id": client_id,
            "client_secret": secret.expose(),
            "client_secret_expires_at": 0,
        }))
    }

    /// A new registration access token (lost-token recovery), returned once.
    pub async fn admin_reissue_token(&self, client_id: &str) -> Result<Value, ApiError> {
        let token = Secret::generate()?;
        let hash = self
            .config
            .hash_key
            .hash(Purpose::RegistrationAccessToken, client_id, &token);
        self.change(
            client_id,
            AdminChange::TokenHash(hash),
            AuditKind::RegistrationTokenReissued,
        )
        .await?;
        Ok(json!({
            "client_id": client_id,
            "registration_access_token": token.expose(),
            "registration_client_uri": self.registration_client_uri(client_id),
        }))
    }

    pub async fn admin_mint_iat(&self, body: &[u8]) -> Result<Value, ApiError> {
        let req = parse_object(body)?;
        let label = match req.get("label") {
            Some(Value::String(l)) if !l.trim().is_empty() && l.chars().count() <= 200 => l.clone(),
            _ => {
                return Err(ApiError::InvalidRequest(
                    "label: a non-empty string of at most 200 characters".into(),
                ))
            }
        };
        let number = |name: &str, default: i64, max: i64| match req.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_i64().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                ApiError::InvalidRequest(format!("{name}: an integer from 1 to {max}"))
            }),
        };
        let expires_in = number("expires_in", DEFAULT_IAT_LIFETIME, MAX_IAT_LIFETIME)?;
        let max_uses = number("max_uses", 1, MAX_IAT_USES)?;
        let profile = match req.get("profile") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if is_profile_name(p) && self.config.policy.has_profile(p) => {
                Some(p.clone())
            }
            Some(_) => {
                return Err(ApiError::InvalidRequest(
                    "profile: must name a profile of REGISTRATION_POLICY".into(),
                ))
            }
        };
        let id = token::random_id()?;
        let value = Secret::generate()?;
        let iat = InitialAccessToken {
            token_hash: self
                .config
                .hash_key
                .hash(Purpose::InitialAccessToken, "", &value),
            id: id.clone(),
            label,
            profile,
            created_at: self.now,
            expires_at: self.now + expires_in,
            max_uses,
            uses: 0,
            revoked_at: None,
        };
        let event = self
            .event(AuditKind::IatMinted, None, ADMIN)
            .with_detail(json!({ "iat_id": id }));
        self.store.insert_iat(&iat, &[event]).await?;
        let mut out = iat_json(&iat, self.now, &self.config.policy);
        out["token"] = value.expose().into();
        Ok(out)
    }

    pub async fn admin_list_iats(&self, q: &Query) -> Result<Map<String, Value>, ApiError> {
        let limit = q.limit()?;
        let items = self.store.list_iats(&q.after()?, limit + 1).await?;
        Ok(page(
            "initial_access_tokens",
            items,
            limit,
            |t| iat_json(t, self.now, &self.config.policy),
            |t| cursor(t.created_at, &t.id),
        ))
    }

    pub async fn admin_revoke_iat(&self, id: &str) -> Result<(), ApiError> {
        let event = self
            .event(AuditKind::IatRevoked, None, ADMIN)
            .with_detail(json!({ "iat_id": id }));
        if self.store.revoke_iat(id, self.now, &[event]).await? {
            Ok(())
        } else {
            Err(ApiError::NotFound(
                "no active initial access token with this id",
            ))
        }
    }

    pub async fn admin_audit(&self, q: &Query) -> Result<Map<String, Value>, ApiError> {
        let filter = AuditFilter {
            client_id: q.text("client_id"),
            event: q.text("event"),
            actor: q.text("actor"),
            since: q.int("since")?,
            until: q.int("until")?,
        };
        let limit = q.limit()?;
        let before = q.after()?.map(|(id, _)| id);
        let items = self.store.list_audit(&filter, before, limit + 1).await?;
        Ok(page("events", items, limit, audit_json, |e| {
            cursor(e.id, "")
        }))
    }
}
