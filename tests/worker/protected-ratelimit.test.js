// Rate limits of POST /register (docs/protected-registration.md, "Rate limits"): per client IP
// for every caller but the admin, and per initial access token too for callers with one; 429 with Retry-After and a JSON error;
// the admin is not limited. [[ratelimits]] overridden to limit 3 per 60 s.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { start, assertError, assertNoStore } from './harness.js';

const ADMIN = randomBytes(24).toString('base64url');
const PERIOD = 60;
const LIMIT = 3;
const WEB = { redirect_uris: ['https://client.example/cb'], client_name: 'Limited' };

let h;
before(async () => {
  h = await start({
    vars: { ADMIN_TOKEN: ADMIN, RATE_LIMIT_PERIOD_SECONDS: String(PERIOD) },
    ratelimits: {
      REGISTER_IP_LIMITER: { limit: LIMIT, period: PERIOD },
      REGISTER_TOKEN_LIMITER: { limit: LIMIT, period: PERIOD },
    },
  });
}, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

/**
 * Miniflare's limiter counts in fixed windows of `period` seconds aligned to the epoch: a
 * sequence of requests that straddles a window boundary would be counted in two windows. Wait
 * for a fresh window when fewer than `need` ms are left in this one.
 */
async function sameWindow(need = 8000) {
  const left = PERIOD * 1000 - (Date.now() % (PERIOD * 1000));
  if (left < need) await sleep(left + 200);
}

let ipCounter = 0;
function freshIp() {
  ipCounter += 1;
  return `198.51.100.${ipCounter}`;
}

const fromIp = (ip, extra = {}) => ({ ...extra, headers: { 'cf-connecting-ip': ip, ...(extra.headers ?? {}) } });

function assert429(r) {
  assertError(r, 429, 'too_many_requests');
  assertNoStore(r);
  const ra = r.headers.get('retry-after');
  assert.match(ra ?? '', /^\d+$/, `Retry-After is ${JSON.stringify(ra)}`);
  assert.ok(Number(ra) >= 1 && Number(ra) <= PERIOD, `Retry-After ${ra}`);
}

async function mint(body = {}) {
  const r = await h.request('POST', '/admin/initial-access-tokens', { token: ADMIN, json: { label: 'limited', max_uses: 100, ...body } });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function clientCount() {
  return (await (await h.d1()).prepare('SELECT COUNT(*) AS n FROM clients').first()).n;
}

describe('per client IP (no token)', { timeout: 60_000 }, () => {
  it(`the ${LIMIT + 1}th anonymous registration from one IP → 429 with Retry-After; another IP still gets 201`, async () => {
    await sameWindow();
    const a = freshIp();
    const b = freshIp();
    for (let i = 0; i < LIMIT; i++) {
      const r = await h.register(WEB, fromIp(a));
      assert.equal(r.status, 201, `registration ${i + 1}: ${r.status} ${r.text}`);
    }
    const n = await clientCount();
    const over = await h.register(WEB, fromIp(a));
    assert429(over);
    assert.equal(await clientCount(), n, 'a limited registration stored a client');
    // Still limited on the next attempt.
    assert429(await h.register(WEB, fromIp(a)));
    const other = await h.register(WEB, fromIp(b));
    assert.equal(other.status, 201, other.text);
  });

  it('RFC 7592 management of a client is not limited by the registration limit', async () => {
    await sameWindow();
    const ip = freshIp();
    const clients = [];
    for (let i = 0; i < LIMIT; i++) clients.push(await h.registerOk(WEB, fromIp(ip)));
    assert429(await h.register(WEB, fromIp(ip)));
    const c = clients[0];
    for (let i = 0; i < LIMIT + 2; i++) {
      const g = await h.request('GET', h.clientPath(c.client_id), fromIp(ip, { token: c.registration_access_token }));
      assert.equal(g.status, 200, g.text);
    }
  });
});

describe('per initial access token', { timeout: 60_000 }, () => {
  it(`the ${LIMIT + 1}th registration with one token → 429, whatever the IP; another token still gets 201; no use is counted`, async () => {
    await sameWindow();
    const t = await mint();
    for (let i = 0; i < LIMIT; i++) {
      // Each from a different IP: the token, not the IP, is what is counted.
      const r = await h.register(WEB, fromIp(freshIp(), { token: t.token }));
      assert.equal(r.status, 201, `registration ${i + 1}: ${r.status} ${r.text}`);
    }
    assert429(await h.register(WEB, fromIp(freshIp(), { token: t.token })));
    const t2 = await mint();
    const ok = await h.register(WEB, fromIp(freshIp(), { token: t2.token }));
    assert.equal(ok.status, 201, ok.text);
    const list = await h.request('GET', '/admin/initial-access-tokens?limit=100', { token: ADMIN });
    assert.equal(list.body.initial_access_tokens.find((x) => x.id === t.id).uses, LIMIT, 'a limited registration used the token');
  });

  it('token registrations also count against the IP, so a made-up bearer cannot open a fresh bucket', async () => {
    await sameWindow();
    const ip = freshIp();
    const t = await mint();
    for (let i = 0; i < LIMIT; i++) await h.registerOk(WEB, fromIp(ip, { token: t.token }));
    // The IP has used its limit (with a token): neither an anonymous request nor one with an
    // invented bearer gets past it, and neither reaches the store (no refusal is audited).
    assert429(await h.register(WEB, fromIp(ip)));
    assert429(await h.register(WEB, fromIp(ip, { token: randomBytes(32).toString('base64url') })));
  });
});

describe('the admin', { timeout: 60_000 }, () => {
  it('is not limited, even from an IP that is over its limit', async () => {
    await sameWindow();
    const ip = freshIp();
    for (let i = 0; i < LIMIT; i++) await h.registerOk(WEB, fromIp(ip));
    assert429(await h.register(WEB, fromIp(ip)));
    for (let i = 0; i < LIMIT * 2 + 1; i++) {
      const r = await h.register(WEB, fromIp(ip, { token: ADMIN }));
      assert.equal(r.status, 201, `admin registration ${i + 1}: ${r.status} ${r.text}`);
    }
    // And the admin's registrations did not use up anything for the anonymous caller of another IP.
    const other = await h.register(WEB, fromIp(freshIp()));
    assert.equal(other.status, 201, other.text);
  });
});
