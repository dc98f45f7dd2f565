// Test harness: runs the BUILT Registrar worker (build/index.js + build/index_bg.wasm) in Miniflare,
// with a real local D1 database migrated by `wrangler d1 migrations apply --local`, the static
// assets router, and the [vars] of wrangler.toml (overridable per test).
//
//   import { start } from './harness.js';
//   const h = await start({ vars: { CORS_ALLOW_ORIGIN: 'https://app.example' } });
//   const res = await h.request('POST', '/register', { json: { redirect_uris: [...] } });
//   await h.dispose();
//
// Every instance started here is also disposed by a root-level `after` hook, so a failing test
// file never leaves workerd running (which would keep node alive).

import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { experimental_readRawConfig, unstable_readConfig } from 'wrangler';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD_DIR = path.join(ROOT, 'build');
const SCRIPT = path.join(BUILD_DIR, 'index.js');
const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');

const START_TIMEOUT_MS = 30_000;
const MIGRATE_TIMEOUT_MS = 60_000;

// wrangler.toml, read by wrangler's own parser so the tests see exactly what wrangler dev sees.
let configCache;
export function wranglerConfig() {
  configCache ??= experimental_readRawConfig({ config: path.join(ROOT, 'wrangler.toml') }).rawConfig;
  return configCache;
}

/**
 * One environment of wrangler.toml (`[env.NAME]`) as `wrangler --env NAME` resolves it: wrangler's
 * own reader (unstable_readConfig) applies its inheritance rules (vars, D1, KV and ratelimits are
 * not inherited; main, compatibility_date, [build], [assets], [triggers] are). Throws when the
 * file has no such environment (wrangler itself would only warn and use the top level).
 */
const envConfigCache = new Map();
export function wranglerEnvConfig(env) {
  if (!envConfigCache.has(env)) {
    const configPath = path.join(ROOT, 'wrangler.toml');
    const raw = experimental_readRawConfig({ config: configPath }).rawConfig;
    if (!raw.env || !Object.hasOwn(raw.env, env)) throw new Error(`wrangler.toml has no [env.${env}]`);
    envConfigCache.set(env, unstable_readConfig({ config: configPath, env }));
  }
  return envConfigCache.get(env);
}

function d1Config() {
  const cfg = wranglerConfig();
  const db = (cfg.d1_databases ?? []).find((d) => d.binding === 'DB');
  assert.ok(db, 'wrangler.toml has no [[d1_databases]] with binding "DB"');
  assert.ok(db.database_id && db.database_name, 'wrangler.toml D1 entry lacks database_id/database_name');
  return db;
}

// ---------------------------------------------------------------------------------------------
// Local D1 state: migrations applied by wrangler itself, into a temp persist dir.
// ---------------------------------------------------------------------------------------------

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${MIGRATE_TIMEOUT_MS} ms\n${out}`));
    }, MIGRATE_TIMEOUT_MS);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${out}`));
    });
  });
}

/** The directory (inside a persist dir) holding D1 state, as wrangler and Miniflare lay it out. */
function d1PersistPath(persistDir) {
  return path.join(persistDir, 'v3', 'd1');
}

let templatePromise;
/** Applies the migrations once per process into a template persist dir (wrangler, ~2 s). */
function migratedTemplate() {
  templatePromise ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-d1-template-'));
    tempDirs.add(dir);
    const { database_name } = d1Config();
    await run(WRANGLER, ['d1', 'migrations', 'apply', database_name, '--local', '--persist-to', dir], {
      cwd: ROOT,
      env: {
        ...process.env,
        CI: '1',
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        WRANGLER_LOG_PATH: path.join(dir, 'wrangler-logs'),
        NO_COLOR: '1',
      },
    });
    const sqlite = fs.readdirSync(path.join(d1PersistPath(dir), 'miniflare-D1DatabaseObject'))
      .filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
    assert.equal(sqlite.length, 1, `expected one D1 database file written by wrangler, found ${sqlite}`);
    return dir;
  })();
  return templatePromise;
}

const tempDirs = new Set();

/**
 * A fresh persist dir with the migrations applied (a copy of this process's wrangler-migrated
 * template). The caller owns it: pass it to start({ persistDir }) as often as needed and remove it
 * with removeState() (or leave it: it is removed when the test file ends).
 */
export async function createState() {
  const template = await migratedTemplate();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-d1-'));
  tempDirs.add(dir);
  fs.cpSync(path.join(template, 'v3'), path.join(dir, 'v3'), { recursive: true });
  return dir;
}

