//! Routes of the admin API (`/admin/...`, docs/protected-registration.md).

use super::{check_json_body, ApiRequest};
use crate::admin::Query;
use crate::cimd::DocumentSource;
use crate::error::ApiError;
use crate::service::Registrar;
use crate::store::{ClientStatus, ClientStore};
use serde_json::Value;

/// Status and optional JSON body.
pub type AdminReply = (u16, Option<Value>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAction {
    Suspend,
    Reactivate,
    RotateSecret,
    ReissueToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRoute<'a> {
    Clients,
    Client(&'a str),
    ClientAction(&'a str, ClientAction),
    InitialAccessTokens,
    InitialAccessToken(&'a str),
    Audit,
    ProjectionResync,
    /// `/admin/cimd-cache?url=`: a cached client metadata document (src/cimd.rs).
    CimdCache,
}

impl<'a> AdminRoute<'a> {
    /// `rest` is the path after `/admin/`.
    pub fn parse(rest: &'a str) -> Option<AdminRoute<'a>> {
        let parts: Vec<&str> = rest.split('/').collect();
        let nonempty = |s: &&str| !s.is_empty();
        Some(match parts.as_slice() {
            ["clients"] => AdminRoute::Clients,
            ["clients", id] if nonempty(id) => AdminRoute::Client(id),
            ["clients", id, action] if nonempty(id) => AdminRoute::ClientAction(
                id,
                match *action {
                    "suspend" => ClientAction::Suspend,
                    "reactivate" => ClientAction::Reactivate,
                    "client-secret" => ClientAction::RotateSecret,
                    "registration-access-token" => ClientAction::ReissueToken,
                    _ => return None,
                },
            ),
            ["initial-access-tokens"] => AdminRoute::InitialAccessTokens,
            ["initial-access-tokens", id] if nonempty(id) => AdminRoute::InitialAccessToken(id),
            ["audit"] => AdminRoute::Audit,
            ["projection", "resync"] => AdminRoute::ProjectionResync,
            ["cimd-cache"] => AdminRoute::CimdCache,
            _ => return None,
        })
    }

    pub fn allow(&self) -> &'static str {
        match self {
            AdminRoute::Clients | AdminRoute::Audit => "GET",
            AdminRoute::Client(_) => "GET, PUT, DELETE",
            AdminRoute::ClientAction(..) | AdminRoute::ProjectionResync => "POST",
            AdminRoute::InitialAccessTokens => "GET, POST",
            AdminRoute::InitialAccessToken(_) => "DELETE",
            AdminRoute::CimdCache => "GET, DELETE",
        }
    }
}

fn ok(body: Value) -> AdminReply {
    (200, Some(body))
}

/// Who may use the admin API in a request: the bearer of the admin token, or (`Session`) an
/// admin signed in to the dashboard, already checked (`crate::http::dashboard`).
#[derive(Clone, Copy)]
pub enum AdminAuth<'a> {
    Bearer(Option<&'a str>),
    Session,
}

/// Serves an admin request: with the admin token, 404 while the admin API is off and 401
/// without the token.
pub async fn handle<'r, S: ClientStore, D: DocumentSource>(
    registrar: &Registrar<'_, S>,
    docs: &D,
    route: &AdminRoute<'r>,
    req: &ApiRequest<'_>,
    auth: AdminAuth<'_>,
) -> (&'static str, Option<&'r str>, Result<AdminReply, ApiError>) {
    use AdminRoute as R;
    let client_id = match route {
        R::Client(id) | R::ClientAction(id, _) => Some(*id),
        _ => None,
    };
    let label = match (route, req.method) {
        (R::Clients, "GET") => "GET /admin/clients",
        (R::Client(_), "GET") => "GET /admin/clients/{id}",
        (R::Client(_), "PUT") => "PUT /admin/clients/{id}",
        (R::Client(_), "DELETE") => "DELETE /admin/clients/{id}",
        (R::ClientAction(..), "POST") => "POST /admin/clients/{id}/{action}",
        (R::InitialAccessTokens, "GET") => "GET /admin/initial-access-tokens",
        (R::InitialAccessTokens, "POST") => "POST /admin/initial-access-tokens",
        (R::InitialAccessToken(_), "DELETE") => "DELETE /admin/initial-access-tokens/{id}",
        (R::Audit, "GET") => "GET /admin/audit",
        (R::ProjectionResync, "POST") => "POST /admin/projection/resync",
        (R::CimdCache, "GET") => "GET /admin/cimd-cache",
        (R::CimdCache, "DELETE") => "DELETE /admin/cimd-cache",
        _ => {
            return (
                "admin: method not allowed",
                client_id,
                Err(ApiError::MethodNotAllowed(route.allow())),
            )
        }
    };
    if let AdminAuth::Bearer(token) = auth {
        if registrar.config.admin_token.is_none() {
            let off = ApiError::NotFound("the admin API is disabled: set the ADMIN_TOKEN secret");
            return (label, client_id, Err(off));
        }
        if !registrar.is_admin(token) {
            let wrong = ApiError::InvalidBearer("the admin token is missing or wrong");
            return (label, client_id, Err(wrong));
        }
    }
    let query = Query::parse(req.query);
    let result = match (route, req.method) {
        (R::Clients, _) => registrar
            .admin_list_clients(&query)
            .await
            .map(|m| ok(Value::Object(m))),
        (R::Client(id), "GET") => registrar.admin_get_client(id).await.map(ok),
        (R::Client(id), "PUT") => match check_json_body(req) {
            Ok(()) => registrar.admin_update_client(id, req.body).await.map(ok),
            Err(e) => Err(e),
        },
        (R::Client(id), _) => registrar
            .admin_delete_client(id)
            .await
            .map(|()| (204, None)),
        (R::ClientAction(id, action), _) => match action {
            ClientAction::Suspend => {
                registrar
                    .admin_set_status(id, ClientStatus::Suspended)
                    .await
            }
            ClientAction::Reactivate => registrar.admin_set_status(id, ClientStatus::Active).await,
            ClientAction::RotateSecret => registrar.admin_rotate_secret(id).await,
            ClientAction::ReissueToken => registrar.admin_reissue_token(id).await,
        }
        .map(ok),
        (R::InitialAccessTokens, "GET") => registrar
            .admin_list_iats(&query)
            .await
            .map(|m| ok(Value::Object(m))),
        (R::InitialAccessTokens, _) => match check_json_body(req) {
            Ok(()) => registrar
                .admin_mint_iat(req.body)
                .await
                .map(|v| (201, Some(v))),
            Err(e) => Err(e),
        },
        (R::InitialAccessToken(id), _) => {
            registrar.admin_revoke_iat(id).await.map(|()| (204, None))
        }
        (R::Audit, _) => registrar
            .admin_audit(&query)
            .await
            .map(|m| ok(Value::Object(m))),
        (R::ProjectionResync, _) => registrar.admin_resync_projection().await.map(ok),
        (R::CimdCache, method) => registrar
            .admin_cimd_cache(docs, query.get("url"), method == "DELETE")
            .await
            .map(|body| match body {
                Some(b) => ok(b),
                None => (204, None),
            }),
    };
    (label, client_id, result)
}
