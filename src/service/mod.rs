//! The registration operations (RFC 7591 §3, RFC 7592 §2) over any [`ClientStore`].
//! Inputs are plain values (body bytes, presented token, time); outputs are JSON members or an
//! [`ApiError`]; HTTP concerns stay in [`crate::http`].

mod cimd_flows;
mod information;
pub use information::ClientInformation;
mod manage;
mod register;

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
    /// Who acts for the admin operations: `person:<sub>` for an admin signed in to the
    /// dashboard; `None`: the admin token (the audit actor `admin`).
    pub admin_actor: Option<String>,
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
    /// `anonymous`, `admin`, `iat:<id>` or `person:<sub>` (the audit actor and `registered_by`).
    pub actor: String,
    /// The signed-in person who will own the client (`crate::admin::owned`).
    pub owner: Option<TokenHash>,
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
    /// The audit actor of an admin operation: `admin` (the admin token) or the signed-in admin.
    pub fn admin_actor(&self) -> &str {
        self.origin.admin_actor.as_deref().unwrap_or("admin")
    }

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
}
