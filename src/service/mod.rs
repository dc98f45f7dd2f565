//! The registration operations (RFC 7591 §3, RFC 7592 §2) over any [`ClientStore`].
//! Inputs are plain values (body bytes, presented token, time); outputs are JSON members or an
//! [`ApiError`]; HTTP concerns stay in [`crate::http`].

mod cimd_flows;

use crate::config::{Config, RegistrationMode};
use crate::error::ApiError;
use crate::metadata::{cimd, warnings, ClientMetadata, FieldError};
use crate::policy::{CallerClass, DEFAULT_PROFILE};
pub use crate::ratelimit::LimitBucket;
use crate::ratelimit::RateLimiter;
use crate::store::{AuditEvent, AuditKind, ClientStatus, ClientStore, StoreError, StoredClient};
use crate::token::{self, Purpose, Secret, TokenHash};
use serde_json::{json, Map, Value};

/// Members of a client information response that an update request must not carry
/// (RFC 7592 §2.2).
pub const SERVER_ONLY_MEMBERS: &[&str] = &[
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

pub struct Registrar<'a, S> {
    pub config: &'a Config,
    pub store: &'a S,
    /// The issuer this request is served under; registration URIs are built on it.
    pub issuer: String,
    /// Unix seconds.
    pub now: i64,
    /// Who sent the request, for the audit log.
    pub origin: RequestOrigin,
}

/// Where a request came from, as the audit log records it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOrigin {
    /// `CF-Ray`, or a random id.
    pub request_id: String,
    /// HMAC of `CF-Connecting-IP`.
    pub ip_hash: Option<String>,
    /// HMAC of the client's network as rate limits key it (`ratelimit::network_key`: an IPv6
    /// address cut to its /64); `None` without `CF-Connecting-IP`.
    pub ip_limit_key: Option<String>,
}

pub const INVALID_IAT: &str = "the initial access token is wrong, expired, used up or revoked";

/// A registration over its caller class's `max_clients`.
pub const QUOTA_REACHED: &str = "the maximum number of clients for this caller class is reached";

/// What a store's refusal or failure answers on the wire.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::QuotaExceeded => ApiError::AccessDenied(QUOTA_REACHED.into()),
            StoreError::TokenUnusable => ApiError::InvalidBearer(INVALID_IAT),
            StoreError::Conflict => ApiError::Internal("client_id collision".into()),
            StoreError::Backend(cause) => ApiError::Internal(cause),
        }
    }
}

pub const IAT_PROFILE_REMOVED: &str = "the initial access token's profile is no longer configured \
    on this server; ask the operator for a new token";

/// A client's secret after an update: its keyed hash and projected form (`None`: no secret),
/// and the new secret to return once if one was issued.
#[derive(Default)]
pub(crate) struct SecretAfterUpdate {
    pub hash: Option<TokenHash>,
    pub projected: Option<String>,
    pub fresh: Option<Secret>,
}

/// Who is calling `POST /register`.
#[derive(Debug, Clone, PartialEq)]
pub struct Registrant {
    pub class: CallerClass,
    /// `anonymous`, `admin` or `iat:<id>` (the audit actor and `registered_by`).
    pub actor: String,
}

/// Parses a request body that must be a JSON object.
#[inline(never)]
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidRequest(
            "the request body is empty; send the client metadata as a JSON object".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::InvalidRequest(
            "the request body must be a JSON object".into(),
        )),
        Err(e) => Err(ApiError::InvalidRequest(format!("malformed JSON: {e}"))),
    }
}

