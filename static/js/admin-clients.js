// Registrar dashboard, Admin section, Clients: search and paged list, and one client's detail
// with its actions (suspend, reactivate, rotate the secret, re-issue the registration access
// token, delete, its audit events).

import {
  $, SECRET_METHODS, announce, confirmDialog, el, fileSafe, isObject, notice, timeEl,
} from './ui.js';
import {
  busy, clearError, clearFieldErrors, clearOnInput, enc, fail, request, showError, signedIn, withButton,
} from './admin-session.js';
import { hideOnce, mayDrop, showOnce } from './admin-once.js';
import {
  cell, code, ident, pill, plural, row, tableRoles,
} from './admin-table.js';
import {
  clearFilter, loadPage, offerPageSizes, pages, registerList, restart, wirePager,
} from './admin-pages.js';
import { selectTab } from './admin-tabs.js';

/** Search form fields by the query parameter (and API error member) they carry. */
const SEARCH_FIELDS = {
  q: 'a-q', client_id_prefix: 'a-prefix', redirect_host: 'a-host', software_id: 'a-software',
  status: 'a-status', created_after: 'a-after', created_before: 'a-before',
};

let detail = null; // the ClientSummary in the detail view

/** Unix seconds of the start of a day ("YYYY-MM-DD", local time), or null. */
function dayStart(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
  return Number.isFinite(t) ? Math.floor(t / 1000) : null;
}

function clientName(c) {
  const m = isObject(c.metadata) ? c.metadata : {};
  return typeof m.client_name === 'string' && m.client_name !== '' ? m.client_name : '';
}

function renderClients(clients) {
  const body = $('a-clients-table').querySelector('tbody');
  body.replaceChildren();
  for (const c of clients) {
    const tr = row();
    tr.dataset.clientId = String(c.client_id);
    const name = clientName(c);
    const open = el('button', { type: 'button', class: 'link-button' }, name || 'Client without a name');
    if (!name) open.classList.add('is-unnamed');
    open.addEventListener('click', () => openClient(String(c.client_id)));
    tr.append(
      cell('Name', open),
      cell('Client ID', ident(c.client_id, '')),
      cell('Status', pill(c.status)),
      cell('Registered by', ident(c.registered_by ?? '—')),
      cell('Policy class', ident(c.policy_class ?? '—')),
      cell('Created', timeEl(c.client_id_issued_at)),
      cell('Last used', timeEl(c.last_used_at)),
    );
    body.append(tr);
  }
  $('a-clients-table').hidden = clients.length === 0;
  $('a-clients-empty').hidden = clients.length !== 0;
  const p = pages.clients;
  $('a-clients-status').textContent = clients.length
    ? `${plural(clients.length, 'client')} on page ${p.cursors.length}${p.next !== undefined ? '; more on the next pages' : ''}.`
    : 'No client matches.';
}

function searchQuery() {
  const form = $('a-search');
  clearFieldErrors(form);
  const query = {};
  const problems = [];
  for (const [param, id] of Object.entries(SEARCH_FIELDS)) {
    const v = $(id).value.trim();
    if (v === '') continue;
    if (param === 'created_after' || param === 'created_before') {
      const t = dayStart(v);
      if (t === null) problems.push({ target: $(id), message: `${$(id).labels[0].textContent}: enter a date` });
      else query[param] = String(param === 'created_after' ? t - 1 : t);
    } else {
      query[param] = v;
    }
  }
  if (query.created_after !== undefined && query.created_before !== undefined
    && Number(query.created_after) + 1 >= Number(query.created_before)) {
    problems.push({ target: $('a-before'), message: 'Created before: choose a day after the “on or after” day' });
  }
  return { query, problems };
}

async function search(e) {
  e.preventDefault();
  const { query, problems } = searchQuery();
  if (problems.length) {
    showError('a-clients-error', 'Check the search', null, problems);
    return;
  }
  restart('clients', query, $('a-limit').value);
  await withButton($('a-search-go'), 'Searching…', () => loadPage('clients'));
}

function showList(focusClientId) {
  $('a-detail').hidden = true;
  $('a-clients-list').hidden = false;
  if (focusClientId !== undefined) {
    const tr = [...$('a-clients-table').querySelectorAll('tbody tr')].find((r) => r.dataset.clientId === focusClientId);
    if (tr) tr.querySelector('button').focus();
    else $('a-clients-title').focus();
  }
}

async function openClient(clientId) {
  if (!(await mayDrop(['a-once']))) return;
  await busy(async () => {
    const res = await request('GET', `/admin/clients/${enc(clientId)}`);
    if (!signedIn()) return;
    if (res.status !== 200 || !isObject(res.body) || typeof res.body.client_id !== 'string') {
      fail('a-clients-error', res, 'The client could not be opened');
      return;
    }
    hideOnce('a-once');
    clearError('a-detail-error');
    renderDetail(res.body);
    $('a-clients-list').hidden = true;
    $('a-detail').hidden = false;
    $('a-detail-title').focus();
    $('a-detail').scrollIntoView({ block: 'start' });
  });
}

