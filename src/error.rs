//! The one error type of Registrar. Each variant knows its HTTP status and its wire form
//! (`{"error": ..., "error_description": ...}`, RFC 7591 §3.2.2 and RFC 6750 §3.1).

use serde_json::{json, Value};
use std::fmt;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The AS API's answer for a client id that names no client (registered or document).
pub const UNKNOWN_CLIENT: &str = "no client with this client_id";

/// Most characters of a submitted value an error description repeats.
pub const QUOTE_CHARS: usize = 64;

/// A submitted value as error descriptions quote it: in double quotes with JSON-style escapes,
/// cut to [`QUOTE_CHARS`] characters with an ellipsis, so a description (and the audit event
/// that records it) stays short whatever was sent.
pub fn quoted(value: &str) -> String {
    let mut cut = value.char_indices().nth(QUOTE_CHARS).map(|(i, _)| i);
    let shown = &value[..cut.unwrap_or(value.len())];
    let mut out = format!("{shown:?}");
    if cut.take().is_some() {
        out.insert(out.len() - 1, '…');
    }
    out
}

/// A member name as error descriptions show it: member names can be submitted too
/// (`client_name#<tag>`), so they are cut like values, without quotes.
fn member_name(member: &str) -> std::borrow::Cow<'_, str> {
    match member.char_indices().nth(QUOTE_CHARS + 16) {
        None => member.into(),
        Some((i, _)) => format!("{}…", &member[..i]).into(),
    }
}

/// An error the authorization server returns to an authorization request (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationError {
    /// Unknown or suspended client: never redirect.
    InvalidClient,
    /// The redirect URI is not registered (or the check itself was malformed): never redirect.
    InvalidRequest,
    /// A response type the client did not register.
    UnauthorizedClient,
    /// No requested scope is registered.
    InvalidScope,
}

