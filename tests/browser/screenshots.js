// Writes the dashboard screenshots into docs/screenshots/, with the same tooling as the browser tests
// (the built Worker in Miniflare on local D1, Debian's Chromium through playwright-core).
//
//   node tests/browser/screenshots.js
//
// new-client.png        the New client form, filled (light)       new-client-dark.png  the same, dark
// new-client-access.png the Access tab with offline_access chosen (light)
// saved.png             the saved result with the credentials     saved-dark.png       the same, dark
// error.png             an API error beside the field it names (light)
// phone.png             the New client form at 375 px (dark)
// admin-clients.png     Admin: the client list (light)            admin-clients-dark.png  the same, dark
// admin-client.png      Admin: a client's detail, with a re-issued registration access token (light)
// admin-iat.png         Admin: an initial access token just minted, with its command line (light)
// admin-audit.png       Admin: the audit log (light)
// admin-phone.png       Admin: the client list at 375 px (dark)
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, start } from '../worker/harness.js';
import { setup, openDashboard, newClient, tab, setRedirectUris, saveAndWait, settled } from './helpers.js';

const OUT = path.join(ROOT, 'docs', 'screenshots');
fs.mkdirSync(OUT, { recursive: true });

async function fillExample(page) {
  await newClient(page);
  await page.getByLabel('Client name').fill('Acme Photos');
  await setRedirectUris(page, ['https://photos.acme.example/oauth/callback', 'http://127.0.0.1:8400/callback']);
  await page.getByLabel('Client URI (home page)').fill('https://photos.acme.example/');
  await page.getByLabel('Logo URI').fill('https://photos.acme.example/logo.png');
  await page.getByLabel('Terms of service URI').fill('https://photos.acme.example/terms');
  await page.getByLabel('Privacy policy URI').fill('https://photos.acme.example/privacy');
  await page.getByLabel('Contact 1', { exact: true }).fill('oauth-admin@acme.example');
  await page.getByLabel('Software ID').fill('acme-photos');
  await page.getByLabel('Software version').fill('4.2.0');
  await page.getByRole('button', { name: 'Add translation' }).click();
  await page.getByLabel('Language (translation 1)').fill('fr');
  await page.getByLabel('Value (translation 1)').fill('Acme Photos (FR)');
  await tab(page, 'Access').click();
  await page.getByRole('checkbox', { name: 'profile', exact: true }).check();
  await page.getByRole('checkbox', { name: 'email', exact: true }).check();
  await page.getByRole('checkbox', { name: 'offline_access' }).check();
  await tab(page, 'Main').click();
  await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
}