function metaValue(v) {
  if (typeof v === 'string') return el('span', { class: 'value-text' }, v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    if (!v.length) return el('span', { class: 'muted' }, 'none');
    const ul = el('ul', { class: 'value-list' });
    for (const x of v) ul.append(el('li', {}, x));
    return ul;
  }
  if (typeof v === 'boolean' || typeof v === 'number') return code(String(v));
  return el('pre', { class: 'value-json' }, JSON.stringify(v, null, 2));
}

function prop(dl, term, value, termIsCode = false) {
  const div = el('div', { class: 'prop' });
  const dt = el('dt');
  if (termIsCode) dt.append(code(term));
  else dt.textContent = term;
  const dd = el('dd');
  dd.append(value);
  div.append(dt, dd);
  dl.append(div);
}

function authMethod(c) {
  const m = isObject(c.metadata) ? c.metadata.token_endpoint_auth_method : undefined;
  return typeof m === 'string' ? m : 'client_secret_basic'; // RFC 7591 §2 default
}

function renderDetail(c) {
  detail = c;
  const name = clientName(c);
  $('a-detail-title').textContent = name || 'Client without a name';
  const status = $('a-detail-status');
  status.replaceWith(Object.assign(pill(c.status), { id: 'a-detail-status' }));
  $('a-detail-id').textContent = c.client_id;
  const suspended = c.status === 'suspended';
  $('a-suspend').hidden = suspended;
  $('a-reactivate').hidden = !suspended;
  $('a-rotate').hidden = !SECRET_METHODS.has(authMethod(c));
  $('a-status-hint').textContent = suspended
    ? 'Suspended: the authorization server should refuse this client, and its own updates (RFC 7592 PUT) are refused with 403. '
      + 'Reading and deleting it with its registration access token still work.'
    : '';
  $('a-status-hint').hidden = !suspended;

  const props = $('a-detail-props');
  props.replaceChildren();
  prop(props, 'Status', pill(c.status));
  prop(props, 'Registered by', code(String(c.registered_by ?? '—')));
  prop(props, 'Policy class', code(String(c.policy_class ?? '—')));
  prop(props, 'Created', timeEl(c.client_id_issued_at, true));
  prop(props, 'Updated', timeEl(c.updated_at, true));
  // Set by the AS API at most hourly; absent: never used (or the KV backend, which keeps none).
  prop(props, 'Last used', timeEl(c.last_used_at, true));

  const meta = $('a-detail-meta');
  meta.replaceChildren();
  const entries = isObject(c.metadata) ? Object.entries(c.metadata) : [];
  for (const [k, v] of entries) prop(meta, k, metaValue(v), true);
  if (!entries.length) prop(meta, 'metadata', el('span', { class: 'muted' }, 'none'));
}

async function setStatus(action) {
  const c = detail;
  if (!c) return;
  const button = $(action === 'suspend' ? 'a-suspend' : 'a-reactivate');
  await withButton(button, action === 'suspend' ? 'Suspending…' : 'Reactivating…', async () => {
    const res = await request('POST', `/admin/clients/${enc(c.client_id)}/${action}`);
    if (!signedIn()) return;
    if (res.status !== 200 || !isObject(res.body) || typeof res.body.client_id !== 'string') {
      fail('a-detail-error', res, action === 'suspend' ? 'The client was not suspended' : 'The client was not reactivated');
      return;
    }
    clearError('a-detail-error');
    renderDetail(res.body);
    // The pressed button is now hidden: the focus goes to the one that replaced it.
    $(action === 'suspend' ? 'a-reactivate' : 'a-suspend').focus();
    announce(action === 'suspend' ? `Client ${c.client_id} is suspended.` : `Client ${c.client_id} is active again.`);
  });
}
/**
 * Asks, then has the server issue a new credential of the open client (POST .../`path`, the
 * value in `member` of the answer) and shows it once.
 */
async function issueOnce({ button, busyLabel, path, member, confirm, failed, once, done }) {
  const c = detail;
  if (!c) return;
  if (!(await mayDrop(['a-once']))) return;
  const name = clientName(c);
  const ok = await confirmDialog({
    title: confirm.title,
    text: `Client ${name ? `“${name}” ` : ''}(${c.client_id}) ${confirm.text}`,
    ok: confirm.ok,
  });
  if (!ok) return;
  hideOnce('a-once');
  await withButton($(button), busyLabel, async () => {
    const res = await request('POST', `/admin/clients/${enc(c.client_id)}/${path}`);
    if (!signedIn()) return;
    if (res.status !== 200 || !isObject(res.body) || typeof res.body[member] !== 'string') {
      fail('a-detail-error', res, failed);
      return;
    }
    clearError('a-detail-error');
    showOnce('a-once', { ...once(c.client_id), value: res.body[member], json: res.body });
    announce(done);
  });
}

