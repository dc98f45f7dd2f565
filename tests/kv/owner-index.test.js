// The owner index on KV (docs/storage.md, KV layout): one owner/<owner hash>/<inverted
// issued_at>/<client_id> key per owned client, written on a registration in the dashboard and a
// claim, gone with the client; "My clients" lists from it, and a left-over entry (a failure
// between two KV writes) shows nobody a client that is not theirs. Needs a REGISTRAR_FEATURES=
// "kv signin" build; the store contract (cases.json) checks the same behaviour on every backend.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { start } from '../worker/harness.js';
import { builtFeatures } from '../store-contract/run.js';
import { dashboardHeaders, ownerHash } from '../store-contract/session.js';

const ADMIN = 'kv-owner-admin-token-0123456789abcdef012345';
const VARS = {
  STORAGE_BACKEND: 'kv',
  ADMIN_TOKEN: ADMIN,
  DASHBOARD_OIDC_ISSUER: 'https://op.example',
  DASHBOARD_OIDC_CLIENT_ID: 'registrar-dashboard',
  UNUSED_CLIENT_TTL: '3600',
};
const INVERT = 9_999_999_999_999_999n;
const app = (name) => ({ redirect_uris: ['https://app.example/cb'], client_name: name });

// Owned clients need the signin build; scripts/test.sh builds KV with it.
const skip = !builtFeatures().includes('signin') && 'needs a REGISTRAR_FEATURES="kv signin" build';

describe('the KV owner index', { timeout: 120_000, skip }, () => {
  let h;
  let ns;
  before(async () => {
    h = await start({ vars: VARS });
    ns = await h.kv();
  });
  after(async () => { await h?.dispose(); });

  const as = (person, method, path, json) => h.request(method, path, { json, headers: dashboardHeaders(h, person, method) });
  const mine = async (person) => {
    const r = await as(person, 'GET', '/dashboard/clients?limit=50');
    assert.equal(r.status, 200, r.text);
    return r.body.clients.map((c) => c.client_id);
  };
  const entries = async (person) => (await ns.list({ prefix: `owner/${ownerHash(h, person)}/` })).keys.map((k) => k.name);
  const entryOf = async (person, id) => {
    const record = JSON.parse(await ns.get(`client/${id}`));
    return `owner/${ownerHash(h, person)}/${String(INVERT - BigInt(record.client_id_issued_at)).padStart(16, '0')}/${id}`;
  };

  it('one empty key per owned client, written on registration and claim, removed with the client', async () => {
    const made = await as('alice', 'POST', '/dashboard/clients', app('Alice'));
    assert.equal(made.status, 201, made.text);
    const a = made.body.client_id;
    const key = await entryOf('alice', a);
    assert.deepEqual(await entries('alice'), [key]);
    assert.equal(await ns.get(key), '', 'the entry is empty');
    assert.ok(Buffer.byteLength(key) <= 89, `${key}: bounded`);
    assert.ok(!key.includes('alice'), 'the key names nobody');

    const anon = await h.registerOk(app('Anonymous'));
    assert.deepEqual(await entries('bob'), []);
    const claimed = await as('bob', 'POST', '/dashboard/claim', { client_id: anon.client_id, registration_access_token: anon.registration_access_token });
    assert.equal(claimed.status, 200, claimed.text);
    assert.deepEqual(await entries('bob'), [await entryOf('bob', anon.client_id)]);
    // Claiming it again and changing it keep exactly one entry.
    assert.equal((await as('bob', 'POST', '/dashboard/claim', { client_id: anon.client_id, registration_access_token: anon.registration_access_token })).status, 200);
    assert.equal((await h.request('POST', `/admin/clients/${anon.client_id}/suspend`, { token: ADMIN })).status, 200);
    assert.equal((await entries('bob')).length, 1);

    assert.equal((await as('alice', 'DELETE', `/dashboard/clients/${a}`)).status, 204);
    assert.deepEqual(await entries('alice'), []);
    assert.equal((await h.request('DELETE', `/admin/clients/${anon.client_id}`, { token: ADMIN })).status, 204);
    assert.deepEqual(await entries('bob'), []);
  });

  it('the unused-client clean-up removes a claimed client and its entry', async () => {
    const anon = await h.registerOk(app('Never used'));
    assert.equal((await as('carol', 'POST', '/dashboard/claim', { client_id: anon.client_id, registration_access_token: anon.registration_access_token })).status, 200);
    const old = await entryOf('carol', anon.client_id);
    // Two hours into the past: the record, its listing key and its owner entry.
    const record = JSON.parse(await ns.get(`client/${anon.client_id}`));
    const [age] = (await ns.list({ prefix: 'age/' })).keys.filter((k) => k.name.endsWith(`/${anon.client_id}`));
    record.client_id_issued_at -= 7200;
    await ns.put(`client/${anon.client_id}`, JSON.stringify(record));
    await ns.delete(age.name);
    await ns.put(`age/${String(INVERT - BigInt(record.client_id_issued_at)).padStart(16, '0')}/${anon.client_id}`, '');
    await ns.delete(old);
    await ns.put(await entryOf('carol', anon.client_id), '');
    assert.deepEqual(await mine('carol'), [anon.client_id]);
    const since = h.logs.length;
    await h.scheduled();
    assert.match(await h.logLine(since, '"scheduled":"cleanup"') ?? '', /"unused_clients":1/);
    assert.deepEqual(await entries('carol'), []);
    assert.deepEqual(await mine('carol'), []);
  });

  it('My clients lists from the index; a left-over entry shows nothing', async () => {
    const ids = [];
    for (const n of ['one', 'two', 'three']) ids.push((await as('dave', 'POST', '/dashboard/clients', app(`Dave ${n}`))).body.client_id);
    const eve = (await as('eve', 'POST', '/dashboard/clients', app('Eve'))).body.client_id;
    assert.deepEqual(new Set(await mine('dave')), new Set(ids));

    // Without its entry a client is not listed: the listing reads the index, not every client.
    await ns.delete(await entryOf('dave', ids[0]));
    assert.deepEqual(new Set(await mine('dave')), new Set(ids.slice(1)));
    await ns.put(await entryOf('dave', ids[0]), '');

    // Left-overs under dave's prefix: another person's client, a client that is gone, and his
    // own client under another time. None is listed; pages stay whole.
    await ns.put(await entryOf('dave', eve), '');
    const gone = (await as('dave', 'POST', '/dashboard/clients', app('Dave gone'))).body.client_id;
    const goneKey = await entryOf('dave', gone);
    await ns.delete(`client/${gone}`);
    assert.deepEqual(await entries('dave').then((k) => k.includes(goneKey)), true);
    const stale = (await entryOf('dave', ids[1])).replace(/\/(\d{16})\//, (m, t) => `/${String(BigInt(t) - 5n).padStart(16, '0')}/`);
    await ns.put(stale, '');
    assert.deepEqual(new Set(await mine('dave')), new Set(ids));
    assert.deepEqual(await mine('eve'), [eve]);
    assert.equal((await as('dave', 'GET', `/dashboard/clients/${eve}`)).status, 404);
    const seen = [];
    let cursor;
    do {
      const r = await as('dave', 'GET', `/dashboard/clients?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.clients.length, 1, `a whole page: ${r.text}`);
      seen.push(r.body.clients[0].client_id);
      cursor = r.body.next_cursor;
    } while (cursor);
    assert.deepEqual(new Set(seen), new Set(ids));
    assert.equal(seen.length, 3);
  });
});
