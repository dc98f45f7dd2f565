//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-03): a client
//! whose `client_id` is an `https` URL naming a JSON document with its metadata, which the
//! authorization server fetches instead of a registration. `CIMD = "on"` lets the AS API
//! (`/as/v1/clients/{client_id}`, percent-encoded) answer for such clients
//! (docs/authorization-server.md, "Client ID Metadata Documents").
//!
//! The core here is pure: the URL rules, the host lists, the cache policy and the document
//! rules. The flows over a [`DocumentSource`] (cache → rate limit → fetch → validate → cache) are
//! the service's (src/service/cimd_flows.rs); the Worker glue implements the source with `fetch`,
//! KV and a rate limiter.
//!
//! A Worker built without the `cimd` feature leaves all of this out of its wasm and refuses
//! `CIMD = "on"`; the host build (tests) always has it.

use crate::error::ApiError;
use crate::metadata::cimd::{check_document, client_id_problem};
use crate::metadata::{ClientMetadata, FieldError};
use serde_json::{json, Map, Value};
use url::Url;

/// Whether this build has CIMD (the `cimd` feature for the Worker; always on the host).
pub const CIMD_BUILT: bool = !cfg!(all(target_arch = "wasm32", not(feature = "cimd")));

/// Largest document accepted, in bytes (the draft suggests 5 KB).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// How long one fetch may take, headers and body together.
pub const FETCH_TIMEOUT_MS: u32 = 3_000;
/// Shortest and longest time a valid document is cached, whatever `Cache-Control` says.
pub const MIN_CACHE_SECONDS: u64 = 5 * 60;
pub const MAX_CACHE_SECONDS: u64 = 24 * 60 * 60;
/// How long a failed fetch or an invalid document is remembered (also KV's shortest TTL).
pub const NEGATIVE_CACHE_SECONDS: u64 = 60;

/// The answer (404) of the CIMD routes while `CIMD` is off or not built.
pub const CIMD_OFF: &str = "client metadata documents are off (CIMD)";

/// The source of the published revision, in the GET response's `source`.
pub const SOURCE: &str = "client_id_metadata_document";

/// What the glue does for CIMD: a cache keyed by URL, a per-host fetch limit and the fetch.
#[allow(async_fn_in_trait)]
pub trait DocumentSource {
    /// The cache entry for `url` ([`CacheEntry`] as JSON), if any.
    async fn cached(&self, url: &str) -> Option<String>;
    /// Stores an entry for `ttl` seconds. A failed write is ignored (the next lookup fetches).
    async fn remember(&self, url: &str, entry: &str, ttl: u64);
    /// Evicts `url` (admin).
    async fn forget(&self, url: &str) -> Result<(), ApiError>;
    /// Counts one fetch against the limit of `key`, the host (`check:<host>` for a check's
    /// fetch, so checks have a budget apart); whether it may go ahead.
    async fn allow_fetch(&self, key: &str) -> bool;
    /// Fetches `url` (already checked): https, no redirects, the timeout and size cap.
    async fn fetch(&self, url: &str) -> Result<Fetched, String>;
}

/// A successful (200) response: its body (at most [`MAX_DOCUMENT_BYTES`]) and `Cache-Control`.
pub struct Fetched {
    pub body: Vec<u8>,
    pub cache_control: Option<String>,
}

/// No CIMD: every fetch fails. The source for builds and callers without one.
pub struct NoDocuments;

impl DocumentSource for NoDocuments {
    async fn cached(&self, _: &str) -> Option<String> {
        None
    }
    async fn remember(&self, _: &str, _: &str, _: u64) {}
    async fn forget(&self, _: &str) -> Result<(), ApiError> {
        Ok(())
    }
    async fn allow_fetch(&self, _: &str) -> bool {
        true
    }
    async fn fetch(&self, _: &str) -> Result<Fetched, String> {
        Err("client metadata documents are not available".into())
    }
}

/// The host lists of `CIMD_ALLOWED_HOSTS` / `CIMD_DENIED_HOSTS`: an entry matches the host
/// itself and every name under it (`example.com` matches `app.example.com`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CimdHosts {
    /// Empty: every public host.
    pub allowed: Vec<String>,
    pub denied: Vec<String>,
}

impl CimdHosts {
    /// A list of host names separated by spaces or commas; lower-cased.
    pub fn parse_list(name: &str, value: Option<&str>) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for entry in value.unwrap_or("").split([' ', ',', '\n', '\t']) {
            let entry = entry.trim().trim_end_matches('.').to_ascii_lowercase();
            if entry.is_empty() {
                continue;
            }
            let ok = entry.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
            if !ok {
                return Err(format!("{name}: not a host name: {entry:?}"));
            }
            out.push(entry);
        }
        Ok(out)
    }

    /// Why `host` may not be fetched by the lists, or `None`.
    pub fn refusal(&self, host: &str) -> Option<&'static str> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let under = |entry: &String| {
            host == *entry
                || host
                    .strip_suffix(entry.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        };
        if self.denied.iter().any(under) {
            return Some("the host is in CIMD_DENIED_HOSTS");
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(under) {
            return Some("the host is not in CIMD_ALLOWED_HOSTS");
        }
        None
    }
}

