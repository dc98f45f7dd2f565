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
    match doc.get("client_id").and_then(Value::as_str) {
        None => err("client_id", META, "required: the URL of this document"),
        Some(id) => {
            if let Some(problem) = client_id_problem(id) {
                err("client_id", META, problem);
            } else if url.is_some_and(|u| u != id) {
                err(
                    "client_id",
                    META,
                    "must equal the URL the document was fetched from",
                );
            }
        }
    }
    for member in ["client_secret", "client_secret_expires_at"] {
        if doc.get(member).is_some_and(|v| !v.is_null()) {
            err(member, META, "not allowed: a metadata document is public");
        }
    }
    match doc
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        Some("none" | "private_key_jwt") => {}
        _ => err(
            "token_endpoint_auth_method",
            META,
            "must be none or private_key_jwt (no shared secret; absent means client_secret_basic)",
        ),
    }
    let no_uris = doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if no_uris {
        err("redirect_uris", "invalid_redirect_uri", "required");
    }
    out
}

/// Why `id` cannot be a client identifier URL: https, a path, no fragment, no user
/// information, no `.` or `..` segment (§3).
pub fn client_id_problem(id: &str) -> Option<&'static str> {
    let Some(rest) = id.strip_prefix("https://") else {
        return Some("must be an https URL");
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let path = path.split('?').next().unwrap_or("");
    Some(if id.contains('#') {
        "must not have a fragment"
    } else if authority.is_empty() || authority.contains('@') {
        "must name a host, without user information"
    } else if path.len() < 2 {
        "must have a path"
    } else if path.split('/').any(|s| {
        let s = s.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    }) {
        "must not have . or .. path segments"
    } else if url::Url::parse(id).is_err() {
        "not a valid URL"
    } else {
        return None;
    })
}
