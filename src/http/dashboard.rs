//! The endpoints a signed-in person uses (docs/dashboard-sign-in.md), authorised by the session
//! cookie, never by a bearer token:
//! - `GET /dashboard/clients?q=&limit=&cursor=` ("My clients"), `POST /dashboard/clients`
//!   (register a client they own);
//! - `GET|PUT|DELETE /dashboard/clients/{id}`, `POST /dashboard/clients/{id}/client-secret`,
//!   `POST /dashboard/clients/{id}/registration-access-token` (their clients, without the token);
//! - `POST /dashboard/claim` `{"client_id", "registration_access_token"}`;
//! - `/dashboard/admin/...`: the admin API for people the sign-in settings make admins.
//!
//! Every request that changes something must come from this origin (`Origin`) and carry the
//! session's CSRF token (`X-Registrar-CSRF`); the answers carry no CORS headers.

use super::admin::{self, AdminAuth, AdminReply, AdminRoute};
use super::{check_json_body, ApiRequest};
use crate::admin::{Person, Query};
use crate::cimd::DocumentSource;
use crate::config::Config;
use crate::error::ApiError;
use crate::ratelimit::{LimitBucket, RateLimiter};
use crate::service::Registrar;
use crate::signin::session::{cookie, Session, SESSION_COOKIE};
use crate::store::ClientStore;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerAction {
    RotateSecret,
    ReissueToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardRoute<'a> {
    Clients,
    Client(&'a str),
    ClientAction(&'a str, OwnerAction),
    Claim,
    Admin(AdminRoute<'a>),
}

impl<'a> DashboardRoute<'a> {
    /// `rest` is the path after `/dashboard/` (the sign-in paths are `crate::http::signin`'s).
    pub fn parse(rest: &'a str) -> Option<DashboardRoute<'a>> {
        if let Some(admin) = rest.strip_prefix("admin/") {
            return AdminRoute::parse(admin).map(DashboardRoute::Admin);
        }
        let parts: Vec<&str> = rest.split('/').collect();
        Some(match parts.as_slice() {
            ["clients"] => DashboardRoute::Clients,
            ["clients", id] if !id.is_empty() => DashboardRoute::Client(id),
            ["clients", id, action] if !id.is_empty() => DashboardRoute::ClientAction(
                id,
                match *action {
                    "client-secret" => OwnerAction::RotateSecret,
                    "registration-access-token" => OwnerAction::ReissueToken,
                    _ => return None,
                },
            ),
            ["claim"] => DashboardRoute::Claim,
            _ => return None,
        })
    }

    pub fn allow(&self) -> &'static str {
        match self {
            DashboardRoute::Clients => "GET, POST",
            DashboardRoute::Client(_) => "GET, PUT, DELETE",
            DashboardRoute::ClientAction(..) | DashboardRoute::Claim => "POST",
            DashboardRoute::Admin(a) => a.allow(),
        }
    }
}

/// Not signed in (no session cookie, or a forged or expired one).
pub const NOT_SIGNED_IN: &str = "not signed in to the dashboard, or the session has expired";

/// The session of the request, if its cookie holds a valid one.
pub fn session_of(config: &Config, req: &ApiRequest<'_>, now: i64) -> Option<Session> {
    let settings = config.signin.as_ref()?;
    let value = cookie(req.cookie, SESSION_COOKIE)?;
    Session::open(&config.hash_key, settings, value, now)
}

/// Serves a dashboard request for `session` (already opened with [`session_of`]).
pub async fn handle<'r, S: ClientStore, D: DocumentSource, L: RateLimiter>(
    registrar: &Registrar<'_, S>,
    limits: &L,
    docs: &D,
    route: &DashboardRoute<'r>,
    req: &ApiRequest<'_>,
    session: Option<&Session>,
) -> (&'static str, Option<&'r str>, Result<AdminReply, ApiError>) {
    use DashboardRoute as R;
    if let R::Admin(admin_route) = route {
        if let Err(e) = authorised(registrar, req, session, true) {
            return ("dashboard admin", None, Err(e));
        }
        return admin::handle(registrar, docs, admin_route, req, AdminAuth::Session).await;
    }
    let client_id = match route {
        R::Client(id) | R::ClientAction(id, _) => Some(*id),
        _ => None,
    };
    let label = match (route, req.method) {
        (R::Clients, "GET") => "GET /dashboard/clients",
        (R::Clients, "POST") => "POST /dashboard/clients",
        (R::Client(_), "GET") => "GET /dashboard/clients/{id}",
        (R::Client(_), "PUT") => "PUT /dashboard/clients/{id}",
        (R::Client(_), "DELETE") => "DELETE /dashboard/clients/{id}",
        (R::ClientAction(..), "POST") => "POST /dashboard/clients/{id}/{action}",
        (R::Claim, "POST") => "POST /dashboard/claim",
        _ => {
            let e = ApiError::MethodNotAllowed(route.allow());
            return ("dashboard: method not allowed", client_id, Err(e));
        }
    };
    let session = match authorised(registrar, req, session, false) {
        Ok(s) => s,
        Err(e) => return (label, client_id, Err(e)),
    };
    // The caller's network is limited as for `POST /register` and RFC 7592: a registration
    // counts against the registration bucket, everything else against the management one.
    let bucket = match (route, req.method) {
        (R::Clients, "POST") => LimitBucket::RegisterByIp,
        _ => LimitBucket::ManageByIp,
    };
    if !limits.allow(bucket, &registrar.network_limit_key()).await {
        let e = ApiError::TooManyRequests(registrar.config.rate_limit_period);
        return (label, client_id, Err(e));
    }
    let who = Person {
        owner: session.owner(&registrar.config.hash_key),
        actor: Person::actor_for(&session.sub),
    };
    let ok = |v: Value| (200, Some(v));
    let result = match (route, req.method) {
        (R::Clients, "GET") => registrar
            .owned_clients(&who, &Query::parse(req.query))
            .await
            .map(|m| ok(Value::Object(m))),
        (R::Clients, _) => match check_json_body(req) {
            Ok(()) => registrar
                .register_owned(&who, req.body)
                .await
                .map(|m| (201, Some(Value::Object(m)))),
            Err(e) => Err(e),
        },
        (R::Client(id), "GET") => registrar.owned_client(&who, id).await.map(ok),
        (R::Client(id), "PUT") => match check_json_body(req) {
            Ok(()) => registrar.update_owned(&who, id, req.body).await.map(ok),
            Err(e) => Err(e),
        },
        (R::Client(id), _) => registrar.delete_owned(&who, id).await.map(|()| (204, None)),
        (R::ClientAction(id, OwnerAction::RotateSecret), _) => {
            registrar.rotate_owned(&who, id).await.map(ok)
        }
        (R::ClientAction(id, OwnerAction::ReissueToken), _) => {
            registrar.reissue_owned(&who, id).await.map(ok)
        }
        (R::Claim, _) => claim(registrar, &who, req).await.map(ok),
        (R::Admin(_), _) => unreachable!("answered above"),
    };
    (label, client_id, result)
}

/// The session, when there is one and (for a request that changes something) the request came
/// from this origin with the session's CSRF token; with `admin`, only an admin's.
fn authorised<'s, S: ClientStore>(
    registrar: &Registrar<'_, S>,
    req: &ApiRequest<'_>,
    session: Option<&'s Session>,
    admin: bool,
) -> Result<&'s Session, ApiError> {
    if registrar.config.signin.is_none() {
        return Err(ApiError::NotFound(
            "dashboard sign-in is not configured on this server",
        ));
    }
    let session = session.ok_or(ApiError::InvalidBearer(NOT_SIGNED_IN))?;
    if !matches!(req.method, "GET" | "HEAD") {
        if !super::signin::same_origin(req) {
            return Err(ApiError::AccessDenied(
                "the request must come from this origin".into(),
            ));
        }
        if !session.csrf_matches(req.csrf) {
            return Err(ApiError::AccessDenied(
                "the CSRF token is missing or wrong".into(),
            ));
        }
    }
    if admin && !session.admin {
        return Err(ApiError::AccessDenied(
            "your account is not an admin of this dashboard".into(),
        ));
    }
    Ok(session)
}

/// `POST /dashboard/claim`: the client id and its registration access token in a JSON body.
async fn claim<S: ClientStore>(
    registrar: &Registrar<'_, S>,
    who: &Person,
    req: &ApiRequest<'_>,
) -> Result<Value, ApiError> {
    check_json_body(req)?;
    let body = crate::service::parse_object(req.body)?;
    let text = |m: &str| body.get(m).and_then(Value::as_str);
    let (Some(client_id), token) = (text("client_id"), text("registration_access_token")) else {
        return Err(ApiError::InvalidRequest(
            "client_id and registration_access_token are required".into(),
        ));
    };
    registrar.claim(who, client_id, token).await
}
