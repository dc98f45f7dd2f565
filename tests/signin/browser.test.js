// Dashboard sign-in in a real browser (Debian Chromium, playwright-core) through a real OpenID
// Provider's own login and consent pages (node-oidc-provider, tests/signin/op.js): the Sign in
// button, the provider's pages, the way back, "Signed in as", a reload keeping the session,
// Sign out, and a failed sign-in explained. Requests may go only to the Worker and the provider.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../browser/helpers.js';
import { pair } from './pair.js';

let p;
let browser;
before(async () => {
  [p, browser] = await Promise.all([pair(), launchBrowser()]);
});
after(async () => {
  await browser?.close().catch(() => {});
  await p?.close();
});

async function open() {
  const allowed = [new URL(p.h.url).origin, new URL(p.op.issuer).origin];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const log = { offsite: [], pageErrors: [] };
  await context.route(() => true, (route) => {
    const url = route.request().url();
    if (allowed.some((o) => url === o || url.startsWith(`${o}/`))) return route.continue();
    // The provider's own login page asks for a web font; only the dashboard's requests count.
    let from = '';
    try { from = route.request().frame().url(); } catch { /* no frame: a service worker */ }
    if (!from.startsWith(p.op.issuer)) log.offsite.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => log.pageErrors.push(String(e)));
  await page.goto(`${p.h.url}/`);
  await page.waitForSelector('body[data-state="ready"]');
  return { context, page, log };
}

/** Clicks Sign in and fills the provider's login and consent pages as `login`. */
async function signInAs(page, login) {
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(`${p.op.issuer}/**`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${p.h.url}/**`);
  await page.waitForSelector('body[data-state="ready"]');
}

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

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    assert.match(await page.locator('#notice-text').innerText(), /signed out/);
    const left = (await context.cookies(p.h.url + '/dashboard/session')).map((c) => c.name);
    assert.ok(!left.includes('__Secure-registrar-session'), left.join(', '));
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    assert.equal(await account.isHidden(), true);
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
