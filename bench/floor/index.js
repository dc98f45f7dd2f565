// The floor of bench/production.mjs: a trivial JS Worker answering every request with one constant
// JSON body. What workerd itself costs per request (HTTP, Miniflare's entry Worker, dispatch into
// an isolate, a Response) with no application code; Registrar's discovery, 404 and preflight are
// compared with it.
const BODY = JSON.stringify({ ok: true, service: "floor", note: "a constant JSON body" });
const HEADERS = { "content-type": "application/json" };

export default {
  fetch() {
    return new Response(BODY, { headers: HEADERS });
  },
};