/** A fresh persist dir with nothing in it: D1 without the migrations. */
function emptyState() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-d1-empty-'));
  tempDirs.add(dir);
  return dir;
}

export function removeState(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// ---------------------------------------------------------------------------------------------
// Miniflare
// ---------------------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The [vars] of wrangler.toml (of `[env.<env>]` when `env` is given) with ISSUER (and the URLs in
 * AUTHORIZATION_SERVER_METADATA) moved to `issuer`.
 */
export function defaultVars(issuer, env) {
  const vars = { ...((env ? wranglerEnvConfig(env) : wranglerConfig()).vars ?? {}) };
  // wrangler.toml leaves ISSUER unset for local use; its example endpoints are on the dev origin.
  const configured = vars.ISSUER ?? 'http://127.0.0.1:8787';
  vars.ISSUER = issuer;
  if (typeof vars.AUTHORIZATION_SERVER_METADATA === 'string') {
    const meta = JSON.parse(vars.AUTHORIZATION_SERVER_METADATA);
    const rewrite = (v) => {
      if (typeof v === 'string') return configured && v.startsWith(configured) ? issuer + v.slice(configured.length) : v;
      if (Array.isArray(v)) return v.map(rewrite);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rewrite(x)]));
      return v;
    };
    vars.AUTHORIZATION_SERVER_METADATA = JSON.stringify(rewrite(meta), null, 2);
  }
  for (const [k, v] of Object.entries(vars)) {
    if (typeof v !== 'string') vars[k] = JSON.stringify(v);
  }
  return vars;
}

const live = new Set();

