// Check metadata: paste a document, Check, see each error beside its member with the value sent,
// the warnings and the normalized metadata; "Register with this" fills the New client form and
// its JSON tab, and Save registers exactly that. Nothing is registered by checking.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, openDashboard, assertClean, tab, saveAndWait, without, checkRows } from './helpers.js';

let env;
before(async () => { env = await setup(); }, { timeout: 60_000 });
after(async () => { await env?.close(); });

async function openCheck(page) {
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'Check metadata' }).click();
  await page.getByRole('heading', { level: 1, name: 'Check metadata' }).waitFor();
}

async function check(page, doc, { cimd = false } = {}) {
  await page.getByLabel(/Client metadata \(JSON\)/).fill(typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  if (cimd) await page.getByLabel(/Client ID Metadata Document/).check();
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/metadata/validate'),
    page.getByRole('button', { name: 'Check', exact: true }).click(),
  ]);
  await page.locator('#check-verdict:not(:empty), #check-input-error:not([hidden])').first().waitFor();
  return response;
}


describe('Check metadata', () => {
  it('lists every error beside its member with the value sent, and no normalized document', async () => {
    const { page, context, log } = await openDashboard(env);
    await openCheck(page);
    const db = await env.h.d1();
    const count = async () => (await db.prepare('SELECT COUNT(*) AS n FROM clients').first()).n;
    const before = await count();
    await check(page, {
      redirect_uris: ['https://app.example/cb', 'https://app.example/cb#frag'],
      logo_uri: 'ftp://app.example/logo.png',
      scope: 'openid nope',
    });
    assert.equal(await page.locator('#check-verdict').innerText(), 'Not valid: 3 errors, 2 warnings');
    const errors = await checkRows(page, 'errors');
    assert.deepEqual(errors.map((e) => e.member), ['redirect_uris[1]', 'logo_uri', 'scope']);
    assert.match(errors[0].text, /fragment/);
    assert.match(errors[0].text, /sent: "https:\/\/app\.example\/cb#frag"/);
    assert.deepEqual((await checkRows(page, 'warnings')).map((w) => w.member), ['client_name', 'application_type']);
    assert.equal(await page.locator('#check-normalized-section').isVisible(), false);
    assert.equal(await count(), before, 'checking registered nothing');
    await assertClean(page, log);
    await context.close();
  });

  it('shows malformed JSON beside the text area without calling the server', async () => {
    const { page, context, log } = await openDashboard(env);
    await openCheck(page);
    await page.getByLabel(/Client metadata \(JSON\)/).fill('{ nope');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.locator('#check-input-error:not([hidden])').waitFor();
    assert.match(await page.locator('#check-input-error').innerText(), /Not valid JSON/);
    assert.equal(await page.locator('#check-result').isVisible(), false);
    await assertClean(page, log);
    await context.close();
  });

  it('the cimd profile adds the document rules', async () => {
    const { page, context, log } = await openDashboard(env);
    await openCheck(page);
    await check(page, { client_id: 'https://app.example/client.json', redirect_uris: ['https://app.example/cb'] }, { cimd: true });
    assert.deepEqual((await checkRows(page, 'errors')).map((e) => e.member), ['token_endpoint_auth_method']);
    await assertClean(page, log);
    await context.close();
  });

  it('"Register with this" fills the New client form and JSON tab; Save registers the normalized metadata', async () => {
    const { page, context, log } = await openDashboard(env);
    await openCheck(page);
    await check(page, {
      client_name: 'Checked app', application_type: 'web',
      redirect_uris: ['https://app.example/cb'], scope: 'openid profile',
    });
    assert.equal(await page.locator('#check-verdict').innerText(), 'Valid');
    const normalized = JSON.parse(await page.getByLabel('Normalized metadata').inputValue());
    assert.equal(normalized.token_endpoint_auth_method, 'client_secret_basic');
    await page.getByRole('button', { name: 'Register with this' }).click();
    await page.getByRole('heading', { level: 1, name: 'New client' }).waitFor();
    assert.equal(await page.getByLabel('Client name').inputValue(), 'Checked app');
    await tab(page, 'JSON').click();
    const doc = JSON.parse(await page.getByLabel('Request JSON', { exact: true }).inputValue());
    for (const [k, v] of Object.entries(normalized)) assert.deepEqual(doc[k], v, k);
    const { status, body } = await saveAndWait(page);
    assert.equal(status, 201, JSON.stringify(body));
    assert.deepEqual(without(body, 'client_id', 'client_secret', 'client_secret_expires_at', 'client_id_issued_at',
      'registration_access_token', 'registration_client_uri'), normalized);
    await assertClean(page, log);
    await context.close();
  });
});
