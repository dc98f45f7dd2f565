// End to end, nothing mocked: clients registered at Registrar (RFC 7591) sign in at a real
// authorization server (@cloudflare/workers-oauth-provider 1.2.3, tests/as/as-worker.js) that
// knows them only through the records Registrar projects into the shared OAUTH_KV namespace
// (PROJECT_CLIENTS = "workers-oauth-provider"). The client side is oauth4webapi, configured from
// Registrar's discovery document. Every change Registrar makes to a client (RFC 7592 update and
// delete, admin suspend / reactivate / secret rotation, resync) is checked by what the AS then
// accepts and refuses. Needs the projection build: REGISTRAR_FEATURES=projection sh scripts/build.sh
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { startWithAs } from './harness.js';

const OPT = { [oauth.allowInsecureRequests]: true };
const WEB_CB = 'https://client.example/cb';
const WEB_CB_NEW = 'https://client.example/new-cb';
// RFC 8252 §7.3: the native app registers a loopback URI and picks the port at run time.
const NATIVE_CB = 'http://127.0.0.1:49152/cb';
const NATIVE_CB_RUNTIME = 'http://127.0.0.1:50123/cb';
const SCOPE = 'profile email offline_access';

const webMeta = (extra = {}) => ({
  client_name: 'E2E web client',
  redirect_uris: [WEB_CB],
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: SCOPE,
  ...extra,
});
const nativeMeta = (extra = {}) => ({
  client_name: 'E2E native client',
  application_type: 'native',
  redirect_uris: [NATIVE_CB],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: SCOPE,
  ...extra,
});

const sha256hex = (s) => createHash('sha256').update(s).digest('hex');
const enc = encodeURIComponent;

/** Registrar + AS, and the AS metadata as a client discovers it from Registrar. */
async function setUp() {
  const h = await startWithAs();
  const issuer = new URL(h.url);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, OPT));
  return { h, as };
}

/** GET /authorize with PKCE, not following the redirect. */
async function authorizeRequest(as, clientId, redirectUri, { scope = 'profile' } = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  const params = {
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope, state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), contentType: res.headers.get('content-type') ?? '', text: await res.text(), verifier, state };
}

/** Authorization code + PKCE through to the token response; asserts every step. */
async function signIn(as, clientId, clientAuth, redirectUri, opts) {
  const a = await authorizeRequest(as, clientId, redirectUri, opts);
  assert.equal(a.status, 302, `/authorize answered ${a.status}: ${a.text}`);
  const back = new URL(a.location);
  assert.equal(`${back.origin}${back.pathname}`, redirectUri, 'the AS redirected somewhere else than the redirect_uri of the request');
  const client = { client_id: clientId };
  const params = oauth.validateAuthResponse(as, client, back, a.state);
  const res = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, a.verifier, OPT);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
  assert.equal(tokens.token_type, 'bearer');
  assert.ok(tokens.access_token && tokens.refresh_token, 'no access or refresh token');
  return tokens;
}

async function refresh(as, clientId, clientAuth, refreshToken) {
  const client = { client_id: clientId };
  const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, OPT);
  return oauth.processRefreshTokenResponse(as, client, res);
}

/** The token endpoint's error for a request that must fail: { status, error }. */
async function tokenError(promise) {
  try {
    await promise;
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return { status: e.status, error: e.error };
    if (e instanceof oauth.WWWAuthenticateChallengeError) {
      // A 401 with WWW-Authenticate: Basic (RFC 6749 §5.2) for Basic authentication.
      const body = await e.response.json();
      return { status: e.response.status, error: body.error, challenge: e.cause[0]?.scheme };
    }
    throw e;
  }
  assert.fail('the token endpoint accepted a request it must refuse');
}

async function assertInvalidClient(promise, what) {
  const err = await tokenError(promise);
  assert.equal(err.status, 401, `${what}: status`);
  assert.equal(err.error, 'invalid_client', `${what}: error`);
}