async function disposeAll() {
  const all = [...live];
  live.clear();
  await Promise.allSettled(all.map((h) => h.dispose()));
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Safety net: whatever a test file does, its instances die with it.
after(disposeAll);
process.once('beforeExit', () => { void disposeAll(); });

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

export function assertBuilt() {
  if (!fs.existsSync(SCRIPT)) {
    throw new Error(
      `${path.relative(ROOT, SCRIPT)} does not exist: build the worker first with \`sh scripts/build.sh\` ` +
        '(needs worker-build and wasm-bindgen-cli in ~/.cargo/bin), then rerun the tests.',
    );
  }
}

/**
 * Starts the built worker.
 * @param {object} [opts]
 * @param {Record<string,string>} [opts.vars] overrides of the [vars] (and REGISTRAR_HMAC_KEY)
 * @param {string} [opts.persistDir] a dir from createState(); default: a fresh one
 * @param {number} [opts.port] listen on this port (default: a free one)
 * @param {Record<string,{limit:number,period:number}>} [opts.ratelimits] overrides of [[ratelimits]]
 * @param {string} [opts.buildDir] another built Worker (index.js + index_bg.wasm) than build/, for
 *   bench/register-cpu.mjs
 * @param {boolean} [opts.assets] false: no static assets router in front of the Worker
 * @param {string} [opts.assetsDir] another static assets directory than wrangler.toml's
 * @param {boolean} [opts.unmigrated] an empty local D1 (no migrations applied)
 * @param {number} [opts.inspectorPort] expose the Worker's V8 inspector on this port (bench/isolate-profile.mjs)
 * @param {object} [opts.assetsConfig] another [assets] table than wrangler.toml's, for its
 *   `run_worker_first` (tests/worker/routing.test.js)
 * @param {string} [opts.env] run with the [vars], [[ratelimits]] and KV bindings of wrangler.toml's
 *   `[env.<env>]` (as wrangler resolves them) instead of the top level's. ISSUER is still the local
 *   origin, and D1 is still the local, migrated database of the top level's `DB`.
 * @param {Record<string,string>} [opts.kvNamespaces] more KV bindings of the Worker (binding → id);
 *   a Worker of opts.workers naming the same id shares the namespace
 * @param {(issuer: string) => object[]} [opts.workers] more Workers in the same Miniflare, on the
 *   same origin: a function of that origin returning Miniflare worker options, each with a `name`
 *   and the `routes` it serves (e.g. `*\/token*`). Registrar is then the Worker named "registrar",
 *   first in the list: it gets every request no route matches (through its static assets router,
 *   as without opts.workers), and the handle's D1/KV getters reach its bindings.
 */
/**
 * The assets router's configuration from wrangler.toml's [assets], as wrangler gives it to
 * Miniflare: `run_worker_first` (a list of path patterns) becomes `static_routing.user_worker`.
 * Negative patterns (`!/...`) are not used by Registrar and are refused here rather than ignored.
 */
export function routerConfig(assets) {
  const first = assets?.run_worker_first;
  if (first === undefined) return { has_user_worker: true };
  if (typeof first === 'boolean') return { has_user_worker: true, invoke_user_worker_ahead_of_assets: first };
  if (first.some((p) => !p.startsWith('/'))) throw new Error(`run_worker_first: only positive patterns are supported here: ${first}`);
  return { has_user_worker: true, static_routing: { user_worker: first } };
}

export async function start(opts = {}) {
  const buildDir = opts.buildDir ?? BUILD_DIR;
  if (opts.buildDir === undefined) assertBuilt();
  // opts.unmigrated: an empty local D1, as after a deploy whose migrations were not applied.
  const persistDir = opts.persistDir ?? (opts.unmigrated ? emptyState() : await createState());
  const cfg = opts.env ? wranglerEnvConfig(opts.env) : wranglerConfig();
  // The local D1 state is the one migrated from the top level's entry (createState).
  const { database_id } = d1Config();
  const assetsDir = path.resolve(ROOT, cfg.assets?.directory ?? 'static');
  if (!fs.existsSync(assetsDir)) throw new Error(`the static assets directory ${assetsDir} (wrangler.toml [assets]) does not exist`);

  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = opts.port ?? (await freePort());
    const issuer = `http://127.0.0.1:${port}`;
    const bindings = {
      ...defaultVars(issuer, opts.env),
      REGISTRAR_HMAC_KEY: randomBytes(32).toString('hex'),
      // REGISTRAR_TEST_BACKEND=kv runs a suite against the KV backend (scripts/test.sh does).
      ...(process.env.REGISTRAR_TEST_BACKEND ? { STORAGE_BACKEND: process.env.REGISTRAR_TEST_BACKEND } : {}),
      ...(opts.vars ?? {}),
    };
    // A var set to undefined in opts.vars is left out (a suite turning off one the others set).
    for (const [k, v] of Object.entries(bindings)) if (v === undefined) delete bindings[k];
    const logs = [];
    const shared = {
      // The worker's console output, kept for tests (h.logs); warnings and errors also go to stderr.
      handleStructuredLogs: ({ level, message }) => {
        logs.push({ level, message });
        if (level === 'error' || level === 'warn') process.stderr.write(`[worker ${level}] ${message}\n`);
      },
      host: '127.0.0.1',
      port,
      cf: false,
      ...(opts.inspectorPort ? { inspectorPort: opts.inspectorPort } : {}),
      kvPersist: path.join(persistDir, 'v3', 'kv'),
      d1Persist: d1PersistPath(persistDir),
    };
    const registrar = {
      modules: true,
      scriptPath: path.join(buildDir, 'index.js'),
      modulesRoot: buildDir,
      modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'], fallthrough: true }],
      ...(opts.inspectorPort ? { unsafeInspectorProxy: true } : {}),
      compatibilityDate: cfg.compatibility_date,
      compatibilityFlags: cfg.compatibility_flags ?? [],
      bindings,
      d1Databases: { DB: database_id },
      kvNamespaces: { ...Object.fromEntries((cfg.kv_namespaces ?? []).map((k) => [k.binding, k.id])), ...(opts.kvNamespaces ?? {}) },
      // wrangler.toml's [[ratelimits]], each overridable with opts.ratelimits[NAME] = { limit, period }.
      ratelimits: Object.fromEntries((cfg.ratelimits ?? []).map((r) => [r.name, { simple: opts.ratelimits?.[r.name] ?? r.simple }])),
      // The Worker's own fetch() calls (opts.outboundService: a function of the Request answering a
      // Response), so no test reaches the network (tests/cimd/).
      ...(opts.outboundService ? { outboundService: opts.outboundService } : {}),
      // Without the assets router (opts.assets === false) every request goes to the Worker, as
      // bench/as-api.mjs measures it: Cloudflare does not bill the asset lookup to the Worker.
      ...(opts.assets === false ? {} : {
        assets: {
          directory: opts.assetsDir ?? assetsDir,
          binding: cfg.assets?.binding ?? 'ASSETS',
          routerConfig: routerConfig(opts.assetsConfig ?? cfg.assets),
        },
      }),
    };
    const mf = new Miniflare(opts.workers
      ? { ...shared, workers: [{ name: 'registrar', ...registrar }, ...opts.workers(issuer)] }
      : { ...shared, ...registrar });
    let url;
    try {
      url = await withTimeout(mf.ready, START_TIMEOUT_MS, 'Miniflare start-up');
    } catch (e) {
      await mf.dispose().catch(() => {});
      lastError = e;
      if (opts.port === undefined && /EADDRINUSE|address already in use/i.test(String(e?.stack ?? e))) continue;
      throw e;
    }
    if (url.port !== String(port)) {
      await mf.dispose().catch(() => {});
      throw new Error(`Miniflare listens on ${url.href}, expected port ${port}`);
    }
    const h = makeHandle({ mf, url: `http://127.0.0.1:${port}`, issuer, bindings, persistDir, port, ownsState: !opts.persistDir, logs });
    live.add(h);
    // The worker's DB binding must see the migrated schema (not an empty database).
    if (opts.unmigrated) return h;
    try {
      const db = await mf.getD1Database('DB');
      const row = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'clients'").first();
      assert.ok(row, 'the migrated table "clients" is not visible through the DB binding');
    } catch (e) {
      await h.dispose();
      throw e;
    }
    return h;
  }
  throw lastError;
}

