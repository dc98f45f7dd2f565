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
    let mut err = |member: &str, error: &'static str, description: &str| {
        out.push(FieldError {
            member: member.into(),
            error,
            description: description.into(),
        })
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

/// Why `id` cannot be a client identifier URL: https, a path, no fragment, no user
/// information, no `.` or `..` segment (§3).
pub fn client_id_problem(id: &str) -> Option<&'static str> {
    let rest = id.strip_prefix("https://").unwrap_or("");
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = path.split_at(path.find('/').unwrap_or(path.len()));
    let dots = path.split('/').any(|s| s == "." || s == "..")
        || path.contains("%2e")
        || path.contains("%2E");
    let ok = !id.contains('#')
        && !authority.is_empty()
        && !authority.contains('@')
        && path.len() > 1
        && !dots
        && url::Url::parse(id).is_ok();
    (!ok).then_some(
        "must be an https URL with a path, without fragment, user information or . or .. segments",
    )
}
