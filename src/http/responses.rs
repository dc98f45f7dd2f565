//! Responses: what each kind of answer looks like on the wire, error bodies, and the headers
//! every answer carries (CORS, caching, security).

use super::*;

pub(super) enum Reply {
    Created(serde_json::Map<String, Value>),
    Client(serde_json::Map<String, Value>),
    Deleted,
    Discovery(serde_json::Map<String, Value>),
    Preflight,
    /// An admin answer: status and optional body.
    Json(admin::AdminReply),
}

impl Reply {
    /// The response: the body moves into it (a registration or discovery document is not copied).
    pub(super) fn into_response(self, route: &Route) -> ApiResponse {
        let json = |status, body| ApiResponse {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body: Some(Value::Object(body)),
        };
        match self {
            Reply::Created(body) => json(201, body),
            Reply::Client(body) => json(200, body),
            Reply::Discovery(body) => json(200, body),
            Reply::Deleted => ApiResponse {
                status: 204,
                headers: Vec::new(),
                body: None,
            },
            Reply::Json((status, body)) => ApiResponse {
                status,
                headers: match body {
                    Some(_) => vec![("Content-Type", "application/json".into())],
                    None => Vec::new(),
                },
                body,
            },
            Reply::Preflight => ApiResponse {
                status: 204,
                headers: vec![
                    ("Access-Control-Allow-Methods", route.allow().into()),
                    (
                        "Access-Control-Allow-Headers",
                        "Authorization, Content-Type".into(),
                    ),
                    ("Access-Control-Max-Age", "86400".into()),
                ],
                body: None,
            },
        }
    }
}

/// The wire form of an error (RFC 7591 §3.2.2 body, RFC 6750 §3 header).
pub fn error_response(e: &ApiError) -> ApiResponse {
    let mut headers = vec![("Content-Type", "application/json".to_string())];
    headers.extend(e.headers());
    ApiResponse {
        status: e.status(),
        headers,
        body: Some(e.body()),
    }
}

/// The headers of every answer, the sign-in endpoints' too: `cache` for a cacheable answer
/// (discovery), otherwise never stored; never sniffed, rendered as a document or framed; HSTS
/// when the issuer is https.
pub(super) fn add_safety_headers(
    response: &mut ApiResponse,
    cache: Option<&'static str>,
    issuer: &str,
) {
    let h = &mut response.headers;
    match cache {
        Some(cache) => h.push(("Cache-Control", cache.into())),
        None => {
            // Client information carries credentials (RFC 7591 §3.2.1); errors must not be cached.
            h.push(("Cache-Control", "no-store".into()));
            h.push(("Pragma", "no-cache".into()));
        }
    }
    h.push(("X-Content-Type-Options", "nosniff".into()));
    h.push(("Referrer-Policy", "no-referrer".into()));
    // JSON is never a document to render or frame.
    h.push((
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'".into(),
    ));
    if issuer.starts_with("https://") {
        h.push(("Strict-Transport-Security", "max-age=31536000".into()));
    }
}

pub(super) fn add_common_headers(
    response: &mut ApiResponse,
    config: &Config,
    route: &Route,
    request_origin: Option<&str>,
    issuer: &str,
) {
    let cache = (matches!(route, Route::Discovery) && response.status == 200).then(|| {
        // An issuer taken from the request's origin differs per Host: not for shared caches.
        if config.issuer.is_some() {
            "public, max-age=300"
        } else {
            "no-cache"
        }
    });
    add_safety_headers(response, cache, issuer);
    let h = &mut response.headers;
    // Admin and AS API routes are for operators' tools and servers, and the dashboard routes are
    // for the dashboard's own page only (its session cookie), not for browsers on other
    // origins.
    if !matches!(
        route,
        Route::Unknown | Route::Admin(_) | Route::As(_) | Route::Dashboard(_)
    ) {
        if let Some(allowed) = config.cors.allow_origin(request_origin) {
            h.push(("Access-Control-Allow-Origin", allowed.to_string()));
            h.push(("Access-Control-Expose-Headers", "WWW-Authenticate".into()));
        }
        if config.cors.varies_by_origin() {
            h.push(("Vary", "Origin".into()));
        }
    }
}
