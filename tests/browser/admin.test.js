// The Admin section of the dashboard, end to end against the built worker in `token` mode:
// signing in (and the token kept in page memory only), initial access tokens minted, copied, used
// from the New client form and from the command line, revoked; the client list with search and
// keyset paging; the client detail and its lifecycle (suspend, reactivate, re-issue the
// registration access token, rotate the secret, delete); the audit log; payloads never executed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { start } from '../worker/harness.js';
import { AUDIT_EVENTS } from '../../static/js/admin-audit.js';
import {
  setup, openDashboard, assertClean, newClient, tab, setRedirectUris, saveAndWait, settled, labelProblems,
} from './helpers.js';

const ADMIN = 'browser-admin-token-0123456789abcdefghijklmnop';
const AS = 'browser-as-api-token-0123456789abcdefghijklmnop';
let env;
before(async () => {
  env = await setup({ vars: { ADMIN_TOKEN: ADMIN, AS_API_TOKEN: AS, REGISTRATION_MODE: 'token' } });
}, { timeout: 60_000 });
after(async () => { await env?.close(); });

const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** The API, as the admin. */
function admin(method, path, json) {
  return env.h.request(method, path, { token: ADMIN, json });
}

/** Registers straight through the API with the admin token (the server is in token mode). */
function registerAsAdmin(meta) {
  return env.h.registerOk(meta, { token: ADMIN });
}

/** Every client the admin API lists for a query, following next_cursor. */
async function apiClients(query = {}) {
  const out = [];
  let cursor;
  for (let i = 0; i < 50; i++) {
    const q = new URLSearchParams({ ...query, limit: '100', ...(cursor ? { cursor } : {}) });
    const r = await admin('GET', `/admin/clients?${q}`);
    assert.equal(r.status, 200, r.text);
    out.push(...r.body.clients);
    if (!r.body.next_cursor) return out;
    cursor = r.body.next_cursor;
  }
  assert.fail('the client listing does not end');
}

function view(page) {
  return page.locator('#view-admin');
}

async function openAdmin(page) {
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'Admin', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Admin' }).waitFor();
}

/** Runs an action and waits for the API response it causes (method + path prefix), then for the page to settle. */
async function acting(page, method, pathPrefix, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname.startsWith(pathPrefix)),
    action(),
  ]);
  await settled(page);
  return response;
}

async function signIn(page, token = ADMIN) {
  await openAdmin(page);
  await view(page).getByLabel('Admin token', { exact: true }).fill(token);
  return acting(page, 'GET', '/admin/clients', () => view(page).getByRole('button', { name: 'Sign in' }).click());
}

/** Signs in; the page has settled once the first page of clients is shown. */
async function signedIn(page) {
  const res = await signIn(page);
  assert.equal(res.status(), 200);
  await page.locator('#admin-area').waitFor();
  assert.equal(await page.locator('#a-clients-list').isVisible(), true);
}

function adminTab(page, name) {
  return view(page).getByRole('tab', { name });
}

/** client_ids shown in the client table, in order. */
function shownClientIds(page) {
  return page.locator('#a-clients-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.clientId));
}

function clientRow(page, clientId) {
  return page.locator('#a-clients-table tbody tr').filter({ has: page.locator('td code', { hasText: clientId }) });
}

async function search(page, fields) {
  const form = view(page).getByRole('search', { name: 'Search clients' });
  await form.getByRole('button', { name: 'Clear' }).click();
  await settled(page);
  for (const [label, value] of Object.entries(fields)) {
    const control = form.getByLabel(label, { exact: true });
    if (await control.evaluate((e) => e.tagName) === 'SELECT') await control.selectOption(value);
    else await control.fill(value);
  }
  return acting(page, 'GET', '/admin/clients', () => form.getByRole('button', { name: 'Search' }).click());
}

async function openClientDetail(page, clientId) {
  await search(page, { 'Client ID starts with': clientId });
  await acting(page, 'GET', `/admin/clients/${clientId}`, () => clientRow(page, clientId).getByRole('button').click());
  await page.locator('#a-detail').waitFor();
  assert.equal(await page.locator('#a-detail-id').innerText(), clientId);
}

async function confirm(page, title, button) {
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: button }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/** Events the audit table shows: [{ event, client_id, actor }]. */
function shownEvents(page) {
  return page.locator('#a-audit-table tbody tr').evaluateAll((trs) => trs.map((tr) => {
    const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent.trim());
    return { event: cells[1], client_id: cells[2], actor: cells[3], request_id: cells[4] };
  }));
}

async function filterAudit(page, { clientId = '', event = '', actor = '' } = {}) {
  const form = view(page).getByRole('search', { name: 'Filter audit events' });
  await form.getByLabel('Client ID', { exact: true }).fill(clientId);
  await form.getByLabel('Event', { exact: true }).selectOption(event);
  await form.getByLabel('Actor', { exact: true }).fill(actor);
  const res = await acting(page, 'GET', '/admin/audit', () => form.getByRole('button', { name: 'Apply filters' }).click());
  assert.equal(res.status(), 200);
  return shownEvents(page);
}

