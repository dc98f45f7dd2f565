// Registrar dashboard, Admin section, Audit log: the paged events, newest first, filtered by
// client, event and actor.

import { $, el, srOnly, timeEl } from './ui.js';
import { clearFieldErrors, clearOnInput, withButton } from './admin-session.js';
import {
  cell, dash, ident, plural, row, tableRoles,
} from './admin-table.js';
import {
  clearFilter, loadPage, offerPageSizes, pages, registerList, restart, wirePager,
} from './admin-pages.js';

/**
 * Every event name the server records (docs/protected-registration.md, "Audit log"; the
 * `AuditEvent` schema of static/openapi.json, which tests/contract/openapi.test.js holds this to):
 * the API's own, the scheduled clean-up's and the client projection's.
 */
export const AUDIT_EVENTS = [
  'client_registered', 'client_read', 'client_updated', 'client_deleted', 'client_suspended',
  'client_reactivated', 'client_secret_rotated', 'registration_token_reissued', 'client_claimed',
  'iat_minted', 'iat_used', 'iat_revoked', 'registration_refused', 'iat_expired', 'client_expired',
  'client_removed_unused', 'audit_pruned', 'projection_resynced', 'projection_failed',
];

const AUDIT_FIELDS = { client_id: 'a-audit-client', event: 'a-audit-event', actor: 'a-audit-actor' };

function renderAudit(events) {
  const body = $('a-audit-table').querySelector('tbody');
  body.replaceChildren();
  for (const e of events) {
    const tr = row();
    tr.dataset.eventId = String(e.id);
    const details = el('details');
    const summary = el('summary', {}, 'JSON');
    summary.append(srOnly(` of event ${String(e.id)}`));
    details.append(summary, el('pre', { class: 'value-json' }, JSON.stringify(e, null, 2)));
    tr.append(
      cell('Time', timeEl(e.at, true)),
      cell('Event', ident(e.event, '_')),
      cell('Client ID', typeof e.client_id === 'string' ? ident(e.client_id, '') : dash()),
      cell('Actor', ident(e.actor)),
      cell('Request ID', ident(e.request_id, '')),
      cell('Details', details),
    );
    body.append(tr);
  }
  $('a-audit-table').hidden = events.length === 0;
  $('a-audit-empty').hidden = events.length !== 0;
  $('a-audit-status').textContent = events.length ? `${plural(events.length, 'event')} on page ${pages.audit.cursors.length}, newest first.` : '';
}

async function filterAudit(e) {
  e.preventDefault();
  clearFieldErrors($('a-audit-filter'));
  const query = {};
  for (const [param, id] of Object.entries(AUDIT_FIELDS)) {
    const v = $(id).value.trim();
    if (v !== '') query[param] = v;
  }
  restart('audit', query, $('a-audit-limit').value);
  await withButton($('a-audit-go'), 'Loading…', () => loadPage('audit'));
}

registerList('audit', {
  path: '/admin/audit',
  member: 'events',
  box: 'a-audit-error',
  title: 'The audit log could not be read',
  fields: AUDIT_FIELDS,
  pager: 'a-audit',
  render: renderAudit,
});

/** Wires the Audit log tab of a freshly mounted admin area. */
export function wireAudit() {
  offerPageSizes($('a-audit-limit'));
  tableRoles($('a-audit-table'));
  const events = $('a-audit-event');
  for (const name of AUDIT_EVENTS) events.append(el('option', { value: name }, name));
  $('a-audit-filter').addEventListener('submit', filterAudit);
  $('a-audit-clear').addEventListener('click', () => clearFilter('audit', $('a-audit-filter'), $('a-audit-limit')));
  $('a-audit-refresh').addEventListener('click', () => loadPage('audit'));
  wirePager('audit');
  clearOnInput(Object.values(AUDIT_FIELDS));
}
