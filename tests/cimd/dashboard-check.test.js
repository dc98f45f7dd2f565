// The dashboard's Check metadata view with a document URL (needs a build with
// REGISTRAR_FEATURES=cimd): the Worker fetches the document through Miniflare's outbound fetch
// interception, and the page shows the errors beside their members, the warnings, what was
// fetched and the normalized metadata, which "Register with this" puts into the New client form.
// The browser itself reaches nothing but the Worker (tests/browser/helpers.js).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveJson, seen, outbound, fetchesOf } from './fake-internet.js';
import { setup, openDashboard, assertClean, tab, saveAndWait, checkRows } from '../browser/helpers.js';

const doc = (url, extra = {}) => ({
  client_id: url, client_name: 'Fetched app', application_type: 'web', token_endpoint_auth_method: 'none',
  redirect_uris: ['https://app.example/cb'], ...extra,
});

let env;
before(async () => {
  env = await setup({ outboundService: outbound, kvNamespaces: { CIMD_CACHE: 'cimd-cache' }, vars: { CIMD: 'on' } });
}, { timeout: 60_000 });
after(async () => { await env?.close(); });

async function openCheck(page) {
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'Check metadata' }).click();
  await page.getByRole('heading', { level: 1, name: 'Check metadata' }).waitFor();
}

async function checkUrl(page, url) {
  await page.getByRole('radio', { name: 'A document URL' }).check();
  await page.getByLabel('Metadata document URL').fill(url);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/metadata/validate'),
    page.getByRole('button', { name: 'Check', exact: true }).click(),
  ]);
  assert.equal(response.request().method(), 'GET');
  assert.equal(new URL(response.url()).searchParams.get('url'), url);
  await page.locator('#check-verdict:not(:empty), #check-url-error:not([hidden])').first().waitFor();
  return response;
}


describe('Check metadata by document URL', () => {
  it('a fetched document: what was fetched, the normalized metadata, and "Register with this" registers it', async () => {
    const url = 'https://app.example/dashboard/client.json';
    serveJson(url, doc(url, { scope: 'openid' }), { 'cache-control': 'max-age=1200' });
    const { page, context, log } = await openDashboard(env);
    await openCheck(page);
    assert.equal(await page.getByLabel(/Client metadata \(JSON\)/).isVisible(), true);
    await checkUrl(page, url);
    assert.equal(await page.getByLabel(/Client metadata \(JSON\)/).isVisible(), false, 'the JSON input is put away');
    assert.match(await page.locator('#check-verdict').innerText(), /^Valid/);
    const fetched = await page.locator('#check-fetched').innerText();
    assert.ok(fetched.includes(url), fetched);
    assert.match(fetched, /1200 seconds/);
    assert.equal(fetchesOf(url), 1, 'the Worker fetched the document once');
    const normalized = JSON.parse(await page.getByLabel('Normalized metadata').inputValue());
    assert.equal(normalized.client_name, 'Fetched app');
    assert.equal(normalized.token_endpoint_auth_method, 'none');
    await page.getByRole('button', { name: 'Register with this' }).click();
    await page.getByRole('heading', { level: 1, name: 'New client' }).waitFor();
    assert.equal(await page.getByLabel('Client name').inputValue(), 'Fetched app');
    await tab(page, 'JSON').click();
    const sent = JSON.parse(await page.getByLabel('Request JSON', { exact: true }).inputValue());
    for (const [k, v] of Object.entries(normalized)) assert.deepEqual(sent[k], v, k);
    const { status, body } = await saveAndWait(page);
    assert.equal(status, 201, JSON.stringify(body));
    assert.equal(body.client_name, 'Fetched app');
    await assertClean(page, log);
    await context.close();
  });

  it('errors of a fetched document beside their members; a refused URL beside url', async () => {
    const url = 'https://app.example/dashboard/bad.json';
    serveJson(url, doc('https://app.example/dashboard/elsewhere.json', { client_secret: 'shh' }));
    const { page, context, log } = await openDashboard(env);
    await openCheck(page);
    await checkUrl(page, url);
    assert.match(await page.locator('#check-verdict').innerText(), /^Not valid: 2 errors/);
    const errors = await checkRows(page, 'errors');
    assert.deepEqual(errors.map((e) => e.member), ['client_id', 'client_secret']);
    assert.equal(await page.locator('#check-normalized-section').isVisible(), false);
    assert.equal(await page.locator('#check-fetched').isVisible(), true);
    const internal = 'https://169.254.169.254/latest/meta-data';
    await checkUrl(page, internal);
    const refused = await checkRows(page, 'errors');
    assert.deepEqual(refused.map((e) => e.member), ['url']);
    assert.match(refused[0].text, /not public/);
    assert.equal(await page.locator('#check-fetched').isVisible(), false);
    assert.equal(seen.includes(internal), false);
    // Back to pasted JSON: that input is used again.
    await page.getByRole('radio', { name: 'Pasted JSON' }).check();
    await page.getByLabel(/Client metadata \(JSON\)/).fill(JSON.stringify({ redirect_uris: ['https://app.example/cb'] }));
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/metadata/validate'),
      page.getByRole('button', { name: 'Check', exact: true }).click(),
    ]);
    assert.equal(response.request().method(), 'POST');
    await assertClean(page, log);
    await context.close();
  });

  it('an empty URL is refused beside the field without calling the server', async () => {
    const { page, context, log } = await openDashboard(env);
    await openCheck(page);
    await page.getByRole('radio', { name: 'A document URL' }).check();
    let calls = 0;
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/metadata/validate') calls++; });
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.locator('#check-url-error:not([hidden])').waitFor();
    assert.match(await page.locator('#check-url-error').innerText(), /URL/);
    assert.equal(await page.getByLabel('Metadata document URL').getAttribute('aria-invalid'), 'true');
    assert.equal(calls, 0);
    await assertClean(page, log);
    await context.close();
  });
});