async function clipboard(page) {
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Nothing anywhere in browser storage, cookies, the URL or the page's markup holds the value. */
async function assertNotStored(page, context, value, where) {
  const found = await page.evaluate(async (v) => {
    const out = [];
    for (const [name, store] of [['localStorage', localStorage], ['sessionStorage', sessionStorage]]) {
      if (store.length) out.push(`${name} has ${store.length} item(s)`);
      for (let i = 0; i < store.length; i++) if ((store.getItem(store.key(i)) ?? '').includes(v)) out.push(`${name} holds it`);
    }
    if (document.cookie !== '') out.push(`document.cookie is ${document.cookie}`);
    if (location.href.includes(v)) out.push('the URL holds it');
    if (document.documentElement.outerHTML.includes(v)) out.push('the markup holds it');
    for (const input of document.querySelectorAll('input, textarea')) if (input.value.includes(v)) out.push(`#${input.id} holds it`);
    if (indexedDB.databases) {
      const dbs = await indexedDB.databases();
      if (dbs.length) out.push(`IndexedDB: ${dbs.map((d) => d.name).join(', ')}`);
    }
    if ((await caches.keys()).length) out.push('Cache Storage is used');
    return out;
  }, value);
  assert.deepEqual(found, [], `${where}: the admin token was kept somewhere`);
  assert.deepEqual(await context.cookies(), [], `${where}: cookies`);
  const storage = await context.storageState();
  assert.ok(!JSON.stringify(storage).includes(value), `${where}: the context's storage state holds the admin token`);
  assert.deepEqual(storage.origins.flatMap((o) => o.localStorage), [], `${where}: localStorage`);
}

// Payloads: markup in client names, labels, software ids and URLs.
const P_IMG = '<img src=x onerror=window.__xss=1>';
const P_SCRIPT = '"><script>window.__xss=1</script>';
const P_SVG = '<svg onload=window.__xss=1>';

async function assertNothingRan(page, log, where) {
  const state = await page.evaluate(() => ({
    xss: window.__xss,
    scripts: [...document.scripts].map((s) => s.getAttribute('src')),
    injected: document.querySelectorAll('img, svg:not(.brand-mark), iframe, object, embed, script:not([src])').length,
  }));
  assert.equal(state.xss, undefined, `${where}: a payload ran`);
  assert.deepEqual(state.scripts, ['/js/app.js'], `${where}: a script element was added`);
  assert.equal(state.injected, 0, `${where}: markup from data became elements`);
  assert.deepEqual(log.dialogs, [], `${where}: a dialog opened`);
}

// ---------------------------------------------------------------------------------------------

describe('Admin: signing in', () => {
  it('a wrong token is refused with a message; the right one lists the clients; the token is kept in no storage; Sign out forgets it', async () => {
    const c = await registerAsAdmin({ client_name: 'Listed after sign-in', redirect_uris: ['https://signin.example/cb'] });
    const { page, context, log } = await openDashboard(env);
    const adminRequests = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/admin/')) adminRequests.push(r); });

    await openAdmin(page);
    const tokenInput = view(page).getByLabel('Admin token', { exact: true });
    assert.equal(await tokenInput.getAttribute('type'), 'password');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'a-token', 'the token field has the focus');

    // Nothing typed: checked before sending.
    await view(page).getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.locator('#a-signin-error').innerText(), /Enter the admin token/);
    assert.equal(adminRequests.length, 0);

    // Wrong token: 401, said plainly, beside the field and in the summary.
    const wrong = await signIn(page, `${ADMIN}-wrong`);
    assert.equal(wrong.status(), 401);
    const summary = page.locator('#a-signin-error');
    assert.equal(await summary.isVisible(), true);
    assert.match(await summary.innerText(), /Not signed in/);
    assert.match(await summary.innerText(), /invalid_token/);
    assert.match(await summary.innerText(), /admin token is wrong/);
    assert.equal(await tokenInput.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#admin-area').count(), 0, 'nothing of the signed-in part is in the page');

    // Right token: the list, the token sent as a Bearer and nowhere else.
    const ok = await signIn(page);
    assert.equal(ok.status(), 200);
    assert.equal(ok.request().headers().authorization, `Bearer ${ADMIN}`);
    await clientRow(page, c.client_id).waitFor();
    assert.equal(await clientRow(page, c.client_id).getByRole('button').innerText(), 'Listed after sign-in');
    assert.equal(await tokenInput.inputValue(), '', 'the password field is emptied');
    assert.equal(await view(page).getByRole('button', { name: 'Sign out' }).isVisible(), true);
    for (const r of adminRequests) assert.equal(r.headers().cookie, undefined, 'a cookie was sent');
    await assertNotStored(page, context, ADMIN, 'after sign-in');

    // Use every section, then check again.
    await acting(page, 'GET', '/admin/initial-access-tokens', () => adminTab(page, 'Initial access tokens').click());
    await acting(page, 'GET', '/admin/audit', () => adminTab(page, 'Audit log').click());
    await assertNotStored(page, context, ADMIN, 'after browsing the sections');

    // Leaving the Admin view keeps the sign-in (page memory); coming back lists again.
    await page.getByRole('button', { name: 'Manage a client' }).click();
    await acting(page, 'GET', '/admin/audit', () => openAdmin(page));
    assert.equal(await view(page).getByRole('button', { name: 'Sign out' }).isVisible(), true);

    // Sign out: the signed-in part leaves the page; no admin request is made any more.
    await view(page).getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('status').filter({ hasText: 'Signed out' }).waitFor();
    assert.equal(await page.locator('#admin-area').count(), 0);
    assert.equal(await tokenInput.isVisible(), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'a-token');
    const before = adminRequests.length;
    await page.getByRole('button', { name: 'Manage a client' }).click();
    await openAdmin(page);
    await page.waitForTimeout(200);
    assert.equal(adminRequests.length, before, 'an admin request was made after Sign out');
    assert.equal(await tokenInput.isVisible(), true, 'signed out for good');
    await assertNotStored(page, context, ADMIN, 'after sign-out');
    await assertClean(page, log);
    await context.close();
  });

  it('a 404 says the admin API is disabled (ADMIN_TOKEN not set on the server)', async () => {
    const off = await start();
    try {
      const { page, context, log } = await openDashboard({ h: off, browser: env.browser });
      const res = await signIn(page);
      assert.equal(res.status(), 404);
      const summary = page.locator('#a-signin-error');
      assert.match(await summary.innerText(), /admin API is disabled/);
      assert.match(await summary.innerText(), /ADMIN_TOKEN/);
      assert.match(await summary.innerText(), /not_found/);
      assert.equal(await page.locator('#admin-area').count(), 0);
      await assertClean(page, log);
      await context.close();
    } finally {
      await off.dispose();
    }
  });
});

