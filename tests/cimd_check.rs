//! `GET /metadata/validate?url=` in the core: the URL rules and host lists before any fetch,
//! the per-host limit under a key of its own, the fetch's failures as one error on `url`, the
//! document checked like `POST ?profile=cimd`, and the AS cache neither read nor written.

mod common;

use common::{block_on, config, config_with, json_request};
use registrar::cimd::{DocumentSource, Fetched, MIN_CACHE_SECONDS, NEGATIVE_CACHE_SECONDS};
use registrar::config::Config;
use registrar::error::ApiError;
use registrar::http::{handle_with, ApiResponse, NoLimits};
use registrar::store::memory::MemoryStore;
use serde_json::{json, Value};
use std::cell::RefCell;

const NOW: i64 = 1_700_000_000;
const URL: &str = "https://app.example/client.json";

/// A body and its `Cache-Control`, or why the fetch failed.
type Answer = Result<(String, Option<String>), String>;

/// Serves one answer to every fetch and records what the core asked of it.
#[derive(Default)]
struct Fake {
    answer: RefCell<Option<Answer>>,
    fetched: RefCell<Vec<String>>,
    limited: RefCell<Vec<String>>,
    cache_used: RefCell<bool>,
    full: bool,
}

impl Fake {
    fn serving(body: Value, cache_control: Option<&str>) -> Fake {
        let f = Fake::default();
        *f.answer.borrow_mut() = Some(Ok((body.to_string(), cache_control.map(Into::into))));
        f
    }
    fn failing(why: &str) -> Fake {
        let f = Fake::default();
        *f.answer.borrow_mut() = Some(Err(why.into()));
        f
    }
}

impl DocumentSource for Fake {
    async fn cached(&self, _: &str) -> Option<String> {
        *self.cache_used.borrow_mut() = true;
        None
    }
    async fn remember(&self, _: &str, _: &str, _: u64) {
        *self.cache_used.borrow_mut() = true;
    }
    async fn forget(&self, _: &str) -> Result<(), ApiError> {
        Ok(())
    }
    async fn allow_fetch(&self, key: &str) -> bool {
        self.limited.borrow_mut().push(key.into());
        !self.full
    }
    async fn fetch(&self, url: &str) -> Result<Fetched, String> {
        self.fetched.borrow_mut().push(url.into());
        match self.answer.borrow().clone().expect("a fetch was expected") {
            Ok((body, cache_control)) => Ok(Fetched {
                body: body.into_bytes(),
                cache_control,
            }),
            Err(e) => Err(e),
        }
    }
}

fn on() -> Config {
    config_with(&[("CIMD", "on"), ("CIMD_DENIED_HOSTS", "denied.example")])
}

fn get(cfg: &Config, docs: &Fake, url: &str) -> ApiResponse {
    let query = format!(
        "url={}",
        url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
    );
    get_query(cfg, docs, &query)
}

fn get_query(cfg: &Config, docs: &Fake, query: &str) -> ApiResponse {
    let store = MemoryStore::default();
    let req = registrar::http::ApiRequest {
        query,
        content_type: None,
        ..json_request("GET", "/metadata/validate", None, b"")
    };
    let r = block_on(handle_with(&req, cfg, &store, &NoLimits, docs, NOW)).response;
    assert!(store.dump().is_empty() && store.audit_log().is_empty());
    assert!(!*docs.cache_used.borrow(), "a check used the AS cache");
    r
}

fn doc(extra: Value) -> Value {
    let mut d = json!({"client_id": URL, "client_name": "Doc", "application_type": "web",
        "token_endpoint_auth_method": "none", "redirect_uris": ["https://app.example/cb"]});
    d.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    d
}

fn members(v: &Value) -> Vec<&str> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["member"].as_str().unwrap_or(""))
        .collect()
}

#[test]
fn a_valid_document_is_fetched_checked_and_described() {
    let docs = Fake::serving(doc(json!({})), Some("max-age=3600"));
    let r = get(&on(), &docs, URL);
    assert_eq!(r.status, 200);
    let v = r.body.unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["normalized"]["client_name"], "Doc");
    assert!(v["normalized"].get("client_id").is_none());
    assert_eq!(v["errors"], json!([]));
    assert_eq!(
        v["document"],
        json!({"url": URL, "fetched_at": NOW, "cache_seconds": 3600})
    );
    assert_eq!(*docs.fetched.borrow(), [URL]);
    // Its own key in the per-host limiter: checks cannot use up the AS's fetches.
    assert_eq!(*docs.limited.borrow(), ["check:app.example"]);
    let docs = Fake::serving(doc(json!({})), None);
    let v = get(&on(), &docs, URL).body.unwrap();
    assert_eq!(v["document"]["cache_seconds"], MIN_CACHE_SECONDS);
}

