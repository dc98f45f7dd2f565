// The entry module (src/entry.js → build/index.js): it keeps the answers the wasm marks as
// needing no storage and answers equal requests itself (issue 14). Two parts:
//  1. the built Worker: a repeated request gets exactly the answer (status, headers, body, log
//     line) the wasm gave the first time, per Origin, per method, per URL;
//  2. the entry's table in workerd with a stand-in for the wasm module (build/wasm.mjs replaced by
//     a module that counts its calls), to see which requests reach it: only the first of equal
//     bodiless requests is answered by the wasm; a body, another Origin or another URL goes
//     through; the table keeps at most 64 answers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { start, ROOT, wranglerConfig } from './harness.js';

/** The worker's log lines arrive in node after the answers: waits until none came for 300 ms. */
async function settledLogs(h) {
  let n = -1;
  while (n !== h.logs.length) {
    n = h.logs.length;
    await new Promise((r) => setTimeout(r, 300));
  }
  return n;
}

/** Everything a client sees of an answer but the Date header (set by workerd per response). */
function seen(r) {
  const headers = [...r.headers].filter(([k]) => k !== 'date');
  return { status: r.status, headers, text: r.text };
}

describe('the built Worker: repeated requests get the wasm\'s answer', { timeout: 120_000 }, () => {
  let h;
  const A = 'https://a.example';
  const B = 'https://b.example';
  before(async () => {
    h = await start({ assets: false, vars: { CORS_ALLOW_ORIGIN: `${A} ${B}`, LOG_REQUESTS: 'all' } });
  }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  const cases = [
    ['GET', '/.well-known/oauth-authorization-server', 200],
    ['GET', '/.well-known/openid-configuration', 200],
    ['HEAD', '/.well-known/openid-configuration', 200],
    ['GET', '/no-such-path', 404],
    ['GET', '/no-such-path?x=1', 404],
    ['OPTIONS', '/register', 204],
    ['PUT', '/.well-known/openid-configuration', 405],
  ];

  it('each answer is the same on every repeat, for each Origin (and none)', async () => {
    for (const [method, p, status] of cases) {
      for (const origin of [A, B, undefined, 'https://evil.example']) {
        const headers = method === 'OPTIONS' ? { 'access-control-request-method': 'POST' } : {};
        const first = seen(await h.request(method, p, { origin, headers }));
        assert.equal(first.status, status, `${method} ${p} ${origin}: ${first.text}`);
        const acao = new Map(first.headers).get('access-control-allow-origin');
        // The answer for A must not be served to B: each Origin gets its own echo (or none; an
        // unknown path's 404 is outside what CORS_ALLOW_ORIGIN covers).
        if ((origin === A || origin === B) && status !== 404) assert.equal(acao, origin, `${method} ${p} ${origin}`);
        else assert.equal(acao, undefined, `${method} ${p} ${origin}`);
        for (let i = 0; i < 3; i++) {
          const again = seen(await h.request(method, p, { origin, headers }));
          assert.deepEqual(again, first, `${method} ${p} ${origin}, repeat ${i + 1}`);
        }
      }
    }
  });

  it('every repeat logs the line the wasm logs', async () => {
    const before = await settledLogs(h);
    for (let i = 0; i < 4; i++) await h.request('GET', '/.well-known/openid-configuration', { origin: A });
    const lines = h.logs.slice(before, await settledLogs(h)).map((l) => JSON.parse(l.message));
    assert.equal(lines.length, 4, JSON.stringify(lines));
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ['duration_ms', 'method', 'route', 'status']);
      assert.equal(line.method, 'GET');
      assert.equal(line.route, 'GET discovery');
      assert.equal(line.status, 200);
      assert.ok(Number.isInteger(line.duration_ms) && line.duration_ms >= 0);
    }
  });

  it('a request with a body is read and answered by the wasm, whatever came before', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await h.request('POST', '/no-such-path', { json: { a: i } });
      assert.equal(r.status, 404, r.text);
    }
    // and registration still works next to the prepared answers
    const reg = await h.register({ redirect_uris: ['https://app.example/cb'] });
    assert.equal(reg.status, 201, reg.text);
  });
});