function makeHandle({ mf, url, issuer, bindings, persistDir, port, ownsState, logs }) {
  let disposed;
  const h = {
    mf,
    url,
    issuer,
    port,
    vars: bindings,
    persistDir,
    /** Everything the worker logged: [{ level, message }]. */
    logs,
    /**
     * The first log message from index `since` on that contains `text`, waiting for it up to 5 s:
     * lines come through workerd's log stream a moment after the response (later on a busy
     * machine). Undefined if none came.
     */
    async logLine(since, text) {
      const find = () => logs.slice(since).map((l) => l.message).find((m) => m.includes(text));
      for (let i = 0; i < 100 && !find(); i++) await new Promise((resolve) => { setTimeout(resolve, 50); });
      return find();
    },
    /** Raw fetch to a path (or absolute URL) of this worker. */
    fetch(p, init) {
      return fetch(new URL(p, url), init);
    },
    /**
     * A request with conveniences; resolves to { status, headers, text, body } where body is the
     * parsed JSON (undefined for an empty or non-JSON response). Every JSON body is checked to hold
     * no `null` anywhere.
     *   json: object to send as application/json; token: Bearer token; origin: Origin header
     */
    async request(method, p, { json, body, headers = {}, token, origin } = {}) {
      const hdrs = { ...headers };
      const has = (name) => Object.keys(hdrs).some((k) => k.toLowerCase() === name);
      if (json !== undefined) {
        body = typeof json === 'string' ? json : JSON.stringify(json);
        if (!has('content-type')) hdrs['content-type'] = 'application/json';
      }
      if (token !== undefined) hdrs.authorization = `Bearer ${token}`;
      if (origin !== undefined) hdrs.origin = origin;
      return httpRequest(new URL(p, url), { method, headers: hdrs, body });
    },
    register(meta, extra = {}) {
      return h.request('POST', '/register', { json: meta, ...extra });
    },
    /** Registers and asserts 201; returns the response body. */
    async registerOk(meta, extra = {}) {
      const r = await h.register(meta, extra);
      assert.equal(r.status, 201, `registration failed: ${r.status} ${r.text}`);
      return r.body;
    },
    clientPath(clientId) {
      return `/register/${encodeURIComponent(clientId)}`;
    },
    async d1() {
      return mf.getD1Database('DB');
    },
    async kv() {
      return mf.getKVNamespace('CLIENTS_KV');
    },
    /** Fires the worker's scheduled (cron) handler, as the [triggers] of wrangler.toml would. */
    async scheduled(cron = '17 3 * * *', scheduledTime = new Date()) {
      const worker = await mf.getWorker();
      return worker.scheduled({ cron, scheduledTime });
    },
    async dispose() {
      disposed ??= (async () => {
        live.delete(h);
        await mf.dispose().catch(() => {});
        if (ownsState) removeState(persistDir);
      })();
      return disposed;
    },
  };
  return h;
}

/**
 * One HTTP/1.1 request with node:http. By default on a fresh connection (agent: false): a
 * response sent before the worker read the whole request body can make workerd reset a kept-alive
 * connection, which would make unrelated later requests fail at random. Pass a keep-alive
 * `agent` to test connection reuse on purpose.
 * Resolves to { status, headers (a Headers), text, body (parsed JSON), socket, reused }.
 */
export function httpRequest(url, { method = 'GET', headers = {}, body, agent = false, chunked = false } = {}) {
  url = new URL(url);
  if (typeof body === 'string') body = Buffer.from(body);
  const hdrs = { ...headers };
  if (body !== undefined && !chunked && !Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-length')) {
    hdrs['content-length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, method, host: url.hostname, port: url.port, path: url.pathname + url.search, headers: hdrs });
    let socket;
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('socket', (s) => { socket = s; });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ ...parseResult(res.statusCode, h, text), socket, reused: req.reusedSocket });
        } catch (e) {
          reject(e);
        }
      });
    });
    if (body !== undefined) {
      if (chunked) for (let i = 0; i < body.length; i += 8192) req.write(body.subarray(i, i + 8192));
      else req.write(body);
    }
    req.end();
  });
}

