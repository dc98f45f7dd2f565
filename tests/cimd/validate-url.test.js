// GET /metadata/validate?url=: a client ID metadata document fetched under the AS path's rules and
// checked like POST ?profile=cimd (needs a build with REGISTRAR_FEATURES=cimd). Every document is
// served through Miniflare's outbound fetch interception (`outboundService`): nothing here
// reaches the network, and the Worker has no loopback exception.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Response } from 'miniflare';
import { serveJson, served, outbound, fetchesOf } from './fake-internet.js';
import { start, assertError } from '../worker/harness.js';
import { assertConforms } from '../contract/conformance.js';

const AS = randomBytes(24).toString('base64url');
const ADMIN = randomBytes(24).toString('base64url');
const enc = encodeURIComponent;


function doc(url, extra = {}) {
  return {
    client_id: url, client_name: 'Doc client', application_type: 'web', token_endpoint_auth_method: 'none',
    redirect_uris: ['https://app.example/cb'], ...extra,
  };
}

let ip = 0;
const freshIp = () => `203.0.113.${++ip}`;
/** GET /metadata/validate?url= from a network of its own (the per-IP limit is tested apart). */
/** Every answer is also held to static/openapi.json. */
const checkUrl = async (x, url, from = freshIp()) => assertConforms(
  await x.request('GET', `/metadata/validate?url=${enc(url)}`, { headers: { 'cf-connecting-ip': from } }),
  'GET', '/metadata/validate',
);

/** The one error of a refused URL or failed fetch: on `url`, saying why. */
function assertUrlError(r, pattern) {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.valid, false);
  assert.equal(r.body.errors.length, 1, JSON.stringify(r.body.errors));
  assert.equal(r.body.errors[0].member, 'url');
  assert.match(r.body.errors[0].description, pattern);
  assert.equal(r.body.normalized, undefined);
}

let h; let lists; let off; let limited;
before(async () => {
  const base = { outboundService: outbound, kvNamespaces: { CIMD_CACHE: 'cimd-cache' } };
  [h, lists, off, limited] = await Promise.all([
    start({ ...base, vars: { AS_API_TOKEN: AS, ADMIN_TOKEN: ADMIN, CIMD: 'on' } }),
    start({ ...base, vars: { CIMD: 'on', CIMD_ALLOWED_HOSTS: 'allowed.example', CIMD_DENIED_HOSTS: 'bad.allowed.example' } }),
    start({ ...base, vars: { ADMIN_TOKEN: ADMIN } }),
    start({
      ...base,
      vars: { AS_API_TOKEN: AS, CIMD: 'on' },
      ratelimits: { REGISTER_IP_LIMITER: { limit: 3, period: 60 }, CIMD_FETCH_LIMITER: { limit: 2, period: 60 } },
    }),
  ]);
}, { timeout: 90_000 });
after(async () => { await Promise.allSettled([h?.dispose(), lists?.dispose(), off?.dispose(), limited?.dispose()]); });

