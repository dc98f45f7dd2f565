// Abuse resistance through the built Worker on local D1 (SECURITY.md, findings of the abuse
// review): the audit log stays bounded (short descriptions, 512-byte details, reads recorded at
// most hourly, retention enforced by the schema), RFC 7592 requests are rate limited per network
// and per client, and IPv6 callers are limited per /64.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { start, assertError } from './harness.js';

const PERIOD = 60;
const LIMIT = 3;
const DAY = 86_400;
const WEB = { redirect_uris: ['https://client.example/cb'], client_name: 'Abuse test' };
const nowSeconds = () => Math.floor(Date.now() / 1000);
const fromIp = (ip, extra = {}) => ({ ...extra, headers: { 'cf-connecting-ip': ip, ...(extra.headers ?? {}) } });

/** Miniflare's limiter counts in fixed windows aligned to the epoch: start a sequence in one. */
async function sameWindow(need = 10_000) {
  const left = PERIOD * 1000 - (Date.now() % (PERIOD * 1000));
  if (left < need) await sleep(left + 200);
}

let n = 0;
const freshV4 = () => `192.0.2.${++n}`;

describe('the audit log stays bounded', { timeout: 120_000 }, () => {
  let h;
  before(async () => { h = await start({ vars: { ADMIN_TOKEN: randomBytes(24).toString('hex') } }); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('a 60,000-character scope: the 400 quotes 64 characters, the refusal row is at most 512 bytes', async () => {
    const r = await h.register({ ...WEB, scope: 'x'.repeat(60_000) }, fromIp(freshV4()));
    assertError(r, 400, 'invalid_client_metadata');
    const d = r.body.error_description;
    assert.ok(d.length < 200, `description of ${d.length} characters`);
    assert.ok(d.includes(`"${'x'.repeat(64)}…"`), d);
    const db = await h.d1();
    const row = await db.prepare("SELECT length(CAST(detail AS BLOB)) AS bytes, detail FROM audit_events WHERE event = 'registration_refused' ORDER BY id DESC LIMIT 1").first();
    assert.ok(row.bytes <= 512, `detail of ${row.bytes} bytes`);
    assert.equal(JSON.parse(row.detail).error, 'invalid_client_metadata');
  });

  it('30 reads of one client record one client_read event and set last_read_at', async () => {
    const c = await h.registerOk(WEB, fromIp(freshV4()));
    for (let i = 0; i < 30; i++) {
      const r = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
      assert.equal(r.status, 200, r.text);
    }
    const db = await h.d1();
    const reads = await db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE event = 'client_read' AND client_id = ?").bind(c.client_id).first();
    assert.equal(reads.n, 1);
    const row = await db.prepare('SELECT last_read_at, version FROM clients WHERE client_id = ?').bind(c.client_id).first();
    assert.ok(Math.abs(row.last_read_at - nowSeconds()) < 60, `last_read_at ${row.last_read_at}`);
    assert.equal(row.version, 0, 'recording a read changed the client version');
    // An hour later (simulated by moving the mark back), the next read is recorded again.
    await db.prepare('UPDATE clients SET last_read_at = last_read_at - 3600 WHERE client_id = ?').bind(c.client_id).run();
    await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
    const again = await db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE event = 'client_read' AND client_id = ?").bind(c.client_id).first();
    assert.equal(again.n, 2);
  });

  it('the scheduled job prunes events older than AUDIT_RETENTION_DAYS (400) with one audit_pruned event', async () => {
    const db = await h.d1();
    const now = nowSeconds();
    const insert = db.prepare("INSERT INTO audit_events (at, event, actor, request_id) VALUES (?1, 'client_registered', 'anonymous', 'old')");
    const old = Array.from({ length: 2_500 }, (_, i) => insert.bind(now - 500 * DAY + i));
    await db.batch(old);
    await insert.bind(now - 399 * DAY).run();
    const before = (await db.prepare('SELECT COUNT(*) AS n FROM audit_events').first()).n;

    await h.scheduled();

    const left = (await db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE request_id = 'old'").first()).n;
    assert.equal(left, 1, 'only the event within retention is left');
    const summary = await db.prepare("SELECT actor, detail FROM audit_events WHERE event = 'audit_pruned'").all();
    assert.equal(summary.results.length, 1);
    assert.equal(summary.results[0].actor, 'system');
    const detail = JSON.parse(summary.results[0].detail);
    assert.equal(detail.deleted, 2_500);
    assert.equal(detail.retention_days, 400);
    const after = (await db.prepare('SELECT COUNT(*) AS n FROM audit_events').first()).n;
    assert.equal(after, before - 2_500 + 1);
    assert.ok(h.logs.some((l) => l.message.includes('"pruned_events":2500')), 'the run logs what it pruned');
  });

  it('the schema refuses any other delete or change of an event, and a horizon that moves back or too near', async () => {
    const db = await h.d1();
    const now = nowSeconds();
    await db.prepare("INSERT INTO audit_events (at, event, actor, request_id) VALUES (?1, 'client_registered', 'anonymous', 'guard')").bind(now - 40 * DAY).run();
    const count = async () => (await db.prepare('SELECT COUNT(*) AS n FROM audit_events').first()).n;
    const total = await count();
    // Older than 30 days but not behind the horizon: still append-only.
    await assert.rejects(db.prepare("DELETE FROM audit_events WHERE request_id = 'guard'").run(), /append-only/);
    await assert.rejects(db.prepare('DELETE FROM audit_events').run(), /append-only/);
    await assert.rejects(db.prepare("UPDATE audit_events SET actor = 'forged'").run(), /append-only/);
    // The horizon: not within 29 days of now, never back, never removed or duplicated.
    await assert.rejects(db.prepare('UPDATE audit_prune_horizon SET before = ?1').bind(now).run(), /audit_prune_horizon/);
    await assert.rejects(db.prepare('UPDATE audit_prune_horizon SET before = 0').run(), /audit_prune_horizon/);
    await assert.rejects(db.prepare('DELETE FROM audit_prune_horizon').run(), /audit_prune_horizon/);
    await assert.rejects(db.prepare('INSERT INTO audit_prune_horizon (id, before) VALUES (2, 0)').run(), /audit_prune_horizon|constraint/i);
    // Oversized rows are refused whatever writes them.
    await assert.rejects(
      db.prepare("INSERT INTO audit_events (at, event, actor, request_id, detail) VALUES (1, 'x', 'a', 'r', ?1)").bind(JSON.stringify({ d: 'y'.repeat(600) })).run(),
      /audit_event_too_large/,
    );
    assert.equal(await count(), total);
  });
});

describe('rate limits of RFC 7592 and of IPv6 networks', { timeout: 180_000 }, () => {
  let h;
  before(async () => {
    h = await start({
      vars: { RATE_LIMIT_PERIOD_SECONDS: String(PERIOD) },
      ratelimits: {
        REGISTER_IP_LIMITER: { limit: LIMIT, period: PERIOD },
        MANAGE_IP_LIMITER: { limit: LIMIT, period: PERIOD },
        MANAGE_CLIENT_LIMITER: { limit: LIMIT, period: PERIOD },
      },
    });
  }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  function assert429(r) {
    assertError(r, 429, 'too_many_requests');
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
  }

  it(`GET/PUT/DELETE /register/{id} from one network: the ${LIMIT + 1}th → 429, whatever the token`, async () => {
    await sameWindow();
    const c = await h.registerOk(WEB, fromIp(freshV4()));
    const ip = freshV4();
    const path = h.clientPath(c.client_id);
    for (let i = 0; i < LIMIT; i++) {
      assertError(await h.request('GET', path, { token: 'wrong', ...fromIp(ip) }), 401, 'invalid_token');
    }
    assert429(await h.request('GET', path, { token: 'wrong', ...fromIp(ip) }));
    assert429(await h.request('PUT', path, { token: c.registration_access_token, json: { client_id: c.client_id }, ...fromIp(ip) }));
    assert429(await h.request('DELETE', path, { token: c.registration_access_token, ...fromIp(ip) }));
    // The client is untouched and usable from elsewhere.
    const ok = await h.request('GET', path, { token: c.registration_access_token, ...fromIp(freshV4()) });
    assert.equal(ok.status, 200, ok.text);
  });

  it(`one client's holder from many networks: the ${LIMIT + 1}th request → 429; strangers do not use up its bucket`, async () => {
    await sameWindow();
    const c = await h.registerOk(WEB, fromIp(freshV4()));
    const path = h.clientPath(c.client_id);
    for (let i = 0; i < 2 * LIMIT; i++) {
      assertError(await h.request('GET', path, { token: `wrong-${i}`, ...fromIp(freshV4()) }), 401, 'invalid_token');
    }
    for (let i = 0; i < LIMIT; i++) {
      const r = await h.request('GET', path, { token: c.registration_access_token, ...fromIp(freshV4()) });
      assert.equal(r.status, 200, `read ${i + 1}: ${r.text}`);
    }
    assert429(await h.request('GET', path, { token: c.registration_access_token, ...fromIp(freshV4()) }));
    assert429(await h.request('DELETE', path, { token: c.registration_access_token, ...fromIp(freshV4()) }));
    const db = await h.d1();
    assert.ok(await db.prepare('SELECT 1 FROM clients WHERE client_id = ?').bind(c.client_id).first(), 'a limited DELETE removed the client');
  });

  it(`IPv6: addresses of one /64 share a bucket (the ${LIMIT + 1}th → 429), the next /64 does not`, async () => {
    await sameWindow();
    const prefix = `2001:db8:${randomBytes(2).toString('hex')}:1`;
    for (let i = 1; i <= LIMIT; i++) {
      const r = await h.register(WEB, fromIp(`${prefix}::${i.toString(16)}`));
      assert.equal(r.status, 201, `registration ${i}: ${r.text}`);
    }
    assert429(await h.register(WEB, fromIp(`${prefix}:ffff:ffff:ffff:ffff`)));
    const next = await h.register(WEB, fromIp(`${prefix.replace(/:1$/, ':2')}::1`));
    assert.equal(next.status, 201, next.text);
  });

  it('IPv4: keyed on the whole address', async () => {
    await sameWindow();
    const a = '203.0.113.77';
    for (let i = 0; i < LIMIT; i++) assert.equal((await h.register(WEB, fromIp(a))).status, 201);
    assert429(await h.register(WEB, fromIp(a)));
    assert.equal((await h.register(WEB, fromIp('203.0.113.78'))).status, 201);
  });
});
