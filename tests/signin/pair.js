// A real OpenID Provider (op.js) and the Worker built with the `signin` feature (Miniflare,
// tests/worker/harness.js), each on its own loopback port, the Worker signing in with the
// provider. (Locally workerd lets the Worker fetch loopback even under
// global_fetch_strictly_public; deployed, that flag keeps it to public addresses.)
import net from 'node:net';
import { start } from '../worker/harness.js';
import { startProvider, PUBLIC_CLIENT } from './op.js';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

/**
 * A provider and a Worker that signs in with it; `vars` add to the sign-in settings, `ratelimits`
 * override the Worker's rate limits (harness `start`).
 */
export async function pair({ idTokenAlg, vars = {}, ratelimits } = {}) {
  const [opPort, workerPort] = [await freePort(), await freePort()];
  const op = await startProvider({ port: opPort, idTokenAlg, redirectUri: `http://127.0.0.1:${workerPort}/dashboard/callback` });
  const h = await start({
    port: workerPort,
    vars: {
      DASHBOARD_OIDC_ISSUER: op.issuer,
      DASHBOARD_OIDC_CLIENT_ID: PUBLIC_CLIENT,
      DASHBOARD_ADMIN_CLAIM: 'groups=registrar-admins',
      ...vars,
    },
    ratelimits,
  });
  return { op, h, async close() { await h.dispose(); await op.close(); } };
}

