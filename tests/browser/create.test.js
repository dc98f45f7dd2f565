// New client: the minimum, offline_access, credentials and JSON shown and downloaded, the live
// request document, and an API error shown beside the field it names.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  setup, openDashboard, assertClean, newClient, tab, setRedirectUris, saveAndWait, shownCredentials,
  shownRegistrationJson, without,
} from './helpers.js';

let env;
before(async () => { env = await setup(); }, { timeout: 60_000 });
after(async () => { await env?.close(); });

/** GET /register/{id} from the test itself (not through the page). */
async function getClient(clientId, token) {
  return env.h.request('GET', env.h.clientPath(clientId), { token });
}

describe('New client', () => {
  it('registers with the minimum (name + redirect URI) and shows credentials equal to the response and to GET', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    await page.getByLabel('Client name').fill('Minimal app');
    await setRedirectUris(page, ['https://app.example/callback']);

    const { status, body, request } = await saveAndWait(page);
    assert.equal(status, 201, JSON.stringify(body));

    // Sent: what was typed plus the form's visible defaults; nothing empty.
    const sent = request.postDataJSON();
    assert.equal(sent.client_name, 'Minimal app');
    assert.deepEqual(sent.redirect_uris, ['https://app.example/callback']);
    for (const [k, v] of Object.entries(sent)) {
      assert.ok(v !== '' && !(Array.isArray(v) && v.length === 0), `empty member ${k} sent`);
    }
    assert.deepEqual(Object.keys(sent).sort(),
      ['client_name', 'grant_types', 'redirect_uris', 'response_types', 'scope', 'token_endpoint_auth_method']);

    // The result panel: heading, warning, every credential.
    await page.getByRole('heading', { name: 'Client registered' }).waitFor();
    assert.match(await page.locator('#result').innerText(), /shown only once/i);
    const shown = await shownCredentials(page);
    assert.deepEqual(shown, {
      client_id: body.client_id,
      client_secret: body.client_secret,
      registration_access_token: body.registration_access_token,
      registration_client_uri: body.registration_client_uri,
    });
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Minimal app');

    // The JSON tab holds the whole response ...
    const json = await shownRegistrationJson(page);
    assert.deepEqual(json, body);
    // ... which is what the server holds (GET omits only the secret, stored hashed).
    const got = await getClient(body.client_id, shown.registration_access_token);
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.body, without(json, 'client_secret'));

    // Download JSON: a file named after the client, equal to the response.
    await tab(page, 'Main').click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#result').getByRole('button', { name: 'Download JSON' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `client-${body.client_id}.json`);
    const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    assert.deepEqual(file, body);

    // The credentials live in page memory only.
    const stored = await page.evaluate(() => ({
      local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, url: location.href,
    }));
    assert.deepEqual(stored, { local: 0, session: 0, cookie: '', url: `${env.h.url}/` });
    await assertClean(page, log);
    await context.close();
  });

  it('offline_access adds refresh_token to the grant types, with a note, and registers it', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    await page.getByLabel('Client name').fill('Offline app');
    await setRedirectUris(page, ['https://app.example/cb']);
    await tab(page, 'Access').click();

    const offline = page.getByRole('checkbox', { name: 'offline_access' });
    const refresh = page.getByRole('checkbox', { name: /refresh_token/ });
    const note = page.locator('#refresh-note');
    assert.equal(await refresh.isChecked(), false);
    await offline.check();
    assert.equal(await refresh.isChecked(), true, 'refresh_token is ticked by offline_access');
    assert.match(await note.innerText(), /offline_access/);
    assert.match(await note.innerText(), /refresh token/i);
    // Unticking offline_access takes back what it added.
    await offline.uncheck();
    assert.equal(await refresh.isChecked(), false);
    assert.equal(await note.isVisible(), false);
    await offline.check();
    await page.getByRole('checkbox', { name: 'profile', exact: true }).check();

    const { status, body, request } = await saveAndWait(page);
    assert.equal(status, 201, JSON.stringify(body));
    const sent = request.postDataJSON();
    assert.deepEqual(sent.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(sent.scope, 'openid profile offline_access');
    assert.deepEqual(body.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(body.scope, 'openid profile offline_access');

    // The form now shows the registration: still ticked.
    await tab(page, 'Access').click();
    assert.equal(await offline.isChecked(), true);
    assert.equal(await refresh.isChecked(), true);
    await assertClean(page, log);
    await context.close();
  });

  it('the JSON tab shows the request document live; Apply fills the form back; Save sends exactly it', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    await page.getByLabel('Client name').fill('JSON app');
    await setRedirectUris(page, ['https://app.example/one', 'https://app.example/two']);
    await page.getByLabel('Software ID').fill('');

    await tab(page, 'JSON').click();
    const area = page.getByLabel('Request JSON', { exact: true });
    const doc = JSON.parse(await area.inputValue());
    assert.equal(doc.client_name, 'JSON app');
    assert.deepEqual(doc.redirect_uris, ['https://app.example/one', 'https://app.example/two']);
    assert.equal('software_id' in doc, false, 'an empty field is not in the document');

    // Edit the document and apply it.
    const edited = {
      ...doc,
      client_name: 'Applied name',
      software_id: 'sw-1',
      contacts: ['ops@app.example', 'dev@app.example'],
      'client_name#fr': 'Nom appliqué',
      default_max_age: 3600,
      require_auth_time: true,
      application_type: 'web',
      // A member the form has no field for is kept as it is (so a new metadata member needs
      // no dashboard change to round-trip); the server ignores this one (RFC 7591 §2).
      x_member_without_field: { kept: ['as', 'is'] },
    };
    await area.fill(JSON.stringify(edited, null, 2));
    assert.match(await page.locator('#json-status').innerText(), /Apply/);
    await page.getByRole('button', { name: 'Apply to form' }).click();

    await tab(page, 'Main').click();
    assert.equal(await page.getByLabel('Client name').inputValue(), 'Applied name');
    assert.equal(await page.getByLabel('Software ID').inputValue(), 'sw-1');
    assert.equal(await page.getByLabel('Contact 2', { exact: true }).inputValue(), 'dev@app.example');
    assert.equal(await page.getByLabel('Value (translation 1)').inputValue(), 'Nom appliqué');
    assert.equal(await page.getByLabel('Language (translation 1)').inputValue(), 'fr');
    await tab(page, 'Other').click();
    assert.equal(await page.getByLabel('Default max age (seconds)').inputValue(), '3600');

    await tab(page, 'JSON').click();
    const shownDoc = JSON.parse(await area.inputValue());
    const { status, body, request } = await saveAndWait(page);
    assert.equal(status, 201, JSON.stringify(body));
    assert.deepEqual(request.postDataJSON(), shownDoc, 'Save sends the document the JSON tab shows');
    assert.deepEqual(shownDoc, edited);
    assert.equal(body['client_name#fr'], 'Nom appliqué');
    await assertClean(page, log);
    await context.close();
  });

  it('a redirect URI with a fragment: the error is beside that URI, in the summary, and nothing typed is lost', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    await page.getByLabel('Client name').fill('Fragment app');
    await setRedirectUris(page, ['https://app.example/ok', 'https://app.example/cb#frag']);
    await page.getByLabel('Client URI (home page)').fill('https://app.example/');
    await page.getByLabel('Contact 1', { exact: true }).fill('me@app.example');
    await tab(page, 'Access').click();
    await page.getByRole('checkbox', { name: 'email', exact: true }).check();
    await tab(page, 'Main').click();

    const { status, body } = await saveAndWait(page);
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_redirect_uri');
    assert.equal(body.error_description, 'redirect_uris[1]: fragment not allowed');

    const second = page.getByLabel('Redirect URI 2', { exact: true });
    const first = page.getByLabel('Redirect URI 1', { exact: true });
    assert.equal(await second.getAttribute('aria-invalid'), 'true');
    assert.equal(await first.getAttribute('aria-invalid'), null);
    // Beside it: the error element that describes that input.
    const describedBy = (await second.getAttribute('aria-describedby')).split(' ');
    const errorEl = page.locator(`#${describedBy.find((id) => id.endsWith('-error'))}`);
    assert.equal(await errorEl.isVisible(), true);
    assert.match(await errorEl.innerText(), /fragment not allowed/);
    // It is the next thing after that input in the same row.
    const sameRow = await second.evaluate((input, id) => input.closest('li').contains(document.getElementById(id)),
      describedBy.find((id) => id.endsWith('-error')));
    assert.equal(sameRow, true);

    // Summary with the full description; it has focus; its link goes to the field.
    const summary = page.locator('#error-summary');
    assert.equal(await summary.isVisible(), true);
    assert.match(await summary.innerText(), /redirect_uris\[1\]: fragment not allowed/);
    assert.match(await summary.innerText(), /invalid_redirect_uri/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'error-summary');
    await summary.getByRole('link', { name: /fragment not allowed/ }).click();
    assert.equal(await second.evaluate((el) => el === document.activeElement), true);

    // Everything typed is still there, on every tab.
    assert.equal(await page.getByLabel('Client name').inputValue(), 'Fragment app');
    assert.equal(await first.inputValue(), 'https://app.example/ok');
    assert.equal(await second.inputValue(), 'https://app.example/cb#frag');
    assert.equal(await page.getByLabel('Client URI (home page)').inputValue(), 'https://app.example/');
    assert.equal(await page.getByLabel('Contact 1', { exact: true }).inputValue(), 'me@app.example');
    await tab(page, 'Access').click();
    assert.equal(await page.getByRole('checkbox', { name: 'email', exact: true }).isChecked(), true);

    // Fixing it and saving again works.
    await tab(page, 'Main').click();
    await second.fill('https://app.example/cb');
    assert.equal(await second.getAttribute('aria-invalid'), null, 'editing the field clears its error');
    const again = await saveAndWait(page);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.deepEqual(again.body.redirect_uris, ['https://app.example/ok', 'https://app.example/cb']);
    await assertClean(page, log);
    await context.close();
  });

  it('an unsupported scope is shown on the Access tab, which is marked', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    await page.getByLabel('Client name').fill('Scope app');
    await setRedirectUris(page, ['https://app.example/cb']);
    await tab(page, 'Access').click();
    await page.getByLabel('Other scopes').fill('calendar');
    await tab(page, 'Main').click();

    const { status, body } = await saveAndWait(page);
    assert.equal(status, 400);
    assert.match(body.error_description, /^scope: unsupported value "calendar"/);
    assert.match(await tab(page, 'Access').innerText(), /has errors/);
    assert.equal(await tab(page, 'Main').locator('.tab-err').isVisible(), false);
    await page.locator('#error-summary').getByRole('link').click();
    assert.equal(await tab(page, 'Access').getAttribute('aria-selected'), 'true');
    const err = page.locator('#g-scope-error');
    assert.equal(await err.isVisible(), true);
    assert.match(await err.innerText(), /unsupported value "calendar"/);
    assert.equal(await page.getByLabel('Other scopes').inputValue(), 'calendar');
    await assertClean(page, log);
    await context.close();
  });

  it('copy buttons copy; leaving before the credentials were kept asks first', async () => {
    const { page, context, log } = await openDashboard(env);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.h.url });
    await newClient(page);
    await page.getByLabel('Client name').fill('Careful app');
    await setRedirectUris(page, ['https://careful.example/cb']);
    const { status, body } = await saveAndWait(page);
    assert.equal(status, 201);

    const result = page.locator('#result');
    await result.getByRole('button', { name: 'Copy client secret' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), body.client_secret);
    await result.getByRole('button', { name: 'Copy registration access token' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), body.registration_access_token);

    // Copying single values does not count as keeping the registration: leaving asks.
    const nav = page.getByRole('navigation', { name: 'Dashboard' });
    await nav.getByRole('button', { name: 'New client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Leave without keeping the credentials?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), new RegExp(body.client_id));
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await result.getByLabel('Client secret', { exact: true }).inputValue(), body.client_secret, 'still there after Cancel');

    // Copy JSON keeps it: then leaving does not ask, and the credentials leave the page.
    await result.getByRole('button', { name: 'Copy JSON' }).click();
    assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), body);
    await nav.getByRole('button', { name: 'New client' }).click();
    await page.getByRole('heading', { level: 1, name: 'New client' }).waitFor();
    assert.equal(await page.locator('#result').isVisible(), false);
    assert.equal(await page.locator('#cred-client_secret').inputValue(), '');
    assert.equal(await page.getByLabel('Client name').inputValue(), '', 'a fresh form');
    await assertClean(page, log);
    await context.close();
  });

  it('checks the client name and redirect URIs before sending anything', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    let posted = 0;
    page.on('request', (r) => { if (r.method() === 'POST') posted++; });
    await page.getByRole('button', { name: 'Save' }).click();
    const summary = page.locator('#error-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /client_name/);
    assert.match(await summary.innerText(), /redirect_uris/);
    assert.equal(await page.getByLabel('Client name').getAttribute('aria-invalid'), 'true');
    assert.equal(posted, 0);
    await assertClean(page, log);
    await context.close();
  });
});