function parseResult(status, headers, text) {
  let body;
  const ct = headers.get('content-type') ?? '';
  if (/^application\/(.+\+)?json\b/i.test(ct) && text !== '') {
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new Error(`${status} response claims ${ct} but is not JSON: ${text.slice(0, 200)}`);
    }
    assertNoNull(body, `${status} response body`);
  }
  return { status, headers, text, body };
}

/** Like httpRequest's result, from a fetch Response. */
export async function toResult(res) {
  return parseResult(res.status, res.headers, await res.text());
}

// ---------------------------------------------------------------------------------------------
// Assertions shared by the test files
// ---------------------------------------------------------------------------------------------

/** No `null` member (or element) anywhere in a JSON value. */
export function assertNoNull(value, where = 'body', p = '$') {
  if (value === null) assert.fail(`${where} contains null at ${p}`);
  if (Array.isArray(value)) value.forEach((v, k) => assertNoNull(v, where, `${p}[${k}]`));
  else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) assertNoNull(v, where, `${p}.${k}`);
}

export function assertJsonContentType(r) {
  const ct = r.headers.get('content-type') ?? '';
  assert.match(ct, /^application\/json\s*(;|$)/i, `Content-Type is ${JSON.stringify(ct)}, expected application/json`);
}

const METADATA_ERRORS = ['invalid_client_metadata', 'invalid_redirect_uri', 'invalid_software_statement'];

/**
 * An error response: status, JSON content type, body exactly { error, error_description }, and
 * for a metadata error about one member also `member`: the member the description starts with.
 */
export function assertError(r, status, code, descriptionPattern) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
  assertJsonContentType(r);
  assert.ok(r.body && typeof r.body === 'object' && !Array.isArray(r.body), `error body is not a JSON object: ${r.text}`);
  if (METADATA_ERRORS.includes(r.body.error) && 'member' in r.body) {
    assert.deepEqual(Object.keys(r.body).sort(), ['error', 'error_description', 'member'], `error body members: ${r.text}`);
    assert.ok(typeof r.body.member === 'string' && r.body.member.length > 0, `member: ${r.text}`);
    assert.ok(String(r.body.error_description).startsWith(`${r.body.member}: `),
      `member ${JSON.stringify(r.body.member)} is not what the description names: ${r.text}`);
  } else {
    assert.deepEqual(Object.keys(r.body).sort(), ['error', 'error_description'], `error body members: ${r.text}`);
  }
  assert.equal(r.body.error, code, `error code: ${r.text}`);
  assert.equal(typeof r.body.error_description, 'string');
  assert.ok(r.body.error_description.length > 0, 'error_description is empty');
  if (descriptionPattern !== undefined) {
    if (typeof descriptionPattern === 'string') {
      assert.ok(r.body.error_description.includes(descriptionPattern),
        `error_description ${JSON.stringify(r.body.error_description)} does not mention ${JSON.stringify(descriptionPattern)}`);
    } else {
      assert.match(r.body.error_description, descriptionPattern);
    }
  }
}

/** A 401 from the client configuration endpoint (RFC 6750 §3 + RFC 7592 §2). */
export function assertInvalidToken(r) {
  assertError(r, 401, 'invalid_token');
  const wa = r.headers.get('www-authenticate') ?? '';
  assert.match(wa, /\bBearer\b/, `WWW-Authenticate is ${JSON.stringify(wa)}`);
  assert.match(wa, /error="invalid_token"/, `WWW-Authenticate is ${JSON.stringify(wa)}`);
}

export function assertNoStore(r) {
  const cc = r.headers.get('cache-control') ?? '';
  assert.ok(cc.split(',').map((s) => s.trim().toLowerCase()).includes('no-store'), `Cache-Control is ${JSON.stringify(cc)}`);
  assert.equal((r.headers.get('pragma') ?? '').toLowerCase(), 'no-cache', 'Pragma');
}

/** A copy of obj without the given members. */
export function without(obj, ...keys) {
  const copy = { ...obj };
  for (const k of keys) delete copy[k];
  return copy;
}

/** The members of a list header (Allow, Access-Control-Allow-Methods, ...), lower-cased. */
export function headerList(r, name) {
  return (r.headers.get(name) ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}