describe('Admin: token mode end to end', () => {
  it('an initial access token minted and copied here registers clients from the New client form, the command line and "Register here"; all are listed and audited', async () => {
    const { page, context, log } = await openDashboard(env);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.h.url });
    await signedIn(page);
    await acting(page, 'GET', '/admin/initial-access-tokens', () => adminTab(page, 'Initial access tokens').click());
    const mintForm = page.locator('#a-mint-form');

    // Checked before sending: the label is required.
    await page.locator('#a-label').fill('');
    await mintForm.getByRole('button', { name: 'Mint token' }).click();
    assert.match(await page.locator('#a-mint-error').innerText(), /Label: enter what the token is for/);
    assert.equal(await page.locator('#a-label').getAttribute('aria-invalid'), 'true');
    // An error of the API (an unknown profile) is shown in the summary and beside its field.
    await page.locator('#a-label').fill('Onboarding E2E');
    await page.locator('#a-profile').fill('no-such-profile');
    let res = await acting(page, 'POST', '/admin/initial-access-tokens', () => mintForm.getByRole('button', { name: 'Mint token' }).click());
    assert.equal(res.status(), 400);
    const mintError = page.locator('#a-mint-error');
    assert.match(await mintError.innerText(), /The token was not minted/);
    assert.match(await mintError.innerText(), /invalid_request/);
    assert.match(await mintError.innerText(), /profile: must name a profile/);
    assert.equal(await page.locator('#a-profile').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#a-label').inputValue(), 'Onboarding E2E', 'nothing typed is lost');

    // Mint: 3 uses, 2 hours.
    await page.locator('#a-profile').fill('');
    await page.locator('#a-max-uses').fill('3');
    await page.locator('#a-expires').fill('2');
    await page.locator('#a-expires-unit').selectOption({ label: 'hours' });
    res = await acting(page, 'POST', '/admin/initial-access-tokens', () => mintForm.getByRole('button', { name: 'Mint token' }).click());
    assert.equal(res.status(), 201);
    const sent = res.request().postDataJSON();
    assert.deepEqual(sent, { label: 'Onboarding E2E', expires_in: 7200, max_uses: 3 });
    const minted = await res.json();
    const box = page.getByRole('region', { name: 'Token minted: Onboarding E2E' });
    await box.waitFor();
    assert.match(await box.innerText(), /shown only once/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'a-minted-title');
    assert.equal(await box.getByLabel('Token value').inputValue(), minted.token);
    // The listing shows it: active, 0 / 3.
    const iatRow = page.locator('#a-iats-table tbody tr').filter({ hasText: 'Onboarding E2E' });
    assert.match(await iatRow.innerText(), /active/);
    assert.match(await iatRow.innerText(), /0 \/ 3/);

    // The command line, run as a fetch: the same URL, headers and body.
    const command = await box.getByLabel('Command line').inputValue();
    await box.getByRole('button', { name: 'Copy command' }).click();
    assert.equal(await clipboard(page), command);
    const m = /^curl -X POST (\S+) \\\n {2}-H '([^']+)' \\\n {2}-H '([^']+)' \\\n {2}-d '([^']+)'$/.exec(command);
    assert.ok(m, `unexpected command line:\n${command}`);
    assert.equal(m[1], `${env.h.url}/register`);
    assert.equal(m[2], `Authorization: Bearer ${minted.token}`);
    assert.equal(m[3], 'Content-Type: application/json');
    const cliBody = { ...JSON.parse(m[4]), client_name: 'E2E from the command line' };
    const cliRes = await fetch(m[1], {
      method: 'POST',
      headers: { [m[2].split(': ')[0]]: m[2].split(': ')[1], [m[3].split(': ')[0]]: m[3].split(': ')[1] },
      body: JSON.stringify(cliBody),
    });
    assert.equal(cliRes.status, 201, await cliRes.clone().text());
    const cli = await cliRes.json();

    // Copy the token: the clipboard holds exactly the minted value.
    await box.getByRole('button', { name: 'Copy', exact: true }).click();
    const copied = await clipboard(page);
    assert.equal(copied, minted.token, 'Copy copies the minted token');

    // The New client form: without a token the 401 points to the Credentials tab field.
    await newClient(page);
    const editor = page.locator('#view-editor');
    await editor.getByLabel('Client name').fill('E2E from the form');
    await setRedirectUris(page, ['https://e2e-form.example/cb']);
    let saved = await saveAndWait(page);
    assert.equal(saved.status, 401);
    assert.match(await page.locator('#error-summary').innerText(), /initial access token/);
    assert.equal(await tab(page, 'Credentials').locator('.tab-err').isVisible(), true, 'the Credentials tab is marked');
    await page.locator('#error-summary').getByRole('link').click();
    assert.equal(await tab(page, 'Credentials').getAttribute('aria-selected'), 'true');
    const iatField = editor.getByLabel(/^Initial access token/);
    assert.equal(await iatField.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'f-initial_access_token');
    // Paste what was copied in the Admin section.
    await iatField.focus();
    await page.keyboard.press('Control+V');
    assert.equal(await iatField.inputValue(), copied, 'pasted from the clipboard');
    saved = await saveAndWait(page);
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    assert.equal(saved.request.headers().authorization, `Bearer ${minted.token}`);
    const viaForm = saved.body;
    await page.locator('#result').getByRole('button', { name: 'Copy JSON' }).click();

    // "Register a client with it here" opens the form with the field filled.
    await acting(page, 'GET', '/admin/initial-access-tokens', () => openAdmin(page));
    await box.getByRole('button', { name: 'Register a client with it here' }).click();
    await page.getByRole('heading', { level: 1, name: 'New client' }).waitFor();
    assert.equal(await editor.getByLabel(/^Initial access token/).inputValue(), minted.token);
    assert.match(await page.getByRole('status').innerText(), /Credentials tab/);
    await editor.getByLabel('Client name').fill('E2E from Register here');
    await setRedirectUris(page, ['https://e2e-here.example/cb']);
    saved = await saveAndWait(page);
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const viaHere = saved.body;
    await page.locator('#result').getByRole('button', { name: 'Copy JSON' }).click();

    // All three in the client list, registered by the token.
    await acting(page, 'GET', '/admin/initial-access-tokens', () => openAdmin(page));
    await acting(page, 'GET', '/admin/clients', () => adminTab(page, 'Clients').click());
    await search(page, { 'Name contains': 'E2E from' });
    const ids = await shownClientIds(page);
    assert.deepEqual(new Set(ids), new Set([viaForm.client_id, cli.client_id, viaHere.client_id]));
    for (const id of ids) {
      const text = await clientRow(page, id).innerText();
      assert.match(text, new RegExp(`iat:${minted.id}`), 'registered_by');
      assert.match(text, /active/);
    }
    // The token is used up: 3 / 3, exhausted.
    await acting(page, 'GET', '/admin/initial-access-tokens', () => adminTab(page, 'Initial access tokens').click());
    assert.match(await iatRow.innerText(), /3 \/ 3/);
    assert.match(await iatRow.innerText(), /exhausted/);

    // The audit log: iat_minted, then per client client_registered and iat_used, by iat:<id>.
    await acting(page, 'GET', '/admin/audit', () => adminTab(page, 'Audit log').click());
    const byToken = await filterAudit(page, { actor: `iat:${minted.id}` });
    for (const id of [viaForm.client_id, cli.client_id, viaHere.client_id]) {
      const mine = byToken.filter((e) => e.client_id === id).map((e) => e.event).sort();
      assert.deepEqual(mine, ['client_registered', 'iat_used'], `events of ${id}`);
    }
    const mintedEvents = await filterAudit(page, { event: 'iat_minted' });
    assert.ok(mintedEvents.length >= 1 && mintedEvents.every((e) => e.event === 'iat_minted' && e.actor === 'admin'));
    const details = await page.locator('#a-audit-table tbody pre').allTextContents();
    assert.ok(details.some((d) => JSON.parse(d).detail?.iat_id === minted.id), 'the iat_minted event of this token');
    const ofForm = await filterAudit(page, { clientId: viaForm.client_id, event: 'client_registered' });
    assert.equal(ofForm.length, 1);
    assert.equal(ofForm[0].actor, `iat:${minted.id}`);
    // The Event filter offers every event the server records, the scheduled clean-up's too.
    const offered = await page.locator('#a-audit-event option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(offered.filter(Boolean), AUDIT_EVENTS);
    for (const event of ['iat_expired', 'client_expired']) assert.deepEqual(await filterAudit(page, { event }), [], event);
    // Clear empties the filter and lists every event again.
    const auditForm = view(page).getByRole('search', { name: 'Filter audit events' });
    const cleared = await acting(page, 'GET', '/admin/audit', () => auditForm.getByRole('button', { name: 'Clear' }).click());
    assert.deepEqual([...new URL(cleared.url()).searchParams.keys()], ['limit'], 'no filter after Clear');
    assert.equal(await auditForm.getByLabel('Event', { exact: true }).inputValue(), '');
    assert.ok(new Set((await shownEvents(page)).map((e) => e.event)).size > 1, 'events of several kinds');
    await assertClean(page, log);
    await context.close();
  });

  it('a revoked initial access token is listed as revoked and refused (401)', async () => {
    const { page, context, log } = await openDashboard(env);
    await signedIn(page);
    await acting(page, 'GET', '/admin/initial-access-tokens', () => adminTab(page, 'Initial access tokens').click());
    await page.locator('#a-label').fill('To be revoked');
    await page.locator('#a-max-uses').fill('5');
    const res = await acting(page, 'POST', '/admin/initial-access-tokens', () => page.getByRole('button', { name: 'Mint token' }).click());
    const t = await res.json();
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    assert.equal((await env.h.register({ client_name: 'before revoke', redirect_uris: ['https://rv.example/cb'] }, { token: t.token })).status, 201);

    const row = page.locator('#a-iats-table tbody tr').filter({ hasText: 'To be revoked' });
    await row.getByRole('button', { name: /Revoke/ }).click();
    // Cancel keeps it.
    await confirm(page, 'Revoke this token?', 'Cancel');
    assert.match(await row.innerText(), /active/);
    await row.getByRole('button', { name: /Revoke/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this token?' });
    assert.match(await dialog.innerText(), /To be revoked/);
    const del = await acting(page, 'DELETE', `/admin/initial-access-tokens/${t.id}`, () => dialog.getByRole('button', { name: 'Revoke token' }).click());
    assert.equal(del.status(), 204);
    assert.match(await row.innerText(), /revoked/);
    assert.match(await row.innerText(), /1 \/ 5/);
    assert.equal(await row.getByRole('button').count(), 0, 'no Revoke on a revoked token');
    const after = await env.h.register({ client_name: 'after revoke', redirect_uris: ['https://rv.example/cb'] }, { token: t.token });
    assert.equal(after.status, 401);
    assert.equal(after.body.error, 'invalid_token');

    await acting(page, 'GET', '/admin/audit', () => adminTab(page, 'Audit log').click());
    const events = await filterAudit(page, { event: 'iat_revoked' });
    assert.ok(events.length >= 1);
    const details = await page.locator('#a-audit-table tbody pre').allTextContents();
    assert.ok(details.some((d) => JSON.parse(d).detail?.iat_id === t.id));
    await assertClean(page, log);
    await context.close();
  });
});