#[test]
fn document_rules_apply_with_the_url_as_client_id() {
    for (extra, member) in [
        (
            json!({"client_id": "https://app.example/other.json"}),
            "client_id",
        ),
        (json!({"client_secret": "s"}), "client_secret"),
        (
            json!({"token_endpoint_auth_method": "client_secret_basic"}),
            "token_endpoint_auth_method",
        ),
        (
            json!({"redirect_uris": ["http://app.example/cb"]}),
            "redirect_uris[0]",
        ),
    ] {
        let docs = Fake::serving(doc(extra.clone()), Some("max-age=3600"));
        let v = get(&on(), &docs, URL).body.unwrap();
        assert_eq!(v["valid"], false, "{extra}: {v}");
        assert_eq!(members(&v), [member], "{extra}: {v}");
        assert!(v.get("normalized").is_none());
        // The AS would remember the failure, not the document.
        assert_eq!(v["document"]["cache_seconds"], NEGATIVE_CACHE_SECONDS);
    }
}

#[test]
fn refused_urls_are_an_error_on_url_and_never_fetched() {
    for (url, why) in [
        ("http://app.example/c.json", "https"),
        ("https://app.example/", "path"),
        ("https://app.example/a/../c.json", "segments"),
        ("https://u:p@app.example/c.json", "user name"),
        ("https://10.0.0.1/c.json", "not public"),
        ("https://169.254.169.254/c.json", "not public"),
        ("https://[::1]/c.json", "not public"),
        ("https://localhost/c.json", "not public"),
        ("https://x.denied.example/c.json", "CIMD_DENIED_HOSTS"),
        ("https://APP.example/c.json", "normal form"),
    ] {
        let docs = Fake::default();
        let v = get(&on(), &docs, url).body.unwrap();
        assert_eq!(v["valid"], false);
        assert_eq!(members(&v), ["url"], "{url}: {v}");
        let text = v["errors"][0]["description"].as_str().unwrap();
        assert!(text.contains(why), "{url}: {text}");
        assert!(v.get("document").is_none());
        assert!(docs.fetched.borrow().is_empty() && docs.limited.borrow().is_empty());
    }
}

#[test]
fn failed_fetches_and_non_objects_are_an_error_on_url() {
    let docs = Fake::failing("the server answered 302, a redirect; redirects are not followed");
    let v = get(&on(), &docs, URL).body.unwrap();
    assert_eq!(members(&v), ["url"]);
    assert!(v["errors"][0]["description"]
        .as_str()
        .unwrap()
        .contains("redirect"));
    assert!(v.get("document").is_none());
    for (body, why) in [
        (json!(["not", "an", "object"]), "not a JSON object"),
        (json!("<html>"), "not a JSON object"),
    ] {
        let docs = Fake::serving(body, None);
        let v = get(&on(), &docs, URL).body.unwrap();
        assert_eq!(members(&v), ["url"]);
        assert!(v["errors"][0]["description"]
            .as_str()
            .unwrap()
            .contains(why));
        assert_eq!(v["document"]["url"], URL);
    }
    // Malformed JSON: where, never the body itself.
    let docs = Fake::default();
    *docs.answer.borrow_mut() = Some(Ok(("{\"secret-looking\": nope".into(), None)));
    let v = get(&on(), &docs, URL).body.unwrap();
    let text = v["errors"][0]["description"].as_str().unwrap();
    assert!(
        text.contains("not JSON") && !text.contains("secret-looking"),
        "{text}"
    );
}

#[test]
fn the_per_host_limit_is_429_without_a_fetch() {
    let docs = Fake {
        full: true,
        ..Fake::serving(doc(json!({})), None)
    };
    let r = get(&on(), &docs, URL);
    assert_eq!(r.status, 429);
    assert!(docs.fetched.borrow().is_empty());
}

#[test]
fn a_missing_url_or_another_parameter_is_400() {
    for query in [
        "",
        "url=",
        "uri=https%3A%2F%2Fapp.example%2Fc",
        "url=https%3A%2F%2Fapp.example%2Fc&x=1",
    ] {
        let docs = Fake::default();
        let r = get_query(&on(), &docs, query);
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.body.unwrap()["error"], "invalid_request");
        assert!(docs.fetched.borrow().is_empty());
    }
}

#[test]
fn off_answers_like_the_admin_cache_route() {
    let docs = Fake::serving(doc(json!({})), None);
    let r = get(&config(), &docs, URL);
    assert_eq!(r.status, 404);
    let v = r.body.unwrap();
    assert_eq!(v["error"], "not_found");
    assert!(v["error_description"].as_str().unwrap().contains("CIMD"));
    assert!(docs.fetched.borrow().is_empty());
    // The method is now allowed on the route; HEAD is not.
    let store = MemoryStore::default();
    let req = json_request("HEAD", "/metadata/validate", None, b"");
    let r = block_on(handle_with(&req, &on(), &store, &NoLimits, &docs, NOW)).response;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("GET, POST, OPTIONS"));
}
