// The scheduled clean-up (cron trigger): expired initial access tokens are removed, idle
// anonymous clients only when IDLE_ANONYMOUS_CLIENT_DAYS is set; every removal is audited.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start } from './harness.js';

const ADMIN_TOKEN = 'lifecycle-admin-token-0123456789abcdef012';
const DAY = 86_400;

async function mint(h, spec) {
  const r = await h.request('POST', '/admin/initial-access-tokens', { token: ADMIN_TOKEN, json: spec });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

describe('scheduled clean-up, idle removal off (the default)', { timeout: 60_000 }, () => {
  let h;
  before(async () => { h = await start({ vars: { ADMIN_TOKEN } }); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('removes expired initial access tokens with an event each, keeps live ones and every client', async () => {
    const expired = await mint(h, { label: 'old', expires_in: 1 });
    const live = await mint(h, { label: 'live', expires_in: 3600 });
    const client = await h.registerOk({ redirect_uris: ['https://keep.example/cb'] });
    const db = await h.d1();
    // Age the client far beyond any idle threshold: with the option off it must survive.
    await db.prepare('UPDATE clients SET updated_at = updated_at - ?1 WHERE client_id = ?2').bind(1000 * DAY, client.client_id).run();
    await new Promise((r) => setTimeout(r, 1500));

    await h.scheduled();

    const ids = (await db.prepare('SELECT id FROM initial_access_tokens').all()).results.map((r) => r.id);
    assert.deepEqual(ids, [live.id]);
    const events = (await db.prepare("SELECT event, actor, detail FROM audit_events WHERE event = 'iat_expired'").all()).results;
    assert.equal(events.length, 1);
    assert.equal(events[0].actor, 'system');
    assert.equal(JSON.parse(events[0].detail).iat_id, expired.id);
    const read = await h.request('GET', h.clientPath(client.client_id), { token: client.registration_access_token });
    assert.equal(read.status, 200, 'idle removal is off by default');
    assert.ok(h.logs.some((l) => l.message.includes('"expired_tokens":1')), 'the clean-up logs what it removed');
  });
});

describe('scheduled clean-up with IDLE_ANONYMOUS_CLIENT_DAYS=30', { timeout: 60_000 }, () => {
  let h;
  before(async () => { h = await start({ vars: { ADMIN_TOKEN, IDLE_ANONYMOUS_CLIENT_DAYS: '30' } }); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('removes anonymous clients neither read nor updated for 30 days, and only those', async () => {
    const db = await h.d1();
    const age = (id, days) => db.prepare('UPDATE clients SET updated_at = updated_at - ?1, client_id_issued_at = client_id_issued_at - ?1 WHERE client_id = ?2').bind(days * DAY, id).run();
    const idle = await h.registerOk({ redirect_uris: ['https://idle.example/cb'], client_name: 'idle' });
    const fresh = await h.registerOk({ redirect_uris: ['https://fresh.example/cb'], client_name: 'fresh' });
    const readRecently = await h.registerOk({ redirect_uris: ['https://read.example/cb'], client_name: 'read' });
    const admins = await h.request('POST', '/register', { token: ADMIN_TOKEN, json: { redirect_uris: ['https://admin.example/cb'] } });
    assert.equal(admins.status, 201, admins.text);
    for (const c of [idle, readRecently, admins.body]) await age(c.client_id, 40);
    await age(fresh.client_id, 10);
    // A read today counts as activity.
    const r = await h.request('GET', h.clientPath(readRecently.client_id), { token: readRecently.registration_access_token });
    assert.equal(r.status, 200);

    await h.scheduled();

    const status = async (c) => (await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token })).status;
    assert.equal(await status(idle), 401, 'the idle anonymous client is removed');
    assert.equal(await status(fresh), 200);
    assert.equal(await status(readRecently), 200);
    assert.equal(await status(admins.body), 200, 'only anonymous clients are removed');
    const events = (await db.prepare("SELECT client_id, actor FROM audit_events WHERE event = 'client_expired'").all()).results;
    assert.deepEqual(events, [{ client_id: idle.client_id, actor: 'system' }]);
  });
});