describe('LOG_REQUESTS = errors: no line for a prepared success, a line for a prepared 404', { timeout: 120_000 }, () => {
  let h;
  before(async () => { h = await start({ assets: false, vars: { LOG_REQUESTS: 'errors' } }); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('logs as the wasm does', async () => {
    const before = await settledLogs(h);
    for (let i = 0; i < 3; i++) {
      assert.equal((await h.request('GET', '/.well-known/openid-configuration')).status, 200);
      assert.equal((await h.request('GET', '/nothing-here')).status, 404);
    }
    const lines = h.logs.slice(before, await settledLogs(h)).map((l) => JSON.parse(l.message));
    assert.deepEqual(lines.map((l) => [l.route, l.status]), Array.from({ length: 3 }, () => ['unknown', 404]), JSON.stringify(lines));
  });
});

// The stand-in for worker-build's module: answers `/prepared/...` as a prepared answer (marked in
// the table src/glue/js_bridge.rs fills) and anything else as an ordinary one; every answer says
// how many times the module was entered, so a request answered by the entry alone shows the count
// of an earlier one.
const STAND_IN = `
import { WorkerEntrypoint } from "cloudflare:workers";
const PREPARED = (globalThis[Symbol.for("registrar.prepared")] ??= new WeakMap());
let calls = 0;
export default class extends WorkerEntrypoint {
  async fetch(request) {
    calls++;
    if (request.body !== null) await request.text();
    const url = new URL(request.url);
    const headers = [["x-calls", String(calls)], ["x-origin", request.headers.get("origin") ?? "-"]];
    const body = JSON.stringify({ path: url.pathname, calls });
    const response = new Response(body, { status: 200, headers });
    if (url.pathname.startsWith("/prepared/")) {
      PREPARED.set(response, { body, status: 200, headers, method: request.method, route: "/prepared", log: false });
    }
    return response;
  }
}`;

describe('the entry\'s table (stand-in wasm module)', { timeout: 60_000 }, () => {
  let mf;
  let url;
  before(async () => {
    const entry = path.join(ROOT, 'build', 'index.js');
    assert.ok(fs.existsSync(entry), 'build the Worker first (sh scripts/build.sh)');
    mf = new Miniflare({
      modules: [
        { type: 'ESModule', path: 'index.js', contents: fs.readFileSync(entry, 'utf8') },
        { type: 'ESModule', path: 'wasm.mjs', contents: STAND_IN },
      ],
      compatibilityDate: wranglerConfig().compatibility_date,
      host: '127.0.0.1',
      port: 0,
    });
    url = await mf.ready;
  });
  after(async () => { await mf?.dispose(); });

  const calls = async (p, init = {}) => {
    const r = await fetch(new URL(p, url), init);
    await r.text();
    return Number(r.headers.get('x-calls'));
  };

  it('answers an equal bodiless request without entering the module', async () => {
    const first = await calls('/prepared/a');
    assert.equal(await calls('/prepared/a'), first, 'the repeat entered the module');
    assert.equal(await calls('/prepared/a'), first);
    // The module was entered once for those three: the next ordinary request is the second call.
    assert.equal(await calls('/other'), first + 1);
    assert.equal(await calls('/other'), first + 2, 'an answer not marked prepared is never kept');
  });

  it('another URL, method or Origin is another answer', async () => {
    const base = await calls('/prepared/b');
    assert.equal(await calls('/prepared/b?q=1'), base + 1);
    assert.equal(await calls('/prepared/b', { method: 'HEAD' }), base + 2);
    assert.equal(await calls('/prepared/b', { headers: { origin: 'https://x.example' } }), base + 3);
    assert.equal(await calls('/prepared/b', { headers: { origin: 'https://x.example' } }), base + 3);
    assert.equal(await calls('/prepared/b'), base);
  });

  it('a request with a body always enters the module', async () => {
    const base = await calls('/prepared/c');
    const n1 = await calls('/prepared/c', { method: 'POST', body: 'x' });
    const n2 = await calls('/prepared/c', { method: 'POST', body: 'x' });
    assert.equal(n1, base + 1);
    assert.equal(n2, base + 2);
  });

  it('keeps at most 64 answers, the oldest going first', async () => {
    const first = await calls('/prepared/evict-0');
    for (let i = 1; i <= 64; i++) await calls(`/prepared/evict-${i}`);
    const latest = await calls('/prepared/evict-64');
    assert.equal(latest, first + 64, 'the newest answer is kept');
    assert.equal(await calls('/prepared/evict-0'), first + 65, 'the oldest answer was dropped');
  });
});
