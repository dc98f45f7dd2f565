// Client ID Metadata Documents through the AS API (docs/authorization-server.md; needs a build
// with REGISTRAR_FEATURES=cimd). Every document is served through Miniflare's outbound fetch
// interception (`outboundService`): nothing here reaches the network, and the Worker has no
// loopback exception.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Response } from 'miniflare';
import { serveJson, served, outbound, fetchesOf } from './fake-internet.js';
import { start } from '../worker/harness.js';

const AS = randomBytes(24).toString('base64url');
const ADMIN = randomBytes(24).toString('base64url');
const enc = encodeURIComponent;

/** The Worker's CIMD_CACHE key of a URL (src/glue/cimd_fetch.rs): `cimd:` + hex SHA-256. */
const cacheKey = (url) => `cimd:${createHash('sha256').update(url).digest('hex')}`;

function doc(url, extra = {}) {
  return {
    client_id: url, client_name: 'Doc client', token_endpoint_auth_method: 'none',
    redirect_uris: ['https://app.example/cb'], ...extra,
  };
}

let h; let lists; let off;
before(async () => {
  const base = { outboundService: outbound, kvNamespaces: { CIMD_CACHE: 'cimd-cache' } };
  [h, lists, off] = await Promise.all([
    start({ ...base, vars: { AS_API_TOKEN: AS, ADMIN_TOKEN: ADMIN, CIMD: 'on' } }),
    start({ ...base, vars: { AS_API_TOKEN: AS, CIMD: 'on', CIMD_ALLOWED_HOSTS: 'allowed.example', CIMD_DENIED_HOSTS: 'bad.allowed.example' } }),
    start({ ...base, vars: { AS_API_TOKEN: AS } }),
  ]);
}, { timeout: 90_000 });
after(async () => { await Promise.allSettled([h?.dispose(), lists?.dispose(), off?.dispose()]); });

const get = (x, id) => x.request('GET', `/as/v1/clients/${enc(id)}`, { token: AS });
const check = (x, id, json) => x.request('POST', `/as/v1/clients/${enc(id)}/authorization-check`, { token: AS, json });
const authenticate = (x, id) => x.request('POST', `/as/v1/clients/${enc(id)}/authenticate`, { token: AS, json: { client_secret: 'x' } });

function assertRefused(r, pattern) {
  assert.equal(r.status, 404, JSON.stringify(r.body));
  assert.equal(r.body.error, 'invalid_client');
  assert.match(r.body.error_description, pattern);
}

