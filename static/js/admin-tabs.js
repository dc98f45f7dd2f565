// Registrar dashboard, Admin section: its tabs (Clients, Initial access tokens, Audit log; the
// WAI-ARIA tabs pattern with automatic activation, as in the New client form). Selecting one
// refreshes what it lists.

import { $, showTab, tabKeyHandler } from './ui.js';
import { signedIn } from './admin-session.js';
import { loadPage } from './admin-pages.js';

function tabs() {
  return [...$('admin-tablist').querySelectorAll('[role="tab"]')];
}

/** Shows a section and refreshes what it lists (the client detail, when open, stays). */
export function selectTab(tab, focus) {
  showTab(tabs(), tab);
  if (focus) tab.focus();
  refresh();
}

export function refresh() {
  if (!signedIn()) return undefined;
  const tab = tabs().find((t) => t.getAttribute('aria-selected') === 'true');
  if (tab.id === 'atab-clients') return $('a-detail').hidden ? loadPage('clients') : undefined;
  if (tab.id === 'atab-iats') return loadPage('iats');
  return loadPage('audit');
}

export function wireAdminTabs() {
  $('admin-tablist').addEventListener('keydown', tabKeyHandler(tabs, selectTab));
  for (const t of tabs()) t.addEventListener('click', () => selectTab(t, false));
}
