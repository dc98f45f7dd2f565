// The Worker's entry module (scripts/build.sh copies it to build/index.js; worker-build's own
// module, the wasm and its JavaScript glue, becomes build/wasm.mjs).
//
// Why a JavaScript entry in front of the wasm: the answers that need no storage (discovery,
// preflights, 404s, 405s) are the same for every request with the same method, URL and `Origin`
// header, and the Rust side already prepares each once per isolate (src/http/prepared.rs). Here
// the prepared answer is also kept on the JavaScript side, so the next equal request is answered
// without entering the wasm module at all: no async export, no promise, no crossing, no
// worker-build proxies (issue 14: the cheap routes' cost above the trivial-Worker floor was the
// crossing, not Rust). Every other request goes to worker-build's entry exactly as before,
// panic recovery included.
//
// Correctness rests on one rule: the wasm marks an answer as prepared only when it depends on
// nothing but the method, the kind of route, the request's origin and its `Origin` header
// (src/http/prepared.rs keys its own table on those). The key here, method + full URL + `Origin`,
// holds all of that and more, so it never serves an answer for a request the wasm would have
// answered differently. Requests with a body are never answered here: the wasm drains a body
// before answering (a keep-alive connection must not be reset), so they always go through it.
// Every other method, and any request with credentials, goes to the wasm too (`keyOf`).
import { WorkerEntrypoint } from "cloudflare:workers";
import Wasm from "./wasm.mjs";

// Filled by the wasm glue (src/glue/js_bridge.rs, `preparedResponse`): Response → its parts.
const PREPARED = (globalThis[Symbol.for("registrar.prepared")] ??= new WeakMap());

// How many answers an isolate keeps. The URL and `Origin` come from the client, so the table is
// bounded: when it is full the oldest entry goes (a Map iterates in insertion order).
const CAPACITY = 64;
const answers = new Map();

// Only what a client asks again and again without credentials is kept: a GET, HEAD or OPTIONS
// without a body or an `Authorization` header. Anything else (a registration, an RFC 7592 read)
// goes straight to the wasm without a lookup, and without touching `request.body`, which would
// make workerd build the body's stream object.
function keyOf(request) {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") return null;
  const headers = request.headers;
  if (headers.has("authorization") || request.body !== null) return null;
  return `${method} ${request.url}\n${headers.get("origin") ?? "\0"}`;
}

function remember(key, response) {
  const parts = PREPARED.get(response);
  if (parts === undefined) return;
  if (answers.size >= CAPACITY) answers.delete(answers.keys().next().value);
  answers.set(key, parts);
}

// The same Response the wasm builds (js_bridge.rs, `packedResponse`) and the same log line
// (src/glue/mod.rs, `log`: its members in serde_json's order).
function answer(parts, started) {
  if (parts.log) {
    console.log(
      JSON.stringify({
        duration_ms: Date.now() - started,
        method: parts.method,
        route: parts.route,
        status: parts.status,
      }),
    );
  }
  return new Response(parts.body, { status: parts.status, headers: parts.headers });
}

export default class Registrar extends WorkerEntrypoint {
  fetch(request) {
    const started = Date.now();
    const key = keyOf(request);
    if (key !== null) {
      const parts = answers.get(key);
      if (parts !== undefined) return answer(parts, started);
    }
    const pending = new Wasm(this.ctx, this.env).fetch(request);
    if (key === null) return pending;
    return pending.then((response) => {
      remember(key, response);
      return response;
    });
  }

  scheduled(event) {
    return new Wasm(this.ctx, this.env).scheduled(event);
  }
}
