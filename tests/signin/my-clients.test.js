// My clients in a real browser (Debian Chromium, playwright-core), signed in through the provider's
// own pages (node-oidc-provider, op.js): the owner opens their client in the editor and saves a
// change without its registration access token (PUT /dashboard/clients/{id}), sees it after a
// reload, rotates its secret from the list and from the editor (checked at the authorization
// server API: the old secret is refused, the new one accepted), deletes it; another person can
// neither see nor open it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  launchBrowser, newClient, setRedirectUris, settled, shownCredentials,
} from '../browser/helpers.js';
import { pair } from './pair.js';
import { myClientIds, openSignin, signInAs } from './in-browser.js';

const AS = randomBytes(24).toString('base64url');

let p;
let browser;
before(async () => {
  [p, browser] = await Promise.all([pair({ vars: { AS_API_TOKEN: AS } }), launchBrowser()]);
});
after(async () => {
  await browser?.close().catch(() => {});
  await p?.close();
});

/** What the authorization server learns of this secret: 200 it is the client's, 401 it is not. */
async function asAccepts(clientId, secret) {
  const r = await p.h.request('POST', `/as/v1/clients/${encodeURIComponent(clientId)}/authenticate`, { token: AS, json: { client_secret: secret } });
  assert.ok(r.status === 200 || r.status === 401, `${r.status} ${r.text}`);
  return r.status === 200;
}

const rowOf = (page, id) => page.locator(`#mine-table tbody tr[data-client-id="${id}"]`);

/** The secret shown once in the editor's result after a rotation. */
async function rotatedSecret(page) {
  const result = page.getByRole('region', { name: 'Client secret rotated' });
  await result.waitFor();
  assert.equal(await page.locator('#cred-secret-new').isVisible(), true, 'marked new');
  return result.getByLabel('Client secret', { exact: true }).inputValue();
}

async function confirmRotation(page) {
  const dialog = page.getByRole('dialog', { name: 'Rotate the client secret?' });
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/client-secret')),
    dialog.getByRole('button', { name: 'Rotate secret' }).click(),
  ]);
  assert.equal(res.status(), 200);
  await settled(page);
}

