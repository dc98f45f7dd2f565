// Writes the signed-in dashboard's screenshots into docs/screenshots/ (tests/browser/screenshots.js
// writes the others): the Worker built with the `signin` feature and a real OpenID Provider
// (pair.js, op.js), signed in through the provider's own pages in Debian's Chromium.
//
//   REGISTRAR_FEATURES="projection cimd signin" sh scripts/build.sh && node tests/signin/screenshots.js
//
// my-clients.png        My clients, signed in as Bob (light)       my-clients-dark.png  the same, dark
// my-client-editor.png  one of them opened in the editor, without its token (light)
// my-client-rotated.png its client secret just rotated, shown once (light)
// admin-by-identity.png Admin opened by Alice's identity, no admin token asked (light)
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../worker/harness.js';
import { launchBrowser, settled } from '../browser/helpers.js';
import { pair } from './pair.js';
import { myClientIds, openSignin, signInAs } from './in-browser.js';

const OUT = path.join(ROOT, 'docs', 'screenshots');

async function shot(page, name) {
  const file = path.join(OUT, name);
  await page.mouse.move(1, 1);
  await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
  await page.evaluate(() => new Promise((r) => { requestAnimationFrame(() => requestAnimationFrame(r)); }));
  await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

/** Registers clients as the signed-in person of `page`, oldest first (the list shows newest first). */
async function registerOwned(page, clients) {
  await page.evaluate(async (all) => {
    const { csrf } = await (await fetch('/dashboard/session')).json();
    for (const c of all) {
      const r = await fetch('/dashboard/clients', {
        method: 'POST', headers: { 'x-registrar-csrf': csrf, 'content-type': 'application/json' }, body: JSON.stringify(c),
      });
      if (r.status !== 201) throw new Error(`${r.status} ${await r.text()}`);
    }
  }, clients);
}

const CLIENTS = [
  { client_name: 'Globex CLI', redirect_uris: ['http://127.0.0.1:33418/callback'], token_endpoint_auth_method: 'none' },
  { client_name: 'Acme Photos (staging)', redirect_uris: ['https://staging.photos.acme.example/oauth/callback'], software_id: 'acme-photos' },
  {
    client_name: 'Acme Photos',
    redirect_uris: ['https://photos.acme.example/oauth/callback', 'http://127.0.0.1:8400/callback'],
    client_uri: 'https://photos.acme.example/',
    contacts: ['oauth-admin@acme.example'],
    software_id: 'acme-photos',
    software_version: '4.2.0',
    scope: 'openid profile email',
  },
];

const [p, browser] = await Promise.all([pair(), launchBrowser()]);
try {
  const opts = (colorScheme, height) => ({ colorScheme, reducedMotion: 'reduce', viewport: { width: 1280, height } });
  {
    const { page, context } = await openSignin(p, browser, opts('light', 820));
    await signInAs(p, page, 'bob');
    await page.locator('#account-name').waitFor();
    await registerOwned(page, CLIENTS);
    await myClientIds(page);
    await shot(page, 'my-clients.png');

    await page.setViewportSize({ width: 1280, height: 1180 });
    const acme = page.locator('#mine-table tbody tr').filter({ has: page.getByRole('cell', { name: 'Acme Photos', exact: true }) });
    await acme.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('region', { name: 'Client loaded' }).waitFor();
    await shot(page, 'my-client-editor.png');

    await page.getByRole('button', { name: 'Rotate client secret' }).click();
    await page.getByRole('dialog', { name: 'Rotate the client secret?' }).getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('region', { name: 'Client secret rotated' }).waitFor();
    await settled(page);
    await page.setViewportSize({ width: 1280, height: 760 });
    await shot(page, 'my-client-rotated.png');
    await context.close();
  }
  {
    // The same list in the dark scheme (a new browser session, signed in again).
    const { page, context } = await openSignin(p, browser, opts('dark', 820));
    await signInAs(p, page, 'bob');
    await page.locator('#account-name').waitFor();
    await myClientIds(page);
    await shot(page, 'my-clients-dark.png');
    await context.close();
  }
  {
    const { page, context } = await openSignin(p, browser, opts('light', 900));
    await signInAs(p, page, 'alice');
    await page.locator('#account-name').waitFor();
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'Admin', exact: true }).click();
    await page.locator('#admin-state').filter({ hasText: 'an admin of this dashboard' }).waitFor();
    await page.locator('#a-clients-table tbody tr').first().waitFor();
    await settled(page);
    await shot(page, 'admin-by-identity.png');
    await context.close();
  }
} finally {
  await browser.close().catch(() => {});
  await p.close();
}
