// A development OpenID Provider on loopback for trying dashboard sign-in locally
// (scripts/dev-signin.sh starts it): node-oidc-provider with the sign-in suites' set-up
// (tests/signin/op.js): its own login page takes any password; `alice` is in the group
// `registrar-admins`, `bob` is not, any other login is a person without groups. Never for
// production: it keeps everything in memory and signs with keys made at start-up.
//
// Usage: node scripts/dev-provider.mjs [port, default 8788] [dashboard origin, default
// http://127.0.0.1:8787]
import { startProvider, PUBLIC_CLIENT } from '../tests/signin/op.js';

const port = Number(process.argv[2] ?? 8788);
const dashboard = process.argv[3] ?? 'http://127.0.0.1:8787';
const op = await startProvider({ port, redirectUri: `${dashboard}/dashboard/callback` });
process.stdout.write(`OpenID Provider (development only) at ${op.issuer}, client ${PUBLIC_CLIENT}; sign in as alice (an admin) or bob, any password\n`);
const stop = () => { op.close().finally(() => process.exit(0)); };
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
