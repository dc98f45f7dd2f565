// Safety of the dashboard: response headers (CSP and friends, from static/_headers), the CSP
// really enforced, and markup typed by a person or echoed by the API never executed or parsed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../worker/harness.js';
import {
  setup, openDashboard, assertClean, newClient, tab, setRedirectUris, saveAndWait,
} from './helpers.js';

let env;
before(async () => { env = await setup(); }, { timeout: 60_000 });
after(async () => { await env?.close(); });

function parseCsp(header) {
  const out = {};
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out[name.toLowerCase()] = values;
  }
  return out;
}

// Every module of the dashboard, all in static/js/ (index.html loads js/app.js, which imports
// the others).
const MODULES = fs.readdirSync(path.join(ROOT, 'static', 'js')).filter((f) => f.endsWith('.js')).sort().map((f) => `/js/${f}`);

describe('Response headers of the dashboard', () => {
  it('the dashboard is ES modules of this origin: relative imports of files in static/js/ only', () => {
    assert.ok(MODULES.includes('/js/app.js') && MODULES.includes('/js/ui.js'), MODULES.join(' '));
    const others = fs.readdirSync(path.join(ROOT, 'static')).filter((f) => f.endsWith('.js'));
    assert.deepEqual(others, [], 'every module is in static/js/ (one route pattern serves them all)');
    for (const m of MODULES) {
      const text = fs.readFileSync(path.join(ROOT, 'static', m), 'utf8');
      for (const [, spec] of text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]/gm)) {
        assert.match(spec, /^\.\/[a-z-]+\.js$/, `${m} imports ${spec}`);
        assert.ok(MODULES.includes(`/js${spec.slice(1)}`), `${m} imports ${spec}, which is not in static/js/`);
      }
      assert.doesNotMatch(text, /\bimport\s*\(/, `${m}: a dynamic import`);
    }
  });

  for (const p of ['/', '/index.html', ...MODULES, '/app.css']) {
    it(`${p} carries a strict CSP, nosniff and no-referrer`, async () => {
      const res = await env.h.fetch(p, { redirect: 'manual' });
      // /index.html may redirect to / (html_handling); the headers apply to the redirect too.
      assert.ok(res.status === 200 || res.status === 307 || res.status === 308, `${p}: ${res.status}`);
      const header = res.headers.get('content-security-policy');
      assert.ok(header, `${p} has no Content-Security-Policy`);
      const csp = parseCsp(header);
      assert.deepEqual(csp['default-src'], ["'self'"]);
      assert.deepEqual(csp['frame-ancestors'], ["'none'"]);
      assert.deepEqual(csp['connect-src'], ["'self'"]);
      assert.deepEqual(csp['img-src'], ["'self'", 'data:']);
      assert.deepEqual(csp['object-src'], ["'none'"]);
      assert.deepEqual(csp['base-uri'], ["'none'"]);
      const scripts = csp['script-src'] ?? csp['default-src'];
      assert.deepEqual(scripts, ["'self'"], 'scripts only from this origin: no inline, no eval');
      assert.equal(header.includes('unsafe-inline'), false);
      assert.equal(header.includes('unsafe-eval'), false);
      assert.deepEqual(csp['require-trusted-types-for'], ["'script'"]);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      await res.arrayBuffer();
    });
  }

  it('/ is the dashboard, as HTML; the _headers file itself is not served', async () => {
    const res = await env.h.fetch('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(await res.text(), /<title>Registrar/);
    const hdr = await env.h.fetch('/_headers');
    assert.equal(hdr.status, 404);
    await hdr.arrayBuffer();
  });

  it('index.html has no inline script, event handler or style attribute (the CSP would block them)', () => {
    const html = fs.readFileSync(path.join(ROOT, 'static', 'index.html'), 'utf8');
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      assert.match(m[1], /\bsrc=/, 'a <script> without src');
      assert.equal(m[2].trim(), '', 'an inline script body');
    }
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'an inline event handler');
    assert.doesNotMatch(html, /\sstyle\s*=/i, 'a style attribute');
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'a resource from another origin');
  });

  it('the browser enforces the CSP: an injected inline script does not run', async () => {
    const { page, context, log } = await openDashboard(env);
    const outcome = await page.evaluate(() => {
      const s = document.createElement('script');
      try {
        s.textContent = 'window.__inline = 1';
      } catch (e) {
        return `refused by Trusted Types: ${e.name}`;
      }
      document.body.append(s);
      return 'appended';
    });
    assert.equal(await page.evaluate(() => window.__inline), undefined, `inline script ran (${outcome})`);
    const violations = await page.evaluate(() => window.__csp.length);
    assert.ok(violations > 0, 'the refusal was reported as a CSP violation');
    log.pageErrors.length = 0;
    await context.close();
  });
});

