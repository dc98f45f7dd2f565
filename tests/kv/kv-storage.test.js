// The Workers KV backend (STORAGE_BACKEND=kv): its key layout, no usable credential in KV,
// persistence across a restart, and the features that need D1 refusing clearly.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, createState } from '../worker/harness.js';

const KV = { STORAGE_BACKEND: 'kv', ADMIN_TOKEN: 'kv-admin-token-0123456789abcdef0123456789' };

async function allKv(h) {
  const ns = await h.kv();
  const out = [];
  let cursor;
  do {
    const page = await ns.list({ cursor });
    for (const k of page.keys) out.push({ name: k.name, metadata: k.metadata, value: await ns.get(k.name) });
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

describe('KV backend', { timeout: 90_000 }, () => {
  const open = [];
  after(async () => { await Promise.allSettled(open.map((h) => h.dispose())); });
  const boot = async (opts) => { const h = await start(opts); open.push(h); return h; };

  it('stores clients under the documented keys, with hashes only', async () => {
    const h = await boot({ vars: KV });
    const c = await h.registerOk({ redirect_uris: ['https://kv.example/cb'], client_name: 'kv' });
    const minted = await h.request('POST', '/admin/initial-access-tokens', { token: KV.ADMIN_TOKEN, json: { label: 'kv' } });
    assert.equal(minted.status, 201, minted.text);
    const entries = await allKv(h);
    const names = entries.map((e) => e.name);
    assert.ok(names.includes(`client/${c.client_id}`), names.join(' '));
    assert.ok(names.some((n) => n.startsWith('age/') && n.endsWith(`/${c.client_id}`)), 'listing index');
    assert.ok(names.some((n) => n.startsWith('iat/')) && names.includes(`iat-id/${minted.body.id}`));
    assert.ok(names.some((n) => n.startsWith('audit/')), 'audit events');
    const dump = JSON.stringify(entries);
    for (const secret of [c.client_secret, c.registration_access_token, minted.body.token]) {
      assert.ok(!dump.includes(secret), 'a credential is stored in KV');
    }
    const record = JSON.parse(entries.find((e) => e.name === `client/${c.client_id}`).value);
    assert.equal(record.metadata.client_name, 'kv');
    assert.ok(record.version, 'records carry a version stamp');
  });

  it('a registration survives a restart on the same state', async () => {
    const state = await createState();
    // The same key on both runs, as a deployment keeps its secret.
    const vars = { ...KV, REGISTRAR_HMAC_KEY: 'k'.repeat(64) };
    const first = await boot({ vars, persistDir: state });
    const c = await first.registerOk({ redirect_uris: ['https://kv.example/cb'] });
    await first.dispose();
    const second = await boot({ vars, persistDir: state });
    const r = await second.request('GET', second.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.client_id, c.client_id);
  });

  it('the admin list and audit log work from KV metadata, newest first', async () => {
    const h = await boot({ vars: KV });
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await h.registerOk({ redirect_uris: [`https://h${i}.example/cb`], client_name: `n${i}` }));
    const list = await h.request('GET', '/admin/clients?limit=10', { token: KV.ADMIN_TOKEN });
    assert.equal(list.status, 200, list.text);
    const ids = list.body.clients.map((c) => c.client_id);
    for (const c of made) assert.ok(ids.includes(c.client_id));
    const host = await h.request('GET', '/admin/clients?redirect_host=h1.example', { token: KV.ADMIN_TOKEN });
    assert.deepEqual(host.body.clients.map((c) => c.client_id), [made[1].client_id]);
    const audit = await h.request('GET', '/admin/audit?event=client_registered', { token: KV.ADMIN_TOKEN });
    assert.equal(audit.status, 200, audit.text);
    assert.equal(audit.body.events.length, 3);
    const ats = audit.body.events.map((e) => e.id);
    assert.deepEqual(ats, [...ats].sort((a, b) => b - a), 'newest first');
  });

  it('UNUSED_CLIENT_TTL removes old clients the AS API never saw, with an event; used/<id> keeps the used ones', async () => {
    const AS = 'kv-as-api-token-0123456789abcdef0123456789';
    const h = await boot({ vars: { ...KV, AS_API_TOKEN: AS } }); // the default TTL, a day
    const ns = await h.kv();
    const meta = { redirect_uris: ['https://kv.example/cb'], client_name: 'mcp' };
    const [unused, used, fresh] = [await h.registerOk(meta), await h.registerOk(meta), await h.registerOk(meta)];
    const auth = await h.request('POST', `/as/v1/clients/${used.client_id}/authenticate`, { token: AS, json: { client_secret: used.client_secret } });
    assert.equal(auth.status, 200, auth.text);
    const marker = (await ns.list({ prefix: `used/${used.client_id}` })).keys[0];
    assert.ok(marker && marker.expiration === undefined, 'used/<id> is kept as long as the client');
    assert.ok(Number(await ns.get(marker.name)) > 0, 'it holds the time of the use');
    // Two days into the past: the record and its listing key.
    const INVERT = 9_999_999_999_999_999n;
    for (const c of [unused, used]) {
      const record = JSON.parse(await ns.get(`client/${c.client_id}`));
      const [old] = (await ns.list({ prefix: 'age/' })).keys.filter((k) => k.name.endsWith(`/${c.client_id}`));
      record.client_id_issued_at -= 2 * 86_400;
      await ns.put(`client/${c.client_id}`, JSON.stringify(record));
      await ns.delete(old.name);
      await ns.put(`age/${String(INVERT - BigInt(record.client_id_issued_at)).padStart(16, '0')}/${c.client_id}`, '');
    }
    await h.scheduled();
    assert.ok(h.logs.some((l) => l.message.includes('"unused_clients":1')), JSON.stringify(h.logs.slice(-3)));
    const names = (await ns.list()).keys.map((k) => k.name);
    assert.ok(!names.some((n) => n.endsWith(`/${unused.client_id}`)), 'the unused client and its keys are gone');
    for (const c of [used, fresh]) assert.ok(names.includes(`client/${c.client_id}`), `${c.client_id} kept`);
    const audit = await h.request('GET', '/admin/audit?event=client_removed_unused', { token: KV.ADMIN_TOKEN });
    assert.deepEqual(audit.body.events.map((e) => [e.client_id, e.actor]), [[unused.client_id, 'system']]);
    // Deleting a client removes its used/ key too.
    const del = await h.request('DELETE', h.clientPath(used.client_id), { token: used.registration_access_token });
    assert.equal(del.status, 204, del.text);
    assert.equal((await ns.list({ prefix: `used/${used.client_id}` })).keys.length, 0);
  });

  it('features that need D1 are refused at configuration, clearly', async () => {
    for (const extra of [
      { REGISTRATION_POLICY: '{"anonymous": {"max_clients": 5}}' },
      { IDLE_ANONYMOUS_CLIENT_DAYS: '30' },
    ]) {
      const h = await boot({ vars: { ...KV, ...extra } });
      const r = await h.request('POST', '/register', { json: { redirect_uris: ['https://kv.example/cb'] } });
      assert.equal(r.status, 500);
      assert.equal(r.body.error, 'server_error');
      assert.ok(h.logs.some((l) => l.message.includes('needs STORAGE_BACKEND=d1')), JSON.stringify(h.logs));
    }
  });
});
