// The audit log (docs/protected-registration.md, "Audit log"): one event per change, written with
// it, with actor, request id (CF-Ray) and a keyed hash of the client IP; never a secret or token;
// GET /admin/audit filters and pages; the table is append-only.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { start, assertError, assertInvalidToken, without, nowSeconds } from './harness.js';

const ADMIN = randomBytes(24).toString('base64url');
const IP_A = '203.0.113.7';
const IP_B = '198.51.100.23';
const IP_V6 = '2001:db8::1';
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
const WEB = { redirect_uris: ['https://client.example/cb'], client_name: 'Audited' };
const POLICY = { anonymous: { grant_types: ['authorization_code', 'refresh_token'] } };
const EVENT_KEYS = new Set(['id', 'at', 'event', 'client_id', 'actor', 'request_id', 'ip_hash', 'detail']);

let h;
const secrets = []; // every credential seen in the flow: none may reach the audit table
const rays = {}; // step name → CF-Ray sent
let c1, c2, iat, t0;

function ray(step) {
  rays[step] = `${randomBytes(8).toString('hex')}-LHR`;
  return rays[step];
}

/** A request with a CF-Ray for `step` and, unless ip is null, a CF-Connecting-IP. */
function call(step, method, path, { ip = IP_A, ...opts } = {}) {
  const headers = { 'cf-ray': ray(step), ...(ip ? { 'cf-connecting-ip': ip } : {}) };
  return h.request(method, path, { ...opts, headers });
}

async function rows(where = '1 = 1', ...args) {
  const stmt = (await h.d1()).prepare(`SELECT * FROM audit_events WHERE ${where} ORDER BY id`);
  return (await (args.length ? stmt.bind(...args) : stmt).all()).results;
}
const byRay = (step) => rows('request_id = ?', rays[step]);

async function audit(query) {
  const r = await h.request('GET', `/admin/audit?${new URLSearchParams(query)}`, { token: ADMIN });
  assert.equal(r.status, 200, r.text);
  return r;
}

/** Every page of GET /admin/audit for a query: the event lists of each page. */
async function auditPages(query, limit) {
  const out = [];
  let cursor;
  for (let n = 0; n < 200; n++) {
    const q = { ...query, ...(limit ? { limit: String(limit) } : {}), ...(cursor ? { cursor } : {}) };
    const r = await audit(q);
    assert.ok(Array.isArray(r.body.events));
    for (const e of r.body.events) {
      for (const k of Object.keys(e)) assert.ok(EVENT_KEYS.has(k), `unexpected AuditEvent member ${k}`);
      for (const k of ['id', 'at', 'event', 'actor', 'request_id']) assert.ok(k in e, `AuditEvent lacks ${k}`);
    }
    out.push(r.body.events);
    if (!('next_cursor' in r.body)) return out;
    cursor = r.body.next_cursor;
  }
  assert.fail('audit pagination does not end');
}

