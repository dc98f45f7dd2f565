// Managing an existing client: by client_id + token and by a downloaded file; edit (token
// rotation, PUT body), delete, and the 401 message.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  setup, openDashboard, assertClean, newClient, tab, setRedirectUris, saveAndWait, shownCredentials,
  shownRegistrationJson, without, settled,
} from './helpers.js';

let env;
let tmp;
before(async () => {
  env = await setup();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'registrar-browser-'));
}, { timeout: 60_000 });
after(async () => {
  await env?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const SERVER_ONLY = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

/** A client with many members set, registered straight through the API. */
const RICH = {
  client_name: 'Rich app',
  'client_name#fr': 'Appli riche',
  redirect_uris: ['https://rich.example/cb', 'https://rich.example/cb2'],
  client_uri: 'https://rich.example/',
  logo_uri: 'https://rich.example/logo.png',
  tos_uri: 'https://rich.example/tos',
  policy_uri: 'https://rich.example/policy',
  contacts: ['ops@rich.example'],
  software_id: 'rich-sw',
  software_version: '2.1',
  scope: 'openid email offline_access',
  grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  jwks_uri: 'https://rich.example/jwks.json',
  id_token_signed_response_alg: 'ES256',
  userinfo_signed_response_alg: 'RS256',
  id_token_encrypted_response_alg: 'RSA-OAEP',
  request_object_signing_alg: 'PS256',
  subject_type: 'pairwise',
  initiate_login_uri: 'https://rich.example/login',
  post_logout_redirect_uris: ['https://rich.example/bye'],
  request_uris: ['https://rich.example/req.jwt'],
  require_auth_time: false,
  default_max_age: 0,
  default_acr_values: ['urn:acr:silver', 'urn:acr:gold'],
};

function manageCard(page) {
  return page.getByRole('region', { name: 'Manage an existing client' });
}

async function loadByToken(page, clientId, token) {
  await page.getByRole('button', { name: 'Manage a client' }).click();
  const card = manageCard(page);
  await card.getByLabel('Client ID', { exact: true }).fill(clientId);
  await card.getByLabel('Registration access token', { exact: true }).fill(token);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'GET' && r.url().includes('/register/')),
    card.getByRole('button', { name: 'Load client' }).click(),
  ]);
  await settled(page);
  return res;
}

