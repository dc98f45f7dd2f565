// Accessibility and layout: the ARIA tabs with arrow keys, labels on every control, keyboard-only
// registration, visible focus, phone width, light and dark colour schemes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  setup, openDashboard, assertClean, newClient, tab, setRedirectUris, saveAndWait, settled, labelProblems,
} from './helpers.js';

let env;
before(async () => { env = await setup(); }, { timeout: 60_000 });
after(async () => { await env?.close(); });

const TAB_NAMES = ['Main', 'Access', 'Credentials', 'Crypto', 'Other', 'JSON'];

async function tabState(page) {
  return page.evaluate(() => {
    const tabs = [...document.querySelectorAll('[role="tablist"] [role="tab"]')];
    return {
      selected: tabs.filter((t) => t.getAttribute('aria-selected') === 'true').map((t) => t.id),
      focused: document.activeElement.id,
      tabindex: tabs.map((t) => t.tabIndex),
      visiblePanels: [...document.querySelectorAll('[role="tabpanel"]')].filter((p) => !p.hidden).map((p) => p.id),
    };
  });
}

describe('Tabs', () => {
  it('are an ARIA tablist: arrow keys, Home and End move the selection and the focus', async () => {
    const { page, context, log } = await openDashboard(env);
    await newClient(page);
    assert.equal(await page.getByRole('tablist', { name: 'Client settings' }).count(), 1);
    const names = await page.getByRole('tab').allInnerTexts();
    assert.deepEqual(names.map((n) => n.trim()), TAB_NAMES);

    await tab(page, 'Main').focus();
    let s = await tabState(page);
    assert.deepEqual(s.selected, ['tab-main']);
    assert.deepEqual(s.tabindex, [0, -1, -1, -1, -1, -1], 'roving tabindex');
    assert.deepEqual(s.visiblePanels, ['panel-main']);

    await page.keyboard.press('ArrowRight');
    s = await tabState(page);
    assert.deepEqual(s.selected, ['tab-access']);
    assert.equal(s.focused, 'tab-access');
    assert.deepEqual(s.visiblePanels, ['panel-access']);
    assert.deepEqual(s.tabindex, [-1, 0, -1, -1, -1, -1]);

    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.deepEqual((await tabState(page)).selected, ['tab-crypto']);
    await page.keyboard.press('ArrowLeft');
    assert.deepEqual((await tabState(page)).selected, ['tab-credentials']);
    await page.keyboard.press('End');
    s = await tabState(page);
    assert.deepEqual(s.selected, ['tab-json']);
    assert.deepEqual(s.visiblePanels, ['panel-json']);
    await page.keyboard.press('ArrowRight');
    assert.deepEqual((await tabState(page)).selected, ['tab-main'], 'wraps from last to first');
    await page.keyboard.press('ArrowLeft');
    assert.deepEqual((await tabState(page)).selected, ['tab-json'], 'wraps from first to last');
    await page.keyboard.press('Home');
    s = await tabState(page);
    assert.deepEqual(s.selected, ['tab-main']);
    assert.equal(s.focused, 'tab-main');

    // Tab leaves the tablist for the panel (only one tab is in the Tab order).
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.closest('[role="tablist"]')), null);
    await assertClean(page, log);
    await context.close();
  });
});

describe('Labels', () => {
  it('every control has an accessible name, ids are unique, ARIA references resolve', async () => {
    const { page, context, log } = await openDashboard(env);
    assert.deepEqual(await labelProblems(page), [], 'start view');
    await newClient(page);
    await page.getByLabel('Client name').fill('Labels');
    await setRedirectUris(page, ['https://labels.example/a', 'https://labels.example/b']);
    await page.getByRole('button', { name: 'Add translation' }).click();
    await page.getByRole('button', { name: 'Add contact' }).click();
    assert.deepEqual(await labelProblems(page), [], 'editor');
    const res = await saveAndWait(page);
    assert.equal(res.status, 201);
    assert.deepEqual(await labelProblems(page), [], 'after save');
    await assertClean(page, log);
    await context.close();
  });
});

