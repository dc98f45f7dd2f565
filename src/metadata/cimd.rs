//! The rules a Client ID Metadata Document adds to client metadata
//! (draft-ietf-oauth-client-id-metadata-document §3, §4): pure, for `POST /metadata/validate
//! ?profile=cimd` and for fetching documents.

use super::FieldError;
use serde_json::{Map, Value};

/// Every rule of the draft that `doc` breaks; `url`, when known, is where it was fetched from
/// and must equal its `client_id`. The ordinary metadata rules are checked separately.
#[inline(never)]
pub fn check_document(url: Option<&str>, doc: &Map<String, Value>) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut err = |member: &str, error, description: &str| {
        FieldError::push(&mut out, member, error, description)
    };
    const META: &str = "invalid_client_metadata";
    let id = doc.get("client_id").and_then(Value::as_str);
    let problem = match id {
        None => Some("required: the URL of this document"),
        Some(id) if url.is_some_and(|u| u != id) => Some("must equal the document's URL"),
        Some(id) => client_id_problem(id),
    };
    if let Some(p) = problem {
        err("client_id", META, p);
    }
    for member in ["client_secret", "client_secret_expires_at"] {
        if doc.get(member).is_some_and(|v| !v.is_null()) {
            err(member, META, "not allowed: the document is public");
        }
    }
    let method = doc
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str);
    if !matches!(method, Some("none" | "private_key_jwt")) {
        err(
            "token_endpoint_auth_method",
            META,
            "must be none or private_key_jwt (absent means client_secret_basic)",
        );
    }
    if doc.get("redirect_uris").is_none_or(Value::is_null) {
        err("redirect_uris", "invalid_redirect_uri", "required");
    }
    out
}

/// Why `id` cannot be a client identifier URL (§3): https with a path, no fragment, no user
/// information, no `.` or `..` segment. It must also be written as the URL parser normalizes it
/// (so `%2e` segments, `https:///host` or an upper-case host are refused too): authorization
/// servers compare client IDs as strings.
pub fn client_id_problem(id: &str) -> Option<&'static str> {
    let ok = url::Url::parse(id).is_ok_and(|u| {
        u.scheme() == "https"
            && u.as_str() == id
            && u.path().len() > 1
            && u.fragment().is_none()
            && u.username().is_empty()
            && u.password().is_none()
    });
    (!ok).then_some(
        "must be an https URL with a path, in normal form, without fragment, user information or dot segments",
    )
}
