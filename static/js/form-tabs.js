// Registrar dashboard, New client form: its tabs (WAI-ARIA tabs pattern, automatic activation).

import { $, showTab, tabKeyHandler } from './ui.js';
import { updateJson } from './json-tab.js';

export function tabs() {
  return [...$('tablist').querySelectorAll('[role="tab"]')];
}

export function selectTab(tab, focus) {
  showTab(tabs(), tab);
  if (tab.id === 'tab-json') updateJson();
  if (focus) tab.focus();
  else tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

export function wireTabs() {
  $('tablist').addEventListener('keydown', tabKeyHandler(tabs, selectTab));
  for (const t of tabs()) t.addEventListener('click', () => selectTab(t, false));
}