impl AuthorizationError {
    pub fn code(self) -> &'static str {
        match self {
            AuthorizationError::InvalidClient => "invalid_client",
            AuthorizationError::InvalidRequest => "invalid_request",
            AuthorizationError::UnauthorizedClient => "unauthorized_client",
            AuthorizationError::InvalidScope => "invalid_scope",
        }
    }

    /// Whether the authorization server may send the error to the redirect URI: only once the
    /// client and its redirect URI are known good.
    pub fn redirect(self) -> bool {
        matches!(
            self,
            AuthorizationError::UnauthorizedClient | AuthorizationError::InvalidScope
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400 `invalid_request`: the request itself is malformed (not the metadata).
    InvalidRequest(String),
    /// 400 `invalid_redirect_uri` (RFC 7591 §3.2.2). The problems are boxed: unboxed, they would
    /// double the size of every `Result<_, ApiError>` the code moves (4.5 KB gzip of wasm).
    InvalidRedirectUri(Box<Problem>),
    /// 400 `invalid_client_metadata` (RFC 7591 §3.2.2).
    InvalidClientMetadata(Box<Problem>),
    /// 400 `invalid_software_statement` (RFC 7591 §3.2.2).
    InvalidSoftwareStatement(Box<Problem>),
    /// 401 `invalid_token` (RFC 7592 §2 and RFC 6750 §3.1). Deliberately carries no detail:
    /// a wrong token, an unknown client and a deleted client must look the same.
    InvalidToken,
    /// 401 `invalid_token` for an initial access token or the admin token; the text says which.
    InvalidBearer(&'static str),
    /// 403 `access_denied`: authenticated, but not allowed (registration disabled, a suspended
    /// client updating itself, a class at its client quota).
    AccessDenied(String),
    /// 404 for paths Registrar does not serve, or an admin lookup of an unknown object.
    NotFound(&'static str),
    /// 405 with the methods the route does allow.
    MethodNotAllowed(&'static str),
    /// 413: the body is larger than [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 429 with `Retry-After` (seconds).
    TooManyRequests(u32),
    /// `invalid_client` from the authorization server API (docs/authorization-server.md) with
    /// its status: 404 for a lookup, 401 for a client authentication.
    InvalidClient(u16, &'static str),
    /// 404 `invalid_client` for a client metadata document that cannot be used (src/cimd.rs),
    /// saying why.
    ClientDocument(String),
    /// 400 from the authorization check: the error the authorization server must return, and
    /// (`"redirect"` in the body) whether it may send it to the redirect URI.
    Authorization(AuthorizationError, String),
    /// 500: a fault on our side. The text is logged, never sent.
    Internal(String),
}

/// What is wrong with submitted metadata: the member (with its index, `redirect_uris[2]`),
/// when one is at fault, and what is wrong with it. The wire form keeps RFC 7591's
/// `error_description` ("member: detail") and adds the member as `member`, so a client (the
/// dashboard) finds the field without parsing prose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// As the description shows it: cut like a quoted value (member names can be submitted).
    pub member: Option<String>,
    pub detail: String,
}

impl Problem {
    fn description(&self) -> String {
        match &self.member {
            Some(member) => format!("{member}: {}", self.detail),
            None => self.detail.clone(),
        }
    }
}

impl ApiError {
    pub fn invalid_metadata(member: &str, detail: impl fmt::Display) -> Self {
        ApiError::InvalidClientMetadata(Box::new(Problem {
            member: Some(member_name(member).into_owned()),
            detail: detail.to_string(),
        }))
    }

    /// `invalid_client_metadata` about the registration as a whole (no one member).
    pub fn invalid_registration(detail: impl fmt::Display) -> Self {
        ApiError::InvalidClientMetadata(Box::new(Problem {
            member: None,
            detail: detail.to_string(),
        }))
    }

    /// `invalid_software_statement` (the member is `software_statement`).
    pub fn invalid_software_statement(detail: impl fmt::Display) -> Self {
        ApiError::InvalidSoftwareStatement(Box::new(Problem {
            member: Some("software_statement".into()),
            detail: detail.to_string(),
        }))
    }

    pub fn invalid_redirect(member: &str, detail: impl fmt::Display) -> Self {
        ApiError::InvalidRedirectUri(Box::new(Problem {
            member: Some(member_name(member).into_owned()),
            detail: detail.to_string(),
        }))
    }

    /// The metadata member at fault, for `invalid_client_metadata`, `invalid_redirect_uri` and
    /// `invalid_software_statement`.
    pub fn member(&self) -> Option<&str> {
        match self {
            ApiError::InvalidRedirectUri(p)
            | ApiError::InvalidClientMetadata(p)
            | ApiError::InvalidSoftwareStatement(p) => p.member.as_deref(),
            _ => None,
        }
    }

    /// The description without the member it names (the whole description for other errors).
    pub fn detail(&self) -> String {
        match self {
            ApiError::InvalidRedirectUri(p)
            | ApiError::InvalidClientMetadata(p)
            | ApiError::InvalidSoftwareStatement(p) => p.detail.clone(),
            _ => self.description(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidRequest(_)
            | ApiError::InvalidRedirectUri(_)
            | ApiError::InvalidClientMetadata(_)
            | ApiError::InvalidSoftwareStatement(_)
            | ApiError::Authorization(..) => 400,
            ApiError::InvalidClient(status, _) => *status,
            ApiError::ClientDocument(_) => 404,
            ApiError::InvalidToken | ApiError::InvalidBearer(_) => 401,
            ApiError::AccessDenied(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed(_) => 405,
            ApiError::PayloadTooLarge => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::TooManyRequests(_) => 429,
            ApiError::Internal(_) => 500,
        }
    }

    /// The `error` member of the wire form.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest(_)
            | ApiError::MethodNotAllowed(_)
            | ApiError::PayloadTooLarge
            | ApiError::UnsupportedMediaType => "invalid_request",
            ApiError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            ApiError::InvalidClientMetadata(_) => "invalid_client_metadata",
            ApiError::InvalidSoftwareStatement(_) => "invalid_software_statement",
            ApiError::InvalidToken | ApiError::InvalidBearer(_) => "invalid_token",
            ApiError::AccessDenied(_) => "access_denied",
            ApiError::NotFound(_) => "not_found",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Internal(_) => "server_error",
            ApiError::InvalidClient(..) | ApiError::ClientDocument(_) => "invalid_client",
            ApiError::Authorization(e, _) => e.code(),
        }
    }

    /// The `error_description` member: safe to show to the caller.
    pub fn description(&self) -> String {
        match self {
            ApiError::InvalidRedirectUri(p)
            | ApiError::InvalidClientMetadata(p)
            | ApiError::InvalidSoftwareStatement(p) => p.description(),
            ApiError::InvalidRequest(d)
            | ApiError::AccessDenied(d)
            | ApiError::ClientDocument(d)
            | ApiError::Authorization(_, d) => d.clone(),
            ApiError::InvalidClient(_, d) => (*d).into(),
            ApiError::InvalidToken => {
                "the registration access token is missing, wrong, or the client no longer exists"
                    .into()
            }
            ApiError::NotFound(what) | ApiError::InvalidBearer(what) => (*what).into(),
            ApiError::TooManyRequests(secs) => {
                format!("too many requests; retry after {secs} seconds")
            }
            ApiError::MethodNotAllowed(allow) => format!("method not allowed; allowed: {allow}"),
            ApiError::PayloadTooLarge => {
                format!("request body larger than {MAX_BODY_BYTES} bytes")
            }
            ApiError::UnsupportedMediaType => "Content-Type must be application/json".into(),
            ApiError::Internal(_) => "internal error; try again later".into(),
        }
    }

    pub fn body(&self) -> Value {
        let mut body = json!({ "error": self.code(), "error_description": self.description() });
        if let ApiError::Authorization(e, _) = self {
            body["redirect"] = e.redirect().into();
        }
        if let Some(member) = self.member() {
            body["member"] = member.into();
        }
        body
    }

    /// Headers the error adds to the response (beyond the common ones).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            ApiError::InvalidToken | ApiError::InvalidBearer(_) => vec![(
                "WWW-Authenticate",
                r#"Bearer error="invalid_token""#.to_string(),
            )],
            ApiError::MethodNotAllowed(allow) => vec![("Allow", (*allow).to_string())],
            ApiError::TooManyRequests(secs) => vec![("Retry-After", secs.to_string())],
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Internal causes are for the log only.
            ApiError::Internal(cause) => write!(f, "server_error: {cause}"),
            other => write!(f, "{}: {}", other.code(), other.description()),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_cause_is_never_on_the_wire() {
        let e = ApiError::Internal("D1_ERROR: table clients has no column x".into());
        assert_eq!(e.status(), 500);
        assert!(!e.body().to_string().contains("D1_ERROR"));
    }

    #[test]
    fn invalid_token_carries_www_authenticate() {
        let e = ApiError::InvalidToken;
        assert_eq!(e.status(), 401);
        assert_eq!(
            e.headers(),
            vec![("WWW-Authenticate", r#"Bearer error="invalid_token""#.into())]
        );
        assert_eq!(e.body()["error"], "invalid_token");
    }

    #[test]
    fn quoted_values_are_cut_at_64_characters_with_an_ellipsis() {
        assert_eq!(quoted("abc"), "\"abc\"");
        let exactly = "é".repeat(QUOTE_CHARS);
        assert_eq!(quoted(&exactly), format!("\"{exactly}\""));
        let long = "x".repeat(60_000);
        assert_eq!(quoted(&long), format!("\"{}…\"", "x".repeat(QUOTE_CHARS)));
        // Escapes are applied to what is shown, so a control character cannot break the text.
        assert_eq!(quoted("a\u{202e}b\n"), "\"a\\u{202e}b\\n\"");
    }

    #[test]
    fn long_member_names_are_cut() {
        let key = format!("client_name#{}", "a".repeat(10_000));
        let e = ApiError::invalid_metadata(&key, "bad tag");
        assert!(e.description().chars().count() < 120, "{}", e.description());
        assert!(e.description().ends_with("…: bad tag"));
    }

    #[test]
    fn metadata_errors_name_the_member() {
        let e = ApiError::invalid_redirect("redirect_uris[1]", "fragment not allowed");
        assert_eq!(e.code(), "invalid_redirect_uri");
        assert_eq!(
            e.body()["error_description"],
            "redirect_uris[1]: fragment not allowed"
        );
    }
}