async function shot(page, name) {
  const file = path.join(OUT, name);
  await page.mouse.move(1, 1);
  await page.evaluate(() => new Promise((r) => { requestAnimationFrame(() => requestAnimationFrame(r)); }));
  await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

const env = await setup();
try {
  for (const scheme of ['light', 'dark']) {
    const suffix = scheme === 'dark' ? '-dark' : '';
    const { page, context } = await openDashboard(env, { colorScheme: scheme, reducedMotion: 'reduce', viewport: { width: 1280, height: 1290 } });
    await fillExample(page);
    await shot(page, `new-client${suffix}.png`);
    if (scheme === 'light') {
      await tab(page, 'Access').click();
      await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
      await page.setViewportSize({ width: 1280, height: 1120 });
      await shot(page, 'new-client-access.png');
      await tab(page, 'Main').click();
    }
    await page.setViewportSize({ width: 1280, height: 960 });
    const res = await saveAndWait(page);
    if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(res.body)}`);
    await page.getByRole('heading', { name: 'Client registered' }).waitFor();
    await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
    await shot(page, `saved${suffix}.png`);
    await context.close();
  }

  {
    const { page, context } = await openDashboard(env, { reducedMotion: 'reduce', viewport: { width: 1280, height: 820 } });
    await newClient(page);
    await page.getByLabel('Client name').fill('Acme Photos');
    await setRedirectUris(page, ['https://photos.acme.example/oauth/callback', 'https://photos.acme.example/cb#section']);
    const res = await saveAndWait(page);
    if (res.status !== 400) throw new Error(`expected a refusal, got ${res.status}`);
    await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
    await shot(page, 'error.png');
    await context.close();
  }

  {
    const { page, context } = await openDashboard(env, {
      colorScheme: 'dark', reducedMotion: 'reduce', viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    });
    await fillExample(page);
    await shot(page, 'phone.png');
    await context.close();
  }

  await adminShots();
} finally {
  await env.close();
}

// ---------------------------------------------------------------------------------------------
// Admin section: a server in token mode with a policy profile, and a few clients.

async function adminShots() {
  const ADMIN = 'screenshot-admin-token-0123456789abcdefghijk';
  const h = await start({
    vars: {
      ADMIN_TOKEN: ADMIN,
      REGISTRATION_MODE: 'token',
      REGISTRATION_POLICY: JSON.stringify({ restricted_scopes: ['offline_access'], profiles: { partner: { max_clients: 50 } } }),
    },
  });
  const adminEnv = { h, browser: env.browser };
  try {
    const call = async (method, p, json, token = ADMIN) => {
      const r = await h.request(method, p, { token, json });
      if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.text}`);
      return r.body;
    };
    const partner = await call('POST', '/admin/initial-access-tokens', { label: 'Partner onboarding: Acme', profile: 'partner', max_uses: 5, expires_in: 7 * 86400 });
    const team = await call('POST', '/admin/initial-access-tokens', { label: 'Internal tools team', max_uses: 10, expires_in: 30 * 86400 });
    const reg = (meta, token) => call('POST', '/register', meta, token);
    await reg({ client_name: 'Stark Metrics', redirect_uris: ['https://metrics.stark.example/callback'], software_id: 'stark-metrics' });
    await reg({ client_name: 'Hooli Chat', redirect_uris: ['https://chat.hooli.example/oauth/cb'], scope: 'openid profile' }, team.token);
    const umbrella = await reg({ client_name: 'Umbrella Portal', redirect_uris: ['https://portal.umbrella.example/cb'] }, team.token);
    await reg({ client_name: 'Globex CLI', redirect_uris: ['http://127.0.0.1:33418/callback'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] }, team.token);
    await reg({ client_name: 'Initech Billing', grant_types: ['client_credentials'], scope: 'openid' });
    const acme = await reg({
      client_name: 'Acme Photos',
      'client_name#fr': 'Acme Photos (FR)',
      redirect_uris: ['https://photos.acme.example/oauth/callback', 'http://127.0.0.1:8400/callback'],
      client_uri: 'https://photos.acme.example/',
      logo_uri: 'https://photos.acme.example/logo.png',
      contacts: ['oauth-admin@acme.example'],
      software_id: 'acme-photos',
      software_version: '4.2.0',
      scope: 'openid profile email offline_access',
      grant_types: ['authorization_code', 'refresh_token'],
    }, partner.token);
    await reg({ client_name: 'Acme Photos (staging)', redirect_uris: ['https://staging.photos.acme.example/oauth/callback'], software_id: 'acme-photos', software_version: '4.3.0-rc1' }, partner.token);
    await call('POST', `/admin/clients/${encodeURIComponent(umbrella.client_id)}/suspend`);

    const signIn = async (page) => {
      await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'Admin', exact: true }).click();
      await page.locator('#a-token').fill(ADMIN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#a-clients-table tbody tr').first().waitFor();
      await settled(page);
    };
    const top = (page) => page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });

    for (const scheme of ['light', 'dark']) {
      const { page, context } = await openDashboard(adminEnv, { colorScheme: scheme, reducedMotion: 'reduce', viewport: { width: 1280, height: 900 } });
      await signIn(page);
      await top(page);
      await shot(page, `admin-clients${scheme === 'dark' ? '-dark' : ''}.png`);
      if (scheme === 'dark') {
        await context.close();
        continue;
      }

      // Detail of Acme Photos, after re-issuing its registration access token.
      await page.locator('#a-clients-table tbody tr').filter({ hasText: acme.client_id }).getByRole('button').click();
      await page.locator('#a-detail').waitFor();
      await settled(page);
      await page.getByRole('button', { name: 'Re-issue registration access token' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Re-issue token' }).click();
      await page.getByRole('region', { name: 'New registration access token' }).waitFor();
      await settled(page);
      await page.setViewportSize({ width: 1280, height: 1320 });
      await top(page);
      await shot(page, 'admin-client.png');
      await page.locator('#a-once-copy').click().catch(() => {});

      // An initial access token just minted.
      await page.setViewportSize({ width: 1280, height: 1180 });
      await page.getByRole('tab', { name: 'Initial access tokens' }).click();
      await settled(page);
      await page.locator('#a-label').fill('Partner onboarding: Globex');
      await page.locator('#a-expires').fill('7');
      await page.locator('#a-max-uses').fill('3');
      await page.locator('#a-profile').fill('partner');
      await page.getByRole('button', { name: 'Mint token' }).click();
      await page.locator('#a-minted').waitFor();
      await settled(page);
      await top(page);
      await shot(page, 'admin-iat.png');

      // The audit log.
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.getByRole('tab', { name: 'Audit log' }).click();
      await page.locator('#a-audit-table tbody tr').first().waitFor();
      await settled(page);
      await top(page);
      await shot(page, 'admin-audit.png');
      await context.close();
    }

    {
      const { page, context } = await openDashboard(adminEnv, {
        colorScheme: 'dark', reducedMotion: 'reduce', viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
      });
      await signIn(page);
      await page.evaluate(() => { document.activeElement.blur(); document.getElementById('a-clients-title').scrollIntoView(); });
      await shot(page, 'admin-phone.png');
      await context.close();
    }
  } finally {
    await h.dispose();
  }
}
