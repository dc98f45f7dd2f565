//! The rules a Client ID Metadata Document adds to client metadata
//! (draft-ietf-oauth-client-id-metadata-document §3, §4): pure, and the one place they live.
//! `POST /metadata/validate?profile=cimd` lists every one a document breaks; fetching a document
//! (src/cimd.rs) refuses it on the first.

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
    // §4.1: the document MUST NOT contain them; unlike other members, not even as `null` (an
    // AS comparing keys would refuse such a document).
    for member in ["client_secret", "client_secret_expires_at"] {
        if doc.contains_key(member) {
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
    // Other types are the registration rules' to refuse.
    let missing = match doc.get("redirect_uris") {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    };
    if missing {
        err(
            "redirect_uris",
            "invalid_redirect_uri",
            "required, at least one",
        );
    }
    out
}

/// Why `id` cannot be a client identifier URL (§3): https with a path, no fragment, no user
/// information, no `.` or `..` segment. It must be written as the URL parser normalizes it (so
/// dot segments, `https:///host`, an upper-case host or a default port are refused): authorization
/// servers compare client IDs as strings. Registrar's host rules come on top (src/cimd.rs).
pub fn client_id_problem(id: &str) -> Option<&'static str> {
    let Some(u) = url::Url::parse(id).ok().filter(|u| u.scheme() == "https") else {
        return Some("must be an https URL");
    };
    if !u.username().is_empty() || u.password().is_some() {
        return Some("must not contain a user name or password");
    }
    if id.contains('#') {
        return Some("must not contain a fragment");
    }
    if u.path().len() <= 1 {
        return Some("must have a path (not just /)");
    }
    if u.as_str() != id {
        // The parser removes `.` and `..` (also `%2e`) segments: they fail here too.
        return Some(
            "must be in normal form: no . or .. segments, a lower-case host, no default port",
        );
    }
    None
}