/// A path segment's percent-decoding, if it looks like a CIMD client id (`https%3A...`,
/// either case). Registrar's own client ids never contain `%`, so the two cannot be confused.
pub fn url_client_id(segment: &str) -> Option<String> {
    let lower = segment.get(..8)?.to_ascii_lowercase();
    if lower != "https%3a" {
        return None;
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The draft's §3 rules for a client id URL ([`client_id_problem`], the one copy of them), then
/// Registrar's: a public host (src/uri/host.rs) that the lists allow.
pub fn check_url(client_id: &str, hosts: &CimdHosts) -> Result<Url, String> {
    if let Some(problem) = client_id_problem(client_id) {
        return Err(problem.into());
    }
    let url = Url::parse(client_id).map_err(|_| "must be an https URL")?;
    let host = url.host().ok_or("the URL has no host")?;
    if let Some(reason) = crate::uri::host::internal_reason(&host) {
        return Err(format!("the host is not public: {reason}"));
    }
    if let Some(reason) = hosts.refusal(&host.to_string()) {
        return Err(reason.into());
    }
    Ok(url)
}

/// How long to cache a valid document: `Cache-Control: max-age` clamped to
/// [[`MIN_CACHE_SECONDS`], [`MAX_CACHE_SECONDS`]]; the minimum without one, or with `no-store`
/// / `no-cache` (a document fetched on every authorization request would let its host see and
/// throttle every login).
pub fn cache_seconds(cache_control: Option<&str>) -> u64 {
    let max_age = cache_control.and_then(|cc| {
        cc.split(',').find_map(|d| {
            let (name, value) = d.trim().split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("max-age")
                .then(|| value.trim().trim_matches('"').parse::<u64>().ok())?
        })
    });
    max_age
        .unwrap_or(0)
        .clamp(MIN_CACHE_SECONDS, MAX_CACHE_SECONDS)
}

/// The draft's rules for the document itself (§4.1, [`check_document`]: `client_id` equal to
/// the URL, no shared secret, an authentication method that uses none, redirect URIs): the
/// first one broken, as `member: description`.
pub fn document_rules(doc: &Map<String, Value>, url: &str) -> Result<(), String> {
    match check_document(Some(url), doc).into_iter().next() {
        Some(e) => Err(format!("{}: {}", e.member, e.description)),
        None => Ok(()),
    }
}

/// What `GET /metadata/validate?url=` found: the errors (a refused URL or failed fetch is one,
/// on member `url`), the metadata registration would store with its warnings, and the fetch.
pub struct UrlCheck {
    pub errors: Vec<FieldError>,
    pub checked: Option<(ClientMetadata, Vec<FieldError>)>,
    /// `url`, `fetched_at` and `cache_seconds` (how long the AS would cache this outcome);
    /// `None` when nothing was fetched.
    pub document: Option<Value>,
}

/// A fetched body as a JSON object; the errors speak of the document, not a request body.
pub fn parse_document(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(doc)) => Ok(doc),
        Ok(_) => Err("the document is not a JSON object".into()),
        Err(e) => Err(format!("the document is not JSON ({e})")),
    }
}

/// One cache entry, stored as JSON: the document that passed validation, or why it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheEntry {
    pub fetched_at: i64,
    pub expires_at: i64,
    pub outcome: Result<String, String>,
}

impl CacheEntry {
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "fetched_at": self.fetched_at, "expires_at": self.expires_at });
        match &self.outcome {
            Ok(doc) => v["document"] = doc.as_str().into(),
            Err(e) => v["error"] = e.as_str().into(),
        }
        v
    }

    pub fn parse(text: &str) -> Option<CacheEntry> {
        let v: Value = serde_json::from_str(text).ok()?;
        let outcome = match (v.get("document"), v.get("error")) {
            (Some(Value::String(d)), None) => Ok(d.clone()),
            (None, Some(Value::String(e))) => Err(e.clone()),
            _ => return None,
        };
        Some(CacheEntry {
            fetched_at: v.get("fetched_at")?.as_i64()?,
            expires_at: v.get("expires_at")?.as_i64()?,
            outcome,
        })
    }
}

/// A resolved document client: its validated metadata and when the document was fetched.
pub struct DocumentClient {
    pub client_id: String,
    pub metadata: ClientMetadata,
    pub fetched_at: i64,
}