describe('Admin: the client list', () => {
  it('search filters narrow the list (each checked against the API) and keyset paging walks more clients than a page', async () => {
    const tag = `pg${Date.now().toString(36)}`;
    const made = [];
    for (let i = 0; i < 23; i++) {
      made.push(await registerAsAdmin({
        client_name: `${tag} client ${String(i).padStart(2, '0')}`,
        redirect_uris: [`https://${i % 3 === 0 ? 'three' : 'other'}.${tag}.example/cb`],
        software_id: i % 2 === 0 ? `${tag}-even` : `${tag}-odd`,
      }));
    }
    const suspended = made[5];
    assert.equal((await admin('POST', `/admin/clients/${enc(suspended.client_id)}/suspend`)).status, 200);

    const { page, context, log } = await openDashboard(env);
    await signedIn(page);

    // Paging: 10 per page over the 23 of this test.
    const form = view(page).getByRole('search', { name: 'Search clients' });
    await form.getByLabel('Clients per page').selectOption('10');
    let res = await search(page, { 'Name contains': tag.toUpperCase(), 'Clients per page': '10' });
    assert.match(res.url(), /limit=10/);
    assert.match(res.url(), new RegExp(`q=${tag.toUpperCase()}`));
    const pages = [];
    const prev = view(page).getByRole('button', { name: 'Previous page' }).first();
    const next = view(page).getByRole('button', { name: 'Next page' }).first();
    assert.equal(await prev.getAttribute('aria-disabled'), 'true');
    pages.push(await shownClientIds(page));
    for (let i = 0; i < 2; i++) {
      assert.equal(await next.getAttribute('aria-disabled'), 'false');
      res = await acting(page, 'GET', '/admin/clients', () => next.click());
      assert.match(res.url(), /cursor=/);
      pages.push(await shownClientIds(page));
    }
    assert.deepEqual(pages.map((p) => p.length), [10, 10, 3]);
    assert.equal(await next.getAttribute('aria-disabled'), 'true', 'no next page after the last');
    assert.match(await page.locator('#a-clients-page').innerText(), /Page 3/);
    const all = pages.flat();
    assert.equal(new Set(all).size, 23, 'pages are disjoint');
    assert.deepEqual(all, (await apiClients({ q: tag })).map((c) => c.client_id), 'the same clients, newest first');
    // Previous goes back through the stack of cursors.
    await acting(page, 'GET', '/admin/clients', () => prev.click());
    assert.deepEqual(await shownClientIds(page), pages[1]);
    await acting(page, 'GET', '/admin/clients', () => prev.click());
    assert.deepEqual(await shownClientIds(page), pages[0]);
    assert.equal(await prev.getAttribute('aria-disabled'), 'true');

    // Each filter, against what the API itself answers.
    const cases = [
      [{ 'Client ID starts with': made[7].client_id.slice(0, 12) }, { client_id_prefix: made[7].client_id.slice(0, 12) }],
      [{ 'Name contains': tag, 'Redirect URI host': `three.${tag}.example` }, { q: tag, redirect_host: `three.${tag}.example` }],
      [{ 'Software ID is': `${tag}-odd` }, { software_id: `${tag}-odd` }],
      [{ 'Name contains': tag, Status: 'suspended' }, { q: tag, status: 'suspended' }],
      [{ 'Name contains': tag, Status: 'active', 'Software ID is': `${tag}-even` }, { q: tag, status: 'active', software_id: `${tag}-even` }],
    ];
    for (const [fields, query] of cases) {
      res = await search(page, { ...fields, 'Clients per page': '100' });
      assert.equal(res.status(), 200);
      const expected = (await apiClients(query)).map((c) => c.client_id);
      assert.ok(expected.length > 0 && expected.length < 23 + 1, JSON.stringify(query));
      assert.deepEqual(await shownClientIds(page), expected, `filter ${JSON.stringify(fields)}`);
    }
    assert.deepEqual(new Set(await shownClientIds(page)), new Set(made.filter((_, i) => i % 2 === 0).map((c) => c.client_id)));
    assert.match(await clientRow(page, made[0].client_id).innerText(), /active/);
    await search(page, { 'Name contains': tag, Status: 'suspended' });
    assert.deepEqual(await shownClientIds(page), [suspended.client_id]);
    assert.match(await clientRow(page, suspended.client_id).innerText(), /suspended/);

    // Dates: days in the browser's time zone, sent as Unix seconds.
    const day = (offset) => {
      const d = new Date();
      d.setDate(d.getDate() + offset);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    const midnight = (offset) => {
      const d = new Date();
      d.setHours(0, 0, 0, 0);
      d.setDate(d.getDate() + offset);
      return Math.floor(d.getTime() / 1000);
    };
    res = await search(page, { 'Name contains': tag, 'Created on or after': day(0), 'Created before': day(1), 'Clients per page': '50' });
    const q = new URL(res.url()).searchParams;
    assert.equal(q.get('created_after'), String(midnight(0) - 1));
    assert.equal(q.get('created_before'), String(midnight(1)));
    assert.equal((await shownClientIds(page)).length, 23);
    await search(page, { 'Name contains': tag, 'Created on or after': day(1) });
    assert.deepEqual(await shownClientIds(page), []);
    assert.equal(await page.locator('#a-clients-empty').isVisible(), true);
    await search(page, { 'Name contains': tag, 'Created before': day(0) });
    assert.deepEqual(await shownClientIds(page), []);
    // Clear empties the form and its errors, and lists every client again, newest first.
    res = await acting(page, 'GET', '/admin/clients', () => form.getByRole('button', { name: 'Clear' }).click());
    const cleared = new URL(res.url()).searchParams;
    assert.deepEqual([...cleared.keys()], ['limit'], 'no filter after Clear');
    assert.equal(await form.getByLabel('Name contains').inputValue(), '');
    const everyone = (await apiClients()).map((c) => c.client_id);
    assert.deepEqual(await shownClientIds(page), everyone.slice(0, Number(cleared.get('limit'))));
    // The audit log pages the same way: 10 per page, Next and Previous, as the API pages it.
    await acting(page, 'GET', '/admin/audit', () => adminTab(page, 'Audit log').click());
    const auditForm = view(page).getByRole('search', { name: 'Filter audit events' });
    await auditForm.getByLabel('Events per page').selectOption('10');
    await acting(page, 'GET', '/admin/audit', () => auditForm.getByRole('button', { name: 'Apply filters' }).click());
    const eventIds = () => page.locator('#a-audit-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.eventId));
    const first = (await admin('GET', '/admin/audit?limit=10')).body;
    const second = (await admin('GET', `/admin/audit?limit=10&cursor=${enc(first.next_cursor)}`)).body;
    assert.deepEqual(await eventIds(), first.events.map((e) => String(e.id)));
    const auditNext = page.locator('#a-audit-next');
    const auditPrev = page.locator('#a-audit-prev');
    await acting(page, 'GET', '/admin/audit', () => auditNext.click());
    assert.deepEqual(await eventIds(), second.events.map((e) => String(e.id)));
    assert.match(await page.locator('#a-audit-page').innerText(), /Page 2/);
    await acting(page, 'GET', '/admin/audit', () => auditPrev.click());
    assert.deepEqual(await eventIds(), first.events.map((e) => String(e.id)));
    assert.equal(await auditPrev.getAttribute('aria-disabled'), 'true');
    await acting(page, 'GET', '/admin/clients', () => adminTab(page, 'Clients').click());

    // A contradictory range is caught before sending.
    await form.getByLabel('Created on or after').fill(day(1));
    await form.getByLabel('Created before').fill(day(0));
    await form.getByRole('button', { name: 'Search' }).click();
    assert.match(await page.locator('#a-clients-error').innerText(), /Created before/);
    assert.equal(await form.getByLabel('Created before').getAttribute('aria-invalid'), 'true');
    await assertClean(page, log);
    await context.close();
  });
});

describe('Admin: a client', () => {
  it('detail shows every metadata member; suspend (PUT → 403), reactivate, re-issue the token, rotate the secret, audit, delete', async () => {
    const meta = {
      client_name: 'Lifecycle app',
      'client_name#fr': 'Appli cycle de vie',
      redirect_uris: ['https://life.example/cb', 'https://life.example/cb2'],
      contacts: ['ops@life.example'],
      software_id: 'life-sw',
      software_version: '1.0',
      scope: 'openid email',
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_post',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] },
      require_auth_time: true,
      default_max_age: 3600,
    };
    const reg = await registerAsAdmin(meta);
    let rat = reg.registration_access_token;
    const { page, context, log } = await openDashboard(env);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.h.url });
    await signedIn(page);
    await openClientDetail(page, reg.client_id);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'a-detail-title');
    assert.equal(await page.locator('#a-detail-title').innerText(), 'Lifecycle app');

    // Every member, as text.
    const summary = (await admin('GET', `/admin/clients/${enc(reg.client_id)}`)).body;
    const shown = await page.locator('#a-detail-meta .prop').evaluateAll((divs) => divs.map((d) => [
      d.querySelector('dt').textContent, d.querySelector('dd').textContent, d.querySelector('dd li') ? [...d.querySelectorAll('dd li')].map((li) => li.textContent) : null,
    ]));
    assert.deepEqual(shown.map(([k]) => k).sort(), Object.keys(summary.metadata).sort(), 'every member is shown');
    for (const [k, text, items] of shown) {
      const v = summary.metadata[k];
      if (typeof v === 'string') assert.equal(text, v, k);
      else if (Array.isArray(v)) assert.deepEqual(items, v, k);
      else if (v && typeof v === 'object') assert.deepEqual(JSON.parse(text), v, k);
      else assert.equal(text, String(v), k);
    }
    const props = await page.locator('#a-detail-props').innerText();
    assert.match(props, /Registered by\s+admin/);
    assert.match(props, /Policy class\s+admin/);

    // Suspend: the status is shown, and the client's own update is refused with 403.
    await acting(page, 'POST', `/admin/clients/${reg.client_id}/suspend`, () => page.getByRole('button', { name: 'Suspend' }).click());
    assert.equal(await page.locator('#a-detail-status').innerText(), 'suspended');
    assert.match(await page.locator('#a-status-hint').innerText(), /403/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'a-reactivate', 'the focus moves to Reactivate');
    const update = { client_id: reg.client_id, ...meta, client_name: 'Lifecycle app v2' };
    let put = await env.h.request('PUT', env.h.clientPath(reg.client_id), { token: rat, json: update });
    assert.equal(put.status, 403, put.text);
    assert.equal(put.body.error, 'access_denied');
    assert.equal((await env.h.request('GET', env.h.clientPath(reg.client_id), { token: rat })).status, 200, 'GET still works');
    // The list says so too.
    await acting(page, 'GET', '/admin/clients', () => page.getByRole('button', { name: 'Back to the list' }).click());
    assert.match(await clientRow(page, reg.client_id).innerText(), /suspended/);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Lifecycle app', 'the focus is back on the row');
    await acting(page, 'GET', `/admin/clients/${reg.client_id}`, () => clientRow(page, reg.client_id).getByRole('button').click());

    // Reactivate: PUT works again (and rotates the token, per RFC 7592 here).
    await acting(page, 'POST', `/admin/clients/${reg.client_id}/reactivate`, () => page.getByRole('button', { name: 'Reactivate' }).click());
    assert.equal(await page.locator('#a-detail-status').innerText(), 'active');
    put = await env.h.request('PUT', env.h.clientPath(reg.client_id), { token: rat, json: update });
    assert.equal(put.status, 200, put.text);
    rat = put.body.registration_access_token;

    // Re-issue the registration access token: shown once, with Copy and Download JSON.
    await page.getByRole('button', { name: 'Re-issue registration access token' }).click();
    const reissue = await acting(page, 'POST', `/admin/clients/${reg.client_id}/registration-access-token`,
      () => confirm(page, 'Re-issue the registration access token?', 'Re-issue token'));
    const reissued = await reissue.json();
    const once = page.getByRole('region', { name: 'New registration access token' });
    await once.waitFor();
    assert.match(await once.innerText(), /shown only once/);
    assert.match(await once.innerText(), /previous token no longer works/);
    const newRat = await once.getByLabel('Registration access token').inputValue();
    assert.equal(newRat, reissued.registration_access_token);
    await once.getByRole('button', { name: 'Copy', exact: true }).click();
    assert.equal(await clipboard(page), newRat);
    const [download] = await Promise.all([page.waitForEvent('download'), once.getByRole('button', { name: 'Download JSON' }).click()]);
    assert.equal(download.suggestedFilename(), `client-${reg.client_id}.json`);
    assert.deepEqual(JSON.parse(fs.readFileSync(await download.path(), 'utf8')), {
      client_id: reg.client_id, registration_access_token: newRat, registration_client_uri: `${env.h.issuer}/register/${reg.client_id}`,
    });
    assert.equal((await env.h.request('GET', env.h.clientPath(reg.client_id), { token: newRat })).status, 200, 'the new token works');
    assert.equal((await env.h.request('GET', env.h.clientPath(reg.client_id), { token: rat })).status, 401, 'the old token is refused');
    rat = newRat;

    // Rotate the client secret: the new one is the current one for RFC 7592 (the old one is refused).
    await page.getByRole('button', { name: 'Rotate client secret' }).click();
    const rotate = await acting(page, 'POST', `/admin/clients/${reg.client_id}/client-secret`,
      () => confirm(page, 'Rotate the client secret?', 'Rotate secret'));
    assert.equal(rotate.status(), 200);
    const secretBox = page.getByRole('region', { name: 'New client secret' });
    await secretBox.waitFor();
    const secret = await secretBox.getByLabel('Client secret').inputValue();
    assert.equal(secret, (await rotate.json()).client_secret);
    assert.notEqual(secret, reg.client_secret);
    const withOld = await env.h.request('PUT', env.h.clientPath(reg.client_id), { token: rat, json: { ...update, client_secret: reg.client_secret } });
    assert.equal(withOld.status, 400, withOld.text);
    const withNew = await env.h.request('PUT', env.h.clientPath(reg.client_id), { token: rat, json: { ...update, client_secret: secret } });
    assert.equal(withNew.status, 200, withNew.text);
    rat = withNew.body.registration_access_token;

    // A value shown once is not dropped without asking: re-issuing again would replace it.
    await page.getByRole('button', { name: 'Re-issue registration access token' }).click();
    await confirm(page, 'Drop a value shown only once?', 'Cancel');
    assert.equal(await secretBox.getByLabel('Client secret').inputValue(), secret, 'still shown after Cancel');
    await secretBox.getByRole('button', { name: 'Copy', exact: true }).click();
    assert.equal(await clipboard(page), secret);

    // Its audit events, from the detail.
    await acting(page, 'GET', '/admin/audit', () => page.getByRole('button', { name: 'Audit events' }).click());
    assert.equal(await adminTab(page, 'Audit log').getAttribute('aria-selected'), 'true');
    assert.equal(await view(page).getByRole('search', { name: 'Filter audit events' }).getByLabel('Client ID', { exact: true }).inputValue(), reg.client_id);
    const events = await shownEvents(page);
    assert.ok(events.every((e) => e.client_id === reg.client_id));
    const names = events.map((e) => e.event);
    for (const name of ['client_registered', 'client_suspended', 'client_reactivated', 'registration_token_reissued', 'client_secret_rotated', 'client_updated', 'client_read']) {
      assert.ok(names.includes(name), `${name} in ${names}`);
    }
    assert.equal(names.indexOf('client_secret_rotated') < names.indexOf('client_suspended'), true, 'newest first');
    assert.equal(events.find((e) => e.event === 'client_suspended').actor, 'admin');

    // Delete: asks first; then the client is gone from the list and its token gets 401.
    await acting(page, 'GET', '/admin/clients', () => adminTab(page, 'Clients').click().then(() => page.getByRole('button', { name: 'Back to the list' }).click()));
    await acting(page, 'GET', `/admin/clients/${reg.client_id}`, () => clientRow(page, reg.client_id).getByRole('button').click());
    await page.locator('#a-detail').getByRole('button', { name: 'Delete client' }).click();
    await confirm(page, 'Delete this client?', 'Cancel');
    assert.equal((await admin('GET', `/admin/clients/${enc(reg.client_id)}`)).status, 200, 'Cancel keeps it');
    await page.locator('#a-detail').getByRole('button', { name: 'Delete client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this client?' });
    assert.match(await dialog.innerText(), /Lifecycle app/);
    assert.match(await dialog.innerText(), /cannot be undone/);
    const del = await acting(page, 'DELETE', `/admin/clients/${reg.client_id}`, () => dialog.getByRole('button', { name: 'Delete client' }).click());
    assert.equal(del.status(), 204);
    await page.getByRole('status').filter({ hasText: 'was deleted' }).waitFor();
    assert.equal(await page.locator('#a-clients-list').isVisible(), true);
    assert.equal(await clientRow(page, reg.client_id).count(), 0, 'gone from the list');
    assert.equal((await env.h.request('GET', env.h.clientPath(reg.client_id), { token: rat })).status, 401);
    assert.equal((await admin('GET', `/admin/clients/${enc(reg.client_id)}`)).status, 404);
    await assertClean(page, log);
    await context.close();
  });

  it('shows when the authorization server last used a client, in the list and the detail; — when never', async () => {
    const tag = `lastused${Date.now()}`;
    const used = await registerAsAdmin({ client_name: `${tag} used`, redirect_uris: ['https://used.example/cb'] });
    const never = await registerAsAdmin({ client_name: `${tag} never`, redirect_uris: ['https://never.example/cb'] });
    const auth = await env.h.request('POST', `/as/v1/clients/${enc(used.client_id)}/authenticate`, { token: AS, json: { client_secret: used.client_secret } });
    assert.equal(auth.status, 200, auth.text);
    const usedAt = (await admin('GET', `/admin/clients/${enc(used.client_id)}`)).body.last_used_at;
    assert.ok(Number.isInteger(usedAt));
    const { page, context, log } = await openDashboard(env);
    await signedIn(page);
    await search(page, { 'Name contains': tag });
    const lastUsed = (id) => clientRow(page, id).locator('td[data-label="Last used"]');
    assert.equal(await lastUsed(used.client_id).locator('time').getAttribute('datetime'), new Date(usedAt * 1000).toISOString());
    assert.equal((await lastUsed(never.client_id).innerText()).trim(), '—');
    assert.equal(await view(page).getByRole('columnheader', { name: 'Last used' }).count(), 1);
    await openClientDetail(page, used.client_id);
    const prop = page.locator('#a-detail-props .prop').filter({ has: page.locator('dt', { hasText: /^Last used$/ }) });
    assert.equal(await prop.locator('dd time').getAttribute('datetime'), new Date(usedAt * 1000).toISOString());
    await assertClean(page, log);
    await context.close();
  });

  it('offers no secret rotation to a client without a secret', async () => {
    const reg = await registerAsAdmin({ client_name: 'Public app', redirect_uris: ['http://127.0.0.1:9000/cb'], token_endpoint_auth_method: 'none' });
    const { page, context, log } = await openDashboard(env);
    await signedIn(page);
    await openClientDetail(page, reg.client_id);
    assert.equal(await page.getByRole('button', { name: 'Rotate client secret' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Re-issue registration access token' }).isVisible(), true);
    await assertClean(page, log);
    await context.close();
  });
});

describe('Admin: safety and accessibility', () => {
  it('payloads in client names, metadata and token labels never execute in the admin views (CSP bypassed)', async () => {
    const reg = await registerAsAdmin({
      client_name: P_IMG,
      redirect_uris: ['https://xss.example/cb?q="><svg/onload=window.__xss=1>'],
      contacts: [P_SCRIPT, P_SVG],
      software_id: P_SVG,
      'client_name#fr': P_SCRIPT,
    });
    const { page, context, log } = await openDashboard(env, { bypassCSP: true });
    await signedIn(page);
    await search(page, { 'Client ID starts with': reg.client_id });
    assert.equal(await clientRow(page, reg.client_id).getByRole('button').innerText(), P_IMG);
    await assertNothingRan(page, log, 'client list');
    await acting(page, 'GET', `/admin/clients/${reg.client_id}`, () => clientRow(page, reg.client_id).getByRole('button').click());
    assert.equal(await page.locator('#a-detail-title').innerText(), P_IMG);
    assert.ok((await page.locator('#a-detail-meta').innerText()).includes(P_SCRIPT));
    await page.locator('#a-detail').getByRole('button', { name: 'Delete client' }).click();
    assert.ok((await page.getByRole('dialog').innerText()).includes(P_IMG));
    await confirm(page, 'Delete this client?', 'Cancel');
    await assertNothingRan(page, log, 'client detail');

    await acting(page, 'GET', '/admin/initial-access-tokens', () => adminTab(page, 'Initial access tokens').click());
    await page.locator('#a-label').fill(P_SCRIPT);
    const res = await acting(page, 'POST', '/admin/initial-access-tokens', () => page.getByRole('button', { name: 'Mint token' }).click());
    assert.equal(res.status(), 201);
    assert.equal(await page.locator('#a-minted-title').innerText(), `Token minted: ${P_SCRIPT}`);
    assert.ok(!(await page.locator('#a-minted-command').inputValue()).includes('script'), 'the label is not in the command line');
    const row = page.locator('#a-iats-table tbody tr').filter({ hasText: P_SCRIPT });
    await row.getByRole('button', { name: /Revoke/ }).click();
    assert.ok((await page.getByRole('dialog').innerText()).includes(P_SCRIPT));
    await confirm(page, 'Revoke this token?', 'Cancel');
    await assertNothingRan(page, log, 'initial access tokens');

    await acting(page, 'GET', '/admin/audit', () => adminTab(page, 'Audit log').click());
    await filterAudit(page, { clientId: reg.client_id });
    await page.locator('#a-audit-table tbody summary').first().click();
    assert.ok((await page.locator('#a-audit-table tbody pre').first().innerText()).includes(reg.client_id));
    // An actor filter made of markup comes back as text too.
    await filterAudit(page, { actor: P_IMG });
    await page.waitForTimeout(100);
    await assertNothingRan(page, log, 'audit log');
    await assertClean(page, log);
    await context.close();
  });

  it('keyboard: sign in, tabs with arrow keys, open a client; labels and references are sound; fits 375 px', async () => {
    const reg = await registerAsAdmin({ client_name: 'Keyboard admin app with a rather long name that wraps on phones', redirect_uris: ['https://kbd.example/cb'] });
    const { page, context, log } = await openDashboard(env, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    const active = () => page.evaluate(() => document.activeElement.id || document.activeElement.textContent);

    await openAdmin(page);
    assert.equal(await overflow(), 0, 'sign-in');
    assert.equal(await active(), 'a-token');
    await page.keyboard.type(ADMIN);
    await acting(page, 'GET', '/admin/clients', () => page.keyboard.press('Enter'));
    await page.locator('#a-clients-table tbody tr').first().waitFor();
    await settled(page);
    assert.equal(await active(), 'atab-clients');
    assert.deepEqual(await labelProblems(page), [], 'signed in');

    // Arrow keys move through the sections, as in the New client form.
    await acting(page, 'GET', '/admin/initial-access-tokens', () => page.keyboard.press('ArrowRight'));
    assert.equal(await active(), 'atab-iats');
    assert.equal(await page.locator('#apanel-iats').isVisible(), true);
    assert.equal(await overflow(), 0, 'tokens');
    await acting(page, 'GET', '/admin/audit', () => page.keyboard.press('End'));
    assert.equal(await active(), 'atab-audit');
    assert.equal(await overflow(), 0, 'audit');
    await acting(page, 'GET', '/admin/clients', () => page.keyboard.press('ArrowRight'));
    assert.equal(await active(), 'atab-clients', 'wraps around');

    // Open a client with the keyboard: Tab to its row button and press Enter.
    await search(page, { 'Client ID starts with': reg.client_id });
    await clientRow(page, reg.client_id).getByRole('button').focus();
    await acting(page, 'GET', `/admin/clients/${reg.client_id}`, () => page.keyboard.press('Enter'));
    assert.equal(await active(), 'a-detail-title');
    assert.equal(await overflow(), 0, 'detail');
    const outline = await page.getByRole('button', { name: 'Suspend' }).evaluate((b) => {
      b.focus();
      const cs = getComputedStyle(b);
      return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
    });
    assert.notEqual(outline.style, 'none', 'focus is visible');
    assert.deepEqual(await labelProblems(page), [], 'detail');
    await page.keyboard.press('Enter');
    await settled(page);
    assert.equal(await page.locator('#a-detail-status').innerText(), 'suspended');
    await assertClean(page, log);
    await context.close();
  });

  for (const scheme of ['light', 'dark']) {
    it(`is readable in the ${scheme} colour scheme (table, status pills, links, errors, values shown once)`, async () => {
      const reg = await registerAsAdmin({ client_name: `Contrast ${scheme}`, redirect_uris: ['https://contrast.example/cb'] });
      assert.equal((await admin('POST', `/admin/clients/${enc(reg.client_id)}/suspend`)).status, 200);
      const { page, context, log } = await openDashboard(env, { colorScheme: scheme });
      await signedIn(page);
      await search(page, { Status: 'suspended' });
      await clientRow(page, reg.client_id).waitFor();
      await acting(page, 'GET', '/admin/initial-access-tokens', () => adminTab(page, 'Initial access tokens').click());
      // One token revoked, one active and just minted, and a refused mint (the summary and the field).
      for (const label of [`Contrast ${scheme} revoked`, `Contrast ${scheme}`]) {
        await page.locator('#a-label').fill(label);
        await acting(page, 'POST', '/admin/initial-access-tokens', () => page.getByRole('button', { name: 'Mint token' }).click());
        await page.getByRole('button', { name: 'Copy', exact: true }).click();
        if (label.endsWith('revoked')) {
          await page.locator('#a-iats-table tbody tr').filter({ hasText: label }).getByRole('button', { name: /Revoke/ }).click();
          await acting(page, 'DELETE', '/admin/initial-access-tokens/', () => confirm(page, 'Revoke this token?', 'Revoke token'));
        }
      }
      await page.locator('#a-label').fill('x');
      await page.locator('#a-max-uses').fill('0');
      await page.getByRole('button', { name: 'Mint token' }).click();
      await page.locator('#a-mint-error').waitFor();
      await acting(page, 'GET', '/admin/clients', () => adminTab(page, 'Clients').click());
      await page.locator('#a-clients-table .pill-suspended').first().waitFor();
      await acting(page, 'GET', '/admin/initial-access-tokens', () => adminTab(page, 'Initial access tokens').click());
      await page.locator('#a-iats-table .pill-revoked').first().waitFor();
      const pairs = { // selector → tab that must be shown to measure it
        '#a-iats-table th': 'atab-iats',
        '#a-iats-table .pill-revoked': 'atab-iats',
        '#a-iats-table .pill-active': 'atab-iats',
        '#a-iats-status': 'atab-iats',
        '#a-mint-error .es-title': 'atab-iats',
        '#a-max-uses-error': 'atab-iats',
        '#a-minted-value': 'atab-iats',
        '#a-minted .callout-warning': 'atab-iats',
        '#a-profile-hint': 'atab-iats',
        '#a-clients-table .link-button': 'atab-clients',
        '#a-clients-table .pill-suspended': 'atab-clients',
        '#a-clients-table td code': 'atab-clients',
        '#a-dates-hint': 'atab-clients',
        '#admin-state': 'atab-clients',
      };
      const results = {};
      for (const [selector, tabId] of Object.entries(pairs)) {
        if (await page.locator(`#${tabId}`).getAttribute('aria-selected') !== 'true') {
          await page.locator(`#${tabId}`).click();
          await settled(page);
        }
        results[selector] = await page.locator(selector).first().evaluate((el) => {
          const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
          const lum = (c) => {
            const [r, g, b] = rgb(c).map((v) => {
              const x = v / 255;
              return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          let bg = 'rgb(255, 255, 255)';
          for (let e = el; e; e = e.parentElement) {
            const c = getComputedStyle(e).backgroundColor;
            if (!/rgba\(.*,\s*0\)$/.test(c) && c !== 'transparent') { bg = c; break; }
          }
          const [x, y] = [lum(getComputedStyle(el).color), lum(bg)].sort((m, n) => n - m);
          return (x + 0.05) / (y + 0.05);
        });
      }
      for (const [what, r] of Object.entries(results)) assert.ok(r >= 4.5, `${scheme}: contrast of ${what} is ${r.toFixed(2)}, below 4.5`);
      await assertClean(page, log);
      await context.close();
    });
  }
});