function rotateSecret() {
  return issueOnce({
    button: 'a-rotate',
    busyLabel: 'Rotating…',
    path: 'client-secret',
    member: 'client_secret',
    confirm: {
      title: 'Rotate the client secret?',
      text: 'gets a new client secret, shown once. The current one stops working at once: '
        + 'the application fails to get tokens until it has the new one.',
      ok: 'Rotate secret',
    },
    failed: 'The client secret was not rotated',
    once: (id) => ({
      title: 'New client secret',
      label: 'Client secret',
      warning: 'The server keeps only a hash of it. The previous secret no longer works: give this one to the application\'s operator.',
      file: `client-${fileSafe(id)}-secret.json`,
      what: `new client secret of ${id}`,
    }),
    done: 'A new client secret was issued; the previous one no longer works.',
  });
}

function reissueToken() {
  return issueOnce({
    button: 'a-reissue',
    busyLabel: 'Re-issuing…',
    path: 'registration-access-token',
    member: 'registration_access_token',
    confirm: {
      title: 'Re-issue the registration access token?',
      text: 'gets a new registration access token, shown once. '
        + 'The current one stops working at once for reading, updating and deleting the registration.',
      ok: 'Re-issue token',
    },
    failed: 'The registration access token was not re-issued',
    once: (id) => ({
      title: 'New registration access token',
      label: 'Registration access token',
      warning: 'The server keeps only a hash of it. The previous token no longer works. The downloaded file opens in “Manage a client”.',
      file: `client-${fileSafe(id)}.json`,
      what: `new registration access token of ${id}`,
    }),
    done: 'A new registration access token was issued; the previous one no longer works.',
  });
}

async function deleteClient() {
  const c = detail;
  if (!c) return;
  const name = clientName(c);
  const ok = await confirmDialog({
    title: 'Delete this client?',
    text: `Client ${name ? `“${name}” ` : ''}(${c.client_id}) will be removed from the server. `
      + 'Applications using this client ID stop working at once. This cannot be undone.',
    ok: 'Delete client',
  });
  if (!ok) return;
  await withButton($('a-delete'), 'Deleting…', async () => {
    const res = await request('DELETE', `/admin/clients/${enc(c.client_id)}`);
    if (!signedIn()) return;
    if (res.status !== 204) {
      fail('a-detail-error', res, 'The client was not deleted');
      return;
    }
    hideOnce('a-once');
    detail = null;
    const p = pages.clients;
    await loadPage('clients');
    if (!$('a-clients-table').querySelector('tbody tr') && p.cursors.length > 1) {
      p.cursors.pop();
      await loadPage('clients');
    }
    showList();
    $('a-clients-title').focus();
    notice(`Client ${c.client_id} was deleted. Its credentials no longer work.`);
  });
}

async function backToList() {
  const id = detail ? detail.client_id : undefined;
  await busy(async () => {
    await loadPage('clients');
    showList(id);
  });
}

function auditOfClient() {
  if (!detail) return;
  $('a-audit-filter').reset();
  clearFieldErrors($('a-audit-filter'));
  $('a-audit-client').value = detail.client_id;
  restart('audit', { client_id: detail.client_id }, $('a-audit-limit').value);
  selectTab($('atab-audit'), true);
}

// ------------------------------------------------------------------------------------------

registerList('clients', {
  path: '/admin/clients',
  member: 'clients',
  box: 'a-clients-error',
  title: 'The clients could not be listed',
  fields: SEARCH_FIELDS,
  pager: 'a-clients',
  render: renderClients,
});

/** Signing out: no client is open. */
export function forgetDetail() {
  detail = null;
}

/** Wires the Clients tab of a freshly mounted admin area. */
export function wireClients() {
  offerPageSizes($('a-limit'));
  tableRoles($('a-clients-table'));
  $('a-search').addEventListener('submit', search);
  $('a-search-clear').addEventListener('click', () => clearFilter('clients', $('a-search'), $('a-limit')));
  wirePager('clients');
  $('a-detail-back').addEventListener('click', backToList);
  $('a-suspend').addEventListener('click', () => setStatus('suspend'));
  $('a-reactivate').addEventListener('click', () => setStatus('reactivate'));
  $('a-rotate').addEventListener('click', rotateSecret);
  $('a-reissue').addEventListener('click', reissueToken);
  $('a-delete').addEventListener('click', deleteClient);
  $('a-detail-audit').addEventListener('click', auditOfClient);
  clearOnInput(Object.values(SEARCH_FIELDS));
}
