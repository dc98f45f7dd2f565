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
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../worker/harness.js';
import { setup, openDashboard, newClient, tab, setRedirectUris, saveAndWait } from './helpers.js';

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
} finally {
  await env.close();
}
