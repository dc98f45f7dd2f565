// Data safety under concurrency (D1 backend, the built worker in Miniflare with a real local D1):
//  1. 1,000 registrations, 50 in flight: 1,000 distinct clients, no 5xx, each readable afterwards
//     with its registration access token and the metadata it was registered with.
//  2. Concurrent PUTs with one token: exactly one wins, the others get 401; no lost update; exactly
//     one valid token afterwards (the winner's).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, assertInvalidToken, without } from '../worker/harness.js';

const REGISTRATIONS = 1000;
const IN_FLIGHT = 50;
const LOAD_DEADLINE_MS = 60_000;
// Members of a client information response a PUT must not carry (RFC 7592 §2.2).
const SERVER_ONLY = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

let h;
async function worker() {
  // STORAGE_BACKEND pinned: this suite is about the D1 backend whatever REGISTRAR_TEST_BACKEND says.
  h ??= await start({ vars: { STORAGE_BACKEND: 'd1' } });
  return h;
}
after(async () => { await h?.dispose(); });

/**
 * Runs fn(0..n-1) with at most `concurrency` calls in flight; stops starting new calls after
 * `deadline` (ms since epoch). Resolves to { results, started, maxInFlight } (results[i] is the
 * value or { error }).
 */
async function pool(n, concurrency, deadline, fn) {
  const results = new Array(n);
  let next = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  async function lane() {
    while (next < n && Date.now() < deadline) {
      const i = next++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        results[i] = await fn(i);
      } catch (error) {
        results[i] = { error };
      } finally {
        inFlight--;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { results, started: next, maxInFlight };
}

/** Registration metadata of client i: four kinds of clients, every one distinct. */
function metadataFor(i) {
  switch (i % 4) {
    case 0:
      return { client_name: `web client ${i}`, redirect_uris: [`https://app${i}.example/cb`, `https://app${i}.example/cb2`], scope: 'openid profile' };
    case 1:
      return {
        client_name: `native client ${i}`,
        redirect_uris: [`http://127.0.0.1:${10000 + i}/callback`],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'openid offline_access',
      };
    case 2:
      return {
        client_name: `post client ${i}`,
        'client_name#fr': `client n° ${i}`,
        redirect_uris: [`https://post${i}.example/cb`],
        token_endpoint_auth_method: 'client_secret_post',
        contacts: [`ops${i}@example.com`],
      };
    default:
      return { client_name: `service ${i}`, grant_types: ['client_credentials'], scope: 'email' };
  }
}

function statusCounts(results) {
  const counts = {};
  for (const r of results) {
    const key = r === undefined ? 'not started' : r.error ? `error: ${r.error.code ?? r.error.message}` : r.status;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

test(`${REGISTRATIONS} registrations, ${IN_FLIGHT} in flight: all stored, distinct, readable`, { timeout: 90_000 }, async (t) => {
  const h = await worker();
  const db = await h.d1();
  const before = (await db.prepare('SELECT COUNT(*) AS n FROM clients').first()).n;
  // One deadline for registering and reading back: the load stops starting requests after it.
  const deadline = Date.now() + LOAD_DEADLINE_MS;

  const t0 = performance.now();
  const reg = await pool(REGISTRATIONS, IN_FLIGHT, deadline, (i) => h.register(metadataFor(i)));
  const registerMs = performance.now() - t0;
  t.diagnostic(`POST /register x${REGISTRATIONS}: ${Math.round(registerMs)} ms (${Math.round(REGISTRATIONS / (registerMs / 1000))} req/s), max in flight ${reg.maxInFlight}, statuses ${JSON.stringify(statusCounts(reg.results))}`);
  assert.equal(reg.started, REGISTRATIONS, `only ${reg.started} registrations started within ${LOAD_DEADLINE_MS} ms`);
  assert.equal(reg.maxInFlight, IN_FLIGHT, 'the load never reached the intended concurrency');
  const fiveXX = reg.results.filter((r) => r.status >= 500);
  assert.deepEqual(fiveXX.map((r) => `${r.status} ${r.text}`), [], 'no registration may answer 5xx');
  const failed = reg.results.map((r, i) => [i, r]).filter(([, r]) => r.status !== 201);
  assert.deepEqual(failed.map(([i, r]) => `#${i}: ${r.error ?? `${r.status} ${r.text}`}`), [], 'every registration answers 201');

  const ids = reg.results.map((r) => r.body.client_id);
  assert.equal(new Set(ids).size, REGISTRATIONS, 'client_ids are distinct');
  assert.equal(new Set(reg.results.map((r) => r.body.registration_access_token)).size, REGISTRATIONS, 'tokens are distinct');
  reg.results.forEach((r, i) => {
    assert.equal(r.body.client_name, metadataFor(i).client_name, `#${i} echoes its own metadata`);
  });

  const t1 = performance.now();
  const read = await pool(REGISTRATIONS, IN_FLIGHT, deadline, (i) =>
    h.request('GET', h.clientPath(ids[i]), { token: reg.results[i].body.registration_access_token }));
  const readMs = performance.now() - t1;
  t.diagnostic(`GET /register/{id} x${REGISTRATIONS}: ${Math.round(readMs)} ms, statuses ${JSON.stringify(statusCounts(read.results))}`);
  assert.equal(read.started, REGISTRATIONS, `only ${read.started} reads started within ${LOAD_DEADLINE_MS} ms`);
  const bad = [];
  read.results.forEach((r, i) => {
    if (r.status !== 200) bad.push(`#${i} ${ids[i]}: ${r.error ?? `${r.status} ${r.text}`}`);
  });
  assert.deepEqual(bad, [], 'every registered client is readable with its token');
  read.results.forEach((r, i) => {
    assert.deepEqual(r.body, without(reg.results[i].body, 'client_secret'), `#${i} ${ids[i]} reads back as registered`);
  });

  // The database agrees: exactly these rows, each with its registration event.
  const rows = await db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT registration_token_hash) AS tokens FROM clients').first();
  assert.equal(rows.n - before, REGISTRATIONS, 'clients rows added');
  assert.equal(rows.tokens, rows.n, 'each client has its own token hash');
  const events = await db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT client_id) AS ids FROM audit_events WHERE event = 'client_registered'").first();
  assert.equal(events.n, rows.n, 'one client_registered event per client');
  assert.equal(events.ids, rows.n, 'client_registered events name distinct clients');
});

test('concurrent PUTs with the same token: one winner, no lost update, one valid token', { timeout: 60_000 }, async (t) => {
  const h = await worker();
  const db = await h.d1();
  const WRITERS = 20;
  const READERS = 5;
  const ROUNDS = 5;
  const registered = await h.registerOk({ client_name: 'contended', redirect_uris: ['https://contended.example/cb'], scope: 'openid email' });
  const id = registered.client_id;
  const base = without(registered, 'client_secret', ...SERVER_ONLY);
  let token = registered.registration_access_token;
  let current = without(registered, 'client_secret');
  const spent = [];

  for (let round = 1; round <= ROUNDS; round++) {
    const names = Array.from({ length: WRITERS }, (_, k) => `round ${round} writer ${k}`);
    const puts = names.map((client_name) => h.request('PUT', h.clientPath(id), { token, json: { ...base, client_name } }));
    // Readers with the same token race the writers: each sees the old registration or is refused.
    const gets = Array.from({ length: READERS }, () => h.request('GET', h.clientPath(id), { token }));
    const [putResults, getResults] = await Promise.all([Promise.all(puts), Promise.all(gets)]);

    const statuses = putResults.map((r) => r.status);
    t.diagnostic(`round ${round}: PUT statuses ${JSON.stringify(statusCounts(putResults))}, GET statuses ${JSON.stringify(statusCounts(getResults))}`);
    const winners = putResults.map((r, k) => [k, r]).filter(([, r]) => r.status === 200);
    assert.equal(winners.length, 1, `round ${round}: exactly one PUT succeeds, got statuses ${statuses}`);
    for (const [k, r] of putResults.entries()) {
      if (r.status !== 200) assertInvalidToken(r);
    }
    const [k, won] = winners[0];
    assert.equal(won.body.client_name, names[k], 'the winner gets its own update back');
    assert.notEqual(won.body.registration_access_token, token, 'the token rotated');
    for (const r of getResults) {
      if (r.status === 200) assert.deepEqual(r.body, current, `round ${round}: a read with the old token sees the old registration`);
      else assertInvalidToken(r);
    }

    spent.push(token);
    token = won.body.registration_access_token;
    const read = await h.request('GET', h.clientPath(id), { token });
    assert.equal(read.status, 200, `the winner's token reads: ${read.text}`);
    assert.equal(read.body.client_name, names[k], 'no lost update: the stored name is the winner\'s');
    assert.deepEqual(read.body, without(won.body, 'client_secret'), 'the stored registration is the winner\'s response');
    current = read.body;
    for (const old of spent) {
      assertInvalidToken(await h.request('GET', h.clientPath(id), { token: old }));
    }
  }

  // A spent token can change nothing either; the current one still can.
  assertInvalidToken(await h.request('PUT', h.clientPath(id), { token: spent.at(-1), json: { ...base, client_name: 'stale writer' } }));
  assertInvalidToken(await h.request('DELETE', h.clientPath(id), { token: spent.at(-1) }));
  const still = await h.request('GET', h.clientPath(id), { token });
  assert.equal(still.status, 200);
  assert.deepEqual(still.body, current, 'stale writes changed nothing');

  const updates = await db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE client_id = ?1 AND event = 'client_updated'").bind(id).first();
  assert.equal(updates.n, ROUNDS, 'one client_updated event per successful PUT, none for the refused ones');

  // PUTs racing a DELETE with the same token: one of them wins, the rest are refused.
  const ops = [
    ...Array.from({ length: 10 }, (_, k) => h.request('PUT', h.clientPath(id), { token, json: { ...base, client_name: `last ${k}` } })),
    h.request('DELETE', h.clientPath(id), { token }),
    ...Array.from({ length: 9 }, (_, k) => h.request('PUT', h.clientPath(id), { token, json: { ...base, client_name: `later ${k}` } })),
  ];
  const results = await Promise.all(ops);
  const deleteResult = results[10];
  const okPuts = results.filter((r, i) => i !== 10 && r.status === 200);
  t.diagnostic(`PUT/DELETE race: DELETE ${deleteResult.status}, PUT 200 x${okPuts.length}`);
  results.forEach((r, i) => { if (![200, 204].includes(r.status)) assertInvalidToken(r); });
  const row = await db.prepare('SELECT metadata FROM clients WHERE client_id = ?1').bind(id).first();
  if (deleteResult.status === 204) {
    assert.equal(okPuts.length, 0, 'a PUT and the DELETE cannot both win');
    assert.equal(row, null, 'the client is gone');
    assertInvalidToken(await h.request('GET', h.clientPath(id), { token }));
  } else {
    assertInvalidToken(deleteResult);
    assert.equal(okPuts.length, 1, 'exactly one PUT wins when the DELETE loses');
    assert.equal(JSON.parse(row.metadata).client_name, okPuts[0].body.client_name);
    const read = await h.request('GET', h.clientPath(id), { token: okPuts[0].body.registration_access_token });
    assert.equal(read.status, 200);
    assert.equal(read.body.client_name, okPuts[0].body.client_name);
  }
});

// With ROTATE_REGISTRATION_ACCESS_TOKEN=false the token stays valid, so a PUT that starts after
// another finished legitimately updates on top of it. What must hold is no lost update: the
// compare-and-set also checks the client's version (migrations/0003), so every 200 is an update
// applied on top of the one before (version and audit count equal the number of 200s), PUTs
// that read the same state lose with 401, and the stored name is one that was acknowledged.
test('concurrent PUTs without token rotation: no lost update', { timeout: 60_000 }, async (t) => {
  const h2 = await start({ vars: { STORAGE_BACKEND: 'd1', ROTATE_REGISTRATION_ACCESS_TOKEN: 'false' } });
  try {
    const r = await h2.registerOk({ client_name: 'no rotation', redirect_uris: ['https://norotate.example/cb'] });
    const base = without(r, 'client_secret', ...SERVER_ONLY);
    const names = Array.from({ length: 20 }, (_, k) => `writer ${k}`);
    const results = await Promise.all(names.map((client_name) =>
      h2.request('PUT', h2.clientPath(r.client_id), { token: r.registration_access_token, json: { ...base, client_name } })));
    t.diagnostic(`PUT statuses without rotation: ${JSON.stringify(statusCounts(results))}`);
    const winners = results.filter((x) => x.status === 200);
    assert.ok(winners.length >= 1, 'at least one PUT succeeds');
    assert.ok(results.every((x) => x.status === 200 || x.status === 401), JSON.stringify(statusCounts(results)));
    assert.ok(winners.length < names.length, 'PUTs that read the same state cannot all win');
    const db = await h2.d1();
    const row = await db.prepare('SELECT version FROM clients WHERE client_id = ?1').bind(r.client_id).first();
    assert.equal(row.version, winners.length, 'every acknowledged PUT was applied on top of the previous one');
    const events = await db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE client_id = ?1 AND event = 'client_updated'").bind(r.client_id).first();
    assert.equal(events.n, winners.length);
    const read = await h2.request('GET', h2.clientPath(r.client_id), { token: r.registration_access_token });
    assert.ok(winners.some((w) => w.body.client_name === read.body.client_name), 'the stored name is one that was acknowledged');
  } finally {
    await h2.dispose();
  }
});