describe('My clients: the owner opens, edits, rotates and deletes without a token', { timeout: 240_000 }, () => {
  it('open, change the name and a redirect URI, save, reload; rotate the secret twice; another person cannot open it; delete', async () => {
    const { context, page, log } = await openSignin(p, browser);
    await signInAs(p, page, 'bob');
    await page.locator('#account-name').waitFor();

    await newClient(page);
    await page.getByLabel('Client name').fill('Bob Web');
    await setRedirectUris(page, ['https://bob.example/cb', 'https://bob.example/cb2']);
    await page.getByRole('button', { name: /^Save/ }).click();
    await settled(page);
    const first = await shownCredentials(page);
    assert.ok(first.client_id && first.client_secret && first.registration_access_token);
    assert.equal(await asAccepts(first.client_id, first.client_secret), true);

    // Open: the client in the editor, loaded under the session (no token sent, none shown).
    // (Leaving the credentials shown once asks first.)
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'My clients' }).click();
    await page.getByRole('dialog', { name: 'Leave without keeping the credentials?' }).getByRole('button', { name: 'Leave anyway' }).click();
    await page.locator('#mine-status').filter({ hasText: /client/ }).waitFor();
    assert.deepEqual(await myClientIds(page), [first.client_id]);
    const [read] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === `/dashboard/clients/${first.client_id}`),
      rowOf(page, first.client_id).getByRole('button', { name: 'Open' }).click(),
    ]);
    assert.equal(read.status(), 200);
    assert.equal(read.request().headers().authorization, undefined, 'no bearer token');
    await page.getByRole('heading', { level: 1, name: 'Bob Web' }).waitFor();
    await page.getByRole('region', { name: 'Client loaded' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'result-title', 'focus on the result');
    assert.equal(await page.locator('#cred-row-token').isHidden(), true, 'no registration access token shown');
    assert.match(await page.locator('#result-info-text').innerText(), /without its registration access token/);
    assert.equal(await page.getByLabel('Redirect URI 2', { exact: true }).inputValue(), 'https://bob.example/cb2');
    assert.equal(await page.locator('#cred-expires').innerText(), 'Never', 'the secret\'s expiry, from the answer');

    // Change the name and the second redirect URI, and Save: PUT /dashboard/clients/{id}.
    await page.getByLabel('Client name').fill('Bob Web, renamed');
    await page.getByLabel('Redirect URI 2', { exact: true }).fill('https://bob.example/callback-2');
    const [put] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PUT'),
      page.getByRole('button', { name: 'Save changes' }).click(),
    ]);
    assert.equal(new URL(put.url()).pathname, `/dashboard/clients/${first.client_id}`);
    assert.equal(put.status(), 200, await put.text());
    assert.ok(put.request().headers()['x-registrar-csrf'], 'the CSRF token is sent');
    await settled(page);
    await page.getByRole('region', { name: 'Client updated' }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Bob Web, renamed' }).waitFor();
    assert.equal(await page.locator('#result-warning').isHidden(), true, 'nothing new to keep');
    // The owner's update kept the registration access token: RFC 7592 reads the change with it.
    const rfc = await p.h.request('GET', `/register/${first.client_id}`, { token: first.registration_access_token });
    assert.equal(rfc.status, 200);
    assert.equal(rfc.body.client_name, 'Bob Web, renamed');
    assert.deepEqual(rfc.body.redirect_uris, ['https://bob.example/cb', 'https://bob.example/callback-2']);

    // After a reload the list and the editor show the change.
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
    await page.locator('#account-name').waitFor();
    await myClientIds(page);
    assert.match(await rowOf(page, first.client_id).innerText(), /Bob Web, renamed/);
    await rowOf(page, first.client_id).getByRole('button', { name: 'Open' }).click();
    await page.getByRole('region', { name: 'Client loaded' }).waitFor();
    assert.equal(await page.getByLabel('Client name').inputValue(), 'Bob Web, renamed');
    assert.equal(await page.getByLabel('Redirect URI 2', { exact: true }).inputValue(), 'https://bob.example/callback-2');

    // Rotate from the list: confirmed, then the new secret shown once in the editor.
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('heading', { level: 1, name: 'My clients' }).waitFor();
    await rowOf(page, first.client_id).getByRole('button', { name: 'Rotate secret' }).click();
    await confirmRotation(page);
    const second = await rotatedSecret(page);
    assert.notEqual(second, first.client_secret);
    assert.equal(await asAccepts(first.client_id, first.client_secret), false, 'the old secret is refused');
    assert.equal(await asAccepts(first.client_id, second), true, 'the new secret is accepted');

    // Rotate from the editor; Cancel in the dialog changes nothing.
    await page.getByRole('button', { name: 'Rotate client secret' }).click();
    await page.getByRole('dialog', { name: 'Rotate the client secret?' }).getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await asAccepts(first.client_id, second), true, 'cancelled: the secret is the same');
    await page.getByRole('button', { name: 'Rotate client secret' }).click();
    await confirmRotation(page);
    const third = await rotatedSecret(page);
    assert.notEqual(third, second);
    assert.equal(await asAccepts(first.client_id, second), false);
    assert.equal(await asAccepts(first.client_id, third), true);
    // The form kept its state and the token still works (a rotation issues no token).
    assert.equal((await p.h.request('GET', `/register/${first.client_id}`, { token: first.registration_access_token })).status, 200);

    // Carol, signed in too, has no such client: not listed, and the API does not give it to her.
    const carol = await openSignin(p, browser);
    await signInAs(p, carol.page, 'carol');
    await carol.page.locator('#account-name').waitFor();
    assert.deepEqual(await myClientIds(carol.page), []);
    const tried = await carol.page.evaluate(async (id) => {
      const session = await (await fetch('/dashboard/session')).json();
      const path = `/dashboard/clients/${id}`;
      const change = { 'x-registrar-csrf': session.csrf, 'content-type': 'application/json' };
      const go = async (method, url, body) => (await fetch(url, { method, headers: change, body })).status;
      return {
        get: (await fetch(path)).status,
        put: await go('PUT', path, JSON.stringify({ client_name: 'Carol was here', redirect_uris: ['https://carol.example/cb'] })),
        rotate: await go('POST', `${path}/client-secret`),
        token: await go('POST', `${path}/registration-access-token`),
        del: await go('DELETE', path),
      };
    }, first.client_id);
    assert.deepEqual(tried, { get: 404, put: 404, rotate: 404, token: 404, del: 404 });
    assert.equal(await asAccepts(first.client_id, third), true, 'still Bob’s secret');
    assert.deepEqual(carol.log.offsite, []);
    assert.deepEqual(carol.log.pageErrors, []);
    await carol.context.close();

    // Delete from the editor: back to My clients, without it.
    await page.getByRole('button', { name: 'Delete client' }).click();
    await page.getByRole('dialog', { name: 'Delete this client?' }).getByRole('button', { name: 'Delete client' }).click();
    await page.getByRole('heading', { level: 1, name: 'My clients' }).waitFor();
    await page.locator('#mine-empty').waitFor();
    assert.equal((await p.h.request('GET', `/register/${first.client_id}`, { token: first.registration_access_token })).status, 401);
    assert.equal(await asAccepts(first.client_id, third), false);
    assert.deepEqual(log.offsite, []);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });

  it('a public client has no Rotate secret; a session that ended is said so, not blamed on a token', async () => {
    const { context, page, log } = await openSignin(p, browser);
    await signInAs(p, page, 'dave');
    await page.locator('#account-name').waitFor();
    const cookie = (await context.cookies(`${p.h.url}/dashboard/session`)).find((c) => c.name === '__Secure-registrar-session');
    const session = await page.evaluate(async () => (await fetch('/dashboard/session')).json());
    const reg = await page.evaluate(async (csrf) => {
      const r = await fetch('/dashboard/clients', {
        method: 'POST',
        headers: { 'x-registrar-csrf': csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Dave CLI', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }),
      });
      return { status: r.status, body: await r.json() };
    }, session.csrf);
    assert.equal(reg.status, 201);
    await myClientIds(page);
    const row = rowOf(page, reg.body.client_id);
    assert.deepEqual(await row.getByRole('button').allInnerTexts(), ['Open', 'New registration access token', 'Delete']);
    await row.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('region', { name: 'Client loaded' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Rotate client secret' }).isHidden(), true);
    assert.equal(await page.locator('#cred-expires').innerText(), '—', 'a public client has no secret to expire');

    // The session cookie goes away (signed out in another tab): Save says so.
    await context.clearCookies({ name: cookie.name });
    await page.getByLabel('Client name').fill('Dave CLI 2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await settled(page);
    const summary = page.locator('#error-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /no longer signed in/);
    assert.doesNotMatch(await summary.innerText(), /registration access token/);
    assert.deepEqual(log.offsite, []);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });
});
