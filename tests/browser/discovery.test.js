// The form is built from the discovery document: with a non-default configuration it offers
// exactly what the server advertises. Response types follow the grant types. A server that wants
// an initial access token gets it as the Bearer of POST /register.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  setup, openDashboard, assertClean, newClient, tab, setRedirectUris, saveAndWait,
} from './helpers.js';

const ADMIN_TOKEN = 'browser-test-admin-token-0123456789abcdef';
let env;
let disco;
before(async () => {
  env = await setup({
    vars: {
      SCOPES_SUPPORTED: 'openid offline_access calendar.read',
      DEFAULT_SCOPE: 'openid',
      GRANT_TYPES_SUPPORTED: 'authorization_code refresh_token implicit urn:ietf:params:oauth:grant-type:device_code',
      REGISTRATION_MODE: 'token',
      ADMIN_TOKEN,
    },
  });
  disco = (await env.h.request('GET', '/.well-known/openid-configuration')).body;
}, { timeout: 60_000 });
after(async () => { await env?.close(); });

const values = (page, selector) => page.locator(selector).evaluateAll((els) => els.map((e) => e.value));

describe('Options come from discovery', () => {
  it('scopes, grant types, response types, auth methods, algorithms and subject types are exactly the advertised ones', async () => {
    assert.deepEqual(disco.scopes_supported, ['openid', 'offline_access', 'calendar.read']);
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    assert.deepEqual(await values(page, '#scope-choices input'), disco.scopes_supported);
    assert.deepEqual(await values(page, '#grant-choices input'), disco.grant_types_supported);
    assert.deepEqual(await values(page, '#response-choices input'), disco.response_types_supported);
    assert.ok(disco.response_types_supported.includes('id_token'), 'implicit enables more response types');
    assert.deepEqual(await values(page, '#auth-choices input'), disco.token_endpoint_auth_methods_supported);
    const selects = {
      'f-id_token_signed_response_alg': 'id_token_signing_alg_values_supported',
      'f-id_token_encrypted_response_alg': 'id_token_encryption_alg_values_supported',
      'f-id_token_encrypted_response_enc': 'id_token_encryption_enc_values_supported',
      'f-userinfo_signed_response_alg': 'userinfo_signing_alg_values_supported',
      'f-userinfo_encrypted_response_alg': 'userinfo_encryption_alg_values_supported',
      'f-userinfo_encrypted_response_enc': 'userinfo_encryption_enc_values_supported',
      'f-request_object_signing_alg': 'request_object_signing_alg_values_supported',
      'f-request_object_encryption_alg': 'request_object_encryption_alg_values_supported',
      'f-request_object_encryption_enc': 'request_object_encryption_enc_values_supported',
      'f-token_endpoint_auth_signing_alg': 'token_endpoint_auth_signing_alg_values_supported',
      'f-subject_type': 'subject_types_supported',
    };
    for (const [id, key] of Object.entries(selects)) {
      assert.ok(Array.isArray(disco[key]) && disco[key].length, `discovery has ${key}`);
      assert.deepEqual(await values(page, `#${id} option`), ['', ...disco[key]], `#${id} offers ${key}`);
    }
    // The new client's defaults are advertised values.
    await tab(page, 'Access').click();
    assert.deepEqual(await values(page, '#scope-choices input:checked'), ['openid']);
    assert.deepEqual(await values(page, '#grant-choices input:checked'), ['authorization_code']);
    assert.deepEqual(await values(page, '#response-choices input:checked'), ['code']);
    await assertClean(page, log);
    await context.close();
  });

  it('response types follow the grant types they need', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    await tab(page, 'Access').click();
    const grant = (v) => page.locator('#grant-choices input').and(page.locator(`[value="${v}"]`));
    const response = (v) => page.locator('#response-choices input').and(page.locator(`[value="${v}"]`));
    await grant('implicit').check();
    await response('id_token').check();
    await response('code id_token').check();
    // Dropping authorization_code drops the response types that need it, and only those.
    await grant('authorization_code').uncheck();
    assert.deepEqual(await values(page, '#response-choices input:checked'), ['id_token']);
    // Dropping implicit too leaves none; taking authorization_code back brings "code".
    await grant('urn:ietf:params:oauth:grant-type:device_code').check();
    await grant('implicit').uncheck();
    assert.deepEqual(await values(page, '#response-choices input:checked'), []);
    assert.match(await page.locator('#redirect-req').innerText(), /optional/, 'device code alone needs no redirect URI');
    await grant('authorization_code').check();
    assert.deepEqual(await values(page, '#response-choices input:checked'), ['code']);
    assert.match(await page.locator('#redirect-req').innerText(), /required/);
    await assertClean(page, log);
    await context.close();
  });
});

describe('Discovery unavailable', () => {
  it('says so, offers nothing to register with, and recovers with Try again', async () => {
    const { h, browser } = env;
    const context = await browser.newContext();
    let fail = true;
    await context.route(() => true, (route) => {
      const url = new URL(route.request().url());
      if (url.origin !== new URL(h.url).origin) return route.abort();
      if (fail && url.pathname === '/.well-known/openid-configuration') {
        return route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"temporarily_unavailable"}' });
      }
      return route.continue();
    });
    const page = await context.newPage();
    await page.goto(`${h.url}/`);
    const alert = page.locator('#discovery-error');
    await alert.waitFor();
    assert.match(await alert.innerText(), /could not be loaded/);
    assert.equal(await page.locator('body').getAttribute('data-state'), 'error');
    const nav = page.getByRole('navigation', { name: 'Dashboard' });
    assert.equal(await nav.getByRole('button', { name: 'New client' }).getAttribute('aria-disabled'), 'true');
    await nav.getByRole('button', { name: 'New client' }).click({ force: true });
    assert.equal(await page.locator('#view-editor').isVisible(), false, 'no form without the server\'s options');

    fail = false;
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.waitForSelector('body[data-state="ready"]');
    assert.equal(await alert.isVisible(), false);
    await newClient(page);
    assert.deepEqual(await values(page, '#scope-choices input'), disco.scopes_supported);
    await context.close();
  });
});

describe('Initial access token', () => {
  it('is sent as the Bearer of POST /register; without it the 401 is explained beside its field', async () => {
    const probe = await env.h.register({ client_name: 'probe', redirect_uris: ['https://probe.example/cb'] });
    assert.equal(probe.status, 401, probe.text);
    const minted = await env.h.request('POST', '/admin/initial-access-tokens', { token: ADMIN_TOKEN, json: { label: 'browser test', max_uses: 1 } });
    assert.equal(minted.status, 201, minted.text);

    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    await page.getByLabel('Client name').fill('Invited app');
    await setRedirectUris(page, ['https://invited.example/cb']);
    let res = await saveAndWait(page);
    assert.equal(res.status, 401);
    assert.equal(res.request.headers().authorization, undefined);
    await page.locator('#error-summary').getByRole('link').click();
    assert.equal(await tab(page, 'Credentials').getAttribute('aria-selected'), 'true');
    const field = page.getByLabel(/Initial access token/);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#f-initial_access_token-error').innerText(), /initial access token/);

    await field.fill(minted.body.token);
    res = await saveAndWait(page);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.request.headers().authorization, `Bearer ${minted.body.token}`);
    assert.equal('initial_access_token' in res.request.postDataJSON(), false);
    assert.equal(await field.inputValue(), '', 'the token is not kept');
    await assertClean(page, log);
    await context.close();
  });
});