// Markup in every free-text field; URLs that are valid but carry markup in their path or query.
const P_IMG = '<img src=x onerror=window.__xss=1>';
const P_SCRIPT = '"><script>window.__xss=1</script>';
const P_SVG = '<svg onload=alert(1)>';
const U = (s) => `https://xss.example/${s}`;
const URLS = {
  redirect: U('cb?q="><svg/onload=window.__xss=1>'),
  client_uri: U('?"><img/src=x/onerror=window.__xss=1>'),
  logo_uri: U('"><script>window.__xss=1</script>'),
  tos_uri: U('<img/src=x/onerror=alert(1)>'),
  policy_uri: U('\'><svg/onload=window.__xss=1>'),
  initiate_login_uri: U('login?x=<svg/onload=window.__xss=1>'),
  post_logout: U('bye?"><img/src=x/onerror=window.__xss=1>'),
  request_uri: U('"><svg/onload=window.__xss=1>.jwt'),
};

async function assertNothingRan(page, log, where) {
  const state = await page.evaluate(() => ({
    xss: window.__xss,
    scripts: [...document.scripts].map((s) => s.getAttribute('src')),
    injected: document.querySelectorAll('img, svg:not(.brand-mark), iframe, object, embed').length,
  }));
  assert.equal(state.xss, undefined, `${where}: a payload ran`);
  assert.deepEqual(state.scripts, ['/js/app.js'], `${where}: a script element was added`);
  assert.equal(state.injected, 0, `${where}: markup from data became elements`);
  assert.deepEqual(log.dialogs, [], `${where}: a dialog opened`);
}

