// Harness of the end-to-end suite: Registrar's built Worker (build/, with the `projection`
// feature) and a real authorization server (as-worker.js, OAuthProvider of
// @cloudflare/workers-oauth-provider) in ONE Miniflare, on ONE origin, sharing one KV namespace
// bound as OAUTH_KV in both, with Registrar's local D1 migrated by wrangler as in
// tests/worker/harness.js (whose start() this reuses).
//
// Routing, as a production zone would have it: Miniflare routes send /authorize, /token, /api/
// and /.well-known/oauth-protected-resource to the AS Worker; everything else (/register*, the
// discovery documents, /as/, /admin/, the dashboard and its static files) goes to Registrar,
// the first Worker, through its static assets router. Registrar's AUTHORIZATION_SERVER_METADATA
// names the AS endpoints on that origin, so a client discovers everything from Registrar's
// /.well-known/oauth-authorization-server.
//
// The AS reaches Registrar's AS API (/as/v1/) through a Service Binding (REGISTRAR) with the
// AS_API_TOKEN both share.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { start, ROOT, wranglerConfig } from '../worker/harness.js';

export const AS_ROUTES = ['/authorize', '/token', '/api/', '/.well-known/oauth-protected-resource'];
const KV_ID = 'oauth-kv';

let bundlePromise;
/** as-worker.js and the pinned library bundled into one module, as wrangler would (esbuild). */
function bundle() {
  bundlePromise ??= (async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-as-'));
    const outfile = path.join(out, 'as-worker.mjs');
    await build({
      entryPoints: [path.join(ROOT, 'tests', 'as', 'as-worker.js')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      external: ['cloudflare:*'],
      logLevel: 'silent',
    });
    process.once('exit', () => fs.rmSync(out, { recursive: true, force: true }));
    return outfile;
  })();
  return bundlePromise;
}

/**
 * Starts Registrar + the AS. Returns the tests/worker harness handle (h.request, h.registerOk,
 * h.d1(), h.dispose(), ...) with more members:
 *   h.adminToken, h.asApiToken   the operator tokens Registrar was started with
 *   h.oauthKv()                  the shared OAUTH_KV namespace (KVNamespace proxy)
 * @param {object} [opts]
 * @param {Record<string,string>} [opts.vars] more Registrar [vars]
 * @param {boolean} [opts.serviceBinding=true] give the AS the REGISTRAR binding + AS_API_TOKEN
 */
export async function startWithAs(opts = {}) {
  const script = await bundle();
  const adminToken = randomBytes(24).toString('base64url');
  const asApiToken = randomBytes(24).toString('base64url');
  const serviceBinding = opts.serviceBinding ?? true;
  let asIssuer;
  const h = await start({
    vars: {
      ADMIN_TOKEN: adminToken,
      AS_API_TOKEN: asApiToken,
      PROJECT_CLIENTS: 'workers-oauth-provider',
      ...(opts.vars ?? {}),
    },
    kvNamespaces: { OAUTH_KV: KV_ID },
    workers: (issuer) => {
      asIssuer = issuer;
      return [{
        name: 'as',
        modules: true,
        scriptPath: script,
        modulesRoot: path.dirname(script),
        compatibilityDate: wranglerConfig().compatibility_date,
        // The library warns at start-up without it (it is what it needs for CIMD, unused here).
        compatibilityFlags: ['global_fetch_strictly_public'],
        routes: AS_ROUTES.map((p) => `*${p}*`),
        kvNamespaces: { OAUTH_KV: KV_ID },
        bindings: { ISSUER: issuer, ...(serviceBinding ? { AS_API_TOKEN: asApiToken } : {}) },
        ...(serviceBinding ? { serviceBindings: { REGISTRAR: 'registrar' } } : {}),
      }];
    },
  });
  // Registrar's discovery names the AS endpoints on this origin (defaultVars rewrote the
  // wrangler.toml example, which points at /authorize and /token of the dev origin).
  const meta = JSON.parse(h.vars.AUTHORIZATION_SERVER_METADATA);
  if (meta.authorization_endpoint !== `${asIssuer}/authorize` || meta.token_endpoint !== `${asIssuer}/token`) {
    await h.dispose();
    throw new Error(`AUTHORIZATION_SERVER_METADATA does not name the AS endpoints on ${asIssuer}: ${h.vars.AUTHORIZATION_SERVER_METADATA}`);
  }
  h.adminToken = adminToken;
  h.asApiToken = asApiToken;
  h.oauthKv = () => h.mf.getKVNamespace('OAUTH_KV');
  return h;
}
