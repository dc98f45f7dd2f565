// The store contract on the built Worker (issue 15, item 2): every case of cases.json, through
// the same HTTP and admin API requests as tests/store_contract.rs makes on the in-memory store.
// tests/worker/store-contract.test.js runs it on D1, tests/kv/store-contract.test.js on KV;
// cases.json's `about` says what a case and its steps are.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start, ROOT } from '../worker/harness.js';
import { dashboardHeaders } from './session.js';

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cases.json');
export const CONTRACT = JSON.parse(fs.readFileSync(FILE, 'utf8'));
export const BACKENDS = ['memory', 'd1', 'kv'];
/** The build features a case may need (`needs`); the host (memory) has them all. */
const FEATURES = ['signin'];

/** The features of the Worker in build/ (line 1 of build/.features, scripts/build.sh). */
export function builtFeatures() {
  const stamp = path.join(ROOT, 'build', '.features');
  return fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').split('\n')[0].split(/\s+/).filter(Boolean) : [];
}

/**
 * Runs every case that applies to `backend` ('d1' or 'kv'), one Worker each; `vars` are added.
 * A case that does not apply (`not_on`, with the reason: a D1-only feature) is not a test here.
 * A case that `needs` a build feature the Worker in build/ lacks is not a test here either: the
 * suite of that build runs it (tests/signin/store-contract.test.js on the signin build, D1 or KV;
 * scripts/test.sh runs both), so no run of the test command reports a case as skipped.
 * `only`: the build feature whose cases alone are run (and which the build must have).
 */
export function contractSuite(backend, vars = {}, { only } = {}) {
  assert.ok(BACKENDS.includes(backend), backend);
  const built = builtFeatures();
  if (only) assert.ok(built.includes(only), `build/ is no ${only} build (REGISTRAR_FEATURES="${only}" sh scripts/build.sh)`);
  describe(`store contract on ${backend} (tests/store-contract/cases.json)${only ? `, the cases that need ${only}` : ''}`, { timeout: 600_000 }, () => {
    const open = new Set();
    after(async () => { await Promise.allSettled([...open].map((h) => h.dispose())); });
    for (const c of CONTRACT.cases) {
      for (const b of Object.keys(c.not_on ?? {})) assert.ok(BACKENDS.includes(b), `${c.name}: not_on names ${b}`);
      for (const f of c.needs ?? []) assert.ok(FEATURES.includes(f), `${c.name}: needs names ${f}`);
      if (c.not_on?.[backend]) continue;
      if (only && !(c.needs ?? []).includes(only)) continue;
      if ((c.needs ?? []).some((f) => !built.includes(f))) continue;
      it(c.name, async () => {
        const h = await start({ vars: { ...CONTRACT.vars, ...(c.vars ?? {}), ...vars } });
        open.add(h);
        try {
          const run = new Run(h, backend);
          for (const [i, step] of c.steps.entries()) {
            try {
              await run.step(step);
            } catch (e) {
              e.message = `step ${i} ${JSON.stringify(step)}: ${e.message}`;
              throw e;
            }
          }
        } finally {
          open.delete(h);
          await h.dispose();
        }
      });
    }
  });
}

class Run {
  constructor(h, backend) {
    this.h = h;
    this.backend = backend;
    this.admin = CONTRACT.vars.ADMIN_TOKEN;
    this.labels = new Map(); // label → { id, token }
  }

  /**
   * A request with the admin token, or as `person` signed in to the dashboard when one is named
   * (a sealed session, session.js).
   */
  as(person, method, target, json) {
    if (person === undefined) return this.h.request(method, target, { token: this.admin, json });
    return this.h.request(method, target, { json, headers: dashboardHeaders(this.h, person, method) });
  }

  /** `{label}` → its id, `{label:N}` → the id's first N characters. */
  fill(s) {
    return s.replace(/\{([^{}:]+)(?::(\d+))?\}/g, (m, name, n) => {
      const l = this.labels.get(name);
      if (!l) return m;
      return n === undefined ? l.id : l.id.slice(0, Number(n));
    });
  }

