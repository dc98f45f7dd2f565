// Dashboard sign-in in a real browser (Debian Chromium, playwright-core) through a real OpenID
// Provider's own login and consent pages (node-oidc-provider, tests/signin/op.js): the Sign in
// button, the provider's pages, the way back, "Signed in as", a reload keeping the session,
// Sign out (at the provider too), and a failed sign-in explained. Requests may go only to the
// Worker and the provider.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  launchBrowser, newClient, setRedirectUris, settled, shownCredentials,
} from '../browser/helpers.js';
import { pair } from './pair.js';
import { myClientIds, openSignin, signInAs as signInAsIn } from './in-browser.js';

let p;
let browser;
before(async () => {
  [p, browser] = await Promise.all([pair(), launchBrowser()]);
});
after(async () => {
  await browser?.close().catch(() => {});
  await p?.close();
});

const open = () => openSignin(p, browser);
const signInAs = (page, login) => signInAsIn(p, page, login);

describe('the dashboard signs a person in with the provider', { timeout: 120_000 }, () => {
  it('sign in, stay signed in across a reload, sign out', async () => {
    const { context, page, log } = await open();
    const account = page.locator('#account-name');
    await assert.doesNotReject(page.getByRole('link', { name: 'Sign in' }).waitFor());
    await signInAs(page, 'alice');
    await account.waitFor();
    assert.equal(await account.innerText(), 'Signed in as Alice Admin (admin)');
    const cookies = await context.cookies(p.h.url + '/dashboard/session');
    const session = cookies.find((c) => c.name === '__Secure-registrar-session');
    assert.ok(session, 'the browser kept the session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.path, '/dashboard');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read it');

    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
    await account.waitFor();
    assert.equal(await account.innerText(), 'Signed in as Alice Admin (admin)');

    // Sign out ends the provider's session too: its own "sign out?" page, then back here.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${p.op.issuer}/**`);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${p.h.url}/`);
    await page.waitForSelector('body[data-state="ready"]');
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    const left = (await context.cookies(p.h.url + '/dashboard/session')).map((c) => c.name);
    assert.ok(!left.includes('__Secure-registrar-session'), left.join(', '));
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    assert.equal(await account.isHidden(), true);
    // Signed out at the provider as well: it asks for the login again.
    await signInAs(page, 'alice');
    await account.waitFor();
    assert.deepEqual(log.offsite, []);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });

  it('a person who is not an admin is not called one; a failed sign-in is explained', async () => {
    const { context, page, log } = await open();
    await signInAs(page, 'bob');
    await page.locator('#account-name').waitFor();
    assert.equal(await page.locator('#account-name').innerText(), 'Signed in as Bob Builder');
    await page.goto(`${p.h.url}/dashboard/callback?code=x&state=y`);
    await page.waitForSelector('body[data-state="ready"]');
    assert.match(await page.locator('#notice-text').innerText(), /took too long|another window/);
    assert.equal(new URL(page.url()).search, '', 'the reason is taken out of the address');
    assert.deepEqual(log.offsite, []);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });
});

describe('owning clients in the dashboard', { timeout: 180_000 }, () => {
  it('register while signed in, find it under My clients after a reload, recover a lost token, claim an anonymous client', async () => {
    const { context, page, log } = await open();
    await signInAs(page, 'bob');
    await page.locator('#account-name').waitFor();

    // Register through the New client form: the registration is Bob's.
    await newClient(page);
    await page.getByLabel('Client name').fill('Bob CLI');
    await setRedirectUris(page, ['http://127.0.0.1/callback']);
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/dashboard/clients'),
      page.getByRole('button', { name: /^Save/ }).click(),
    ]);
    assert.equal(saved.status(), 201);
    await settled(page);
    const first = await shownCredentials(page);
    assert.ok(first.client_id && first.registration_access_token);

    // After a reload (a new page, the same session cookie) it is under My clients.
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
    await page.locator('#account-name').waitFor();
    assert.deepEqual(await myClientIds(page), [first.client_id]);

    // The token is lost: a new one, and the client opens in the editor with it.
    const row = page.locator(`#mine-table tbody tr[data-client-id="${first.client_id}"]`);
    await row.getByRole('button', { name: 'New registration access token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Issue a new registration access token?' });
    const [reissued] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/registration-access-token')),
      dialog.getByRole('button', { name: 'Issue a new token' }).click(),
    ]);
    assert.equal(reissued.status(), 200);
    const loaded = await shownCredentials(page);
    assert.equal(loaded.client_id, first.client_id);
    assert.notEqual(loaded.registration_access_token, first.registration_access_token);
    assert.equal((await p.h.request('GET', `/register/${first.client_id}`, { token: first.registration_access_token })).status, 401, 'the old token is dead');
    assert.equal((await p.h.request('GET', `/register/${first.client_id}`, { token: loaded.registration_access_token })).status, 200);

    // A client registered anonymously is claimed with its token.
    const anon = await p.h.registerOk({ client_name: 'Old anonymous app', redirect_uris: ['https://old.example/cb'] });
    await myClientIds(page);
    const claimForm = page.locator('#claim-form');
    await claimForm.getByLabel('Client ID', { exact: true }).fill(anon.client_id);
    await claimForm.getByLabel('Registration access token', { exact: true }).fill('wrong-token');
    await claimForm.getByRole('button', { name: 'Claim' }).click();
    await page.locator('#claim-error').filter({ hasText: /refused/ }).waitFor();
    await claimForm.getByLabel('Registration access token', { exact: true }).fill(anon.registration_access_token);
    await claimForm.getByRole('button', { name: 'Claim' }).click();
    await page.locator(`#mine-table tbody tr[data-client-id="${anon.client_id}"]`).waitFor();
    assert.deepEqual(new Set(await myClientIds(page)), new Set([first.client_id, anon.client_id]));
    assert.deepEqual(log.offsite, []);
    assert.deepEqual(log.pageErrors, []);
    await context.close();
  });

  it('the Admin section opens by identity for alice (registrar-admins), not for bob', async () => {
    const a = await open();
    await signInAs(a.page, 'alice');
    await a.page.locator('#account-name').waitFor();
    await a.page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'Admin' }).click();
    await a.page.locator('#admin-state').filter({ hasText: 'an admin of this dashboard' }).waitFor();
    await a.page.locator('#a-clients-table tbody tr').first().waitFor();
    assert.equal(await a.page.locator('#admin-signin').isHidden(), true, 'no admin token asked for');
    await a.context.close();

    const b = await open();
    await signInAs(b.page, 'bob');
    await b.page.locator('#account-name').waitFor();
    await b.page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'Admin' }).click();
    await b.page.locator('#a-token').waitFor();
    assert.equal(await b.page.locator('#admin-signin').isVisible(), true, 'bob needs the admin token');
    assert.deepEqual(a.log.pageErrors, []);
    assert.deepEqual(b.log.pageErrors, []);
    await b.context.close();
  });
});
