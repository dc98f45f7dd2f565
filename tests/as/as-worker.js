// A small, real authorization server for the end-to-end tests in tests/as/: OAuthProvider of
// @cloudflare/workers-oauth-provider (pinned in package.json), reading the client records
// Registrar projects into the OAUTH_KV namespace both Workers share. It registers no clients
// itself (no clientRegistrationEndpoint): registration is Registrar's.
//
//   /authorize  GET: parses the request with the library (unknown client or redirect URI: an HTML
//               error page, never a redirect), asks Registrar's AS API whether the request may
//               proceed and which scope to grant (through the REGISTRAR Service Binding, when the
//               binding and AS_API_TOKEN are configured), signs in the fixed test user and approves.
//   /token      the library's token endpoint (authorization_code, refresh_token).
//   /api/...    protected by the library; answers the access token's props and auth as JSON.
//
// Bindings: OAUTH_KV (KV), ISSUER (this deployment's origin, e.g. http://127.0.0.1:8787),
// optional REGISTRAR (Service Binding to Registrar) + AS_API_TOKEN. tests/as/harness.js bundles
// this file with esbuild and runs it next to Registrar in one Miniflare.
import { OAuthProvider } from '@cloudflare/workers-oauth-provider';

const TEST_USER = 'test-user';

const apiHandler = {
  async fetch(request, env, ctx) {
    return Response.json({ path: new URL(request.url).pathname, props: ctx.props, auth: { ...ctx.auth, token: undefined } });
  },
};

const defaultHandler = {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/authorize') {
      if (request.method !== 'GET') return new Response('method not allowed', { status: 405, headers: { allow: 'GET' } });
      return authorize(request, env);
    }
    return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
  },
};

async function authorize(request, env) {
  let authRequest;
  try {
    authRequest = await env.OAUTH_PROVIDER.parseAuthRequest(request);
  } catch (e) {
    // The library attaches `redirectTo` only once the client and its redirect URI are verified
    // (RFC 6749 §4.1.2.1); anything else is shown here, never redirected.
    if (e?.redirectTo) return redirect(e.redirectTo);
    return errorPage(e?.code ?? 'invalid_request', e?.description ?? String(e?.message ?? e));
  }

  // The library's own rules passed (it knows the client from OAUTH_KV). Registrar's AS API is the
  // stricter judge of the redirect URI (loopback port only for native clients, no `localhost`
  // exception) and decides the scope; it also records the use (last_used_at).
  let scope = authRequest.scope;
  if (env.REGISTRAR && env.AS_API_TOKEN) {
    const check = await authorizationCheck(env, authRequest);
    if (!check.ok) {
      if (check.redirect) return redirect(errorRedirect(authRequest, check.error, check.error_description));
      return errorPage(check.error, check.error_description);
    }
    scope = check.scope ? check.scope.split(' ') : [];
  }

  // "Sign in" the fixed test user and approve without a consent page.
  const { redirectTo } = await env.OAUTH_PROVIDER.completeAuthorization({
    request: authRequest,
    userId: TEST_USER,
    metadata: { label: 'tests/as' },
    scope,
    props: { sub: TEST_USER, clientId: authRequest.clientId, scope: scope.join(' ') },
  });
  return redirect(redirectTo);
}

/** POST /as/v1/clients/{id}/authorization-check (docs/authorization-server.md). */
async function authorizationCheck(env, authRequest) {
  const res = await env.REGISTRAR.fetch(
    `https://registrar/as/v1/clients/${encodeURIComponent(authRequest.clientId)}/authorization-check`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${env.AS_API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uri: authRequest.redirectUri,
        response_type: authRequest.responseType,
        ...(authRequest.scope.length > 0 ? { scope: authRequest.scope.join(' ') } : {}),
      }),
    },
  );
  const body = await res.json();
  if (res.status === 200) return { ok: true, ...body };
  if (res.status === 400) return { ok: false, ...body };
  throw new Error(`registrar authorization-check: ${res.status} ${body.error}`);
}

function errorRedirect(authRequest, error, description) {
  const to = new URL(authRequest.redirectUri);
  to.searchParams.set('error', error);
  if (description) to.searchParams.set('error_description', description);
  if (authRequest.state) to.searchParams.set('state', authRequest.state);
  if (authRequest.issuer) to.searchParams.set('iss', authRequest.issuer);
  return to.href;
}

function redirect(location) {
  return new Response(null, { status: 302, headers: { location, 'cache-control': 'no-store' } });
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function errorPage(code, description) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head>` +
    `<body><h1>Authorization error</h1><p id="error">${escapeHtml(code)}</p><p id="error_description">${escapeHtml(description ?? '')}</p></body></html>`;
  return new Response(html, { status: 400, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

// The provider is built from the first request's env (the origin is a binding, known only then).
let provider;
function getProvider(env) {
  provider ??= new OAuthProvider({
    apiRoute: '/api/',
    apiHandler,
    defaultHandler,
    authorizeEndpoint: '/authorize',
    tokenEndpoint: '/token',
    scopesSupported: ['openid', 'profile', 'email', 'offline_access'],
    resourceMetadata: { resource: `${env.ISSUER}/api/`, authorization_servers: [env.ISSUER] },
    // The library's default logs every error response with console.warn, which the harness
    // copies to stderr; as an info line it stays in h.logs.
    onError: ({ status, code, description }) => { console.log(`AS error response: ${status} ${code} - ${description}`); },
  });
  return provider;
}

export default {
  fetch(request, env, ctx) {
    return getProvider(env).fetch(request, env, ctx);
  },
};