describe('CIMD on', () => {
  it('discovery advertises client_id_metadata_document_supported (only when on)', async () => {
    const on = await h.request('GET', '/.well-known/oauth-authorization-server');
    assert.equal(on.body.client_id_metadata_document_supported, true);
    const plain = await off.request('GET', '/.well-known/oauth-authorization-server');
    assert.equal(plain.body.client_id_metadata_document_supported, undefined);
  });

  it('a valid document: lookup, authorization check, and no client authentication', async () => {
    const url = 'https://app.example/valid/client.json';
    serveJson(url, doc(url, { scope: 'openid profile' }));
    const r = await get(h, url);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.source, 'client_id_metadata_document');
    assert.equal(r.body.client.client_id, url);
    assert.equal(r.body.client.client_name, 'Doc client');
    assert.equal(r.body.has_secret, false);
    assert.equal(typeof r.body.fetched_at, 'number');
    const c = await check(h, url, { redirect_uri: 'https://app.example/cb', response_type: 'code', scope: 'openid' });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.redirect_uri, 'https://app.example/cb');
    const wrong = await check(h, url, { redirect_uri: 'https://evil.example/cb', response_type: 'code' });
    assert.equal(wrong.status, 400);
    const a = await authenticate(h, url);
    assert.equal(a.status, 401);
    assert.equal(a.body.error, 'invalid_client');
  });

  it('refuses a client_id that is not the URL', async () => {
    const url = 'https://app.example/mismatch.json';
    serveJson(url, doc('https://other.example/mismatch.json'));
    assertRefused(await get(h, url), /client_id/);
    const c = await check(h, url, { redirect_uri: 'https://app.example/cb', response_type: 'code' });
    assert.equal(c.status, 400);
    assert.equal(c.body.error, 'invalid_client');
  });

  it('refuses a document with a secret or a secret-based auth method', async () => {
    const url = 'https://app.example/secret.json';
    serveJson(url, doc(url, { client_secret: 'shh' }));
    assertRefused(await get(h, url), /client_secret/);
    const basic = 'https://app.example/basic.json';
    serveJson(basic, doc(basic, { token_endpoint_auth_method: 'client_secret_basic' }));
    assertRefused(await get(h, basic), /token_endpoint_auth_method/);
  });

  it('refuses a document over 5 KiB, declared or streamed', async () => {
    const url = 'https://app.example/big.json';
    serveJson(url, doc(url, { client_name: 'x'.repeat(6000) }));
    assertRefused(await get(h, url), /larger than 5120 bytes/);
    const streamed = 'https://app.example/big-stream.json';
    served.set(streamed, () => new Response(new ReadableStream({
      start(c) { for (let i = 0; i < 8; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000))); c.close(); },
    })));
    assertRefused(await get(h, streamed), /larger than 5120 bytes/);
  });

  it('does not follow a redirect', async () => {
    const url = 'https://app.example/moved.json';
    const target = 'https://app.example/target.json';
    served.set(url, () => new Response(null, { status: 302, headers: { location: target } }));
    serveJson(target, doc(url));
    assertRefused(await get(h, url), /redirect/);
    assert.equal(fetchesOf(target), 0);
  });

  it('never fetches a private, loopback or non-https target', async () => {
    for (const url of ['https://10.0.0.1/client.json', 'https://127.0.0.1/c.body', 'https://169.254.169.254/c.body',
      'https://[::1]/c.body', 'https://localhost/c.body', 'https://100.64.0.1/c.body']) {
      assertRefused(await get(h, url), /not public/);
      assert.equal(fetchesOf(url), 0, url);
    }
    assertRefused(await get(h, 'http://app.example/c.body'), /unknown|no client/i);
    assertRefused(await get(h, 'https://app.example/'), /path/);
    assertRefused(await get(h, 'https://app.example/a/../c.body'), /path segments|normal form/);
    assertRefused(await get(h, 'https://user:pw@app.example/c.body'), /user name/);
  });

  it('gives up on a slow server after the timeout', async () => {
    const url = 'https://slow.example/client.json';
    served.set(url, () => new Promise((resolve) => setTimeout(() => resolve(new Response(JSON.stringify(doc(url)))), 6000)));
    const t0 = Date.now();
    assertRefused(await get(h, url), /within 3 s/);
    assert.ok(Date.now() - t0 < 5500, `took ${Date.now() - t0} ms`);
  });

  it('caches a valid document; the admin sees and evicts it', async () => {
    const url = 'https://app.example/cached.json';
    serveJson(url, doc(url), { 'cache-control': 'max-age=600' });
    assert.equal((await get(h, url)).status, 200);
    assert.equal((await get(h, url)).status, 200);
    assert.equal(fetchesOf(url), 1);
    const seenEntry = await h.request('GET', `/admin/cimd-cache?url=${enc(url)}`, { token: ADMIN });
    assert.equal(seenEntry.status, 200, JSON.stringify(seenEntry.body));
    assert.equal(seenEntry.body.valid, true);
    assert.equal(seenEntry.body.expires_at - seenEntry.body.fetched_at, 600);
    assert.equal(seenEntry.body.document.client_id, url);
    const evicted = await h.request('DELETE', `/admin/cimd-cache?url=${enc(url)}`, { token: ADMIN });
    assert.equal(evicted.status, 204);
    const gone = await h.request('GET', `/admin/cimd-cache?url=${enc(url)}`, { token: ADMIN });
    assert.equal(gone.status, 404);
    assert.equal((await get(h, url)).status, 200);
    assert.equal(fetchesOf(url), 2);
  });

  it('an expired cache entry is fetched again; an unexpired one is served without a fetch', async () => {
    const kv = await h.mf.getKVNamespace('CIMD_CACHE');
    const now = Math.floor(Date.now() / 1000);
    const entry = (url, name, fetchedAt, expiresAt) => JSON.stringify({
      fetched_at: fetchedAt, expires_at: expiresAt, document: JSON.stringify(doc(url, { client_name: name })),
    });
    // KV still holds the entry (its TTL is only a floor), but its own expiry has passed.
    const stale = 'https://app.example/expired.json';
    serveJson(stale, doc(stale, { client_name: 'Fetched' }), { 'cache-control': 'max-age=900' });
    await kv.put(cacheKey(stale), entry(stale, 'Stale', now - 900, now - 1));
    const r = await get(h, stale);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.client.client_name, 'Fetched');
    assert.equal(fetchesOf(stale), 1);
    // The refetch replaced the entry, under the key computed here (so the entries above were found).
    const rewritten = JSON.parse(await kv.get(cacheKey(stale)));
    assert.ok(rewritten.fetched_at >= now, JSON.stringify(rewritten));
    assert.equal(rewritten.expires_at - rewritten.fetched_at, 900);
    assert.equal((await get(h, stale)).body.client.client_name, 'Fetched');
    assert.equal(fetchesOf(stale), 1, 'the fresh entry is served from the cache');
    // An entry that has not expired is served as it is, without a fetch.
    const fresh = 'https://app.example/unexpired.json';
    serveJson(fresh, doc(fresh, { client_name: 'Fetched' }));
    await kv.put(cacheKey(fresh), entry(fresh, 'Cached', now - 10, now + 600));
    const c = await get(h, fresh);
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.client.client_name, 'Cached');
    assert.equal(c.body.fetched_at, now - 10);
    assert.equal(fetchesOf(fresh), 0);
  });

  it('clamps max-age to at least 5 minutes and caches failures for 60 s', async () => {
    const url = 'https://app.example/short.json';
    serveJson(url, doc(url), { 'cache-control': 'max-age=1' });
    await get(h, url);
    const entry = await h.request('GET', `/admin/cimd-cache?url=${enc(url)}`, { token: ADMIN });
    assert.equal(entry.body.expires_at - entry.body.fetched_at, 300);
    const bad = 'https://app.example/invalid.json';
    serveJson(bad, doc('https://elsewhere.example/x.json'));
    assertRefused(await get(h, bad), /client_id/);
    assertRefused(await get(h, bad), /client_id/);
    assert.equal(fetchesOf(bad), 1);
    const neg = await h.request('GET', `/admin/cimd-cache?url=${enc(bad)}`, { token: ADMIN });
    assert.equal(neg.body.valid, false);
    assert.equal(neg.body.expires_at - neg.body.fetched_at, 60);
  });
});

describe('CIMD host lists', () => {
  it('fetches only allowed hosts and never denied ones', async () => {
    const ok = 'https://app.allowed.example/c.body';
    serveJson(ok, doc(ok));
    assert.equal((await get(lists, ok)).status, 200);
    const denied = 'https://bad.allowed.example/c.body';
    serveJson(denied, doc(denied));
    assertRefused(await get(lists, denied), /CIMD_DENIED_HOSTS/);
    const other = 'https://app.example/lists.json';
    serveJson(other, doc(other));
    assertRefused(await get(lists, other), /CIMD_ALLOWED_HOSTS/);
    assert.equal(fetchesOf(denied) + fetchesOf(other), 0);
  });
});

describe('CIMD off (the default)', () => {
  it('a URL client_id is an unknown client, and nothing is fetched', async () => {
    const url = 'https://app.example/off.json';
    serveJson(url, doc(url));
    const r = await get(off, url);
    assert.equal(r.status, 404);
    assert.equal(r.body.error, 'invalid_client');
    const c = await check(off, url, { redirect_uri: 'https://app.example/cb', response_type: 'code' });
    assert.equal(c.body.error, 'invalid_client');
    assert.equal(fetchesOf(url), 0);
  });
});