  fillJson(v) {
    if (typeof v === 'string') return this.fill(v);
    if (Array.isArray(v)) return v.map((x) => this.fillJson(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.fillJson(x)]));
    return v;
  }

  label(name) {
    const l = this.labels.get(name);
    assert.ok(l, `no label ${name}`);
    return l;
  }

  async step(step) {
    const h = this.h;
    let r;
    if (step.register) {
      const token = step.token === 'admin' ? this.admin : step.token ? this.label(step.token).token : undefined;
      r = await h.request('POST', '/register', { json: step.register, token });
      status(step, r, 201);
      if (step.as) this.labels.set(step.as, { id: r.body?.client_id, token: r.body?.registration_access_token });
    } else if (step.read) {
      const l = this.label(step.read);
      r = await h.request('GET', h.clientPath(l.id), { token: l.token });
      status(step, r, 200);
    } else if (step.update) {
      const l = this.label(step.update);
      r = await h.request('PUT', h.clientPath(l.id), { token: l.token, json: { ...this.fillJson(step.json), client_id: l.id } });
      status(step, r, 200);
      if (r.body?.registration_access_token) l.token = r.body.registration_access_token;
    } else if (step.delete) {
      const l = this.label(step.delete);
      r = await h.request('DELETE', h.clientPath(l.id), { token: l.token });
      status(step, r, 204);
    } else if (step.admin) {
      const [method, target] = step.admin.split(' ');
      const json = step.json === undefined ? undefined : this.fillJson(step.json);
      r = await h.request(method, this.fill(target), { token: this.admin, json });
      status(step, r, 200);
      if (step.as) this.labels.set(step.as, { id: r.body?.id, token: r.body?.token });
      if (step.token_for) this.label(step.token_for).token = r.body.registration_access_token;
    } else if (step.dashboard) {
      assert.ok(step.person, 'dashboard: a person');
      const [method, target] = step.dashboard.split(' ');
      const json = step.json === undefined ? undefined : this.fillJson(step.json);
      r = await this.as(step.person, method, this.fill(target), json);
      status(step, r, 200);
      if (step.as) this.labels.set(step.as, { id: r.body?.client_id, token: r.body?.registration_access_token });
    } else if (step.claim) {
      assert.ok(step.person, 'claim: a person');
      const l = this.label(step.claim);
      const token = (step.token ? this.label(step.token) : l).token;
      r = await this.as(step.person, 'POST', '/dashboard/claim', { client_id: l.id, registration_access_token: token });
      status(step, r, 200);
    } else if (step.walk) {
      return this.walk(step, this.fill(step.walk));
    } else if (step.age !== undefined) {
      return this.age(step.age);
    } else if (step.cleanup) {
      const counts = await this.cleanup();
      assertSubset(counts, step.cleanup, 'cleanup');
      return;
    } else {
      throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
    this.check(step, r.body);
  }

  async walk(step, p) {
    const items = [];
    let pages = 0;
    let cursor;
    for (;;) {
      const target = cursor ? `${p}&cursor=${cursor}` : p;
      const r = await this.as(step.person, 'GET', target);
      assert.equal(r.status, 200, `${target}: ${r.text}`);
      pages++;
      const list = ['clients', 'events', 'initial_access_tokens'].map((k) => r.body[k]).find(Array.isArray);
      assert.ok(list, `${target}: no list in ${r.text}`);
      items.push(...list);
      cursor = r.body.next_cursor;
      if (!cursor) break;
      assert.ok(pages < 100, `${p}: no end`);
    }
    if (step.pages !== undefined) assert.equal(pages, step.pages, `${p}: pages`);
    if (step.count !== undefined) assert.equal(items.length, step.count, `${p}: items`);
    if (step.order === 'newest_first') newestFirst(items, p);
    if (step.clients) this.checkClients(step, { clients: items });
    else if (step.events) checkEvents(step, { events: items });
  }

  check(step, body) {
    if (step.error) assert.equal(body?.error, step.error, `error code: ${JSON.stringify(body)}`);
    if (step.expect) assertSubset(body, this.fillJson(step.expect), JSON.stringify(step));
    if (step.clients) this.checkClients(step, body);
    if (step.events) checkEvents(step, body);
  }

  checkClients(step, body) {
    assert.ok(Array.isArray(body?.clients), `no clients in ${JSON.stringify(body)}`);
    const names = new Map([...this.labels].map(([k, l]) => [l.id, k]));
    const got = body.clients.map((c) => names.get(c.client_id) ?? c.client_id).sort();
    assert.deepEqual(got, [...step.clients].sort(), 'clients');
  }

  /** Moves every stored time `seconds` into the past. */
  async age(seconds) {
    const s = Number(seconds);
    if (this.backend === 'kv') return this.ageKv(s);
    const db = await this.h.d1();
    await db.batch([
      db.prepare('UPDATE clients SET client_id_issued_at = client_id_issued_at - ?1, updated_at = updated_at - ?1, ' +
        'last_read_at = last_read_at - ?1, last_used_at = last_used_at - ?1').bind(s),
      db.prepare('UPDATE initial_access_tokens SET created_at = created_at - ?1, expires_at = expires_at - ?1, ' +
        'revoked_at = revoked_at - ?1').bind(s),
    ]);
  }

  /**
   * On KV: the client records' times, their age/ listing keys and owner/ index keys (which hold
   * the issue time) and the used/ markers (the time of the last use). Initial access tokens are not moved: KV expires them
   * by itself (a case that needs an expired token is not_on KV).
   */
  async ageKv(s) {
    const ns = await this.h.kv();
    const INVERT = 9_999_999_999_999_999n;
    const keys = async (prefix) => {
      const out = [];
      let cursor;
      do {
        const page = await ns.list({ prefix, cursor });
        out.push(...page.keys);
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return out;
    };
    const inverted = (t) => String(INVERT - BigInt(t)).padStart(16, '0');
    for (const k of await keys('age/')) {
      const id = k.name.split('/').slice(2).join('/');
      const record = JSON.parse(await ns.get(`client/${id}`));
      const owned = record.owner && `owner/${record.owner}/${inverted(record.client_id_issued_at)}/${id}`;
      record.client_id_issued_at -= s;
      record.updated_at -= s;
      await ns.put(`client/${id}`, JSON.stringify(record));
      await ns.delete(k.name);
      await ns.put(`age/${inverted(record.client_id_issued_at)}/${id}`, '');
      if (owned) {
        assert.ok(await ns.get(owned) !== null, `${owned}: the owned client's index entry`);
        await ns.delete(owned);
        await ns.put(`owner/${record.owner}/${inverted(record.client_id_issued_at)}/${id}`, '');
      }
    }
    for (const k of await keys('used/')) await ns.put(k.name, String(Number(await ns.get(k.name)) - s));
  }

  /** The scheduled clean-up's counts, from its log line. */
  async cleanup() {
    const before = this.h.logs.length;
    await this.h.scheduled();
    const line = await this.h.logLine(before, '"scheduled":"cleanup"');
    assert.ok(line, 'the scheduled job logs its line');
    const counts = JSON.parse(line);
    assert.equal(counts.error, undefined, line);
    return counts;
  }
}

/** Clients by `client_id_issued_at` descending, then `client_id` descending (D1's order). */
function newestFirst(items, at) {
  const key = (c) => [c.client_id_issued_at, c.client_id];
  for (let i = 1; i < items.length; i++) {
    const [[t0, id0], [t1, id1]] = [key(items[i - 1]), key(items[i])];
    assert.ok(t0 > t1 || (t0 === t1 && id0 > id1), `${at}: ${id0}@${t0} is not listed before ${id1}@${t1}`);
  }
}

function status(step, r, fallback) {
  assert.equal(r.status, step.status ?? fallback, `status: ${r.text}`);
}

function checkEvents(step, body) {
  assert.ok(Array.isArray(body?.events), `no events in ${JSON.stringify(body)}`);
  assert.deepEqual(body.events.map((e) => e.event).sort(), [...step.events].sort(), 'events');
}

/** Objects by member, arrays item by item (and of equal length), anything else equal. */
function assertSubset(got, want, at) {
  if (want && typeof want === 'object' && !Array.isArray(want)) {
    assert.ok(got && typeof got === 'object', `${at}: ${JSON.stringify(got)} is no object`);
    for (const [k, v] of Object.entries(want)) {
      assert.ok(Object.hasOwn(got, k), `${at}: no member ${k} in ${JSON.stringify(got)}`);
      assertSubset(got[k], v, at);
    }
  } else if (Array.isArray(want)) {
    assert.ok(Array.isArray(got) && got.length === want.length, `${at}: ${JSON.stringify(got)} against ${JSON.stringify(want)}`);
    want.forEach((w, i) => assertSubset(got[i], w, at));
  } else {
    assert.deepEqual(got, want, at);
  }
}
