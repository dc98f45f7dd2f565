// Shared set-up of the browser tests: the built Worker in Miniflare (tests/worker/harness.js, with
// local D1 and the static assets router) and Debian's Chromium driven by playwright-core.
//
// Every browser context refuses requests to anything but the worker's own 127.0.0.1 origin and
// records them, records page errors, JS dialogs and CSP violations, so a test can assert that none
// happened.

import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { start } from '../worker/harness.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Starts the worker and the browser. Returns { h, browser, close() }. */
export async function setup(opts = {}) {
  const [started, launched] = await Promise.allSettled([start(opts), launchBrowser()]);
  if (started.status === 'rejected' || launched.status === 'rejected') {
    // Never leave a browser (or workerd) running: it would keep the test process alive.
    if (launched.status === 'fulfilled') await launched.value.close().catch(() => {});
    if (started.status === 'fulfilled') await started.value.dispose().catch(() => {});
    throw started.status === 'rejected' ? started.reason : launched.reason;
  }
  const h = started.value;
  const browser = launched.value;
  return {
    h,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await h.dispose();
    },
  };
}

/**
 * A fresh context and page on the dashboard, ready (discovery loaded).
 * Returns { page, context, log } where log = { pageErrors, dialogs, offsite, consoleErrors }.
 */
export async function openDashboard(env, contextOptions = {}) {
  const { h, browser } = env;
  const origin = new URL(h.url).origin;
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 }, ...contextOptions });
  const log = { pageErrors: [], dialogs: [], offsite: [], consoleErrors: [] };
  // Nothing may leave 127.0.0.1: refuse and record anything else (blob: and data: URLs are local).
  await context.route(() => true, (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url === origin) return route.continue();
    log.offsite.push(url);
    return route.abort();
  });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => log.pageErrors.push(String(e && e.stack ? e.stack : e)));
  page.on('console', (m) => { if (m.type() === 'error') log.consoleErrors.push(m.text()); });
  page.on('dialog', (d) => { log.dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  await page.goto(`${h.url}/`);
  await page.waitForSelector('body[data-state="ready"]');
  return { page, context, log };
}

/** The page did nothing it should not: no uncaught error, no JS dialog, no off-site request, no CSP violation. */
export async function assertClean(page, log, { allowConsoleErrors = false } = {}) {
  assert.deepEqual(log.pageErrors, [], 'uncaught errors in the page');
  assert.deepEqual(log.dialogs, [], 'JS dialogs were opened');
  assert.deepEqual(log.offsite, [], 'requests left 127.0.0.1');
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], 'CSP violations');
  if (!allowConsoleErrors) {
    // A refused registration makes Chromium log "Failed to load resource: 400"; anything else is a bug.
    const other = log.consoleErrors.filter((t) => !/Failed to load resource: the server responded with a status of (400|401|404)/.test(t));
    assert.deepEqual(other, [], 'console errors');
  }
}

/** Clicks "New client" in the app bar and waits for the form. */
export async function newClient(page) {
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('button', { name: 'New client' }).click();
  await page.getByRole('heading', { level: 1, name: 'New client' }).waitFor();
}

export function tab(page, name) {
  return page.getByRole('tab', { name, exact: false });
}

/** The n-th (1-based) redirect URI input, adding rows as needed. */
export async function setRedirectUris(page, uris) {
  for (let i = 0; i < uris.length; i++) {
    const input = page.getByLabel(`Redirect URI ${i + 1}`, { exact: true });
    if (await input.count() === 0) await page.getByRole('button', { name: 'Add redirect URI' }).click();
    await input.fill(uris[i]);
  }
}

/** Waits until the page has handled the API response it was waiting for (it marks body[data-busy] meanwhile). */
export async function settled(page) {
  await page.waitForSelector('body:not([data-busy])', { state: 'attached' });
}

/** Clicks Save and resolves to { request, response, status, body } of the API call it made. */
export async function saveAndWait(page, method = 'POST') {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname.startsWith('/register')),
    page.getByRole('button', { name: /^Save/ }).click(),
  ]);
  await settled(page);
  const status = response.status();
  const text = await response.text();
  return { request: response.request(), response, status, body: text ? JSON.parse(text) : undefined };
}

/** The credentials shown after Save / Load. */
export async function shownCredentials(page) {
  const result = page.getByRole('region', { name: /^Client (registered|updated|loaded)$/ });
  await result.waitFor();
  const value = (label) => result.getByLabel(label, { exact: true }).inputValue();
  const secretRow = result.locator('#cred-row-client_secret');
  return {
    client_id: await value('Client ID'),
    client_secret: (await secretRow.isVisible()) ? await value('Client secret') : undefined,
    registration_access_token: await value('Registration access token'),
    registration_client_uri: await value('Registration client URI'),
  };
}

/** The Registration JSON shown in the JSON tab, parsed. */
export async function shownRegistrationJson(page) {
  await tab(page, 'JSON').click();
  const text = await page.getByLabel('Registration JSON', { exact: true }).inputValue();
  return JSON.parse(text);
}

export function without(obj, ...keys) {
  const copy = { ...obj };
  for (const k of keys) delete copy[k];
  return copy;
}

/** Problems with labels and references in the current DOM (hidden parts included). */
export function labelProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const text = (id) => (document.getElementById(id)?.textContent ?? '').trim();
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      let name = '';
      if (el.getAttribute('aria-labelledby')) name = el.getAttribute('aria-labelledby').split(/\s+/).map(text).join(' ');
      else if (el.getAttribute('aria-label')) name = el.getAttribute('aria-label');
      else if (el.labels && el.labels.length) name = [...el.labels].map((l) => l.textContent).join(' ');
      else if (el.tagName === 'BUTTON') name = el.textContent;
      if (!name.trim()) problems.push(`no accessible name: ${el.outerHTML.slice(0, 100)}`);
    }
    const ids = new Map();
    for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) ?? 0) + 1);
    for (const [id, n] of ids) if (n > 1) problems.push(`duplicate id ${id}`);
    for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
      for (const el of document.querySelectorAll(`[${attr}]`)) {
        for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
          if (!document.getElementById(id)) problems.push(`${attr} → missing #${id} on ${el.outerHTML.slice(0, 80)}`);
        }
      }
    }
    for (const p of document.querySelectorAll('[role="tabpanel"]')) {
      const tab = document.getElementById(p.getAttribute('aria-labelledby'));
      if (!tab || tab.getAttribute('aria-controls') !== p.id) problems.push(`tabpanel ${p.id} not tied to its tab`);
    }
    return problems;
  });
}

/** The Check metadata view's `errors` or `warnings` list: each item's member and text. */
export function checkRows(page, list) {
  return page.locator(`#check-${list} li`).evaluateAll((lis) => lis.map((li) => ({
    member: li.dataset.member, text: li.textContent,
  })));
}
