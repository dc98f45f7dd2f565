//! Two calls into JavaScript that replace many: every call across the wasm boundary and every
//! call into a workerd binding (`Headers.set`, `Headers.get`) has a fixed cost that the V8
//! profile showed per header (BENCHMARKS.md). The request's facts come out as one string, and
//! the response goes in with its headers as one string, split and handed to `new Response` in
//! JavaScript. Newlines separate the parts: neither URLs nor header names or values can hold one.

use crate::http::{ApiRequest, Prepared};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::web_sys;

#[wasm_bindgen(inline_js = r#"
const ABSENT = "\u0000";
export function requestFacts(request) {
  const url = new URL(request.url);
  const h = request.headers;
  const get = (name) => h.get(name) ?? ABSENT;
  return [
    request.method, url.origin, url.pathname, url.search.slice(1),
    // No body at all (a GET, a preflight) reads as length 0: the body is then not read.
    get("content-type"), h.get("content-length") ?? (request.body === null ? "0" : ABSENT),
    get("authorization"), get("origin"),
    get("cf-connecting-ip"), get("cf-ray"),
    // Read only where the sign-in endpoints need them.
    ...(url.pathname.startsWith("/dashboard/") ? [get("cookie"), get("x-registrar-csrf")] : []),
  ].join("\n");
}
function unpack(packedHeaders) {
  const parts = packedHeaders === "" ? [] : packedHeaders.split("\n");
  const headers = [];
  for (let i = 0; i + 1 < parts.length; i += 2) headers.push([parts[i], parts[i + 1]]);
  return headers;
}
export function packedResponse(body, status, packedHeaders) {
  return new Response(body, { status, headers: unpack(packedHeaders) });
}
// An answer that needs no storage: src/entry.js keeps its parts and answers the next equal
// request itself. The table is found through a global symbol because the entry module and this
// snippet are bundled apart.
const PREPARED = (globalThis[Symbol.for("registrar.prepared")] ??= new WeakMap());
export function preparedResponse(body, status, packedHeaders, method, route, log) {
  const headers = unpack(packedHeaders);
  const response = new Response(body, { status, headers });
  PREPARED.set(response, { body, status, headers, method, route, log });
  return response;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = requestFacts)]
    fn request_facts(request: &web_sys::Request) -> String;

    #[wasm_bindgen(js_name = packedResponse)]
    fn packed_response(body: Option<&str>, status: u16, packed_headers: &str) -> web_sys::Response;

    #[wasm_bindgen(js_name = preparedResponse)]
    fn prepared_response(
        body: Option<&str>,
        status: u16,
        packed_headers: &str,
        method: &str,
        route: &str,
        log: bool,
    ) -> web_sys::Response;
}

/// A header that was absent (`Headers.get` gave `null`); a real value cannot contain NUL.
const ABSENT: &str = "\u{0}";

/// What the core needs from a request, read in one call.
pub struct RequestFacts {
    text: String,
}

/// The parts of the text `requestFacts` joins, in its order, named.
struct Parts<'a> {
    method: &'a str,
    origin: &'a str,
    path: &'a str,
    query: &'a str,
    content_type: Option<&'a str>,
    content_length: Option<&'a str>,
    authorization: Option<&'a str>,
    request_origin: Option<&'a str>,
    client_ip: Option<&'a str>,
    request_id: Option<&'a str>,
    /// `Cookie` and `X-Registrar-CSRF`, under `/dashboard/` only.
    #[cfg(feature = "signin")]
    cookie: Option<&'a str>,
    #[cfg(feature = "signin")]
    csrf: Option<&'a str>,
}

impl RequestFacts {
    pub fn of(request: &web_sys::Request) -> Self {
        RequestFacts {
            text: request_facts(request),
        }
    }

    /// The parts in the order `requestFacts` joins them: method, origin, path, query, then the
    /// six headers, and two more under `/dashboard/` (absent ones as [`ABSENT`]).
    fn parts(&self) -> Parts<'_> {
        let mut it = self.text.split('\n');
        let mut next = || it.next().unwrap_or("");
        let (method, origin, path, query) = (next(), next(), next(), next());
        let mut header = || Some(next()).filter(|v| *v != ABSENT);
        Parts {
            method,
            origin,
            path,
            query,
            content_type: header(),
            content_length: header(),
            authorization: header(),
            request_origin: header(),
            client_ip: header(),
            request_id: header(),
            // Not sent at all outside `/dashboard/`: an empty part.
            #[cfg(feature = "signin")]
            cookie: header().filter(|v| !v.is_empty()),
            #[cfg(feature = "signin")]
            csrf: header().filter(|v| !v.is_empty()),
        }
    }

    pub fn content_length(&self) -> Option<&str> {
        self.parts().content_length
    }

    /// The request for the core. The method is as sent: `worker::Method` would map every method
    /// it does not know to GET.
    pub fn request<'a>(&'a self, body: &'a [u8]) -> ApiRequest<'a> {
        let p = self.parts();
        ApiRequest {
            method: p.method,
            path: p.path,
            origin: p.origin,
            query: p.query,
            request_origin: p.request_origin,
            client_ip: p.client_ip,
            request_id: p.request_id,
            content_type: p.content_type,
            authorization: p.authorization,
            body,
            #[cfg(feature = "signin")]
            cookie: p.cookie,
            #[cfg(feature = "signin")]
            csrf: p.csrf,
            #[cfg(not(feature = "signin"))]
            cookie: None,
            #[cfg(not(feature = "signin"))]
            csrf: None,
        }
    }
}

/// A `Response` with the prepared headers and text body (none for 204 and HEAD), built in one
/// call.
pub fn response(prepared: &Prepared) -> web_sys::Response {
    packed_response(prepared.body.as_deref(), prepared.status, &prepared.headers)
}

/// The same, for an answer that needs no storage (`PreparedAnswers`): the entry module
/// (src/entry.js) keeps it and answers equal requests without the wasm, logging the line `log`
/// would (when `log`).
pub fn store_free_response(prepared: &Prepared, method: &str, log: bool) -> web_sys::Response {
    prepared_response(
        prepared.body.as_deref(),
        prepared.status,
        &prepared.headers,
        method,
        prepared.route,
        log,
    )
}
