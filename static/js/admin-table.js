// Registrar dashboard, Admin section: the cells of its tables (clients, tokens, audit events).
// Explicit roles keep the table semantics when narrow screens lay rows out as cards.

import { el } from './ui.js';

export function tableRoles(table) {
  table.setAttribute('role', 'table');
  for (const g of table.querySelectorAll('thead, tbody')) g.setAttribute('role', 'rowgroup');
  for (const tr of table.querySelectorAll('tr')) tr.setAttribute('role', 'row');
  for (const th of table.querySelectorAll('th')) th.setAttribute('role', 'columnheader');
}

export function row() {
  return el('tr', { role: 'row' });
}

export function cell(label, ...children) {
  const td = el('td', { role: 'cell', 'data-label': label });
  td.append(...children);
  return td;
}

export function code(text) {
  return el('code', {}, text);
}

/**
 * An identifier that never breaks inside a random part: it may wrap only after the given
 * separators (event_names after "_", iat:<id> and profile:<name> after ":").
 */
export function ident(text, separators = ':') {
  const c = el('code', { class: 'ident' });
  const parts = String(text).split(new RegExp(`(?<=[${separators}])`));
  for (const part of parts) c.append(el('span', { class: 'seg' }, part));
  return c;
}

export function dash() {
  return el('span', { class: 'muted' }, '—');
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** A client status or token state as a coloured word. */
export function pill(value) {
  const known = ['active', 'suspended', 'expired', 'exhausted', 'revoked', 'profile_removed'];
  return el('span', { class: `pill pill-${known.includes(value) ? value : 'other'}` }, String(value));
}