impl<S: ClientStore> Registrar<'_, S> {
    pub fn registration_client_uri(&self, client_id: &str) -> String {
        format!("{}/register/{client_id}", self.issuer)
    }

    pub fn event(&self, event: AuditKind, client_id: Option<&str>, actor: &str) -> AuditEvent {
        AuditEvent {
            at: self.now,
            event,
            client_id: client_id.map(str::to_string),
            actor: actor.to_string(),
            request_id: self.origin.request_id.clone(),
            ip_hash: self.origin.ip_hash.clone(),
            detail: None,
        }
    }

    /// Whether `bearer` is the admin token.
    pub fn is_admin(&self, bearer: Option<&str>) -> bool {
        self.bearer_is(
            self.config.admin_token.as_ref(),
            Purpose::AdminToken,
            bearer,
        )
    }

    /// Whether `bearer` is the `configured` operator token (`None`: never), compared in
    /// constant time through the keyed hash.
    pub(crate) fn bearer_is(
        &self,
        configured: Option<&Secret>,
        purpose: Purpose,
        bearer: Option<&str>,
    ) -> bool {
        match (configured, bearer) {
            (Some(expected), Some(presented)) => {
                let key = &self.config.hash_key;
                let expected = key.hash(purpose, "", expected);
                key.verify(purpose, "", &Secret::from_presented(presented), &expected)
            }
            _ => false,
        }
    }

    /// The rate limits a registration with this bearer counts against, with their keys: none for
    /// the admin; the client IP for everyone else, and the token too when one is presented (a
    /// made-up bearer must not open a fresh bucket). Keys are hashes: neither an IP nor a token
    /// is handed to the limiter.
    pub fn registration_limits(&self, bearer: Option<&str>) -> Vec<(LimitBucket, String)> {
        if self.is_admin(bearer) {
            return Vec::new();
        }
        let mut limits = vec![(LimitBucket::RegisterByIp, self.network_limit_key())];
        if let Some(t) = bearer {
            let key = self.config.hash_key.hash(
                Purpose::InitialAccessToken,
                "",
                &Secret::from_presented(t),
            );
            limits.push((LimitBucket::RegisterByToken, key.as_stored().into()));
        }
        limits
    }

    /// The key of the caller's network for the per-IP buckets.
    pub fn network_limit_key(&self) -> String {
        self.origin
            .ip_limit_key
            .clone()
            .unwrap_or_else(|| "unknown".into())
    }

    /// Counts an RFC 7592 request of an authenticated client against the client's own bucket.
    async fn within_client_limit<L: RateLimiter>(
        &self,
        limits: &L,
        client_id: &str,
    ) -> Result<(), ApiError> {
        if limits.allow(LimitBucket::ManageByClient, client_id).await {
            Ok(())
        } else {
            Err(ApiError::TooManyRequests(self.config.rate_limit_period))
        }
    }

    /// Decides who is registering, by mode and bearer token (docs/protected-registration.md).
    /// A refusal comes with the audit actor: `anonymous`, or `iat:<id>` for a usable token whose
    /// profile is no longer configured.
    pub async fn registrant(&self, bearer: Option<&str>) -> Result<Registrant, (ApiError, String)> {
        let anonymous = |e: ApiError| (e, "anonymous".to_string());
        if self.is_admin(bearer) {
            return Ok(Registrant {
                class: CallerClass::Admin,
                actor: "admin".into(),
            });
        }
        if self.config.registration_mode == RegistrationMode::Disabled {
            return Err(anonymous(ApiError::AccessDenied(
                "registration is disabled on this server".into(),
            )));
        }
        let Some(presented) = bearer else {
            return match self.config.registration_mode {
                RegistrationMode::Open => Ok(Registrant {
                    class: CallerClass::Anonymous,
                    actor: "anonymous".into(),
                }),
                _ => Err(anonymous(ApiError::InvalidBearer(
                    "an initial access token is required to register on this server",
                ))),
            };
        };
        let hash = self.config.hash_key.hash(
            Purpose::InitialAccessToken,
            "",
            &Secret::from_presented(presented),
        );
        let found = self
            .store
            .find_iat_by_hash(&hash)
            .await
            .map_err(|e| anonymous(e.into()))?;
        match found {
            // Minted for a profile the operator has since removed: its class is gone, and its
            // holder must not register under other rules than the ones it was minted for.
            Some(t)
                if t.usable_at(self.now)
                    && self.config.policy.is_removed_profile(t.profile.as_deref()) =>
            {
                Err((
                    ApiError::InvalidBearer(IAT_PROFILE_REMOVED),
                    format!("iat:{}", t.id),
                ))
            }
            Some(t) if t.usable_at(self.now) => Ok(Registrant {
                class: CallerClass::Profile(
                    t.profile.clone().unwrap_or_else(|| DEFAULT_PROFILE.into()),
                ),
                actor: format!("iat:{}", t.id),
            }),
            _ => Err(anonymous(ApiError::InvalidBearer(INVALID_IAT))),
        }
    }

    /// RFC 7591 §3.1 for a caller: refusals are written to the audit log.
    pub async fn register(
        &self,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<Map<String, Value>, ApiError> {
        let (actor, result) = match self.registrant(bearer).await {
            Ok(who) => (who.actor.clone(), self.register_as(&who, body).await),
            Err((e, actor)) => (actor, Err(e)),
        };
        if let Err(e) = &result {
            if !matches!(e, ApiError::Internal(_)) {
                let event = self
                    .event(AuditKind::RegistrationRefused, None, &actor)
                    .with_detail(
                        json!({ "error": e.code(), "error_description": e.description() }),
                    );
                // The refusal stands even if it cannot be logged; the log failure is not the
                // caller's fault, so it is not reported to them.
                let _ = self.store.append_audit(&[event]).await;
            }
        }
        result
    }

    /// RFC 7591 §3.1: validate, apply the caller's policy, issue credentials, store, and answer
    /// with everything registered.
    async fn register_as(
        &self,
        who: &Registrant,
        body: &[u8],
    ) -> Result<Map<String, Value>, ApiError> {
        let request = parse_object(body)?;
        let metadata = self.validate(&request, &who.class, None)?;
        let token::NewCredentials {
            client_id,
            secret,
            access_token,
        } = token::new_credentials(metadata.token_endpoint_auth_method.uses_secret())?;
        let key = &self.config.hash_key;
        let client = StoredClient {
            client_secret_hash: secret
                .as_ref()
                .map(|s| key.hash(Purpose::ClientSecret, &client_id, s)),
            projected_secret: self.projected_secret(secret.as_ref()),
            registration_token_hash: key.hash(
                Purpose::RegistrationAccessToken,
                &client_id,
                &access_token,
            ),
            client_id,
            metadata,
            client_id_issued_at: self.now,
            updated_at: self.now,
            status: ClientStatus::Active,
            registered_by: who.actor.clone(),
            policy_class: who.class.as_stored(),
            version: 0,
            last_read_at: None,
            last_used_at: None,
        };
        let mut events = vec![self.event(
            AuditKind::ClientRegistered,
            Some(&client.client_id),
            &who.actor,
        )];
        if who.actor.starts_with("iat:") {
            events.push(self.event(AuditKind::IatUsed, Some(&client.client_id), &who.actor));
        }
        let max_clients = self.config.policy.class(&who.class).max_clients;
        self.store.insert(&client, max_clients, &events).await?;
        Ok(self.information(&client, secret.as_ref(), &access_token))
    }

    /// The RFC rules, then the policy of the caller's class; for a client updating itself
    /// (`current`: what it has now) also the rule that it may add only what anonymous
    /// registration may have ([`crate::policy::Policy::apply_update`]).
    pub(crate) fn validate(
        &self,
        request: &Map<String, Value>,
        class: &CallerClass,
        current: Option<&ClientMetadata>,
    ) -> Result<ClientMetadata, ApiError> {
        let mut metadata = ClientMetadata::from_request(request, self.config)?;
        let scope_requested = request.get("scope").is_some_and(|v| !v.is_null());
        let (policy, default_scope) = (&self.config.policy, &self.config.default_scope);
        match current {
            None => policy.apply(class, &mut metadata, scope_requested, default_scope)?,
            Some(current) => policy.apply_update(
                class,
                &mut metadata,
                current,
                scope_requested,
                default_scope,
            )?,
        }
        Ok(metadata)
    }

    /// `POST /metadata/validate`: every error of `request` under the anonymous policy, found by
    /// validating, setting aside the member (or array item) an error names, and validating again
    /// until it passes or nothing more can be set aside; with `cimd`, the rules of a client ID
    /// metadata document too (`url`: where it was fetched, which its `client_id` must equal).
    /// Returns the errors, and the metadata registration would store (of the request with the
    /// faulty members set aside) with its warnings.
    #[inline(never)]
    pub fn check(
        &self,
        request: &Map<String, Value>,
        cimd: bool,
        url: Option<&str>,
    ) -> (Vec<FieldError>, Option<(ClientMetadata, Vec<FieldError>)>) {
        const REDIRECT: &str = "redirect_uris";
        let mut errors = if cimd {
            cimd::check_document(url, request)
        } else {
            Vec::new()
        };
        // A member the document rules already faulted is not reported twice.
        let document_errors = errors.len();
        let mut work = request.clone();
        // The array items set aside so far, by member and original index.
        let mut removed: Vec<(String, usize)> = Vec::new();
        let mut placeholder = false;
        for _ in 0..100 {
            let e = match self.validate(&work, &CallerClass::Anonymous, None) {
                Ok(m) => {
                    let w = warnings::warnings(&work, &m);
                    return (errors, Some((m, w)));
                }
                Err(e) => e,
            };
            let detail = e.detail();
            let named = e.member().unwrap_or("");
            let split = named
                .bytes()
                .position(|b| b == b'[' || b == b'.')
                .unwrap_or(named.len());
            let base = &named[..split];
            // `member[i]` exactly: that item is set aside, and named by its original index.
            let item = named[split..]
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|i| i.parse::<usize>().ok())
                .filter(|_| work.get(base).is_some_and(Value::is_array));
            if base == REDIRECT && placeholder {
                break;
            }
            let mut member = named.to_string();
            if let Some(i) = item {
                // The original index of the i-th item left: i plus the items set aside before it.
                let mut original = i;
                loop {
                    let before = removed
                        .iter()
                        .filter(|(m, r)| m == base && *r <= original)
                        .count();
                    if i + before == original {
                        break;
                    }
                    original = i + before;
                }
                removed.push((base.to_string(), original));
                member = format!("{base}[{original}]");
            }
            // An error about redirect URIs that were all set aside follows from those errors.
            let present = work.get(base).is_some_and(|v| !v.is_null());
            let emptied =
                base == REDIRECT && !present && request.get(base).is_some_and(|v| !v.is_null());
            let error = FieldError {
                member,
                error: e.code(),
                description: detail,
            };
            let repeated = errors[..document_errors]
                .iter()
                .any(|d| d.member == error.member);
            if !emptied && !repeated {
                errors.push(error);
            }
            // Set aside by `null`, which means absent (no map removal compiled in for this).
            let stand_in = match (item, work.get_mut(base)) {
                (Some(i), Some(Value::Array(items))) if i < items.len() => {
                    items.remove(i);
                    if !items.is_empty() {
                        continue;
                    }
                    Value::Null
                }
                _ if present => Value::Null,
                // Required and absent: a stand-in lets the other members be checked.
                _ if base == REDIRECT => {
                    placeholder = true;
                    Value::Array(vec!["https://placeholder.invalid/cb".into()])
                }
                _ => break,
            };
            work.insert(base.into(), stand_in);
        }
        (errors, None)
    }

    /// RFC 7592 §2.1. The read is recorded at most once per client per
    /// [`crate::store::READ_EVENT_INTERVAL`]: a client polling its registration must not add a
    /// row to the audit log per request.
    pub async fn read<L: RateLimiter>(
        &self,
        client_id: &str,
        token: Option<&str>,
        limits: &L,
    ) -> Result<Map<String, Value>, ApiError> {
        let (client, token) = self.authenticate(client_id, token).await?;
        self.within_client_limit(limits, client_id).await?;
        if client.read_due(self.now) {
            let event = self.event(AuditKind::ClientRead, Some(client_id), "client");
            self.store.record_read(client_id, self.now, &event).await?;
        }
        Ok(self.information(&client, None, &token))
    }

    /// RFC 7592 §2.2: the body replaces the registration. The write is conditional on the
    /// presented token still being current, so of two concurrent updates exactly one wins.
    /// `body` may already be refused (size, media type); that error is reported only after
    /// authentication, so strangers learn nothing from it.
    pub async fn update<L: RateLimiter>(
        &self,
        client_id: &str,
        token: Option<&str>,
        body: Result<&[u8], ApiError>,
        limits: &L,
    ) -> Result<Map<String, Value>, ApiError> {
        let (current, presented) = self.authenticate(client_id, token).await?;
        self.within_client_limit(limits, client_id).await?;
        if current.status == ClientStatus::Suspended {
            return Err(ApiError::AccessDenied(
                "this client is suspended; its registration cannot be changed".into(),
            ));
        }
        let request = parse_object(body?)?;
        let key = &self.config.hash_key;

        if let Some(member) = SERVER_ONLY_MEMBERS
            .iter()
            .find(|m| request.get(**m).is_some_and(|v| !v.is_null()))
        {
            return Err(ApiError::InvalidRequest(format!(
                "{member}: must not be sent in an update (RFC 7592 §2.2)"
            )));
        }
        match request.get("client_id") {
            Some(Value::String(id)) if id == client_id => {}
            Some(Value::String(_)) => {
                return Err(ApiError::InvalidRequest(
                    "client_id: does not match the client being updated".into(),
                ))
            }
            _ => {
                return Err(ApiError::InvalidRequest(
                    "client_id: required in an update, equal to the registered client_id".into(),
                ))
            }
        }
        let presented_secret = match request.get("client_secret") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let secret = Secret::from_presented(s);
                let matches = current
                    .client_secret_hash
                    .as_ref()
                    .is_some_and(|h| key.verify(Purpose::ClientSecret, client_id, &secret, h));
                if !matches {
                    return Err(ApiError::InvalidRequest(
                        "client_secret: does not match the client's current secret".into(),
                    ));
                }
                Some(secret)
            }
            Some(_) => {
                return Err(ApiError::InvalidRequest(
                    "client_secret: must be a string".into(),
                ))
            }
        };

        let class = CallerClass::from_stored(&current.policy_class);
        let metadata = self.validate(&request, &class, Some(&current.metadata))?;

        let secret = self.secret_after_update(&metadata, &current)?;
        let secret_to_return = secret.fresh.or(presented_secret);
        let next_token = if self.config.rotate_registration_token {
            Secret::generate()?
        } else {
            presented.clone()
        };
        let updated = StoredClient {
            client_id: client_id.to_string(),
            metadata,
            client_secret_hash: secret.hash,
            projected_secret: secret.projected,
            registration_token_hash: key.hash(
                Purpose::RegistrationAccessToken,
                client_id,
                &next_token,
            ),
            client_id_issued_at: current.client_id_issued_at,
            updated_at: self.now,
            ..current.clone()
        };
        let events = [self.event(AuditKind::ClientUpdated, Some(client_id), "client")];
        if !self.store.replace(&updated, &current, &events).await? {
            // Another update rotated the token, or a delete removed the client, meanwhile.
            return Err(ApiError::InvalidToken);
        }
        Ok(self.information(&updated, secret_to_return.as_ref(), &next_token))
    }

    /// The client secret hash (and its projected form) after an update to `metadata`, and a
    /// new secret to return once: a client that moves to a secret-based method without having
    /// a secret gets a new one; one that keeps a secret keeps it; one that leaves secret-based
    /// methods loses it.
    pub(crate) fn secret_after_update(
        &self,
        metadata: &ClientMetadata,
        current: &StoredClient,
    ) -> Result<SecretAfterUpdate, ApiError> {
        let uses_secret = metadata.token_endpoint_auth_method.uses_secret();
        Ok(match (uses_secret, &current.client_secret_hash) {
            (false, _) => SecretAfterUpdate::default(),
            (true, Some(hash)) => SecretAfterUpdate {
                hash: Some(hash.clone()),
                projected: current.projected_secret.clone(),
                fresh: None,
            },
            (true, None) => {
                let fresh = Secret::generate()?;
                let key = &self.config.hash_key;
                SecretAfterUpdate {
                    hash: Some(key.hash(Purpose::ClientSecret, &current.client_id, &fresh)),
                    projected: self.projected_secret(Some(&fresh)),
                    fresh: Some(fresh),
                }
            }
        })
    }

    /// The secret in the form the configured projection needs, kept beside its keyed hash;
    /// nothing without a projection (SECURITY.md: what it changes at rest).
    pub(crate) fn projected_secret(&self, secret: Option<&Secret>) -> Option<String> {
        if !crate::projection::PROJECTION_BUILT {
            return None;
        }
        self.config
            .projection
            .and(secret)
            .map(crate::projection::secret_digest)
    }

    /// RFC 7592 §2.3: authenticate (so the client's own bucket counts only its holder's
    /// requests), then one delete conditional on the token; a wrong token and an unknown client
    /// look alike.
    pub async fn delete<L: RateLimiter>(
        &self,
        client_id: &str,
        token: Option<&str>,
        limits: &L,
    ) -> Result<(), ApiError> {
        let (client, _) = self.authenticate(client_id, token).await?;
        self.within_client_limit(limits, client_id).await?;
        let hash = client.registration_token_hash;
        let events = [self.event(AuditKind::ClientDeleted, Some(client_id), "client")];
        if self.store.delete(client_id, Some(&hash), &events).await? {
            Ok(())
        } else {
            Err(ApiError::InvalidToken)
        }
    }

    async fn authenticate(
        &self,
        client_id: &str,
        token: Option<&str>,
    ) -> Result<(StoredClient, Secret), ApiError> {
        let token = bearer_token(client_id, token)?;
        let client = self
            .store
            .find(client_id)
            .await?
            .ok_or(ApiError::InvalidToken)?;
        if !self.config.hash_key.verify(
            Purpose::RegistrationAccessToken,
            client_id,
            &token,
            &client.registration_token_hash,
        ) {
            return Err(ApiError::InvalidToken);
        }
        Ok((client, token))
    }

    /// The client information response (RFC 7591 §3.2.1, RFC 7592 §3).
    fn information(
        &self,
        client: &StoredClient,
        secret: Option<&Secret>,
        access_token: &Secret,
    ) -> Map<String, Value> {
        let mut body = client.metadata.to_json();
        body.insert("client_id".into(), client.client_id.clone().into());
        body.insert(
            "client_id_issued_at".into(),
            client.client_id_issued_at.into(),
        );
        if client.metadata.token_endpoint_auth_method.uses_secret() {
            if let Some(secret) = secret {
                body.insert("client_secret".into(), secret.expose().into());
            }
            // The secret does not expire (RFC 7591 §3.2.1: 0 means never).
            body.insert("client_secret_expires_at".into(), 0.into());
        }
        body.insert(
            "registration_access_token".into(),
            access_token.expose().into(),
        );
        body.insert(
            "registration_client_uri".into(),
            self.registration_client_uri(&client.client_id).into(),
        );
        body
    }
}

/// The presented token, if there is one and the client id could be ours.
fn bearer_token(client_id: &str, token: Option<&str>) -> Result<Secret, ApiError> {
    match token {
        Some(t) if token::is_client_id_shaped(client_id) => Ok(Secret::from_presented(t)),
        _ => Err(ApiError::InvalidToken),
    }
}