describe('GET /metadata/validate?url= (CIMD on)', () => {
  it('a valid document: the POST ?profile=cimd answer plus what was fetched', async () => {
    const url = 'https://app.example/check/valid.json';
    serveJson(url, doc(url, { scope: 'openid' }), { 'cache-control': 'public, max-age=600' });
    const before = Math.floor(Date.now() / 1000);
    const r = await checkUrl(h, url);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.valid, true, JSON.stringify(r.body));
    assert.deepEqual(r.body.errors, []);
    assert.equal(r.body.normalized.client_name, 'Doc client');
    assert.equal(r.body.normalized.client_id, undefined);
    assert.equal(r.body.document.url, url);
    assert.ok(r.body.document.fetched_at >= before - 1 && r.body.document.fetched_at <= before + 5);
    assert.equal(r.body.document.cache_seconds, 600);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    // The same document pasted to POST ?profile=cimd gets the same verdict and normalized form.
    const posted = await h.request('POST', '/metadata/validate?profile=cimd', { json: doc(url, { scope: 'openid' }), headers: { 'cf-connecting-ip': freshIp() } });
    assert.deepEqual(posted.body.normalized, r.body.normalized);
    assert.deepEqual(posted.body.warnings, r.body.warnings);
  });

  it('a client_id that is not the URL, a secret, a secret-based method: errors beside their members', async () => {
    const url = 'https://app.example/check/mismatch.json';
    serveJson(url, doc('https://app.example/check/other.json'));
    let r = await checkUrl(h, url);
    assert.equal(r.body.valid, false);
    assert.deepEqual(r.body.errors.map((e) => e.member), ['client_id']);
    assert.match(r.body.errors[0].description, /URL/);
    const secret = 'https://app.example/check/secret.json';
    serveJson(secret, doc(secret, { client_secret: 'shh', token_endpoint_auth_method: 'client_secret_basic' }));
    r = await checkUrl(h, secret);
    assert.equal(r.body.valid, false);
    assert.deepEqual(r.body.errors.map((e) => e.member), ['client_secret', 'token_endpoint_auth_method']);
    assert.ok(!JSON.stringify(r.body).includes('shh'), 'the secret is not echoed');
    // The AS would cache the failure for 60 s.
    assert.equal(r.body.document.cache_seconds, 60);
  });

  it('does not follow a redirect', async () => {
    const url = 'https://app.example/check/moved.json';
    const target = 'https://app.example/check/target.json';
    served.set(url, () => new Response(null, { status: 302, headers: { location: target } }));
    serveJson(target, doc(url));
    assertUrlError(await checkUrl(h, url), /redirect/);
    assert.equal(fetchesOf(target), 0);
  });

  it('never fetches a private, loopback, link-local or non-https URL', async () => {
    for (const url of ['https://10.0.0.1/c.json', 'https://127.0.0.1/c.json', 'https://169.254.169.254/latest/meta-data',
      'https://[::1]/c.json', 'https://localhost/c.json', 'https://100.64.0.1/c.json', 'https://[fd00::1]/c.json']) {
      assertUrlError(await checkUrl(h, url), /not public/);
      assert.equal(fetchesOf(url), 0, url);
    }
    for (const [url, why] of [['http://app.example/c.json', /https/], ['https://app.example/', /path/],
      ['https://app.example/a/../c.json', /segments/], ['https://user:pw@app.example/c.json', /user name/],
      ['file:///etc/passwd', /https/]]) {
      assertUrlError(await checkUrl(h, url), why);
      assert.equal(fetchesOf(url), 0, url);
    }
  });

  it('refuses a document over 5 KiB, a slow server, an error status and a body that is not a JSON object', async () => {
    const big = 'https://app.example/check/big.json';
    serveJson(big, doc(big, { client_name: 'x'.repeat(6000) }));
    assertUrlError(await checkUrl(h, big), /larger than 5120 bytes/);
    const streamed = 'https://app.example/check/big-stream.json';
    served.set(streamed, () => new Response(new ReadableStream({
      start(c) { for (let i = 0; i < 8; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000))); c.close(); },
    })));
    assertUrlError(await checkUrl(h, streamed), /larger than 5120 bytes/);
    const missing = 'https://app.example/check/missing.json';
    assertUrlError(await checkUrl(h, missing), /answered 404/);
    const html = 'https://app.example/check/page.json';
    served.set(html, () => new Response('<html>internal-marker</html>', { headers: { 'content-type': 'text/html' } }));
    const r = await checkUrl(h, html);
    assertUrlError(r, /not JSON/);
    assert.ok(!JSON.stringify(r.body).includes('internal-marker'), 'the body is not echoed');
    const array = 'https://app.example/check/array.json';
    serveJson(array, [doc(array)]);
    assertUrlError(await checkUrl(h, array), /not a JSON object/);
    const slow = 'https://slow.example/check/client.json';
    served.set(slow, () => new Promise((resolve) => setTimeout(() => resolve(new Response(JSON.stringify(doc(slow)))), 6000)));
    const t0 = Date.now();
    assertUrlError(await checkUrl(h, slow), /within 3 s/);
    assert.ok(Date.now() - t0 < 5500, `took ${Date.now() - t0} ms`);
  });

  it('fetches only allowed hosts and never denied ones', async () => {
    const ok = 'https://app.allowed.example/check.json';
    serveJson(ok, doc(ok));
    assert.equal((await checkUrl(lists, ok)).body.valid, true);
    const denied = 'https://bad.allowed.example/check.json';
    serveJson(denied, doc(denied));
    assertUrlError(await checkUrl(lists, denied), /CIMD_DENIED_HOSTS/);
    const other = 'https://app.example/check/lists.json';
    serveJson(other, doc(other));
    assertUrlError(await checkUrl(lists, other), /CIMD_ALLOWED_HOSTS/);
    assert.equal(fetchesOf(denied) + fetchesOf(other), 0);
  });

  it('a missing or empty url, or another parameter, is 400 invalid_request', async () => {
    for (const query of ['', '?url=', '?uri=https%3A%2F%2Fapp.example%2Fc.json', `?url=${enc('https://app.example/c.json')}&x=1`]) {
      const r = await h.request('GET', `/metadata/validate${query}`, { headers: { 'cf-connecting-ip': freshIp() } });
      assertError(r, 400, 'invalid_request');
      assertConforms(r, 'GET', '/metadata/validate');
    }
  });

  it('neither reads nor writes the AS cache: a check shows the document as it is now', async () => {
    const url = 'https://app.example/check/cache.json';
    serveJson(url, doc(url), { 'cache-control': 'max-age=3600' });
    assert.equal((await checkUrl(h, url)).body.valid, true);
    const none = await h.request('GET', `/admin/cimd-cache?url=${enc(url)}`, { token: ADMIN });
    assert.equal(none.status, 404, 'the check wrote nothing to the cache');
    // The AS caches the document; the publisher then changes it.
    const lookup = await h.request('GET', `/as/v1/clients/${enc(url)}`, { token: AS });
    assert.equal(lookup.body.client.client_name, 'Doc client');
    serveJson(url, doc(url, { client_name: 'Renamed' }));
    const fetches = fetchesOf(url);
    const r = await checkUrl(h, url);
    assert.equal(r.body.normalized.client_name, 'Renamed', 'a check fetches, whatever is cached');
    assert.equal(fetchesOf(url), fetches + 1);
    const cached = await h.request('GET', `/as/v1/clients/${enc(url)}`, { token: AS });
    assert.equal(cached.body.client.client_name, 'Doc client', 'the check did not replace the cached entry');
    assert.equal(fetchesOf(url), fetches + 1);
  });
});

