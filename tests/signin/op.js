// A real OpenID Provider for the sign-in suites: node-oidc-provider (pinned in package.json) on
// loopback, with its own development login page (any password), a fixed directory of people, and
// the dashboard registered as a public client (PKCE) and as a confidential one (client secret),
// each with the dashboard's page as its post-logout redirect URI (RP-initiated logout, on by
// default in node-oidc-provider: its discovery document has an end_session_endpoint).
//
//   const op = await startProvider({ port, redirectUri });  // op.issuer, op.close()
//
// People: `alice` is in the group `registrar-admins`, `bob` is not; any other login is a person
// without groups. Their ID tokens carry name, email and groups (conformIdTokenClaims off, so the
// claims of the requested scopes are in the ID token itself).
import Provider from 'oidc-provider';
import { generateKeyPairSync } from 'node:crypto';

export const PEOPLE = {
  alice: { name: 'Alice Admin', email: 'alice@example.com', groups: ['staff', 'registrar-admins'] },
  bob: { name: 'Bob Builder', email: 'bob@example.com', groups: ['staff'] },
};
export const PUBLIC_CLIENT = 'registrar-dashboard';
export const CONFIDENTIAL_CLIENT = 'registrar-dashboard-confidential';
export const CONFIDENTIAL_SECRET = 'a secret: with spaces & symbols';

function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [{ ...rsa, kid: 'rsa-1', use: 'sig', alg: 'RS256' }, { ...ec, kid: 'ec-1', use: 'sig', alg: 'ES256' }];
}

export async function startProvider({ port, redirectUri, idTokenAlg = 'RS256' }) {
  const issuer = `http://127.0.0.1:${port}`;
  const client = {
    redirect_uris: [redirectUri],
    // RP-initiated logout sends the person back to the dashboard (docs/dashboard-sign-in.md).
    post_logout_redirect_uris: [`${new URL(redirectUri).origin}/`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: idTokenAlg,
  };
  const provider = new Provider(issuer, {
    clients: [
      { ...client, client_id: PUBLIC_CLIENT, token_endpoint_auth_method: 'none' },
      { ...client, client_id: CONFIDENTIAL_CLIENT, client_secret: CONFIDENTIAL_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
    ],
    jwks: { keys: signingKeys() },
    claims: { openid: ['sub'], profile: ['name', 'groups'], email: ['email'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      return { accountId: id, claims: async () => ({ sub: id, ...(PEOPLE[id] ?? { name: id }) }) };
    },
  });
  provider.on('server_error', (ctx, err) => process.stderr.write(`[op] ${err.stack}\n`));
  const server = await new Promise((resolve) => {
    const s = provider.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    issuer,
    provider,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
