// The production environment of wrangler.toml, `[env.production]` (docs/deploying.md; SECURITY.md,
// "What an operator must configure"). Read with wrangler's own reader, unstable_readConfig with
// env 'production' (harness.js wranglerEnvConfig), which applies wrangler's inheritance rules as
// `wrangler deploy --env production` does; then the built Worker runs in Miniflare with exactly
// those [vars] and [[ratelimits]] (ISSUER moved to the local origin, as for every suite).
// D1 only: the production policy has max_clients, which the KV backend refuses.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { start, wranglerConfig, wranglerEnvConfig, assertError, assertInvalidToken, assertNoStore } from './harness.js';

const ENV = 'production';
const ADMIN = randomBytes(24).toString('base64url');
const RATE_LIMITERS = ['REGISTER_IP_LIMITER', 'REGISTER_TOKEN_LIMITER', 'MANAGE_IP_LIMITER', 'MANAGE_CLIENT_LIMITER'];
// Top-level [vars] meant for local development only, which production must not carry.
const DEVELOPMENT_ONLY_VARS = ['ALLOW_PRIVATE_HOSTS'];

const CLIENT_CREDENTIALS = 'client_credentials';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SERVICE = { client_name: 'service', grant_types: [CLIENT_CREDENTIALS], token_endpoint_auth_method: 'client_secret_basic' };
const WEB = { client_name: 'web app', redirect_uris: ['https://client.example/cb'] };

let ipCounter = 0;
function freshIp() {
  ipCounter += 1;
  return `203.0.113.${ipCounter}`;
}
const fromIp = (ip, extra = {}) => ({ ...extra, headers: { 'cf-connecting-ip': ip, ...(extra.headers ?? {}) } });

/** No configuration error (the Worker logs one and answers 500 when a variable is refused). */
function assertNoWorkerErrors(h) {
  const errors = h.logs.filter((l) => l.level === 'error');
  assert.deepEqual(errors, [], `the worker logged errors: ${JSON.stringify(errors)}`);
}

describe('wrangler.toml [env.production], read by wrangler', () => {
  it('token mode, no ALLOW_PRIVATE_HOSTS, the four rate limits in the tens per minute, D1 binding DB', () => {
    const cfg = wranglerEnvConfig(ENV);
    assert.equal(cfg.targetEnvironment, ENV);
    const vars = cfg.vars ?? {};
    assert.equal(vars.REGISTRATION_MODE, 'token');
    for (const v of DEVELOPMENT_ONLY_VARS) assert.ok(!Object.hasOwn(vars, v), `production sets ${v}`);
    assert.equal(vars.STORAGE_BACKEND, 'd1');
    assert.equal(vars.RATE_LIMIT_PERIOD_SECONDS, '60');
    assert.ok(!(vars.GRANT_TYPES_SUPPORTED ?? '').split(' ').includes('implicit'), 'implicit is enabled');

    const limits = Object.fromEntries((cfg.ratelimits ?? []).map((r) => [r.name, r]));
    const topLevelIds = new Set((wranglerConfig().ratelimits ?? []).map((r) => r.namespace_id));
    for (const name of RATE_LIMITERS) {
      const r = limits[name];
      assert.ok(r, `[[env.production.ratelimits]] has no ${name}`);
      assert.equal(r.simple?.period, 60, `${name} period`);
      assert.ok(r.simple.limit >= 10 && r.simple.limit <= 99, `${name} limit ${r.simple.limit} is not in the tens per minute`);
      assert.ok(!topLevelIds.has(r.namespace_id), `${name} shares namespace_id ${r.namespace_id} with the local configuration`);
    }
    assert.equal(limits.REGISTER_IP_LIMITER.simple.limit, 20);
    assert.equal(new Set(Object.values(limits).map((r) => r.namespace_id)).size, Object.keys(limits).length, 'namespace_ids repeat');

    const db = (cfg.d1_databases ?? []).find((d) => d.binding === 'DB');
    assert.ok(db, '[[env.production.d1_databases]] has no binding DB');
    assert.ok(db.database_name && db.database_id, 'the DB entry lacks database_name or database_id');
    assert.equal(db.migrations_dir, 'migrations');
  });

  it('repeats every binding and variable of the top level (wrangler inherits none of them), and no local address', () => {
    const top = wranglerConfig();
    const cfg = wranglerEnvConfig(ENV);
    const names = (list, key) => (list ?? []).map((x) => x[key]).sort();
    assert.deepEqual(names(cfg.d1_databases, 'binding'), names(top.d1_databases, 'binding'));
    assert.deepEqual(names(cfg.kv_namespaces, 'binding'), names(top.kv_namespaces, 'binding'));
    for (const name of names(top.ratelimits, 'name')) {
      assert.ok(names(cfg.ratelimits, 'name').includes(name), `[[ratelimits]] ${name} is missing from [env.production]`);
    }
    for (const v of Object.keys(top.vars ?? {})) {
      if (!DEVELOPMENT_ONLY_VARS.includes(v)) assert.ok(Object.hasOwn(cfg.vars, v), `[vars] ${v} is missing from [env.production.vars]`);
    }
    // What wrangler does inherit: the same code, schedule and assets.
    assert.equal(cfg.compatibility_date, top.compatibility_date);
    assert.deepEqual(cfg.triggers?.crons, top.triggers?.crons);
    assert.equal(cfg.assets?.directory, top.assets?.directory);
    // The issuer and the discovery example are placeholders, never the local origin.
    assert.match(cfg.vars.ISSUER, /^https:\/\//);
    const meta = JSON.parse(cfg.vars.AUTHORIZATION_SERVER_METADATA ?? '{}');
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v === 'string') assert.doesNotMatch(v, /127\.0\.0\.1|localhost|^http:/, `AUTHORIZATION_SERVER_METADATA.${k}`);
    }
  });
});

