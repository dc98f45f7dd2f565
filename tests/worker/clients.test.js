// Real client libraries against the worker: openid-client v6, oauth4webapi, the MCP TypeScript SDK.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import * as oauth from 'oauth4webapi';
import { discoverAuthorizationServerMetadata, registerClient } from '@modelcontextprotocol/sdk/client/auth.js';
import { start, without, assertNoNull } from './harness.js';

let h;
before(async () => { h = await start(); }, { timeout: 60_000 });
after(async () => { await h?.dispose(); });

/** Reads a registration back with a plain fetch, as RFC 7592 §2.1 describes. */
async function readBack(registration) {
  assert.equal(registration.registration_client_uri, `${h.issuer}/register/${registration.client_id}`);
  const res = await fetch(registration.registration_client_uri, {
    headers: { authorization: `Bearer ${registration.registration_access_token}`, accept: 'application/json' },
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  assertNoNull(body);
  assert.equal(body.client_id, registration.client_id);
  assert.ok(!('client_secret' in body));
  return body;
}

describe('openid-client v6', { timeout: 60_000 }, () => {
  it('discovery + dynamicClientRegistration of a web client with a loopback redirect', async () => {
    const issuer = new URL(h.issuer);
    const discovered = await client.discovery(issuer, 'placeholder-client', undefined, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const sm = discovered.serverMetadata();
    assert.equal(sm.issuer, h.issuer);
    assert.equal(sm.registration_endpoint, `${h.issuer}/register`);
    assert.equal(sm.token_endpoint, `${h.issuer}/token`);

    const redirect = 'http://127.0.0.1:51234/callback';
    const config = await client.dynamicClientRegistration(
      issuer,
      { redirect_uris: [redirect], client_name: 'openid-client test', application_type: 'web', scope: 'openid profile' },
      undefined,
      { execute: [client.allowInsecureRequests] },
    );
    const md = config.clientMetadata();
    assert.equal(typeof md.client_id, 'string');
    assert.ok(md.client_id.length >= 22);
    assert.equal(typeof md.client_secret, 'string');
    assert.ok(md.client_secret.length >= 43);
    assert.deepEqual(md.redirect_uris, [redirect]);
    assert.equal(md.application_type, 'web');
    assert.equal(config.serverMetadata().issuer, h.issuer);

    // The library can use the registration (builds an authorization URL with it).
    const authUrl = client.buildAuthorizationUrl(config, { redirect_uri: redirect, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
    assert.equal(authUrl.origin + authUrl.pathname, `${h.issuer}/authorize`);
    assert.equal(authUrl.searchParams.get('client_id'), md.client_id);

    const back = await readBack(md);
    assert.deepEqual(back.redirect_uris, [redirect]);
    assert.equal(back.client_name, 'openid-client test');
  });
});

describe('oauth4webapi', { timeout: 60_000 }, () => {
  it('discovery + dynamic client registration', async () => {
    const issuer = new URL(h.issuer);
    for (const algorithm of ['oauth2', 'oidc']) {
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm, [oauth.allowInsecureRequests]: true }),
      );
      assert.equal(as.issuer, h.issuer);
      assert.equal(as.registration_endpoint, `${h.issuer}/register`);
    }
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    const res = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        redirect_uris: ['http://127.0.0.1:40000/cb', 'https://client.example/cb'],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
        client_name: 'oauth4webapi test',
      },
      { [oauth.allowInsecureRequests]: true },
    );
    const reg = await oauth.processDynamicClientRegistrationResponse(res);
    assert.equal(typeof reg.client_id, 'string');
    assert.equal(typeof reg.client_secret, 'string');
    assert.equal(reg.client_secret_expires_at, 0);
    assert.equal(reg.token_endpoint_auth_method, 'client_secret_post');
    assert.deepEqual(reg.grant_types, ['authorization_code', 'refresh_token']);

    const back = await readBack(reg);
    assert.deepEqual(back, without(reg, 'client_secret'));
  });

  it('processDynamicClientRegistrationResponse surfaces a registration error', async () => {
    const as = await oauth.processDiscoveryResponse(
      new URL(h.issuer),
      await oauth.discoveryRequest(new URL(h.issuer), { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    const res = await oauth.dynamicClientRegistrationRequest(
      as,
      { redirect_uris: ['https://client.example/cb#frag'] },
      { [oauth.allowInsecureRequests]: true },
    );
    await assert.rejects(oauth.processDynamicClientRegistrationResponse(res), (err) => {
      assert.equal(err.error, 'invalid_redirect_uri');
      assert.equal(err.status, 400);
      return true;
    });
  });
});

describe('MCP TypeScript SDK', { timeout: 60_000 }, () => {
  it('registerClient with discovered metadata registers a public loopback client', async () => {
    const metadata = await discoverAuthorizationServerMetadata(h.issuer);
    assert.ok(metadata, 'no authorization server metadata discovered');
    assert.equal(metadata.issuer, h.issuer);
    assert.equal(metadata.registration_endpoint, `${h.issuer}/register`);

    // registerClient strips members it does not know (registration_access_token among them), so
    // keep the raw response to read the registration back.
    let raw;
    const fetchFn = async (url, init) => {
      const res = await fetch(url, init);
      if ((init?.method ?? 'GET').toUpperCase() === 'POST') raw = await res.clone().json();
      return res;
    };
    const info = await registerClient(h.issuer, {
      metadata,
      clientMetadata: {
        redirect_uris: ['http://127.0.0.1:53682/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        client_name: 'MCP test client',
      },
      fetchFn,
    });
    assert.equal(typeof info.client_id, 'string');
    assert.ok(info.client_id.length >= 22);
    assert.equal(info.client_secret, undefined, 'a public client gets no client_secret');
    assert.equal(info.client_secret_expires_at, undefined);
    assert.equal(info.token_endpoint_auth_method, 'none');
    assert.deepEqual(info.redirect_uris, ['http://127.0.0.1:53682/callback']);
    assert.deepEqual(info.grant_types, ['authorization_code', 'refresh_token']);

    assert.ok(raw, 'registration response not captured');
    assertNoNull(raw);
    assert.equal(raw.client_id, info.client_id);
    const back = await readBack(raw);
    assert.deepEqual(back, raw);
    assert.equal(back.application_type, 'native');
  });
});
