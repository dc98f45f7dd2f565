// The sign-in suites' browser: a page on the dashboard of a Worker and provider pair (pair.js)
// that may reach only those two origins, and signing in through the provider's own login and
// consent pages as a person would.

/** A new context and page on the dashboard, ready. Returns { context, page, log }. */
export async function openSignin(p, browser, contextOptions = {}) {
  const allowed = [new URL(p.h.url).origin, new URL(p.op.issuer).origin];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
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
export async function signInAs(p, page, login) {
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(`${p.op.issuer}/**`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${p.h.url}/**`);
  await page.waitForSelector('body[data-state="ready"]');
}

/** Opens My clients from the app bar; resolves to the client ids it lists. */
export async function myClientIds(page) {
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'My clients' }).click();
  await page.getByRole('heading', { level: 1, name: 'My clients' }).waitFor();
  await page.locator('#mine-status').filter({ hasText: /client/ }).waitFor();
  return page.locator('#mine-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.clientId));
}