describe('the Worker under [env.production]', { timeout: 120_000 }, () => {
  let h;
  before(async () => {
    h = await start({ env: ENV, vars: { ADMIN_TOKEN: ADMIN } });
  }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('anonymous registration of a client_credentials client → 401 invalid_token', async () => {
    const r = await h.register(SERVICE, fromIp(freshIp()));
    assertInvalidToken(r);
    assertNoStore(r);
    // An authorization_code client too: token mode admits no anonymous caller.
    assertInvalidToken(await h.register(WEB, fromIp(freshIp())));
    const n = (await (await h.d1()).prepare('SELECT COUNT(*) AS n FROM clients').first()).n;
    assert.equal(n, 0);
    assertNoWorkerErrors(h);
  });

  it('an initial access token minted without a profile registers client_credentials, token exchange and JWT bearer clients', async () => {
    const minted = await h.request('POST', '/admin/initial-access-tokens', { token: ADMIN, json: { label: 'no profile', max_uses: 10 } });
    assert.equal(minted.status, 201, minted.text);
    assert.equal(minted.body.profile, undefined);
    const ip = freshIp();
    for (const grant of [CLIENT_CREDENTIALS, TOKEN_EXCHANGE, JWT_BEARER]) {
      const r = await h.register({ ...SERVICE, grant_types: [grant], scope: 'openid offline_access' }, fromIp(ip, { token: minted.body.token }));
      assert.equal(r.status, 201, `${grant}: ${r.status} ${r.text}`);
      assert.deepEqual(r.body.grant_types, [grant]);
      assert.equal(r.body.scope, 'openid offline_access', 'profiles.default may have offline_access');
    }
    const row = await (await h.d1()).prepare('SELECT DISTINCT policy_class FROM clients').all();
    assert.deepEqual(row.results.map((x) => x.policy_class), ['profile:default']);
    assertNoWorkerErrors(h);
  });
});

describe('the Worker under [env.production] with only REGISTRATION_MODE overridden to open', { timeout: 120_000 }, () => {
  let h;
  before(async () => {
    h = await start({ env: ENV, vars: { ADMIN_TOKEN: ADMIN, REGISTRATION_MODE: 'open' } });
  }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  /**
   * Miniflare's limiter counts in fixed windows of `period` seconds aligned to the epoch: wait for
   * a fresh window when fewer than `need` ms are left in this one.
   */
  async function sameWindow(need = 15_000) {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < need) await sleep(left + 200);
  }

  it('the policy still refuses anonymous client_credentials, token exchange and JWT bearer (400 naming grant_types[…]) and admits an authorization_code client', async () => {
    const ip = freshIp();
    for (const grant of [CLIENT_CREDENTIALS, TOKEN_EXCHANGE, JWT_BEARER]) {
      const r = await h.register({ ...SERVICE, grant_types: [grant] }, fromIp(ip));
      assertError(r, 400, 'invalid_client_metadata', 'grant_types[0]');
    }
    // Second in the list: the description names the index at fault.
    const mixed = await h.register({ ...WEB, grant_types: ['authorization_code', CLIENT_CREDENTIALS] }, fromIp(ip));
    assertError(mixed, 400, 'invalid_client_metadata', 'grant_types[1]');

    const ok = await h.register({ ...WEB, grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile offline_access' }, fromIp(ip));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.scope, 'openid profile', 'offline_access is restricted: dropped for anonymous callers');
    const device = await h.register({ client_name: 'tv', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], token_endpoint_auth_method: 'none' }, fromIp(ip));
    assert.equal(device.status, 201, device.text);
    assertNoWorkerErrors(h);
  });

  it('the 21st anonymous registration from one IP within a minute → 429 with Retry-After; another IP still gets 201', async () => {
    const limit = wranglerEnvConfig(ENV).ratelimits.find((r) => r.name === 'REGISTER_IP_LIMITER').simple.limit;
    assert.equal(limit, 20);
    await sameWindow();
    const ip = freshIp();
    for (let i = 0; i < limit; i++) {
      const r = await h.register(WEB, fromIp(ip));
      assert.equal(r.status, 201, `registration ${i + 1}: ${r.status} ${r.text}`);
    }
    const over = await h.register(WEB, fromIp(ip));
    assertError(over, 429, 'too_many_requests');
    const ra = over.headers.get('retry-after');
    assert.match(ra ?? '', /^\d+$/, `Retry-After is ${JSON.stringify(ra)}`);
    assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `Retry-After ${ra}`);
    const other = await h.register(WEB, fromIp(freshIp()));
    assert.equal(other.status, 201, other.text);
  });
});