/** /authorize refuses without redirecting: the AS's own HTML error page, status 400. */
async function assertAuthorizeRefused(as, clientId, redirectUri, what) {
  const a = await authorizeRequest(as, clientId, redirectUri);
  assert.equal(a.status, 400, `${what}: /authorize answered ${a.status} ${a.location ?? ''} ${a.text}`);
  assert.equal(a.location, null, `${what}: /authorize redirected`);
  assert.match(a.contentType, /^text\/html/, `${what}: not the HTML error page`);
  assert.match(a.text, /id="error">invalid_request</, `${what}: error page`);
  return a;
}

/** GET /api/me at the AS with an access token: { status, body }. */
async function api(h, accessToken) {
  const res = await fetch(`${h.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined };
}

async function projected(h, clientId) {
  return (await h.oauthKv()).get(`client:${clientId}`, 'json');
}

const adminPost = (h, id, action) => h.request('POST', `/admin/clients/${enc(id)}/${action}`, { token: h.adminToken });

describe('a real authorization server (workers-oauth-provider 1.2.3) on the clients Registrar projects', () => {
  let h;
  let as;
  before(async () => { ({ h, as } = await setUp()); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('discovery at Registrar names the AS endpoints on the same origin', () => {
    assert.equal(as.issuer, h.url);
    assert.equal(as.registration_endpoint, `${h.url}/register`);
    assert.equal(as.authorization_endpoint, `${h.url}/authorize`);
    assert.equal(as.token_endpoint, `${h.url}/token`);
  });

  it('registration writes client:<id> in the record shape the library reads', async () => {
    const c = await h.registerOk(webMeta());
    const record = await projected(h, c.client_id);
    assert.deepEqual(record, {
      clientId: c.client_id,
      clientSecret: sha256hex(c.client_secret),
      redirectUris: [WEB_CB],
      clientName: 'E2E web client',
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      registrationDate: c.client_id_issued_at,
      tokenEndpointAuthMethod: 'client_secret_basic',
      authMethodExplicit: true,
    });
    const n = await h.registerOk(nativeMeta());
    const native = await projected(h, n.client_id);
    assert.equal(native.tokenEndpointAuthMethod, 'none');
    assert.ok(!('clientSecret' in native), 'a public client has a clientSecret');
    assert.deepEqual(native.redirectUris, [NATIVE_CB]);
  });

  it('confidential web client (client_secret_basic): code + PKCE, token, API, refresh; the scope is Registrar\'s', async () => {
    const c = await h.registerOk(webMeta());
    const auth = oauth.ClientSecretBasic(c.client_secret);
    // "phone" is not registered: Registrar's authorization check grants only what is.
    const tokens = await signIn(as, c.client_id, auth, WEB_CB, { scope: 'profile phone' });
    assert.equal(tokens.scope, 'profile');
    const me = await api(h, tokens.access_token);
    assert.equal(me.status, 200);
    assert.equal(me.body.props.sub, 'test-user');
    assert.equal(me.body.auth.clientId, c.client_id);
    assert.deepEqual(me.body.auth.scope, ['profile']);

    const refreshed = await refresh(as, c.client_id, auth, tokens.refresh_token);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.equal((await api(h, refreshed.access_token)).status, 200);

    // The secret is checked, and only the registered method is allowed.
    await assertInvalidClient(refresh(as, c.client_id, oauth.ClientSecretBasic('not-the-secret'), refreshed.refresh_token), 'wrong secret');
    await assertInvalidClient(refresh(as, c.client_id, oauth.ClientSecretPost(c.client_secret), refreshed.refresh_token), 'client_secret_post for a basic client');

    // The AS asked Registrar (Service Binding), which recorded the use.
    const row = await (await h.d1()).prepare('SELECT last_used_at FROM clients WHERE client_id = ?').bind(c.client_id).first();
    assert.ok(row.last_used_at > 0, 'last_used_at not recorded');
  });

  it('public native client (none): a loopback redirect on another port than registered (RFC 8252 §7.3)', async () => {
    const c = await h.registerOk(nativeMeta());
    const tokens = await signIn(as, c.client_id, oauth.None(), NATIVE_CB_RUNTIME);
    assert.equal(tokens.scope, 'profile');
    assert.equal((await api(h, tokens.access_token)).status, 200);
    const refreshed = await refresh(as, c.client_id, oauth.None(), tokens.refresh_token);
    assert.equal((await api(h, refreshed.access_token)).status, 200);
    // Path and host still have to match: the library and Registrar agree on these.
    await assertAuthorizeRefused(as, c.client_id, 'http://127.0.0.1:50123/other', 'another path');
    await assertAuthorizeRefused(as, c.client_id, 'http://[::1]:50123/cb', 'another loopback host');
  });

  it('Registrar\'s redirect rule is the one enforced where it is stricter than the library\'s', async () => {
    // The library allows any port on any loopback redirect URI, `localhost` included, for any
    // client; Registrar only for 127.0.0.1 / [::1] of native clients. The AS asks Registrar.
    const web = await h.registerOk(webMeta({ application_type: 'web', redirect_uris: ['http://127.0.0.1:5000/cb'] }));
    assert.equal(web.application_type, 'web');
    const a = await authorizeRequest(as, web.client_id, 'http://127.0.0.1:5001/cb');
    assert.equal(a.status, 400, `a web client got another loopback port: ${a.status} ${a.location}`);
    assert.equal(a.location, null);
    const native = await h.registerOk(nativeMeta({ redirect_uris: ['http://localhost:7000/cb'] }));
    const b = await authorizeRequest(as, native.client_id, 'http://localhost:7001/cb');
    assert.equal(b.status, 400, `localhost got another port: ${b.status} ${b.location}`);
    assert.equal(b.location, null);
    // The registered ones themselves work.
    await signIn(as, web.client_id, oauth.ClientSecretBasic(web.client_secret), 'http://127.0.0.1:5000/cb');
    await signIn(as, native.client_id, oauth.None(), 'http://localhost:7000/cb');
  });

  it('an unknown client gets the error page, never a redirect', async () => {
    await assertAuthorizeRefused(as, 'AAAAAAAAAAAAAAAAAAAAAA', WEB_CB, 'unknown client');
  });

  it('RFC 7592 DELETE: the AS refuses the client at /authorize and at the token endpoint', async () => {
    const c = await h.registerOk(webMeta());
    const auth = oauth.ClientSecretBasic(c.client_secret);
    const tokens = await signIn(as, c.client_id, auth, WEB_CB);
    const del = await h.request('DELETE', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(del.status, 204);
    assert.equal(await projected(h, c.client_id), null, 'client:<id> is still there');
    await assertInvalidClient(refresh(as, c.client_id, auth, tokens.refresh_token), 'deleted client, refresh');
    await assertAuthorizeRefused(as, c.client_id, WEB_CB, 'deleted client');
  });

  it('admin suspend: refused everywhere; reactivate: accepted again', async () => {
    const c = await h.registerOk(webMeta());
    const auth = oauth.ClientSecretBasic(c.client_secret);
    const tokens = await signIn(as, c.client_id, auth, WEB_CB);

    assert.equal((await adminPost(h, c.client_id, 'suspend')).status, 200);
    assert.equal(await projected(h, c.client_id), null, 'a suspended client is still projected');
    await assertInvalidClient(refresh(as, c.client_id, auth, tokens.refresh_token), 'suspended client, refresh');
    await assertAuthorizeRefused(as, c.client_id, WEB_CB, 'suspended client');

    assert.equal((await adminPost(h, c.client_id, 'reactivate')).status, 200);
    const again = await signIn(as, c.client_id, auth, WEB_CB);
    assert.equal((await api(h, again.access_token)).status, 200);
    await refresh(as, c.client_id, auth, again.refresh_token);
  });

  // The library 1.2.3 checks no client at its API routes and removes no grant when a client
  // record goes (only its deleteClient() helper and purgeExpiredData() do), so the projection
  // revokes the client's grants and tokens itself when it removes the record.
  it('the tokens a client held before a suspension or deletion stop working', async () => {
    const c = await h.registerOk(webMeta());
    const auth = oauth.ClientSecretBasic(c.client_secret);
    const tokens = await signIn(as, c.client_id, auth, WEB_CB);
    assert.equal((await adminPost(h, c.client_id, 'suspend')).status, 200);
    assert.equal((await api(h, tokens.access_token)).status, 401, 'an access token of a suspended client still works');
    assert.equal((await adminPost(h, c.client_id, 'reactivate')).status, 200);
    const err = await tokenError(refresh(as, c.client_id, auth, tokens.refresh_token));
    assert.equal(err.error, 'invalid_grant', 'a refresh token from before the suspension works again');
    const again = await signIn(as, c.client_id, auth, WEB_CB);
    assert.equal((await h.request('DELETE', h.clientPath(c.client_id), { token: c.registration_access_token })).status, 204);
    assert.equal((await api(h, again.access_token)).status, 401, 'an access token of a deleted client still works');
  });

  it('admin secret rotation: the old secret is refused, the new one accepted', async () => {
    const c = await h.registerOk(webMeta());
    const tokens = await signIn(as, c.client_id, oauth.ClientSecretBasic(c.client_secret), WEB_CB);
    const rotated = await adminPost(h, c.client_id, 'client-secret');
    assert.equal(rotated.status, 200, rotated.text);
    const secret = rotated.body.client_secret;
    assert.ok(secret && secret !== c.client_secret);
    assert.equal((await projected(h, c.client_id)).clientSecret, sha256hex(secret));

    await assertInvalidClient(refresh(as, c.client_id, oauth.ClientSecretBasic(c.client_secret), tokens.refresh_token), 'old secret');
    const refreshed = await refresh(as, c.client_id, oauth.ClientSecretBasic(secret), tokens.refresh_token);
    assert.equal((await api(h, refreshed.access_token)).status, 200);
    await signIn(as, c.client_id, oauth.ClientSecretBasic(secret), WEB_CB);
    await assertInvalidClient(signIn(as, c.client_id, oauth.ClientSecretBasic(c.client_secret), WEB_CB), 'old secret, code exchange');
  });

  it('RFC 7592 PUT of the redirect URIs: the new one is accepted, the old one refused', async () => {
    const c = await h.registerOk(webMeta());
    const auth = oauth.ClientSecretBasic(c.client_secret);
    await signIn(as, c.client_id, auth, WEB_CB);
    const current = await h.request('GET', h.clientPath(c.client_id), { token: c.registration_access_token });
    assert.equal(current.status, 200);
    const { registration_access_token: _t, registration_client_uri: _u, client_secret_expires_at: _e, client_id_issued_at: _i, ...meta } = current.body;
    const put = await h.request('PUT', h.clientPath(c.client_id), {
      token: c.registration_access_token,
      json: { ...meta, redirect_uris: [WEB_CB_NEW] },
    });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual((await projected(h, c.client_id)).redirectUris, [WEB_CB_NEW]);

    await signIn(as, c.client_id, auth, WEB_CB_NEW);
    await assertAuthorizeRefused(as, c.client_id, WEB_CB, 'the redirect URI removed by PUT');
  });
});

describe('POST /admin/projection/resync', () => {
  let h;
  let as;
  before(async () => { ({ h, as } = await setUp()); }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  const resync = () => h.request('POST', '/admin/projection/resync', { token: h.adminToken });

  it('rebuilds records removed or altered behind Registrar\'s back, and the AS accepts the clients again', async () => {
    const lost = await h.registerOk(webMeta());
    const stale = await h.registerOk(webMeta());
    const intact = await h.registerOk(nativeMeta());
    const suspended = await h.registerOk(webMeta());
    assert.equal((await adminPost(h, suspended.client_id, 'suspend')).status, 200);

    const first = await resync();
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body, { written: 0, removed: 0, unchanged: 3, skipped: 0, foreign: 0, failed: 0, grants_revoked: 0, complete: true });

    const kv = await h.oauthKv();
    const staleRecord = { ...(await projected(h, stale.client_id)), redirectUris: ['https://evil.example/cb'], clientSecret: sha256hex('guessed') };
    await kv.delete(`client:${lost.client_id}`);
    await kv.put(`client:${stale.client_id}`, JSON.stringify(staleRecord));
    // The suspended client written back by someone else: must go again.
    await kv.put(`client:${suspended.client_id}`, JSON.stringify({ ...staleRecord, clientId: suspended.client_id }));
    // A record for a client Registrar does not know (created with the library's own helpers, say).
    const foreign = JSON.stringify({ ...staleRecord, clientId: 'created-elsewhere' });
    await kv.put('client:created-elsewhere', foreign);

    // Before the resync the AS goes by what KV holds.
    await assertAuthorizeRefused(as, lost.client_id, WEB_CB, 'lost record');
    await assertAuthorizeRefused(as, stale.client_id, WEB_CB, 'stale record');

    const second = await resync();
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.body, { written: 2, removed: 1, unchanged: 1, skipped: 0, foreign: 1, failed: 0, grants_revoked: 0, complete: true });
    assert.equal(await projected(h, suspended.client_id), null);
    assert.equal(await kv.get('client:created-elsewhere'), foreign, 'a record Registrar did not write was touched');

    await signIn(as, lost.client_id, oauth.ClientSecretBasic(lost.client_secret), WEB_CB);
    await signIn(as, stale.client_id, oauth.ClientSecretBasic(stale.client_secret), WEB_CB);
    await signIn(as, intact.client_id, oauth.None(), NATIVE_CB_RUNTIME);
    await assertAuthorizeRefused(as, stale.client_id, 'https://evil.example/cb', 'the stale redirect URI');
    await assertAuthorizeRefused(as, suspended.client_id, WEB_CB, 'suspended client after resync');

    const third = await resync();
    assert.deepEqual(third.body, { written: 0, removed: 0, unchanged: 3, skipped: 0, foreign: 1, failed: 0, grants_revoked: 0, complete: true });
  });

  it('needs the admin token', async () => {
    const r = await h.request('POST', '/admin/projection/resync', { token: h.asApiToken });
    assert.equal(r.status, 401);
  });
});

describe('UNUSED_CLIENT_TTL through the projection: a use is a grant the AS holds', () => {
  let h;
  let as;
  // No Service Binding: the AS never calls the AS API, so Registrar sees uses only in OAUTH_KV.
  before(async () => {
    h = await startWithAs({ serviceBinding: false, vars: { AS_API_TOKEN: undefined } });
    const issuer = new URL(h.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, OPT));
  }, { timeout: 60_000 });
  after(async () => { await h?.dispose(); });

  it('the daily clean-up keeps a client the AS authorized and removes one that never signed in', async () => {
    const signedIn = await h.registerOk(webMeta());
    const abandoned = await h.registerOk(webMeta());
    await signIn(as, signedIn.client_id, oauth.ClientSecretBasic(signedIn.client_secret), WEB_CB);
    const db = await h.d1();
    const lastUsed = async (id) => (await db.prepare('SELECT last_used_at FROM clients WHERE client_id = ?1').bind(id).first())?.last_used_at;
    assert.equal(await lastUsed(signedIn.client_id), null, 'no AS API call recorded a use');
    // Two days on (the default TTL is a day).
    await db.prepare('UPDATE clients SET client_id_issued_at = client_id_issued_at - 172800').run();

    const before = h.logs.length;
    await h.scheduled();
    const line = JSON.parse(await h.logLine(before, '"scheduled":"cleanup"'));
    assert.equal(line.used_by_grants, 1, JSON.stringify(line));
    assert.equal(line.unused_clients, 1, JSON.stringify(line));
    assert.equal(line.projection.removed, 1, JSON.stringify(line));
    assert.ok(await lastUsed(signedIn.client_id), 'the grant was recorded as a use');
    assert.equal(await lastUsed(abandoned.client_id), undefined, 'the unused client is gone from D1');
    assert.equal(await projected(h, abandoned.client_id), null, 'and from OAUTH_KV');
    await assertAuthorizeRefused(as, abandoned.client_id, WEB_CB, 'removed as unused');
    await signIn(as, signedIn.client_id, oauth.ClientSecretBasic(signedIn.client_secret), WEB_CB);
  });
});