describe('GET /metadata/validate?url= limits', () => {
  it('is limited per client network, before anything is fetched', async () => {
    const url = 'https://ip.example/check.json';
    serveJson(url, doc(url));
    const from = freshIp();
    // Hosts of their own, so that the per-host limit (2 here) is not what stops them.
    for (let i = 0; i < 3; i++) assert.equal((await checkUrl(limited, `https://ip${i}.example/check.json`, from)).status, 200);
    const r = await checkUrl(limited, url, from);
    assertError(r, 429, 'too_many_requests');
    assert.equal(fetchesOf(url), 0);
  });

  it('is limited per document host under a key of its own: the AS path still fetches', async () => {
    const url = 'https://host.example/check.json';
    serveJson(url, doc(url));
    assert.equal((await checkUrl(limited, url)).body.valid, true);
    assert.equal((await checkUrl(limited, url)).body.valid, true);
    const r = await checkUrl(limited, url);
    assertError(r, 429, 'too_many_requests');
    assert.equal(fetchesOf(url), 2);
    const lookup = await limited.request('GET', `/as/v1/clients/${enc(url)}`, { token: AS });
    assert.equal(lookup.status, 200, JSON.stringify(lookup.body));
    assert.equal(fetchesOf(url), 3);
  });
});

describe('GET /metadata/validate?url= (CIMD off)', () => {
  it('answers 404 naming CIMD, as the CIMD admin routes do, and fetches nothing', async () => {
    const url = 'https://app.example/check/off.json';
    serveJson(url, doc(url));
    const r = await checkUrl(off, url);
    assertError(r, 404, 'not_found');
    assert.match(r.body.error_description, /CIMD/);
    const admin = await off.request('GET', `/admin/cimd-cache?url=${enc(url)}`, { token: ADMIN });
    assert.deepEqual([admin.status, admin.body], [r.status, r.body]);
    assert.equal(fetchesOf(url), 0);
  });
});