describe('Manage an existing client', () => {
  it('by client_id + token: the form is filled from GET, Save sends the complete metadata and rotates the token', async () => {
    const reg = await env.h.registerOk(RICH);
    const before = (await env.h.request('GET', env.h.clientPath(reg.client_id), { token: reg.registration_access_token })).body;
    const { page, context, log } = await openDashboard(env);
    const res = await loadByToken(page, reg.client_id, reg.registration_access_token);
    assert.equal(res.status(), 200);
    await page.getByRole('heading', { name: 'Client loaded' }).waitFor();

    // Filled from GET
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Rich app');
    assert.equal(await page.getByLabel('Client name').inputValue(), 'Rich app');
    assert.equal(await page.getByLabel('Redirect URI 2', { exact: true }).inputValue(), 'https://rich.example/cb2');
    assert.equal(await page.getByLabel('Value (translation 1)').inputValue(), 'Appli riche');
    await tab(page, 'Access').click();
    assert.equal(await page.getByRole('checkbox', { name: 'offline_access' }).isChecked(), true);
    assert.equal(await page.getByRole('checkbox', { name: /device_code/ }).isChecked(), true);
    await tab(page, 'Credentials').click();
    assert.equal(await page.getByRole('radio', { name: /client_secret_post/ }).isChecked(), true);
    assert.equal(await page.getByLabel('JWKS URI').inputValue(), 'https://rich.example/jwks.json');
    // The secret is not known (GET does not return it) and the page says so.
    const shown = await shownCredentials(page);
    assert.equal(shown.client_secret, undefined);
    assert.match(await page.locator('#cred-row-no-secret').innerText(), /only a hash/);
    assert.equal(shown.registration_access_token, reg.registration_access_token);
    // The token field of the manage form was cleared.
    assert.equal(await page.locator('#m-token').inputValue(), '');

    // Save without changes: PUT with the complete metadata plus client_id, never server-only members.
    const put = await saveAndWait(page, 'PUT');
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const sent = put.request.postDataJSON();
    assert.equal(sent.client_id, reg.client_id);
    assert.equal('client_secret' in sent, false, 'no secret is sent when the page does not know it');
    for (const k of SERVER_ONLY) assert.equal(k in sent, false, `${k} sent in PUT`);
    assert.equal(put.request.headers().authorization, `Bearer ${reg.registration_access_token}`);
    // Round trip: the registration is unchanged, apart from the token.
    assert.deepEqual(without(sent, 'client_id'), without(before, 'client_id', ...SERVER_ONLY));
    const newToken = put.body.registration_access_token;
    assert.notEqual(newToken, reg.registration_access_token);
    const after = await env.h.request('GET', env.h.clientPath(reg.client_id), { token: newToken });
    assert.equal(after.status, 200);
    assert.deepEqual(without(after.body, 'registration_access_token'), without(before, 'registration_access_token'));

    // The rotated token is shown prominently, with a new download.
    await page.getByRole('heading', { name: 'Client updated' }).waitFor();
    const updated = await shownCredentials(page);
    assert.equal(updated.registration_access_token, newToken);
    assert.equal(await page.locator('#cred-token-new').isVisible(), true);
    assert.match(await page.locator('#result').innerText(), /previous one no longer works/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#result').getByRole('button', { name: 'Download JSON' }).click(),
    ]);
    const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    assert.deepEqual(file, put.body);

    // The old token is refused.
    const old = await env.h.request('GET', env.h.clientPath(reg.client_id), { token: reg.registration_access_token });
    assert.equal(old.status, 401);
    await assertClean(page, log);
    await context.close();
  });

  it('edit: a change is saved, the token rotates, the old one gets 401 and the new one works', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    await page.getByLabel('Client name').fill('Before');
    await setRedirectUris(page, ['https://edit.example/cb']);
    const created = await saveAndWait(page);
    assert.equal(created.status, 201);
    const first = created.body;

    // Straight on from the saved result: edit and save.
    await page.getByLabel('Client name').fill('After');
    await setRedirectUris(page, ['https://edit.example/cb', 'https://edit.example/cb2']);
    const put = await saveAndWait(page, 'PUT');
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const sent = put.request.postDataJSON();
    assert.equal(sent.client_id, first.client_id);
    assert.equal(sent.client_secret, first.client_secret, 'the known secret is sent with the update');
    for (const k of SERVER_ONLY) assert.equal(k in sent, false, `${k} sent in PUT`);
    assert.equal(put.body.client_name, 'After');
    assert.deepEqual(put.body.redirect_uris, ['https://edit.example/cb', 'https://edit.example/cb2']);

    const shown = await shownCredentials(page);
    assert.equal(shown.registration_access_token, put.body.registration_access_token);
    assert.notEqual(shown.registration_access_token, first.registration_access_token);
    assert.equal(shown.client_secret, first.client_secret);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'After');

    const old = await env.h.request('GET', env.h.clientPath(first.client_id), { token: first.registration_access_token });
    assert.equal(old.status, 401);
    const now = await env.h.request('GET', env.h.clientPath(first.client_id), { token: shown.registration_access_token });
    assert.equal(now.status, 200);
    assert.equal(now.body.client_name, 'After');
    assert.deepEqual(await shownRegistrationJson(page), { ...now.body, client_secret: first.client_secret });
    await assertClean(page, log);
    await context.close();
  });

  it('by file: loads it, keeps its client_secret in memory, sends it on Save and puts it in the new download', async () => {
    const reg = await env.h.registerOk({ client_name: 'File app', redirect_uris: ['https://file.example/cb'], contacts: ['a@file.example'] });
    const filePath = path.join(tmp, `client-${reg.client_id}.json`);
    fs.writeFileSync(filePath, JSON.stringify(reg, null, 2));

    const { page, context, log } = await openDashboard(env);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'GET' && r.url().includes('/register/')),
      page.getByLabel(/Open a downloaded registration file/).setInputFiles(filePath),
    ]);
    await settled(page);
    assert.equal(res.status(), 200);
    assert.equal(res.request().headers().authorization, `Bearer ${reg.registration_access_token}`);
    await page.getByRole('heading', { name: 'Client loaded' }).waitFor();
    const shown = await shownCredentials(page);
    assert.equal(shown.client_id, reg.client_id);
    assert.equal(shown.client_secret, reg.client_secret, 'the secret from the file is shown');
    assert.equal(await page.getByLabel('Contact 1', { exact: true }).inputValue(), 'a@file.example');

    await page.getByLabel('Software version').fill('3.0');
    const put = await saveAndWait(page, 'PUT');
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const sent = put.request.postDataJSON();
    assert.equal(sent.client_secret, reg.client_secret);
    assert.equal(sent.client_id, reg.client_id);
    for (const k of SERVER_ONLY) assert.equal(k in sent, false, `${k} sent in PUT`);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#result').getByRole('button', { name: 'Download JSON' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `client-${reg.client_id}.json`);
    const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    assert.equal(file.client_secret, reg.client_secret);
    assert.equal(file.registration_access_token, put.body.registration_access_token);
    assert.equal(file.software_version, '3.0');
    assert.deepEqual(file, put.body);
    await assertClean(page, log);
    await context.close();
  });

  it('by file, when GET does not return the secret: the new download still has the file\'s secret', async () => {
    const reg = await env.h.registerOk({ client_name: 'Keep secret', redirect_uris: ['https://keep.example/cb'] });
    const filePath = path.join(tmp, 'keep.json');
    fs.writeFileSync(filePath, JSON.stringify(reg));
    const { page, context, log } = await openDashboard(env);
    await page.getByLabel(/Open a downloaded registration file/).setInputFiles(filePath);
    await page.getByRole('heading', { name: 'Client loaded' }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#result').getByRole('button', { name: 'Download JSON' }).click(),
    ]);
    const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    const got = await env.h.request('GET', env.h.clientPath(reg.client_id), { token: reg.registration_access_token });
    assert.equal('client_secret' in got.body, false);
    assert.deepEqual(file, { ...got.body, client_secret: reg.client_secret });
    await assertClean(page, log);
    await context.close();
  });

  it('a wrong token, or a file that is not a registration, says so plainly', async () => {
    const reg = await env.h.registerOk({ client_name: 'Wrong', redirect_uris: ['https://wrong.example/cb'] });
    const { page, context, log } = await openDashboard(env);
    const res = await loadByToken(page, reg.client_id, 'not-the-token');
    assert.equal(res.status(), 401);
    const err = page.locator('#m-token-error');
    await err.waitFor();
    assert.match(await err.innerText(), /token is wrong/);
    assert.match(await err.innerText(), /no longer exists/);
    assert.equal(await manageCard(page).getByLabel('Registration access token', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await manageCard(page).getByLabel('Client ID', { exact: true }).inputValue(), reg.client_id, 'what was typed stays');

    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"hello": "world"}');
    await page.getByLabel(/Open a downloaded registration file/).setInputFiles(bad);
    await page.locator('#m-file-error').waitFor();
    assert.match(await page.locator('#m-file-error').innerText(), /not a registration file/);
    await assertClean(page, log);
    await context.close();
  });

  it('delete: asks first, then DELETE → 204; afterwards the token gets 401, in the page too', async () => {
    const reg = await env.h.registerOk({ client_name: 'Doomed', redirect_uris: ['https://doomed.example/cb'] });
    const { page, context, log } = await openDashboard(env);
    await loadByToken(page, reg.client_id, reg.registration_access_token);
    await page.getByRole('heading', { name: 'Client loaded' }).waitFor();

    // Cancel keeps it.
    await page.getByRole('button', { name: 'Delete client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this client?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Doomed/);
    assert.match(await dialog.innerText(), /cannot be undone/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await env.h.request('GET', env.h.clientPath(reg.client_id), { token: reg.registration_access_token })).status, 200);

    // Confirm deletes it.
    await page.getByRole('button', { name: 'Delete client' }).click();
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'DELETE'),
      dialog.getByRole('button', { name: 'Delete client' }).click(),
    ]);
    await settled(page);
    assert.equal(res.status(), 204);
    assert.equal(res.request().headers().authorization, `Bearer ${reg.registration_access_token}`);
    await page.getByRole('status').filter({ hasText: 'was deleted' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Manage an existing client' }).isVisible(), true);
    // Credentials are gone from the page.
    assert.equal(await page.locator('#cred-registration_access_token').inputValue(), '');

    const after = await env.h.request('GET', env.h.clientPath(reg.client_id), { token: reg.registration_access_token });
    assert.equal(after.status, 401);
    const again = await loadByToken(page, reg.client_id, reg.registration_access_token);
    assert.equal(again.status(), 401);
    assert.match(await page.locator('#m-token-error').innerText(), /no longer exists/);
    await assertClean(page, log);
    await context.close();
  });

  it('an update refused with 401 (token rotated elsewhere) says so and keeps the edits', async () => {
    const reg = await env.h.registerOk({ client_name: 'Raced', redirect_uris: ['https://raced.example/cb'] });
    const { page, context, log } = await openDashboard(env);
    await loadByToken(page, reg.client_id, reg.registration_access_token);
    await page.getByRole('heading', { name: 'Client loaded' }).waitFor();
    // Someone else updates the client: this page's token is now stale.
    const other = await env.h.request('PUT', env.h.clientPath(reg.client_id), {
      token: reg.registration_access_token,
      json: { client_id: reg.client_id, client_name: 'Raced', redirect_uris: ['https://raced.example/cb'] },
    });
    assert.equal(other.status, 200);
    await page.getByLabel('Client name').fill('Raced, edited');
    const put = await saveAndWait(page, 'PUT');
    assert.equal(put.status, 401);
    const summary = page.locator('#error-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /token is wrong .*or the client no longer exists/s);
    assert.equal(await page.getByLabel('Client name').inputValue(), 'Raced, edited');
    await assertClean(page, log);
    await context.close();
  });
});
