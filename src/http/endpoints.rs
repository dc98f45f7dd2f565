//! The RFC 7591 / RFC 7592 endpoints and the metadata check: from a parsed request to the
//! service's answer (routing, status codes and headers are mod.rs's).

use super::*;

/// Rate limit first (no storage work for a caller over the limit), then register.
pub(super) async fn register<S: ClientStore, L: RateLimiter>(
    registrar: &Registrar<'_, S>,
    limits: &L,
    token: Option<&str>,
    body: &[u8],
) -> Result<serde_json::Map<String, Value>, ApiError> {
    for (bucket, key) in registrar.registration_limits(token) {
        if !limits.allow(bucket, &key).await {
            return Err(ApiError::TooManyRequests(
                registrar.config.rate_limit_period,
            ));
        }
    }
    registrar.register(token, body).await
}

/// `POST /metadata/validate`: rate limited per client network like registration (a bucket of
/// its own in the same limiter), then every error and warning; nothing is stored or logged.
/// `GET ?url=` fetches a client ID metadata document and checks it the same way (CIMD only).
pub(super) async fn validate<S: ClientStore, L: RateLimiter, D: crate::cimd::DocumentSource>(
    registrar: &Registrar<'_, S>,
    limits: &L,
    docs: &D,
    req: &ApiRequest<'_>,
) -> Result<Reply, ApiError> {
    let fetch = req.method == "GET";
    if fetch && (!crate::cimd::CIMD_BUILT || registrar.config.cimd.is_none()) {
        return Err(ApiError::NotFound(crate::cimd::CIMD_OFF));
    }
    if !fetch {
        check_json_body(req)?;
    }
    let key = format!("validate:{}", registrar.network_limit_key());
    if !limits.allow(LimitBucket::RegisterByIp, &key).await {
        return Err(ApiError::TooManyRequests(
            registrar.config.rate_limit_period,
        ));
    }
    let (errors, checked, document) = if fetch {
        let c = registrar.cimd_check(docs, req.query).await?;
        (c.errors, c.checked, c.document)
    } else {
        let cimd = match req.query {
            "" => false,
            "profile=cimd" => true,
            _ => {
                return Err(ApiError::InvalidRequest(
                    "the only query is profile=cimd".into(),
                ))
            }
        };
        let request = crate::service::parse_object(req.body)?;
        let (errors, checked) = registrar.check(&request, cimd, None);
        (errors, checked, None)
    };
    let valid = errors.is_empty() && checked.is_some();
    let mut body = serde_json::Map::new();
    body.insert("valid".into(), valid.into());
    let mut warnings = Vec::new();
    if let Some((metadata, w)) = checked {
        if valid {
            body.insert("normalized".into(), Value::Object(metadata.to_json()));
        }
        warnings = w;
    }
    body.insert("errors".into(), problems(errors));
    body.insert("warnings".into(), problems(warnings));
    if let Some(d) = document {
        body.insert("document".into(), d);
    }
    Ok(Reply::Json((200, Some(Value::Object(body)))))
}

/// Errors or warnings as JSON: `member` (when there is one), `error` (errors only), `description`.
#[inline(never)]
pub(super) fn problems(list: Vec<crate::metadata::FieldError>) -> Value {
    let mut items = Vec::new();
    for e in list {
        let mut o = serde_json::Map::new();
        if !e.member.is_empty() {
            o.insert("member".into(), e.member.into());
        }
        if !e.error.is_empty() {
            o.insert("error".into(), e.error.into());
        }
        o.insert("description".into(), e.description.into());
        items.push(Value::Object(o));
    }
    Value::Array(items)
}

/// RFC 7592 read, update or delete: the caller's network is limited before anything else (a
/// wrong token costs no storage work once over the limit); the client's own bucket is counted by
/// the service once the token is verified.
pub(super) async fn manage<S: ClientStore, L: RateLimiter>(
    registrar: &Registrar<'_, S>,
    limits: &L,
    client_id: &str,
    method: &str,
    token: Option<&str>,
    req: &ApiRequest<'_>,
) -> Result<Reply, ApiError> {
    if !limits
        .allow(LimitBucket::ManageByIp, &registrar.network_limit_key())
        .await
    {
        return Err(ApiError::TooManyRequests(
            registrar.config.rate_limit_period,
        ));
    }
    match method {
        "GET" => registrar
            .read(client_id, token, limits)
            .await
            .map(Reply::Client),
        "PUT" => {
            let body = check_json_body(req).map(|()| req.body);
            registrar
                .update(client_id, token, body, limits)
                .await
                .map(Reply::Client)
        }
        _ => registrar
            .delete(client_id, token, limits)
            .await
            .map(|()| Reply::Deleted),
    }
}
