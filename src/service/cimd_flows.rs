//! The CIMD flows of the service (src/cimd.rs has the pure rules they use): resolve a document
//! client for the AS API (cache → per-host limit → fetch → validate → cache), check a document
//! without registering (`GET /metadata/validate?url=`), and the admin view of the cache.

use super::Registrar;
use crate::cimd::{
    cache_seconds, check_url, document_rules, parse_document, CacheEntry, DocumentClient,
    DocumentSource, UrlCheck, CIMD_OFF, NEGATIVE_CACHE_SECONDS,
};
use crate::error::ApiError;
use crate::metadata::ClientMetadata;
use crate::policy::CallerClass;
use crate::store::ClientStore;
use serde_json::Value;

impl<S: ClientStore> Registrar<'_, S> {
    /// The document client at `client_id` (a URL), from the cache or fetched. `Err` carries a
    /// description for `invalid_client`.
    pub async fn cimd_client<D: DocumentSource>(
        &self,
        docs: &D,
        client_id: &str,
    ) -> Result<DocumentClient, String> {
        let Some(hosts) = self.config.cimd.as_ref() else {
            return Err(crate::error::UNKNOWN_CLIENT.into());
        };
        let url = check_url(client_id, hosts).map_err(|e| format!("client_id: {e}"))?;
        let entry = match docs
            .cached(client_id)
            .await
            .as_deref()
            .and_then(CacheEntry::parse)
        {
            Some(e) if e.expires_at > self.now => e,
            _ => {
                let host = url.host_str().unwrap_or_default();
                if !docs.allow_fetch(host).await {
                    return Err(format!(
                        "client metadata document: too many fetches from {host}; try again later"
                    ));
                }
                let (outcome, ttl) = match docs.fetch(client_id).await {
                    Err(e) => (Err(e), NEGATIVE_CACHE_SECONDS),
                    Ok(f) => match self.cimd_validate(&f.body, client_id) {
                        Ok(_) => (
                            String::from_utf8(f.body).map_err(|_| "not UTF-8".to_string()),
                            cache_seconds(f.cache_control.as_deref()),
                        ),
                        Err(e) => (Err(e), NEGATIVE_CACHE_SECONDS),
                    },
                };
                let entry = CacheEntry {
                    fetched_at: self.now,
                    expires_at: self.now + ttl as i64,
                    outcome,
                };
                docs.remember(client_id, &entry.to_json().to_string(), ttl)
                    .await;
                entry
            }
        };
        let doc = entry
            .outcome
            .map_err(|e| format!("client metadata document: {e}"))?;
        // Validated again under the configuration of today (cheap; the document is small).
        let metadata = self
            .cimd_validate(doc.as_bytes(), client_id)
            .map_err(|e| format!("client metadata document: {e}"))?;
        Ok(DocumentClient {
            client_id: client_id.to_string(),
            metadata,
            fetched_at: entry.fetched_at,
        })
    }

    /// The document rules, then the registration validator under the anonymous policy.
    fn cimd_validate(&self, body: &[u8], url: &str) -> Result<ClientMetadata, String> {
        let mut doc = parse_document(body)?;
        document_rules(&doc, url)?;
        doc.remove("client_id");
        self.validate(&doc, &CallerClass::Anonymous, None)
            .map_err(|e| e.description())
    }

    /// Without CIMD built nothing is fetched.
    #[cfg(all(target_arch = "wasm32", not(feature = "cimd")))]
    pub async fn cimd_check<D: DocumentSource>(
        &self,
        _: &D,
        _: &str,
    ) -> Result<UrlCheck, ApiError> {
        Err(ApiError::NotFound(CIMD_OFF))
    }

    /// `GET /metadata/validate?url=` (`query`): the document at the URL, fetched now under every
    /// rule of the AS path (URL rules, host lists, per-host limit, the fetch's bounds), then
    /// checked like `POST ?profile=cimd` with the URL as its `client_id`. Neither read from nor
    /// written to the AS cache: a check shows what the document says now, and cannot plant an
    /// entry the AS would serve.
    #[cfg(any(feature = "cimd", not(target_arch = "wasm32")))]
    pub async fn cimd_check<D: DocumentSource>(
        &self,
        docs: &D,
        query: &str,
    ) -> Result<UrlCheck, ApiError> {
        let hosts = self
            .config
            .cimd
            .as_ref()
            .ok_or(ApiError::NotFound(CIMD_OFF))?;
        let mut pairs = url::form_urlencoded::parse(query.as_bytes());
        let url = match (pairs.next(), pairs.next()) {
            (Some((name, url)), None) if name == "url" && !url.is_empty() => url.into_owned(),
            _ => {
                return Err(ApiError::InvalidRequest(
                    "url: required, the only parameter: the document's URL, percent-encoded".into(),
                ))
            }
        };
        let refused = |description: String, document: Option<Value>| UrlCheck {
            errors: vec![crate::metadata::FieldError {
                member: "url".into(),
                error: "invalid_client_metadata",
                description,
            }],
            checked: None,
            document,
        };
        let parsed = match check_url(&url, hosts) {
            Ok(parsed) => parsed,
            Err(e) => return Ok(refused(e, None)),
        };
        // A key of its own per host: checks must not use up the fetches the AS needs for logins.
        let host = parsed.host_str().unwrap_or_default();
        if !docs.allow_fetch(&format!("check:{host}")).await {
            return Err(ApiError::TooManyRequests(self.config.rate_limit_period));
        }
        let fetched = match docs.fetch(&url).await {
            Ok(f) => f,
            Err(e) => return Ok(refused(e, None)),
        };
        let mut document = serde_json::json!({
            "url": url,
            "fetched_at": self.now,
            "cache_seconds": NEGATIVE_CACHE_SECONDS,
        });
        let doc = match parse_document(&fetched.body) {
            Ok(doc) => doc,
            Err(e) => return Ok(refused(e, Some(document))),
        };
        let (errors, checked) = self.check(&doc, true, Some(&url));
        if errors.is_empty() && checked.is_some() {
            document["cache_seconds"] = cache_seconds(fetched.cache_control.as_deref()).into();
        }
        Ok(UrlCheck {
            errors,
            checked,
            document: Some(document),
        })
    }

    /// Without CIMD built there is no cache to show.
    #[cfg(all(target_arch = "wasm32", not(feature = "cimd")))]
    pub async fn admin_cimd_cache<D: DocumentSource>(
        &self,
        _: &D,
        _: Option<&str>,
        _: bool,
    ) -> Result<Option<Value>, ApiError> {
        Err(ApiError::NotFound(CIMD_OFF))
    }

    /// `GET /admin/cimd-cache?url=`: the cache entry, or 404; with `evict`, removes it (204).
    #[cfg(any(feature = "cimd", not(target_arch = "wasm32")))]
    pub async fn admin_cimd_cache<D: DocumentSource>(
        &self,
        docs: &D,
        url: Option<&str>,
        evict: bool,
    ) -> Result<Option<Value>, ApiError> {
        if self.config.cimd.is_none() {
            return Err(ApiError::NotFound(CIMD_OFF));
        }
        let url = url.ok_or_else(|| ApiError::InvalidRequest("url: required".into()))?;
        if evict {
            docs.forget(url).await?;
            return Ok(None);
        }
        let entry = docs
            .cached(url)
            .await
            .as_deref()
            .and_then(CacheEntry::parse)
            .ok_or(ApiError::NotFound("no cached document for this url"))?;
        let mut body = entry.to_json();
        body["url"] = url.into();
        body["valid"] = entry.outcome.is_ok().into();
        if let Ok(doc) = &entry.outcome {
            body["document"] = serde_json::from_str(doc).unwrap_or(Value::Null);
        }
        Ok(Some(body))
    }
}