describe('Keyboard', () => {
  it('registers a client and downloads its JSON with the keyboard alone, with visible focus', async () => {
    const { page, context, log } = await openDashboard(env);
    const active = () => page.evaluate(() => document.activeElement.id || document.activeElement.className);
    // Skip link, brand, then "New client" in the app bar.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await active(), 'nav-new');
    const outline = await page.evaluate(() => {
      const cs = getComputedStyle(document.activeElement);
      return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
    });
    assert.notEqual(outline.style, 'none', 'focus is visible');
    assert.ok(outline.width >= 2, `focus outline ${outline.width}px`);

    await page.keyboard.press('Enter');
    assert.equal(await active(), 'f-client_name', 'the form opens with the name focused');
    await page.keyboard.type('Keyboard app');
    await page.keyboard.press('Tab');
    assert.match(await active(), /^f-redirect_uris-/);
    await page.keyboard.type('http://127.0.0.1:8080/cb');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.keyboard.press('Enter'),
    ]);
    await settled(page);
    assert.equal(response.status(), 201);
    const body = await response.json();
    assert.equal(body.client_name, 'Keyboard app');
    await page.getByRole('heading', { name: 'Client registered' }).waitFor();
    assert.equal(await active(), 'result-title', 'focus moves to the result');

    // Tab to "Download JSON" and press Enter.
    for (let i = 0; i < 20 && (await active()) !== 'download'; i++) await page.keyboard.press('Tab');
    assert.equal(await active(), 'download');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.deepEqual(JSON.parse(fs.readFileSync(await download.path(), 'utf8')), body);

    // The delete dialog opens on Cancel and Escape closes it, back on the button.
    await page.getByRole('button', { name: 'Delete client' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    assert.equal(await active(), 'confirm-cancel', 'the safe choice has the focus');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(await active(), 'delete');
    await assertClean(page, log);
    await context.close();
  });
});

describe('Layout', () => {
  it('fits a 375 px phone screen without sideways scrolling, on every view and tab', async () => {
    const { page, context, log } = await openDashboard(env, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(await overflow(), 0, 'start view');
    await newClient(page);
    await page.getByLabel('Client name').fill('A phone app with a rather long name that wraps');
    await setRedirectUris(page, ['com.example.phone.app:/oauth2redirect/with/a/long/path']);
    await page.getByRole('button', { name: 'Add translation' }).click();
    for (const name of TAB_NAMES) {
      await tab(page, name).click();
      assert.equal(await overflow(), 0, `tab ${name}`);
    }
    await tab(page, 'Main').click();
    const res = await saveAndWait(page);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await page.getByRole('heading', { name: 'Client registered' }).waitFor();
    assert.equal(await overflow(), 0, 'saved result');
    assert.ok(await page.getByRole('button', { name: /^Save/ }).isVisible());
    await assertClean(page, log);
    await context.close();
  });

  for (const scheme of ['light', 'dark']) {
    it(`is readable in the ${scheme} colour scheme (contrast of text, hints, buttons, errors)`, async () => {
      const { page, context, log } = await openDashboard(env, { colorScheme: scheme });
      await newClient(page);
      await page.getByRole('button', { name: 'Save' }).click(); // shows errors (local checks)
      await page.locator('#error-summary').waitFor();
      const result = await page.evaluate(() => {
        const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
        const lum = (c) => {
          const [r, g, b] = rgb(c).map((v) => {
            const s = v / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const ratio = (a, b) => {
          const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
          return (x + 0.05) / (y + 0.05);
        };
        // The background actually behind an element: the nearest ancestor with an opaque one.
        const bg = (el) => {
          for (let e = el; e; e = e.parentElement) {
            const c = getComputedStyle(e).backgroundColor;
            if (!/rgba\(.*,\s*0\)$/.test(c) && c !== 'transparent') return c;
          }
          return 'rgb(255, 255, 255)';
        };
        const pair = (sel) => {
          const el = document.querySelector(sel);
          return ratio(getComputedStyle(el).color, bg(el));
        };
        return {
          bodyBg: lum(getComputedStyle(document.body).backgroundColor),
          body: pair('#f-client_name'),
          label: pair('label[for="f-client_name"]'),
          hint: pair('#f-client_name-hint'),
          error: pair('#f-client_name-error'),
          summary: pair('#error-summary-title'),
          primary: pair('#save'),
          danger: pair('#confirm-ok'),
          tab: pair('#tab-access'),
          selectedTab: pair('#tab-main'),
        };
      });
      if (scheme === 'dark') assert.ok(result.bodyBg < 0.05, `dark background, luminance ${result.bodyBg}`);
      else assert.ok(result.bodyBg > 0.8, `light background, luminance ${result.bodyBg}`);
      for (const [what, r] of Object.entries(result)) {
        if (what === 'bodyBg') continue;
        assert.ok(r >= 4.5, `${scheme}: contrast of ${what} is ${r.toFixed(2)}, below 4.5`);
      }
      await assertClean(page, log);
      await context.close();
    });
  }
});
