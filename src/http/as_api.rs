//! Routes of the authorization server API (`/as/v1/...`, docs/authorization-server.md).

use super::{check_json_body, ApiRequest, ReadFrom};
use crate::cimd::DocumentSource;
use crate::error::ApiError;
use crate::service::Registrar;
use crate::store::ClientStore;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsRoute<'a> {
    Client(&'a str),
    Authenticate(&'a str),
    AuthorizationCheck(&'a str),
}

impl<'a> AsRoute<'a> {
    /// `rest` is the path after `/as/v1/`.
    pub fn parse(rest: &'a str) -> Option<AsRoute<'a>> {
        let parts: Vec<&str> = rest.split('/').collect();
        Some(match parts.as_slice() {
            ["clients", id] if !id.is_empty() => AsRoute::Client(id),
            ["clients", id, "authenticate"] if !id.is_empty() => AsRoute::Authenticate(id),
            ["clients", id, "authorization-check"] if !id.is_empty() => {
                AsRoute::AuthorizationCheck(id)
            }
            _ => return None,
        })
    }

    pub fn allow(&self) -> &'static str {
        match self {
            AsRoute::Client(_) => "GET",
            AsRoute::Authenticate(_) | AsRoute::AuthorizationCheck(_) => "POST",
        }
    }

    /// Where the route's reads may go. The lookup and the authorization check may see a read
    /// replica's lag; `authenticate`, the token endpoint's gate, reads the primary so that a
    /// rotated secret, a suspension or a deletion takes effect at once.
    pub fn read_from(&self) -> ReadFrom {
        match self {
            AsRoute::Client(_) | AsRoute::AuthorizationCheck(_) => ReadFrom::Session,
            AsRoute::Authenticate(_) => ReadFrom::Primary,
        }
    }

    fn client_id(&self) -> &'a str {
        match self {
            AsRoute::Client(id) | AsRoute::Authenticate(id) | AsRoute::AuthorizationCheck(id) => id,
        }
    }
}

/// Serves an AS API request: 404 while `AS_API_TOKEN` is unset, 401 without it.
pub async fn handle<'r, S: ClientStore, D: DocumentSource>(
    registrar: &Registrar<'_, S>,
    docs: &D,
    route: &AsRoute<'r>,
    req: &ApiRequest<'_>,
    token: Option<&str>,
) -> (&'static str, Option<&'r str>, Result<Value, ApiError>) {
    let client_id = Some(route.client_id());
    if registrar.config.as_api_token.is_none() {
        let off = ApiError::NotFound("no such endpoint");
        return ("as: disabled", client_id, Err(off));
    }
    let label = match (route, req.method) {
        (AsRoute::Client(_), "GET") => "GET /as/v1/clients/{id}",
        (AsRoute::Authenticate(_), "POST") => "POST /as/v1/clients/{id}/authenticate",
        (AsRoute::AuthorizationCheck(_), "POST") => "POST /as/v1/clients/{id}/authorization-check",
        _ => {
            let e = ApiError::MethodNotAllowed(route.allow());
            return ("as: method not allowed", client_id, Err(e));
        }
    };
    if !registrar.is_as_api(token) {
        let wrong = ApiError::InvalidBearer("the AS API token is missing or wrong");
        return (label, client_id, Err(wrong));
    }
    // A client metadata document's URL comes percent-encoded in the one path segment.
    let decoded = registrar
        .config
        .cimd
        .as_ref()
        .filter(|_| crate::cimd::CIMD_BUILT)
        .and_then(|_| crate::cimd::url_client_id(route.client_id()));
    let id = decoded.as_deref().unwrap_or(route.client_id());
    let result = match route {
        AsRoute::Client(_) => registrar.as_get_client(docs, id).await,
        AsRoute::Authenticate(_) => match check_json_body(req) {
            Ok(()) => registrar.as_authenticate(id, req.body).await,
            Err(e) => Err(e),
        },
        AsRoute::AuthorizationCheck(_) => match check_json_body(req) {
            Ok(()) => registrar.as_authorization_check(docs, id, req.body).await,
            Err(e) => Err(e),
        },
    };
    (label, client_id, result)
}