before(async () => {
  h = await start({ vars: { ADMIN_TOKEN: ADMIN, REGISTRATION_POLICY: JSON.stringify(POLICY) } });
  secrets.push(ADMIN);
  t0 = nowSeconds();
}, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

describe('events written with each change', { timeout: 60_000 }, () => {
  it('client_registered (anonymous), with request_id = CF-Ray and an ip_hash that is not the IP', async () => {
    const r = await call('register', 'POST', '/register', { json: WEB });
    assert.equal(r.status, 201, r.text);
    c1 = r.body;
    secrets.push(c1.client_secret, c1.registration_access_token);
    const ev = await byRay('register');
    assert.deepEqual(ev.map((e) => e.event), ['client_registered']);
    const [e] = ev;
    assert.equal(e.actor, 'anonymous');
    assert.equal(e.client_id, c1.client_id);
    assert.equal(e.request_id, rays.register);
    assert.equal(typeof e.ip_hash, 'string');
    assert.ok(e.ip_hash.length >= 8, `ip_hash ${e.ip_hash}`);
    assert.notEqual(e.ip_hash, IP_A);
    assert.ok(!e.ip_hash.includes(IP_A) && !e.ip_hash.includes('203.0'), 'ip_hash contains the IP');
    assert.ok(Math.abs(e.at - nowSeconds()) <= 5);
  });

  it('iat_minted (admin)', async () => {
    const r = await call('mint', 'POST', '/admin/initial-access-tokens', { token: ADMIN, ip: IP_B, json: { label: 'audited', max_uses: 5 } });
    assert.equal(r.status, 201, r.text);
    iat = r.body;
    secrets.push(iat.token);
    const ev = await byRay('mint');
    assert.deepEqual(ev.map((e) => e.event), ['iat_minted']);
    assert.equal(ev[0].actor, 'admin');
    assert.equal(ev[0].client_id, null);
    assert.ok(ev[0].ip_hash, 'ip_hash missing');
  });

  it('client_registered and iat_used (actor iat:<id>)', async () => {
    const r = await call('iat-register', 'POST', '/register', { token: iat.token, json: { ...WEB, client_name: 'Via IAT' } });
    assert.equal(r.status, 201, r.text);
    c2 = r.body;
    secrets.push(c2.client_secret, c2.registration_access_token);
    const ev = await byRay('iat-register');
    assert.deepEqual(ev.map((e) => e.event).sort(), ['client_registered', 'iat_used']);
    for (const e of ev) {
      assert.equal(e.actor, `iat:${iat.id}`);
      assert.equal(e.client_id, c2.client_id);
      assert.equal(e.request_id, rays['iat-register']);
    }
  });

  it('client_read (actor client)', async () => {
    // Sent without CF-Connecting-IP: Miniflare then supplies one itself (127.0.0.1), so whether
    // ip_hash is absent without it cannot be observed here.
    const r = await call('read', 'GET', h.clientPath(c1.client_id), { token: c1.registration_access_token, ip: null });
    assert.equal(r.status, 200, r.text);
    const ev = await byRay('read');
    assert.deepEqual(ev.map((e) => e.event), ['client_read']);
    assert.equal(ev[0].actor, 'client');
    assert.equal(ev[0].client_id, c1.client_id);
    assert.equal(ev[0].request_id, rays.read);
  });

  it('client_updated (actor client)', async () => {
    const r = await call('update', 'PUT', h.clientPath(c1.client_id), {
      token: c1.registration_access_token, json: { ...without(c1, ...SERVER_MEMBERS, 'client_secret'), client_name: 'Audited 2' },
    });
    assert.equal(r.status, 200, r.text);
    c1 = { ...c1, registration_access_token: r.body.registration_access_token };
    secrets.push(r.body.registration_access_token);
    const ev = await byRay('update');
    assert.deepEqual(ev.map((e) => e.event), ['client_updated']);
    assert.equal(ev[0].actor, 'client');
    assert.equal(ev[0].client_id, c1.client_id);
  });

  it('client_registered by the admin (actor admin)', async () => {
    const r = await call('admin-register', 'POST', '/register', { token: ADMIN, ip: IP_B, json: { ...WEB, client_name: 'By admin' } });
    assert.equal(r.status, 201, r.text);
    secrets.push(r.body.client_secret, r.body.registration_access_token);
    const ev = await byRay('admin-register');
    assert.deepEqual(ev.map((e) => e.event), ['client_registered']);
    assert.equal(ev[0].actor, 'admin');
    assert.equal(ev[0].client_id, r.body.client_id);
  });

  it('a refused update or delete (wrong token) writes no event', async () => {
    const before = (await rows()).length;
    const wrong = randomBytes(32).toString('base64url');
    secrets.push(wrong);
    const body = { ...without(c1, ...SERVER_MEMBERS, 'client_secret'), client_name: 'Hijacked' };
    assertInvalidToken(await call('bad-update', 'PUT', h.clientPath(c1.client_id), { token: wrong, json: body }));
    // The token of another client, and the old (rotated) token, are wrong too.
    assertInvalidToken(await call('bad-update-2', 'PUT', h.clientPath(c1.client_id), { token: c2.registration_access_token, json: body }));
    assertInvalidToken(await call('bad-delete', 'DELETE', h.clientPath(c1.client_id), { token: wrong }));
    for (const step of ['bad-update', 'bad-update-2', 'bad-delete']) {
      const ev = await byRay(step);
      assert.ok(!ev.some((e) => ['client_updated', 'client_deleted'].includes(e.event)), `${step}: ${JSON.stringify(ev)}`);
    }
    const updated = await rows("event = 'client_updated' AND client_id = ?", c1.client_id);
    assert.equal(updated.length, 1, 'only the one real update is logged');
    assert.equal((await rows()).length - before, (await rows('request_id IN (?, ?, ?)', rays['bad-update'], rays['bad-update-2'], rays['bad-delete'])).length);
  });

  it('client_suspended, client_reactivated, client_secret_rotated, registration_token_reissued (actor admin)', async () => {
    const id = encodeURIComponent(c1.client_id);
    const steps = [
      ['suspend', `/admin/clients/${id}/suspend`, 'client_suspended'],
      ['reactivate', `/admin/clients/${id}/reactivate`, 'client_reactivated'],
      ['rotate', `/admin/clients/${id}/client-secret`, 'client_secret_rotated'],
      ['reissue', `/admin/clients/${id}/registration-access-token`, 'registration_token_reissued'],
    ];
    for (const [step, path, event] of steps) {
      const r = await call(step, 'POST', path, { token: ADMIN, ip: IP_B });
      assert.equal(r.status, 200, `${step}: ${r.text}`);
      if (r.body.client_secret) secrets.push(r.body.client_secret);
      if (r.body.registration_access_token) {
        secrets.push(r.body.registration_access_token);
        c1 = { ...c1, registration_access_token: r.body.registration_access_token };
      }
      const ev = await byRay(step);
      assert.deepEqual(ev.map((e) => e.event), [event], step);
      assert.equal(ev[0].actor, 'admin');
      assert.equal(ev[0].client_id, c1.client_id);
      assert.equal(ev[0].request_id, rays[step]);
    }
  });

  it('an admin action on an unknown client writes no event', async () => {
    const ghost = randomBytes(16).toString('base64url');
    const r = await call('ghost', 'POST', `/admin/clients/${ghost}/suspend`, { token: ADMIN });
    assertError(r, 404, 'not_found');
    assert.deepEqual(await byRay('ghost'), []);
  });

  it('client_deleted by the client (RFC 7592) and by the admin', async () => {
    const r = await call('delete', 'DELETE', h.clientPath(c2.client_id), { token: c2.registration_access_token });
    assert.equal(r.status, 204, r.text);
    let ev = await byRay('delete');
    assert.deepEqual(ev.map((e) => e.event), ['client_deleted']);
    assert.equal(ev[0].actor, 'client');
    assert.equal(ev[0].client_id, c2.client_id);

    const a = await call('admin-delete', 'DELETE', `/admin/clients/${encodeURIComponent(c1.client_id)}`, { token: ADMIN, ip: IP_B });
    assert.equal(a.status, 204, a.text);
    ev = await byRay('admin-delete');
    assert.deepEqual(ev.map((e) => e.event), ['client_deleted']);
    assert.equal(ev[0].actor, 'admin');
    assert.equal(ev[0].client_id, c1.client_id);
  });

  it('iat_revoked (admin)', async () => {
    const r = await call('revoke', 'DELETE', `/admin/initial-access-tokens/${encodeURIComponent(iat.id)}`, { token: ADMIN });
    assert.equal(r.status, 204, r.text);
    const ev = await byRay('revoke');
    assert.deepEqual(ev.map((e) => e.event), ['iat_revoked']);
    assert.equal(ev[0].actor, 'admin');
  });

  it('registration_refused: a policy refusal, a bad token, a revoked token; no client_id', async () => {
    const r = await call('refused', 'POST', '/register', { json: { grant_types: ['client_credentials'] } });
    assertError(r, 400, 'invalid_client_metadata', 'grant_types[0]');
    let ev = await byRay('refused');
    assert.deepEqual(ev.map((e) => e.event), ['registration_refused']);
    assert.equal(ev[0].actor, 'anonymous');
    assert.equal(ev[0].client_id, null);
    assert.ok(ev[0].ip_hash);
    if (ev[0].detail !== null) assert.match(ev[0].detail, /invalid_client_metadata/);

    const bad = randomBytes(32).toString('base64url');
    secrets.push(bad);
    assertInvalidToken(await call('refused-token', 'POST', '/register', { token: bad, json: WEB }));
    ev = await byRay('refused-token');
    assert.deepEqual(ev.map((e) => e.event), ['registration_refused']);
    assert.equal(ev[0].client_id, null);

    assertInvalidToken(await call('refused-revoked', 'POST', '/register', { token: iat.token, json: WEB }));
    ev = await byRay('refused-revoked');
    assert.deepEqual(ev.map((e) => e.event), ['registration_refused']);
  });

  it('ip_hash: the same for the same IP, different for another, never the IP; IPv6 too', async () => {
    const a1 = (await byRay('register'))[0].ip_hash;
    const a2 = (await byRay('iat-register'))[0].ip_hash;
    const b1 = (await byRay('mint'))[0].ip_hash;
    const b2 = (await byRay('suspend'))[0].ip_hash;
    assert.equal(a1, a2);
    assert.equal(b1, b2);
    assert.notEqual(a1, b1);
    const r = await call('v6', 'POST', '/register', { ip: IP_V6, json: WEB });
    assert.equal(r.status, 201);
    secrets.push(r.body.client_secret, r.body.registration_access_token);
    const v6 = (await byRay('v6'))[0].ip_hash;
    assert.ok(v6 && v6 !== a1 && v6 !== b1 && !v6.includes('2001'));
  });

  it('without CF-Ray, request_id is a random id (different per request)', async () => {
    const r1 = await h.register(WEB);
    const r2 = await h.register(WEB);
    secrets.push(r1.body.registration_access_token, r2.body.registration_access_token, r1.body.client_secret, r2.body.client_secret);
    const e1 = (await rows('client_id = ?', r1.body.client_id))[0];
    const e2 = (await rows('client_id = ?', r2.body.client_id))[0];
    assert.equal(typeof e1.request_id, 'string');
    assert.ok(e1.request_id.length >= 8);
    assert.notEqual(e1.request_id, e2.request_id);
  });

  it('no secret, token or IP anywhere in the audit table', async () => {
    const all = JSON.stringify(await rows());
    assert.ok(secrets.length >= 15, `only ${secrets.length} secrets collected`);
    for (const s of secrets) {
      assert.equal(typeof s, 'string');
      assert.ok(!all.includes(s), `audit_events holds a secret (${s.slice(0, 6)}…)`);
    }
    for (const ip of [IP_A, IP_B, IP_V6]) assert.ok(!all.includes(ip), `audit_events holds the IP ${ip}`);
  });
});

describe('GET /admin/audit', { timeout: 60_000 }, () => {
  it('the API shows the table: newest first, same members', async () => {
    const table = await rows();
    const api = (await auditPages({}, 100)).flat();
    assert.deepEqual(api.map((e) => e.id), table.map((e) => e.id).reverse());
    const byId = Object.fromEntries(table.map((e) => [e.id, e]));
    for (const e of api) {
      const t = byId[e.id];
      assert.equal(e.at, t.at);
      assert.equal(e.event, t.event);
      assert.equal(e.actor, t.actor);
      assert.equal(e.request_id, t.request_id);
      assert.equal(e.client_id ?? null, t.client_id);
      assert.equal(e.ip_hash ?? null, t.ip_hash);
    }
    const r = await audit({});
    assert.ok(r.headers.get('cache-control').includes('no-store'));
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  it('pagination: limit 3 gives disjoint pages, strictly newest first, covering all, no next_cursor on the last', async () => {
    const table = await rows();
    const p = await auditPages({}, 3);
    assert.ok(p.length >= 5, `only ${p.length} pages`);
    for (const page of p.slice(0, -1)) assert.equal(page.length, 3);
    assert.ok(p.at(-1).length >= 1 && p.at(-1).length <= 3);
    const ids = p.flat().map((e) => e.id);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] < ids[i - 1], 'not newest first');
    assert.deepEqual(ids, table.map((e) => e.id).reverse());
  });

  it('filters: client_id, event, actor (each alone, combined, and paged)', async () => {
    const check = async (query, where, ...args) => {
      const want = (await rows(where, ...args)).map((e) => e.id).reverse();
      assert.ok(want.length > 0, `fixture: nothing matches ${where}`);
      const got = (await auditPages(query)).flat().map((e) => e.id);
      assert.deepEqual(got, want, JSON.stringify(query));
      const paged = (await auditPages(query, 2)).flat().map((e) => e.id);
      assert.deepEqual(paged, want, `${JSON.stringify(query)} paged`);
    };
    await check({ client_id: c1.client_id }, 'client_id = ?', c1.client_id);
    await check({ event: 'client_deleted' }, "event = 'client_deleted'");
    await check({ event: 'registration_refused' }, "event = 'registration_refused'");
    await check({ actor: 'admin' }, "actor = 'admin'");
    await check({ actor: `iat:${iat.id}` }, 'actor = ?', `iat:${iat.id}`);
    await check({ actor: 'client', client_id: c1.client_id }, "actor = 'client' AND client_id = ?", c1.client_id);
    await check({ event: 'client_deleted', actor: 'admin' }, "event = 'client_deleted' AND actor = 'admin'");
    // Exact contents of one filter: c1's history.
    const hist = (await auditPages({ client_id: c1.client_id })).flat().map((e) => e.event).reverse();
    assert.deepEqual(hist, ['client_registered', 'client_read', 'client_updated', 'client_suspended', 'client_reactivated',
      'client_secret_rotated', 'registration_token_reissued', 'client_deleted']);
    for (const q of [{ client_id: 'nope' }, { event: 'no_such_event' }, { actor: 'nobody' }]) {
      const r = await audit(q);
      assert.deepEqual(r.body.events, []);
      assert.ok(!('next_cursor' in r.body));
    }
  });

  it('since / until (Unix seconds)', async () => {
    const all = (await auditPages({}, 100)).flat();
    assert.deepEqual((await auditPages({ since: String(t0 - 5) }, 100)).flat().length, all.length);
    assert.deepEqual((await auditPages({ since: String(nowSeconds() + 100) })).flat(), []);
    assert.deepEqual((await auditPages({ until: String(t0 - 100) })).flat(), []);
    const mid = all[Math.floor(all.length / 2)].at;
    const since = (await auditPages({ since: String(mid) }, 100)).flat();
    assert.ok(since.length > 0 && since.every((e) => e.at >= mid));
    const until = (await auditPages({ until: String(mid) }, 100)).flat();
    assert.ok(until.length > 0 && until.every((e) => e.at <= mid));
  });
});

describe('append-only', { timeout: 60_000 }, () => {
  it('UPDATE and DELETE on audit_events fail; nothing changes', async () => {
    const db = await h.d1();
    const before = await rows();
    assert.ok(before.length > 10);
    const id = before[0].id;
    await assert.rejects(db.prepare("UPDATE audit_events SET actor = 'forged' WHERE id = ?").bind(id).run(), /append-only|constraint|abort/i);
    await assert.rejects(db.prepare("UPDATE audit_events SET detail = 'x'").run());
    await assert.rejects(db.prepare('DELETE FROM audit_events WHERE id = ?').bind(id).run(), /append-only|constraint|abort/i);
    await assert.rejects(db.prepare('DELETE FROM audit_events').run());
    assert.deepEqual(await rows(), before);
  });
});
