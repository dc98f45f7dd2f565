//! Client metadata documents for the Worker (src/cimd.rs): the fetch (https only, no redirects,
//! a timeout, a size cap), the cache in the `CIMD_CACHE` KV namespace and the per-host fetch
//! limit (`CIMD_FETCH_LIMITER`). Built only with the `cimd` feature.

use crate::cimd::{DocumentSource, Fetched, FETCH_TIMEOUT_MS, MAX_DOCUMENT_BYTES};
use crate::error::ApiError;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::time::Duration;
use worker::kv::KvStore;
use worker::{
    AbortController, AbortSignal, Delay, Env, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect,
};

/// `cache` is `None` only while `CIMD` is off: the core asks nothing of the source then, and
/// one source type keeps the HTTP layer compiled once in this build.
pub struct WorkerDocuments {
    cache: Option<KvStore>,
    limiter: Option<worker::RateLimiter>,
}

impl WorkerDocuments {
    /// With `on`, the cache binding is required; a missing limiter does not limit.
    pub fn from_env(env: &Env, on: bool) -> Result<Self, String> {
        let cache = match on {
            true => Some(
                env.kv("CIMD_CACHE")
                    .map_err(|e| format!("CIMD: KV binding CIMD_CACHE: {e}"))?,
            ),
            false => None,
        };
        Ok(WorkerDocuments {
            cache,
            limiter: env.get_binding("CIMD_FETCH_LIMITER").ok(),
        })
    }
}

/// `cimd:<hex SHA-256 of the URL>`: KV keys are at most 512 bytes, URLs may be longer.
fn key(url: &str) -> String {
    format!(
        "cimd:{}",
        crate::token::hex(&Sha256::digest(url.as_bytes()))
    )
}

impl DocumentSource for WorkerDocuments {
    async fn cached(&self, url: &str) -> Option<String> {
        let cache = self.cache.as_ref()?;
        cache.get(&key(url)).text().await.ok().flatten()
    }

    async fn remember(&self, url: &str, entry: &str, ttl: u64) {
        let Some(cache) = &self.cache else { return };
        if let Ok(put) = cache.put(&key(url), entry) {
            // KV's shortest TTL is 60 s.
            let _ = put.expiration_ttl(ttl.max(60)).execute().await;
        }
    }

    async fn forget(&self, url: &str) -> Result<(), ApiError> {
        let Some(cache) = &self.cache else {
            return Ok(());
        };
        cache
            .delete(&key(url))
            .await
            .map_err(|e| ApiError::Internal(format!("CIMD_CACHE delete: {e}")))
    }

    async fn allow_fetch(&self, key: &str) -> bool {
        match &self.limiter {
            // Fails open like the other limiters.
            Some(l) => l.limit(key.to_string()).await.map_or(true, |o| o.success),
            None => true,
        }
    }

    async fn fetch(&self, url: &str) -> Result<Fetched, String> {
        let controller = AbortController::default();
        let signal = controller.signal();
        let work = std::pin::pin!(fetch_bounded(url, &signal));
        let timeout = std::pin::pin!(Delay::from(Duration::from_millis(FETCH_TIMEOUT_MS.into())));
        match select(work, timeout).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => {
                controller.abort();
                Err(format!(
                    "no complete answer within {} s",
                    FETCH_TIMEOUT_MS / 1000
                ))
            }
        }
    }
}

async fn fetch_bounded(url: &str, signal: &AbortSignal) -> Result<Fetched, String> {
    let headers = Headers::new();
    let _ = headers.set("Accept", "application/json");
    let mut init = RequestInit::new();
    init.with_method(Method::Get)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    // The errors name what went wrong, never the runtime's text (they reach anonymous callers of
    // GET /metadata/validate?url=).
    let request =
        Request::new_with_init(url, &init).map_err(|_| "the URL cannot be fetched".to_string())?;
    let mut response = Fetch::Request(request)
        .send_with_signal(signal)
        .await
        .map_err(|_| "the fetch failed: no answer from the server".to_string())?;
    let status = response.status_code();
    if (300..400).contains(&status) {
        return Err(format!(
            "the server answered {status}, a redirect; redirects are not followed"
        ));
    }
    if status != 200 {
        return Err(format!("the server answered {status}"));
    }
    let too_big = || format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes");
    let declared = response.headers().get("Content-Length").ok().flatten();
    if declared
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES)
    {
        return Err(too_big());
    }
    let cache_control = response.headers().get("Cache-Control").ok().flatten();
    let mut stream = response
        .stream()
        .map_err(|_| "the response has no body".to_string())?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| "the body could not be read to its end".to_string())?;
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        body,
        cache_control,
    })
}
