// UNUSED_CLIENT_TTL on D1 (issue 12): a storm of identical anonymous registrations, as MCP
// clients make one per connection. With AS_API_TOKEN set the default TTL (a day) applies; the
// clients the authorization server used (through /as/v1/) stay, every other one works until its
// TTL and is then removed by the scheduled job with a client_removed_unused event. The rule's
// other rows (admin, suspended, used long ago) are checked on D1 too, since its SQL repeats the
// rule of StoredClient::unused_before (tests/unused_clients.rs has the full table).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { start } from './harness.js';

const AS = randomBytes(24).toString('base64url');
const ADMIN = randomBytes(24).toString('base64url');
const DAY = 86_400;
const STORM = 45;
const MCP_CLIENT = {
  client_name: 'Some MCP client',
  redirect_uris: ['http://127.0.0.1:33418/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
};

const enc = encodeURIComponent;

let h;
before(async () => { h = await start({ vars: { AS_API_TOKEN: AS, ADMIN_TOKEN: ADMIN } }); }, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

const authenticate = (c) =>
  h.request('POST', `/as/v1/clients/${enc(c.client_id)}/authenticate`, { token: AS, json: { client_secret: c.client_secret } });
const asGet = (c) => h.request('GET', `/as/v1/clients/${enc(c.client_id)}`, { token: AS });
const read = (c) => h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });

/** Moves every client's registration `seconds` into the past. */
async function age(seconds, where = '1 = 1', ...args) {
  const db = await h.d1();
  await db.prepare(`UPDATE clients SET client_id_issued_at = client_id_issued_at - ${seconds} WHERE ${where}`).bind(...args).run();
}

async function clientIds() {
  const db = await h.d1();
  return (await db.prepare('SELECT client_id FROM clients ORDER BY client_id').all()).results.map((r) => r.client_id);
}

/** The counts of the scheduled run's log line. */
async function scheduled() {
  const before = h.logs.length;
  await h.scheduled();
  const line = await h.logLine(before, '"scheduled":"cleanup"');
  assert.ok(line, 'the scheduled job logs its line');
  const counts = JSON.parse(line);
  assert.equal(counts.error, undefined, line);
  return counts;
}

describe('UNUSED_CLIENT_TTL: a storm of identical registrations (D1, default TTL with the AS API)', { timeout: 120_000 }, () => {
  it('keeps storage bounded after the TTL: only the clients the AS used remain, each removal audited', async () => {
    const storm = [];
    for (let i = 0; i < STORM; i++) storm.push(await h.registerOk(MCP_CLIENT));
    assert.equal(new Set(storm.map((c) => c.client_id)).size, STORM, 'a client each');
    // The connections that went on to sign in: the AS authenticated their clients.
    const used = storm.slice(0, 4);
    for (const c of used) assert.equal((await authenticate(c)).status, 200);

    // The rule's other rows: registered by the admin, suspended, used long ago.
    const byAdmin = (await h.request('POST', '/register', { token: ADMIN, json: MCP_CLIENT })).body;
    assert.ok(byAdmin.client_id);
    const suspended = await h.registerOk(MCP_CLIENT);
    assert.equal((await h.request('POST', `/admin/clients/${enc(suspended.client_id)}/suspend`, { token: ADMIN })).status, 200);
    const usedLongAgo = await h.registerOk(MCP_CLIENT);
    assert.equal((await asGet(usedLongAgo)).status, 200);
    const db = await h.d1();
    await db.prepare('UPDATE clients SET last_used_at = last_used_at - ?1 WHERE client_id = ?2').bind(300 * DAY, usedLongAgo.client_id).run();

    // Five minutes short of the TTL: the job removes nothing, and every registrant's client works.
    await age(DAY - 300);
    assert.equal((await scheduled()).unused_clients, 0);
    assert.equal((await clientIds()).length, STORM + 3);
    for (const c of storm) assert.equal((await read(c)).status, 200, `${c.client_id} works until its TTL`);
    // One more connection signs in during the last minutes: its client is kept too.
    const late = storm[STORM - 1];
    assert.equal((await authenticate(late)).status, 200);

    // Past the TTL.
    await age(600);
    const counts = await scheduled();
    const keptUsed = [...used, late];
    const removed = storm.filter((c) => !keptUsed.includes(c));
    assert.equal(counts.unused_clients, removed.length);
    assert.equal(counts.idle_clients, 0);
    const kept = [...keptUsed, byAdmin, suspended, usedLongAgo].map((c) => c.client_id).sort();
    assert.deepEqual(await clientIds(), kept, 'storage holds only the used, the admin\'s and the suspended client');
    for (const c of keptUsed) assert.equal((await authenticate(c)).status, 200);
    for (const c of removed.slice(0, 5)) {
      assert.equal((await asGet(c)).status, 404, 'the AS no longer finds it');
      assert.equal((await read(c)).status, 401, 'nor does its registrant');
    }

    // One event per removal, by the system, in the scheduled run.
    const events = (await db.prepare(
      "SELECT client_id, actor, request_id, detail FROM audit_events WHERE event = 'client_removed_unused' ORDER BY client_id",
    ).all()).results;
    assert.deepEqual(events.map((e) => e.client_id), removed.map((c) => c.client_id).sort());
    for (const e of events) {
      assert.equal(e.actor, 'system');
      assert.match(e.request_id, /^scheduled-\d+$/);
      assert.deepEqual(JSON.parse(e.detail), { unused_client_ttl: DAY });
    }

    // The next storm is removed the same way; the clients held stay bounded.
    for (let i = 0; i < 10; i++) await h.registerOk(MCP_CLIENT);
    await age(DAY + 60, 'last_used_at IS NULL');
    assert.equal((await scheduled()).unused_clients, 10);
    assert.deepEqual(await clientIds(), kept);
  });
});
