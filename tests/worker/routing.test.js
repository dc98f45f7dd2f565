// Which requests reach the Worker and which the static assets: wrangler.toml's
// `run_worker_first` sends every API path to the Worker before any asset lookup, so a file in
// static/ named like an endpoint cannot answer in its place (and an API request costs no lookup).
// The assets directory here is a copy of static/ with such files added.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { start, wranglerConfig, ROOT } from './harness.js';

const SHADOW = 'SHADOW ASSET';
// Files that would answer for an endpoint if the asset lookup came first.
const SHADOWS = [
  'register/index.html', // GET /register (html_handling serves a directory's index.html)
  'register/some-client', // GET /register/{id}
  '.well-known/oauth-authorization-server',
  '.well-known/openid-configuration',
  'admin/clients',
  'as/v1/clients/some-client',
  'metadata/validate',
];

let dir;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-assets-'));
  fs.cpSync(path.join(ROOT, wranglerConfig().assets.directory), dir, { recursive: true });
  for (const f of [...SHADOWS, 'not-an-endpoint.txt']) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), SHADOW);
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('run_worker_first: API paths reach the Worker before any asset', { timeout: 120_000 }, () => {
  let h;
  before(async () => { h = await start({ assetsDir: dir }); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('wrangler.toml lists every API prefix', () => {
    const first = wranglerConfig().assets.run_worker_first;
    for (const p of ['/register', '/register/*', '/.well-known/*', '/admin/*', '/as/*', '/metadata/*']) {
      assert.ok(first.includes(p), `run_worker_first lacks ${p}: ${first}`);
    }
  });

  it('each endpoint answers from the Worker, not from the file named like it', async () => {
    const cases = [
      ['GET', '/register', 405],
      ['GET', '/register/some-client', 401],
      ['GET', '/.well-known/oauth-authorization-server', 200],
      ['GET', '/.well-known/openid-configuration', 200],
      ['GET', '/admin/clients', 404], // no ADMIN_TOKEN: the Worker's "admin API is disabled"
      ['GET', '/as/v1/clients/some-client', 404],
      ['GET', '/metadata/validate', 404],
    ];
    for (const [method, p, status] of cases) {
      const r = await h.request(method, p);
      assert.ok(!r.text.includes(SHADOW), `${method} ${p} was answered by the asset`);
      assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `${method} ${p}`);
    }
    const reg = await h.register({ redirect_uris: ['https://app.example/cb'] });
    assert.equal(reg.status, 201, reg.text);
  });

  it('other paths are still assets: the dashboard, /openapi.json and any other file', async () => {
    const other = await h.request('GET', '/not-an-endpoint.txt');
    assert.equal(other.text, SHADOW);
    const page = await h.request('GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    const api = await h.request('GET', '/openapi.json');
    assert.equal(api.status, 200);
    assert.equal(api.body.openapi.split('.')[0], '3');
  });
});

describe('without run_worker_first the same files would shadow the API', { timeout: 120_000 }, () => {
  let h;
  before(async () => {
    const { run_worker_first: _, ...assets } = wranglerConfig().assets;
    h = await start({ assetsDir: dir, assetsConfig: assets });
  }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('the asset answers GET /.well-known/oauth-authorization-server and GET /admin/clients', async () => {
    for (const p of ['/.well-known/oauth-authorization-server', '/admin/clients']) {
      const r = await h.request('GET', p);
      assert.equal(r.text, SHADOW, p);
    }
  });
});