describe('Payloads never execute', () => {
  it('in every text field, in the saved result, and when re-rendered from GET (with the CSP bypassed)', async () => {
    // bypassCSP: this checks the page's own rendering; the CSP is a second line of defence.
    const { page, context, log } = await openDashboard(env, { bypassCSP: true });
    await newClient(page);
    await page.getByLabel('Client name').fill(P_IMG);
    await setRedirectUris(page, [URLS.redirect]);
    await page.getByLabel('Client URI (home page)').fill(URLS.client_uri);
    await page.getByLabel('Logo URI').fill(URLS.logo_uri);
    await page.getByLabel('Terms of service URI').fill(URLS.tos_uri);
    await page.getByLabel('Privacy policy URI').fill(URLS.policy_uri);
    await page.getByLabel('Contact 1', { exact: true }).fill(P_SCRIPT);
    await page.getByRole('button', { name: 'Add contact' }).click();
    await page.getByLabel('Contact 2', { exact: true }).fill(P_SVG);
    await page.getByLabel('Software ID').fill(P_IMG);
    await page.getByLabel('Software version').fill(P_SCRIPT);
    await page.getByRole('button', { name: 'Add translation' }).click();
    await page.getByLabel('Language (translation 1)').fill('fr');
    await page.getByLabel('Value (translation 1)').fill(P_SVG);
    await tab(page, 'Other').click();
    await page.getByLabel('Initiate login URI').fill(URLS.initiate_login_uri);
    await page.getByLabel('Post-logout redirect URI 1').fill(URLS.post_logout);
    await page.getByLabel('Request URI 1').fill(URLS.request_uri);
    await page.getByLabel('Default ACR value 1').fill(P_IMG);
    await page.getByRole('button', { name: 'Add ACR value' }).click();
    await page.getByLabel('Default ACR value 2').fill(P_SCRIPT);
    // A member with no form field, named with markup, through the JSON tab.
    await tab(page, 'JSON').click();
    const area = page.getByLabel('Request JSON', { exact: true });
    const doc = JSON.parse(await area.inputValue());
    await area.fill(JSON.stringify({ ...doc, [`x_${P_IMG}`]: P_SCRIPT }));
    await page.getByRole('button', { name: 'Apply to form' }).click();
    assert.match(await page.locator('#json-status').innerText(), /x_<img src=x onerror=window.__xss=1>/);
    await assertNothingRan(page, log, 'while typing');

    const { status, body } = await saveAndWait(page);
    assert.equal(status, 201, JSON.stringify(body));
    assert.equal(body.client_name, P_IMG);
    assert.deepEqual(body.contacts, [P_SCRIPT, P_SVG]);
    await page.getByRole('heading', { name: 'Client registered' }).waitFor();
    // Rendered as text: the heading shows the payload literally.
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), P_IMG);
    assert.equal(await page.getByLabel('Contact 2', { exact: true }).inputValue(), P_SVG);
    await tab(page, 'JSON').click();
    assert.match(await page.getByLabel('Registration JSON').inputValue(), /onerror=window.__xss=1/);
    await page.waitForTimeout(100);
    await assertNothingRan(page, log, 'after Save');

    // Re-rendered from GET, through "Manage a client".
    await page.locator('#result').getByRole('button', { name: 'Download JSON' }).click();
    await page.getByRole('button', { name: 'Manage a client' }).click();
    const card = page.getByRole('region', { name: 'Manage an existing client' });
    await card.getByLabel('Client ID', { exact: true }).fill(body.client_id);
    await card.getByLabel('Registration access token', { exact: true }).fill(body.registration_access_token);
    await card.getByRole('button', { name: 'Load client' }).click();
    await page.getByRole('heading', { name: 'Client loaded' }).waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), P_IMG);
    assert.equal(await page.getByLabel('Software version').inputValue(), P_SCRIPT);
    assert.equal(await page.getByLabel('Value (translation 1)').inputValue(), P_SVG);
    await tab(page, 'Other').click();
    assert.equal(await page.getByLabel('Request URI 1').inputValue(), URLS.request_uri);

    // The delete confirmation names the client: as text too.
    await page.getByRole('button', { name: 'Delete client' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /<img src=x onerror=window.__xss=1>/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForTimeout(100);
    await assertNothingRan(page, log, 'after GET');
    await assertClean(page, log);
    await context.close();
  });

  it('in error messages that echo what was sent, beside the field and in the summary', async () => {
    const { page, context, log } = await openDashboard(env, { bypassCSP: true });
    await newClient(page);
    await page.getByLabel('Client name').fill('Errors');
    await setRedirectUris(page, ['https://err.example/cb']);
    await tab(page, 'Access').click();
    await page.getByLabel('Other scopes').fill(P_SCRIPT);
    let res = await saveAndWait(page);
    assert.equal(res.status, 400);
    assert.ok(res.body.error_description.includes('<script>'), res.body.error_description);
    assert.ok((await page.locator('#error-summary').innerText()).includes('<script>window.__xss=1</script>'));
    assert.ok((await page.locator('#g-scope-error').innerText()).includes('<script>'));
    await assertNothingRan(page, log, 'scope error');

    // A language tag made of markup: the error names the member with the markup.
    await page.getByLabel('Other scopes').fill('');
    await tab(page, 'Main').click();
    await page.getByRole('button', { name: 'Add translation' }).click();
    await page.getByLabel('Language (translation 1)').fill('<img/src=x/onerror=window.__xss=1>');
    await page.getByLabel('Value (translation 1)').fill(P_IMG);
    res = await saveAndWait(page);
    assert.equal(res.status, 400);
    assert.match(res.body.error_description, /^client_name#<img/);
    assert.equal(await page.getByLabel('Language (translation 1)').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#l10n-rows .field-error').innerText(), /not a valid BCP 47 language tag/);
    assert.ok((await page.locator('#error-summary').innerText()).includes('client_name#<img/src=x/onerror=window.__xss=1>'));
    await page.waitForTimeout(100);
    await assertNothingRan(page, log, 'language tag error');
    await assertClean(page, log);
    await context.close();
  });
});
