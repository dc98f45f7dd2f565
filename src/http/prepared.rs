//! Responses ready for the Worker: the body serialized and the headers packed the way the
//! JavaScript side unpacks them (`name\nvalue\n...`, src/glue/js_bridge.rs). The answers that
//! need no storage (discovery, preflights, 404s, 405s) are prepared once per isolate and kept in
//! [`PreparedAnswers`]: each depends only on the method, the kind of route, the origin the request
//! arrived at and its `Origin` header, so they are not built and serialized again per request.

use super::{store_free, ApiRequest, ApiResponse, Config, Route};
use std::collections::VecDeque;
use std::rc::Rc;

/// An answer as the Worker sends it.
#[derive(Debug, PartialEq)]
pub struct Prepared {
    pub status: u16,
    /// `name\nvalue` pairs joined by `\n` (neither names nor values can hold a newline).
    pub headers: String,
    /// The JSON body, none for 204 and HEAD.
    pub body: Option<String>,
    /// The route template for the request log.
    pub route: &'static str,
}

impl Prepared {
    pub fn of(response: &ApiResponse, route: &'static str) -> Self {
        let mut headers = String::new();
        for (i, (name, value)) in response.headers.iter().enumerate() {
            if i > 0 {
                headers.push('\n');
            }
            headers.push_str(name);
            headers.push('\n');
            headers.push_str(value);
        }
        Prepared {
            status: response.status,
            headers,
            // Straight into a byte buffer (`Display` would go through the formatter per token).
            body: response
                .body
                .as_ref()
                .and_then(|b| serde_json::to_string(b).ok()),
            route,
        }
    }
}

/// How many prepared answers an isolate keeps. The origins come from the request (the `Host`
/// when `ISSUER` is not set, and `Origin`), so the set is bounded: the oldest goes first.
pub const PREPARED_CAPACITY: usize = 16;

/// The store-free answers of one isolate (its configuration cannot change while it lives).
#[derive(Default)]
pub struct PreparedAnswers {
    entries: VecDeque<(String, Rc<Prepared>)>,
}

impl PreparedAnswers {
    /// The answer to `req` when it needs no storage (prepared now, or earlier for an equal
    /// request); `None` when `handle` must serve it.
    pub fn answer(&mut self, req: &ApiRequest<'_>, config: &Config) -> Option<Rc<Prepared>> {
        let route = Route::parse(req.path);
        let kind = route.kind().filter(|_| store_free(&route, req.method))?;
        let key = format!(
            "{}\n{kind}\n{}\n{}",
            req.method,
            req.origin,
            req.request_origin.unwrap_or("\0")
        );
        if let Some((_, p)) = self.entries.iter().find(|(k, _)| *k == key) {
            return Some(Rc::clone(p));
        }
        let outcome = super::answer_without_store(req, config)?;
        let prepared = Rc::new(Prepared::of(&outcome.response, outcome.route));
        if self.entries.len() == PREPARED_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back((key, Rc::clone(&prepared)));
        Some(prepared)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
