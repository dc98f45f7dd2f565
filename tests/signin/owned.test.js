// Owning clients end to end: people signed in through a real OpenID Provider (tests/signin/op.js)
// register clients they own, find them under My clients, claim an anonymous client with its
// token, recover a lost token, and use the admin API by identity, against the Worker built with
// the `signin` feature on a real local D1 (on KV with REGISTRAR_TEST_BACKEND=kv and a "kv signin"
// build). Cross-site requests and other people are refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pair } from './pair.js';
import { signIn } from './person.js';

let p;
before(async () => { p = await pair(); });
after(async () => { await p?.close(); });

/** Signs `login` in; returns a function that calls the Worker as the dashboard page would. */
async function as(login) {
  const { session: cookie } = await signIn(p.h, login);
  assert.ok(cookie, `${login} signed in`);
  const { csrf } = (await p.h.request('GET', '/dashboard/session', { headers: { cookie } })).body;
  return (method, path, json, extra = {}) => p.h.request(method, path, {
    json,
    headers: { cookie, ...(method === 'GET' ? {} : { origin: p.h.url, 'x-registrar-csrf': csrf }), ...extra },
  });
}

const app = (name) => ({ redirect_uris: ['https://app.example/cb'], client_name: name });

describe('clients owned by signed-in people', { timeout: 120_000 }, () => {
  it('register as owner, find under My clients, nobody else sees it, stored without the subject', async () => {
    const alice = await as('alice');
    const bob = await as('bob');
    const made = await alice('POST', '/dashboard/clients', app('Alice web app'));
    assert.equal(made.status, 201, made.text);
    assert.equal(made.headers.get('cache-control'), 'no-store');
    assert.equal(made.headers.get('access-control-allow-origin'), null);
    const id = made.body.client_id;
    assert.ok(made.body.client_secret && made.body.registration_access_token);

    const mine = await alice('GET', '/dashboard/clients?q=alice');
    assert.deepEqual(mine.body.clients.map((c) => c.client_id), [id]);
    assert.equal(mine.body.clients[0].registered_by, 'person:alice');
    assert.equal(mine.body.clients[0].policy_class, 'profile:signed_in');
    assert.deepEqual((await bob('GET', '/dashboard/clients')).body.clients, []);
    assert.equal((await bob('GET', `/dashboard/clients/${id}`)).status, 404);
    assert.equal((await bob('DELETE', `/dashboard/clients/${id}`)).status, 404);

    // The stored client (a D1 row, or on KV its record) holds a keyed hash, not the subject.
    const row = p.h.vars.STORAGE_BACKEND === 'kv'
      ? JSON.parse(await (await p.h.kv()).get(`client/${id}`))
      : await (await p.h.d1()).prepare('SELECT owner, registered_by FROM clients WHERE client_id = ?').bind(id).first();
    assert.equal(row.registered_by, 'person:alice');
    assert.match(row.owner, /^[A-Za-z0-9_-]{43}$/, 'a keyed hash');
    assert.ok(!row.owner.includes('alice'));

    // Another site's page cannot use the cookie to change anything.
    const forged = await alice('POST', '/dashboard/clients', app('CSRF'), { origin: 'https://evil.example' });
    assert.equal(forged.status, 403);
    const noToken = await alice('POST', '/dashboard/clients', app('CSRF'), { 'x-registrar-csrf': '' });
    assert.equal(noToken.status, 403);
    assert.equal((await alice('GET', '/dashboard/clients')).body.clients.length, 1);
  });

  it('a lost registration access token is re-issued to the owner; the old one stops working', async () => {
    const alice = await as('alice');
    const made = (await alice('POST', '/dashboard/clients', app('Recover me'))).body;
    const re = await alice('POST', `/dashboard/clients/${made.client_id}/registration-access-token`);
    assert.equal(re.status, 200);
    assert.equal(re.headers.get('cache-control'), 'no-store');
    const read = (token) => p.h.request('GET', `/register/${made.client_id}`, { token });
    assert.equal((await read(made.registration_access_token)).status, 401);
    assert.equal((await read(re.body.registration_access_token)).status, 200);
  });

  it('an anonymous client is claimed with its token, once, by one person', async () => {
    const anon = await p.h.registerOk(app('Registered before signing in'));
    const bob = await as('bob');
    const alice = await as('alice');
    const claim = (who, token) => who('POST', '/dashboard/claim', { client_id: anon.client_id, registration_access_token: token });
    assert.equal((await claim(bob, 'wrong')).status, 401);
    const ok = await claim(bob, anon.registration_access_token);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual((await bob('GET', '/dashboard/clients')).body.clients.map((c) => c.client_id), [anon.client_id]);
    assert.equal((await claim(alice, anon.registration_access_token)).status, 403);
    const audit = await alice('GET', `/dashboard/admin/audit?client_id=${anon.client_id}&event=client_claimed`);
    assert.equal(audit.status, 200, audit.text);
    assert.deepEqual(audit.body.events.map((e) => e.actor), ['person:bob']);
  });

  it('the admin API by identity: alice (registrar-admins) yes, bob no', async () => {
    const alice = await as('alice');
    const bob = await as('bob');
    assert.equal((await alice('GET', '/dashboard/admin/clients?limit=5')).status, 200);
    const refused = await bob('GET', '/dashboard/admin/clients');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'access_denied');
    const minted = await alice('POST', '/dashboard/admin/initial-access-tokens', { label: 'by alice' });
    assert.equal(minted.status, 201, minted.text);
    const events = (await alice('GET', '/dashboard/admin/audit?event=iat_minted')).body.events;
    assert.ok(events.some((e) => e.actor === 'person:alice'));
  });
});

describe('REGISTRATION_MODE = signed_in', { timeout: 120_000 }, () => {
  it('signed-in people register; anonymous callers are asked to sign in', async () => {
    const q = await pair({ vars: { REGISTRATION_MODE: 'signed_in' } });
    try {
      const anon = await q.h.register(app('Anonymous'));
      assert.equal(anon.status, 401);
      assert.equal(anon.body.error, 'invalid_token');
      assert.match(anon.body.error_description, /^sign in to the dashboard to register/);
      const { session: cookie } = await signIn(q.h, 'bob');
      const { csrf } = (await q.h.request('GET', '/dashboard/session', { headers: { cookie } })).body;
      const made = await q.h.request('POST', '/dashboard/clients', { json: app('Bob'), headers: { cookie, origin: q.h.url, 'x-registrar-csrf': csrf } });
      assert.equal(made.status, 201, made.text);
      const discovery = await q.h.request('GET', '/.well-known/oauth-authorization-server');
      assert.ok(discovery.body.registration_endpoint, 'initial access token holders still register there');
    } finally { await q.close(); }
  });
});