impl DocumentClient {
    /// What `GET /as/v1/clients/{client_id}` answers for it (the shape of a registered client's,
    /// with `source` and `fetched_at`).
    pub fn to_json(&self) -> Value {
        let mut client = self.metadata.to_json();
        client.insert("client_id".into(), self.client_id.clone().into());
        json!({
            "client": client,
            "status": "active",
            "client_id_issued_at": self.fetched_at,
            "updated_at": self.fetched_at,
            "token_endpoint_auth_method": self.metadata.token_endpoint_auth_method.as_str(),
            "has_secret": false,
            "source": SOURCE,
            "fetched_at": self.fetched_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rules() {
        let none = CimdHosts::default();
        assert!(check_url("https://app.example/c.json", &none).is_ok());
        for (url, why) in [
            ("http://app.example/c.json", "https"),
            ("https://app.example/", "path"),
            ("https://app.example", "path"),
            ("https://u:p@app.example/c", "user name"),
            ("https://app.example/c#x", "fragment"),
            ("https://app.example/a/../c", "segments"),
            ("https://app.example/a/./c", "segments"),
            ("https://app.example/a/%2e%2E/c", "segments"),
            ("https://10.0.0.1/c", "not public"),
            ("https://localhost/c", "not public"),
            ("https://APP.example/c", "normal form"),
        ] {
            let e = check_url(url, &none).unwrap_err();
            assert!(e.contains(why), "{url}: {e}");
        }
    }

    #[test]
    fn host_lists() {
        let hosts = CimdHosts {
            allowed: CimdHosts::parse_list("A", Some("example.com, other.example")).unwrap(),
            denied: CimdHosts::parse_list("D", Some("bad.example.com")).unwrap(),
        };
        assert_eq!(hosts.refusal("app.example.com"), None);
        assert_eq!(hosts.refusal("example.com"), None);
        assert!(hosts
            .refusal("x.bad.example.com")
            .unwrap()
            .contains("DENIED"));
        assert!(hosts.refusal("notexample.com").unwrap().contains("ALLOWED"));
        assert!(CimdHosts::parse_list("A", Some("a/b")).is_err());
    }

    #[test]
    fn max_age_is_clamped() {
        assert_eq!(cache_seconds(None), MIN_CACHE_SECONDS);
        assert_eq!(cache_seconds(Some("no-store")), MIN_CACHE_SECONDS);
        assert_eq!(cache_seconds(Some("max-age=1")), MIN_CACHE_SECONDS);
        assert_eq!(cache_seconds(Some("public, max-age=3600")), 3600);
        assert_eq!(cache_seconds(Some("Max-Age=\"600\"")), 600);
        assert_eq!(cache_seconds(Some("max-age=999999999")), MAX_CACHE_SECONDS);
        assert_eq!(cache_seconds(Some("max-age=junk")), MIN_CACHE_SECONDS);
    }

    #[test]
    fn document_rules_table() {
        let url = "https://app.example/c.json";
        let doc = |extra: Value| {
            let mut base = json!({"client_id": url, "token_endpoint_auth_method": "none",
                "redirect_uris": ["https://app.example/cb"]});
            for (k, v) in extra.as_object().unwrap() {
                base[k] = v.clone();
            }
            base.as_object().unwrap().clone()
        };
        assert!(document_rules(&doc(json!({})), url).is_ok());
        let pkj = json!({"token_endpoint_auth_method": "private_key_jwt"});
        assert!(document_rules(&doc(pkj), url).is_ok());
        for (extra, why) in [
            (json!({"client_id": "https://x.example/c"}), "client_id"),
            (json!({"client_secret": "s"}), "client_secret"),
            (
                json!({"client_secret_expires_at": 0}),
                "client_secret_expires_at",
            ),
            (
                json!({"token_endpoint_auth_method": "client_secret_basic"}),
                "token_endpoint",
            ),
            (json!({"redirect_uris": []}), "redirect_uris"),
        ] {
            let e = document_rules(&doc(extra.clone()), url).unwrap_err();
            assert!(e.starts_with(why), "{extra}: {e}");
        }
    }

    #[test]
    fn percent_encoded_client_ids() {
        assert_eq!(
            url_client_id("https%3A%2F%2Fapp.example%2Fc.json").as_deref(),
            Some("https://app.example/c.json")
        );
        assert_eq!(url_client_id("AAAAAAAAAAAAAAAAAAAAAA"), None);
        assert_eq!(url_client_id("https%3A%zz"), None);
    }

    #[test]
    fn cache_entries_round_trip() {
        let e = CacheEntry {
            fetched_at: 10,
            expires_at: 70,
            outcome: Err("bad".into()),
        };
        assert_eq!(CacheEntry::parse(&e.to_json().to_string()), Some(e));
    }
}
