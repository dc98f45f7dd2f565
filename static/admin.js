// Registrar dashboard, Admin section: a browser client of this origin's admin API
// (docs/protected-registration.md, "Admin API"). Imported by app.js, which passes the helpers it
// shares (API calls, copy, the confirmation dialog, views, tab-list keys).
//
// Rules this file keeps, on top of app.js's:
// - The admin token lives only in the `token` variable below (page memory). It is never written to
//   localStorage, sessionStorage, cookies or the URL, and the password field is emptied once the
//   server accepted it. Sign out forgets it and removes the signed-in part of the page (lists,
//   details, values shown once) from the document.
// - Values the API shows once (a minted initial access token, a rotated client secret, a
//   re-issued registration access token) come with Copy and a warning. Replacing or dropping one
//   that was neither copied nor downloaded asks first.
// - Every value from the API is rendered as text (textContent, .value, setAttribute); nothing is
//   ever parsed as HTML.

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

/** The audit event names of docs/protected-registration.md. */
export const AUDIT_EVENTS = [
  'client_registered', 'client_read', 'client_updated', 'client_deleted', 'client_suspended',
  'client_reactivated', 'client_secret_rotated', 'registration_token_reissued', 'iat_minted',
  'iat_used', 'iat_revoked', 'registration_refused',
];
/** Authentication methods that use a client secret (the only ones the admin API can rotate). */
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

const ADMIN_REFUSED = 'The server refused the admin token: it is wrong, or it was changed on the server.';
const ADMIN_OFF = 'The admin API is disabled on this server: its ADMIN_TOKEN secret is not set. '
  + 'Set it (wrangler secret put ADMIN_TOKEN; locally, in .dev.vars) and sign in again.';

/** Search form fields by the query parameter (and API error member) they carry. */
const SEARCH_FIELDS = {
  q: 'a-q', client_id_prefix: 'a-prefix', redirect_host: 'a-host', software_id: 'a-software',
  status: 'a-status', created_after: 'a-after', created_before: 'a-before',
};
const MINT_FIELDS = { label: 'a-label', expires_in: 'a-expires', max_uses: 'a-max-uses', profile: 'a-profile' };
const AUDIT_FIELDS = { client_id: 'a-audit-client', event: 'a-audit-event', actor: 'a-audit-actor' };

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An element with attributes and text; never HTML. */
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

function srOnly(text) {
  return el('span', { class: 'sr-only' }, text);
}

function formatTime(seconds, withSeconds = false) {
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: withSeconds ? 'medium' : 'short' });
}

function timeEl(seconds, withSeconds = false) {
  if (!Number.isFinite(seconds)) return el('span', {}, '—');
  const iso = new Date(seconds * 1000).toISOString();
  const t = el('time', { datetime: iso, title: iso }, formatTime(seconds, withSeconds));
  return t;
}

/** Unix seconds of the start of a day ("YYYY-MM-DD", local time), or null. */
function dayStart(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
  return Number.isFinite(t) ? Math.floor(t / 1000) : null;
}

/** A word for a shell command line, quoted when needed. */
function shellWord(s) {
  return /^[A-Za-z0-9_:/.@%+=,~-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function pill(value) {
  const known = ['active', 'suspended', 'expired', 'exhausted', 'revoked', 'profile_removed'];
  return el('span', { class: `pill pill-${known.includes(value) ? value : 'other'}` }, String(value));
}

/**
 * The Admin section. `app` gives: api, copyText, confirmDialog, announce, notice, hideNotice,
 * showView, registrationEndpoint(), startNewWithIat(token) → Promise<boolean>.
 */
export function createAdmin(app) {
  let token = null; // the admin token, in page memory only
  let view = null; // #view-admin once mounted
  let area = null; // #admin-area while signed in
  let busyCount = 0;
  let detail = null; // the ClientSummary in the detail view
  const unkept = new Map(); // id of a one-time box → what it shows, while neither copied nor downloaded
  const once = {}; // id of a one-time box → { value, json, file }
  const pages = {};

  function resetPages() {
    pages.clients = { cursors: [undefined], next: undefined, query: {}, limit: '20', loading: false };
    pages.iats = { cursors: [undefined], next: undefined, query: {}, limit: '20', loading: false };
    pages.audit = { cursors: [undefined], next: undefined, query: {}, limit: '20', loading: false };
  }
  resetPages();

  // ------------------------------------------------------------------------------------------
  // Requests, busy marks, errors
  // ------------------------------------------------------------------------------------------

  // body[data-busy] marks the page while a request is out and its answer is being shown (as
  // app.js does), so tests and assistive technology can tell when the page has settled.
  function setBusy(on) {
    busyCount += on ? 1 : -1;
    if (busyCount > 0) document.body.dataset.busy = 'true';
    else delete document.body.dataset.busy;
  }

  /** Runs fn (a request and the rendering of its answer) with the page marked busy. */
  async function busy(fn) {
    setBusy(true);
    try {
      return await fn();
    } finally {
      setBusy(false);
    }
  }

  function request(method, path, { json, bearer = token } = {}) {
    return app.api(method, path, { json, token: bearer });
  }

  /** Runs fn with the button marked busy (a second press meanwhile does nothing). */
  async function withButton(button, label, fn) {
    if (button.getAttribute('aria-busy') === 'true') return undefined;
    const idle = button.textContent;
    button.textContent = label;
    button.setAttribute('aria-busy', 'true');
    button.setAttribute('aria-disabled', 'true');
    try {
      return await busy(fn);
    } finally {
      button.textContent = idle;
      button.removeAttribute('aria-busy');
      button.removeAttribute('aria-disabled');
    }
  }

  /** What an unsuccessful admin response means: { code, message, member, rest }. */
  function explain(res) {
    if (res.status === 0) return { code: null, message: `The server could not be reached (${res.message}).` };
    const b = isObject(res.body) ? res.body : {};
    const code = typeof b.error === 'string' ? b.error : null;
    const desc = typeof b.error_description === 'string' ? b.error_description : '';
    if (res.status === 401) return { code: code || 'invalid_token', message: `${ADMIN_REFUSED} Sign out, then sign in with the current one.` };
    if (res.status === 404 && /admin API is disabled/i.test(desc)) return { code, message: ADMIN_OFF };
    if (code) {
      const m = /^([a-z_]+):\s*([\s\S]*)$/.exec(desc);
      return { code, message: desc || code, member: m ? m[1] : undefined, rest: m ? m[2] : undefined };
    }
    return { code: null, message: `The server answered HTTP ${res.status}.` };
  }

  function clearFieldErrors(form) {
    if (!form) return;
    for (const e of form.querySelectorAll('[aria-invalid="true"]')) e.removeAttribute('aria-invalid');
    for (const e of form.querySelectorAll('.field-error')) {
      e.hidden = true;
      e.textContent = '';
    }
  }

  function fieldError(input, message) {
    const slot = $(`${input.id}-error`);
    if (slot) {
      slot.textContent = message;
      slot.hidden = false;
    }
    input.setAttribute('aria-invalid', 'true');
  }

  function clearError(boxId) {
    const box = $(boxId);
    if (!box) return;
    box.hidden = true;
    box.querySelector('.es-list').replaceChildren();
  }

  /** The error summary (same look and behaviour as the New client form's): title, code, items with links. */
  function showError(boxId, title, code, items) {
    const box = $(boxId);
    box.querySelector('.es-title').textContent = title;
    const codeLine = box.querySelector('.es-code');
    codeLine.replaceChildren();
    if (code) codeLine.append('Error ', el('code', {}, code), ':');
    codeLine.hidden = !code;
    const list = box.querySelector('.es-list');
    list.replaceChildren();
    for (const item of items) {
      const li = el('li');
      if (item.target) {
        fieldError(item.target, item.short || item.message);
        const a = el('a', { href: `#${item.target.id}` }, item.message);
        a.addEventListener('click', (e) => {
          e.preventDefault();
          item.target.focus();
        });
        li.append(a);
      } else {
        li.textContent = item.message;
      }
      list.append(li);
    }
    box.hidden = false;
    box.focus();
    box.scrollIntoView({ block: 'nearest' });
  }

  function fail(boxId, res, title, fields = {}) {
    const x = explain(res);
    const target = x.member && fields[x.member] ? $(fields[x.member]) : null;
    showError(boxId, title, x.code, [{ message: x.message, target, short: x.rest }]);
  }

  // ------------------------------------------------------------------------------------------
  // Values shown once
  // ------------------------------------------------------------------------------------------

  /** Asks before dropping one-time values that were neither copied nor downloaded. */
  async function mayDrop(ids) {
    const open = ids.filter((id) => unkept.has(id));
    if (!open.length) return true;
    const what = open.map((id) => unkept.get(id)).join(', and the ');
    const ok = await app.confirmDialog({
      title: 'Drop a value shown only once?',
      text: `The ${what} has been neither copied nor downloaded. The server cannot show it again.`,
      ok: 'Drop it',
    });
    if (ok) for (const id of open) unkept.delete(id);
    return ok;
  }

  function kept(id) {
    unkept.delete(id);
  }

  function hideOnce(id) {
    unkept.delete(id);
    delete once[id];
    const box = $(id);
    if (!box) return;
    box.hidden = true;
    for (const input of box.querySelectorAll('input, textarea')) input.value = '';
  }

  function downloadJson(id) {
    const o = once[id];
    if (!o || !o.json) return;
    const blob = new Blob([`${JSON.stringify(o.json, null, 2)}\n`], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: o.file });
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    kept(id);
    app.announce(`Downloading ${o.file}.`);
  }

  // ------------------------------------------------------------------------------------------
  // Tables
  // ------------------------------------------------------------------------------------------

  // Explicit roles keep the table semantics when narrow screens lay rows out as cards.
  function tableRoles(table) {
    table.setAttribute('role', 'table');
    for (const g of table.querySelectorAll('thead, tbody')) g.setAttribute('role', 'rowgroup');
    for (const tr of table.querySelectorAll('tr')) tr.setAttribute('role', 'row');
    for (const th of table.querySelectorAll('th')) th.setAttribute('role', 'columnheader');
  }

  function row() {
    return el('tr', { role: 'row' });
  }

  function cell(label, ...children) {
    const td = el('td', { role: 'cell', 'data-label': label });
    td.append(...children);
    return td;
  }

  function code(text) {
    return el('code', {}, text);
  }

  /**
   * An identifier that never breaks inside a random part: it may wrap only after the given
   * separators (event_names after "_", iat:<id> and profile:<name> after ":").
   */
  function ident(text, separators = ':') {
    const c = el('code', { class: 'ident' });
    const parts = String(text).split(new RegExp(`(?<=[${separators}])`));
    for (const part of parts) c.append(el('span', { class: 'seg' }, part));
    return c;
  }

  function dash() {
    return el('span', { class: 'muted' }, '—');
  }

  function setPager(prefix, p) {
    $(`${prefix}-prev`).setAttribute('aria-disabled', String(p.cursors.length <= 1));
    $(`${prefix}-next`).setAttribute('aria-disabled', String(p.next === undefined));
    $(`${prefix}-page`).textContent = `Page ${p.cursors.length}`;
  }

  /** Loads the current page of a list; false when the API refused. */
  function loadPage(name) {
    return busy(() => loadPageNow(name));
  }

  async function loadPageNow(name) {
    const p = pages[name];
    const q = new URLSearchParams({ ...p.query, limit: p.limit });
    const cursor = p.cursors[p.cursors.length - 1];
    if (cursor !== undefined) q.set('cursor', cursor);
    const path = { clients: '/admin/clients', iats: '/admin/initial-access-tokens', audit: '/admin/audit' }[name];
    const member = { clients: 'clients', iats: 'initial_access_tokens', audit: 'events' }[name];
    p.loading = true;
    const res = await request('GET', `${path}?${q}`);
    p.loading = false;
    if (!area) return false; // signed out meanwhile
    const box = { clients: 'a-clients-error', iats: 'a-iats-error', audit: 'a-audit-error' }[name];
    if (res.status !== 200 || !isObject(res.body) || !Array.isArray(res.body[member])) {
      const title = { clients: 'The clients could not be listed', iats: 'The tokens could not be listed', audit: 'The audit log could not be read' }[name];
      fail(box, res, title, { clients: SEARCH_FIELDS, iats: {}, audit: AUDIT_FIELDS }[name]);
      return false;
    }
    clearError(box);
    p.next = typeof res.body.next_cursor === 'string' ? res.body.next_cursor : undefined;
    const items = res.body[member].filter(isObject);
    ({ clients: renderClients, iats: renderIats, audit: renderAudit }[name])(items);
    setPager({ clients: 'a-clients', iats: 'a-iats', audit: 'a-audit' }[name], p);
    return true;
  }

  async function pageStep(name, dir) {
    const p = pages[name];
    if (p.loading) return;
    if (dir > 0) {
      if (p.next === undefined) return;
      p.cursors.push(p.next);
      if (!(await loadPage(name))) p.cursors.pop();
    } else {
      if (p.cursors.length <= 1) return;
      const popped = p.cursors.pop();
      if (!(await loadPage(name))) p.cursors.push(popped);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Clients
  // ------------------------------------------------------------------------------------------

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
    const p = pages.clients;
    p.query = query;
    p.limit = $('a-limit').value;
    p.cursors = [undefined];
    await withButton($('a-search-go'), 'Searching…', () => loadPage('clients'));
  }

  async function clearSearch() {
    $('a-search').reset();
    clearFieldErrors($('a-search'));
    const p = pages.clients;
    p.query = {};
    p.limit = $('a-limit').value;
    p.cursors = [undefined];
    await loadPage('clients');
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
      if (!area) return;
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
      if (!area) return;
      if (res.status !== 200 || !isObject(res.body) || typeof res.body.client_id !== 'string') {
        fail('a-detail-error', res, action === 'suspend' ? 'The client was not suspended' : 'The client was not reactivated');
        return;
      }
      clearError('a-detail-error');
      renderDetail(res.body);
      // The pressed button is now hidden: the focus goes to the one that replaced it.
      $(action === 'suspend' ? 'a-reactivate' : 'a-suspend').focus();
      app.announce(action === 'suspend' ? `Client ${c.client_id} is suspended.` : `Client ${c.client_id} is active again.`);
    });
  }

  function showOnce(id, { title, label, value, warning, json, file, what }) {
    once[id] = { value, json, file };
    unkept.set(id, what);
    $(`${id}-title`).textContent = title;
    if (label !== undefined) $(`${id}-label`).textContent = label;
    if (warning !== undefined) $(`${id}-warning`).textContent = warning;
    $(`${id}-value`).value = value;
    const fileLine = $(`${id}-file`);
    if (fileLine) fileLine.textContent = file || '';
    $(id).hidden = false;
    $(`${id}-title`).focus();
    $(id).scrollIntoView({ block: 'nearest' });
  }

  async function rotateSecret() {
    const c = detail;
    if (!c) return;
    if (!(await mayDrop(['a-once']))) return;
    const name = clientName(c);
    const ok = await app.confirmDialog({
      title: 'Rotate the client secret?',
      text: `Client ${name ? `“${name}” ` : ''}(${c.client_id}) gets a new client secret, shown once. The current one stops working at once: `
        + 'the application fails to get tokens until it has the new one.',
      ok: 'Rotate secret',
    });
    if (!ok) return;
    hideOnce('a-once');
    await withButton($('a-rotate'), 'Rotating…', async () => {
      const res = await request('POST', `/admin/clients/${enc(c.client_id)}/client-secret`);
      if (!area) return;
      if (res.status !== 200 || !isObject(res.body) || typeof res.body.client_secret !== 'string') {
        fail('a-detail-error', res, 'The client secret was not rotated');
        return;
      }
      clearError('a-detail-error');
      showOnce('a-once', {
      title: 'New client secret',
      label: 'Client secret',
      value: res.body.client_secret,
      warning: 'The server keeps only a hash of it. The previous secret no longer works: give this one to the application\'s operator.',
      json: res.body,
      file: `client-${String(c.client_id).replace(/[^A-Za-z0-9._-]/g, '_')}-secret.json`,
      what: `new client secret of ${c.client_id}`,
      });
      app.announce('A new client secret was issued; the previous one no longer works.');
    });
  }

  async function reissueToken() {
    const c = detail;
    if (!c) return;
    if (!(await mayDrop(['a-once']))) return;
    const name = clientName(c);
    const ok = await app.confirmDialog({
      title: 'Re-issue the registration access token?',
      text: `Client ${name ? `“${name}” ` : ''}(${c.client_id}) gets a new registration access token, shown once. `
        + 'The current one stops working at once for reading, updating and deleting the registration.',
      ok: 'Re-issue token',
    });
    if (!ok) return;
    hideOnce('a-once');
    await withButton($('a-reissue'), 'Re-issuing…', async () => {
      const res = await request('POST', `/admin/clients/${enc(c.client_id)}/registration-access-token`);
      if (!area) return;
      if (res.status !== 200 || !isObject(res.body) || typeof res.body.registration_access_token !== 'string') {
        fail('a-detail-error', res, 'The registration access token was not re-issued');
        return;
      }
      clearError('a-detail-error');
      showOnce('a-once', {
      title: 'New registration access token',
      label: 'Registration access token',
      value: res.body.registration_access_token,
      warning: 'The server keeps only a hash of it. The previous token no longer works. The downloaded file opens in “Manage a client”.',
      json: res.body,
      file: `client-${String(c.client_id).replace(/[^A-Za-z0-9._-]/g, '_')}.json`,
      what: `new registration access token of ${c.client_id}`,
      });
      app.announce('A new registration access token was issued; the previous one no longer works.');
    });
  }

  async function deleteClient() {
    const c = detail;
    if (!c) return;
    const name = clientName(c);
    const ok = await app.confirmDialog({
      title: 'Delete this client?',
      text: `Client ${name ? `“${name}” ` : ''}(${c.client_id}) will be removed from the server. `
        + 'Applications using this client ID stop working at once. This cannot be undone.',
      ok: 'Delete client',
    });
    if (!ok) return;
    await withButton($('a-delete'), 'Deleting…', async () => {
      const res = await request('DELETE', `/admin/clients/${enc(c.client_id)}`);
      if (!area) return;
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
      app.notice(`Client ${c.client_id} was deleted. Its credentials no longer work.`);
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
    const p = pages.audit;
    p.query = { client_id: detail.client_id };
    p.limit = $('a-audit-limit').value;
    p.cursors = [undefined];
    selectTab($('atab-audit'), true);
  }

  // ------------------------------------------------------------------------------------------
  // Initial access tokens
  // ------------------------------------------------------------------------------------------

  function iatState(t, now = Date.now() / 1000) {
    if (typeof t.state === 'string') return t.state;
    if (t.revoked_at !== undefined) return 'revoked';
    if (t.expires_at <= now) return 'expired';
    if (t.uses >= t.max_uses) return 'exhausted';
    return 'active';
  }

  function renderIats(tokens) {
    const body = $('a-iats-table').querySelector('tbody');
    body.replaceChildren();
    for (const t of tokens) {
      const tr = row();
      tr.dataset.iatId = String(t.id);
      const state = iatState(t);
      const actions = cell('');
      if (state !== 'revoked') {
        const b = el('button', { type: 'button', class: 'btn btn-secondary btn-small' }, 'Revoke');
        b.append(srOnly(` token “${String(t.label)}”`));
        b.addEventListener('click', () => revokeIat(t, b));
        actions.append(b);
      } else if (Number.isFinite(t.revoked_at)) {
        actions.append(el('span', { class: 'muted' }, 'Revoked '), timeEl(t.revoked_at));
      }
      tr.append(
        cell('Label', el('span', { class: 'value-text' }, String(t.label ?? ''))),
        cell('State', pill(state)),
        cell('Uses', el('span', {}, `${t.uses} / ${t.max_uses}`)),
        cell('Expires', timeEl(t.expires_at)),
        cell('Created', timeEl(t.created_at)),
        cell('Profile', typeof t.profile === 'string' ? ident(t.profile) : dash()),
        actions,
      );
      body.append(tr);
    }
    $('a-iats-table').hidden = tokens.length === 0;
    $('a-iats-empty').hidden = tokens.length !== 0;
    $('a-iats-status').textContent = tokens.length ? `${plural(tokens.length, 'token')} on page ${pages.iats.cursors.length}.` : '';
  }

  function mintBody() {
    const form = $('a-mint-form');
    clearFieldErrors(form);
    const problems = [];
    const label = $('a-label').value.trim();
    if (!label) problems.push({ target: $('a-label'), message: 'Label: enter what the token is for' });
    const amount = $('a-expires').value.trim();
    let expiresIn;
    if (!/^\d{1,9}$/.test(amount) || Number(amount) < 1) {
      problems.push({ target: $('a-expires'), message: 'Expires in: enter a whole number, 1 or more' });
    } else {
      expiresIn = Number(amount) * Number($('a-expires-unit').value);
    }
    const uses = $('a-max-uses').value.trim();
    if (!/^\d{1,9}$/.test(uses) || Number(uses) < 1) {
      problems.push({ target: $('a-max-uses'), message: 'Max uses: enter a whole number, 1 or more' });
    }
    const profile = $('a-profile').value.trim();
    const body = { label, expires_in: expiresIn, max_uses: Number(uses) };
    if (profile) body.profile = profile;
    return { body, problems };
  }

  function commandLine(value) {
    const endpoint = app.registrationEndpoint();
    const example = JSON.stringify({ client_name: 'My app', redirect_uris: ['https://app.example/callback'] });
    return [
      `curl -X POST ${shellWord(endpoint)} \\`,
      `  -H ${shellWord(`Authorization: Bearer ${value}`)} \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -d ${shellWord(example)}`,
    ].join('\n');
  }

  async function mint(e) {
    e.preventDefault();
    const { body, problems } = mintBody();
    if (problems.length) {
      showError('a-mint-error', 'Check the form', null, problems);
      return;
    }
    clearError('a-mint-error');
    if (!(await mayDrop(['a-minted']))) return;
    await withButton($('a-mint'), 'Minting…', async () => {
      const res = await request('POST', '/admin/initial-access-tokens', { json: body });
      if (!area) return;
      if (res.status !== 201 || !isObject(res.body) || typeof res.body.token !== 'string') {
        fail('a-mint-error', res, 'The token was not minted', MINT_FIELDS);
        return;
      }
      await showMinted(res.body);
    });
  }

  async function showMinted(t) {
    const facts = [`Expires ${formatTime(t.expires_at)}`, `${plural(t.max_uses, 'registration')} allowed`,
      typeof t.profile === 'string' ? `profile ${t.profile}` : 'default profile'];
    $('a-minted-facts').textContent = `${facts.join(' · ')}.`;
    $('a-minted-command').value = commandLine(t.token);
    showOnce('a-minted', {
      title: `Token minted: ${t.label}`,
      value: t.token,
      what: `initial access token “${t.label}”`,
    });
    $('a-label').value = '';
    const p = pages.iats;
    p.cursors = [undefined];
    await loadPage('iats');
    app.announce('Token minted. Copy it now: it is shown only once.');
  }

  async function revokeIat(t, button) {
    const ok = await app.confirmDialog({
      title: 'Revoke this token?',
      text: `The initial access token “${t.label}” stops working at once: registrations with it are refused. `
        + 'Clients already registered with it stay.',
      ok: 'Revoke token',
    });
    if (!ok) return;
    await withButton(button, 'Revoking…', async () => {
      const res = await request('DELETE', `/admin/initial-access-tokens/${enc(t.id)}`);
      if (!area) return;
      if (res.status !== 204) {
        fail('a-iats-error', res, 'The token was not revoked');
        return;
      }
      await loadPage('iats');
      $('a-iats-status').textContent = `Token “${t.label}” revoked. ${$('a-iats-status').textContent}`;
      $('a-iats-title').focus();
    });
  }

  // ------------------------------------------------------------------------------------------
  // Audit log
  // ------------------------------------------------------------------------------------------

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
    const p = pages.audit;
    p.query = query;
    p.limit = $('a-audit-limit').value;
    p.cursors = [undefined];
    await withButton($('a-audit-go'), 'Loading…', () => loadPage('audit'));
  }

  async function clearAudit() {
    $('a-audit-filter').reset();
    clearFieldErrors($('a-audit-filter'));
    const p = pages.audit;
    p.query = {};
    p.limit = $('a-audit-limit').value;
    p.cursors = [undefined];
    await loadPage('audit');
  }

  // ------------------------------------------------------------------------------------------
  // Tabs (WAI-ARIA tabs pattern, automatic activation), as in the New client form
  // ------------------------------------------------------------------------------------------

  function tabs() {
    return [...$('admin-tablist').querySelectorAll('[role="tab"]')];
  }

  /** Shows a section and refreshes what it lists (the client detail, when open, stays). */
  function selectTab(tab, focus) {
    for (const t of tabs()) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
    refresh();
  }

  function refresh() {
    if (!area) return undefined;
    const tab = tabs().find((t) => t.getAttribute('aria-selected') === 'true');
    if (tab.id === 'atab-clients') return $('a-detail').hidden ? loadPage('clients') : undefined;
    if (tab.id === 'atab-iats') return loadPage('iats');
    return loadPage('audit');
  }

  // ------------------------------------------------------------------------------------------
  // Sign in, sign out
  // ------------------------------------------------------------------------------------------

  function setSignedIn(on) {
    $('admin-signin').hidden = on;
    $('a-signout').hidden = !on;
    $('admin-state').textContent = on
      ? 'Signed in. The admin token is kept in this tab\'s memory only.'
      : 'Not signed in';
  }

  function mountArea() {
    const node = $('tpl-admin-area').content.firstElementChild.cloneNode(true);
    $('admin-area-slot').append(node);
    area = node;
    for (const id of ['a-clients-table', 'a-iats-table', 'a-audit-table']) tableRoles($(id));
    const events = $('a-audit-event');
    for (const name of AUDIT_EVENTS) events.append(el('option', { value: name }, name));

    $('admin-tablist').addEventListener('keydown', app.tabKeyHandler(tabs, selectTab));
    for (const t of tabs()) t.addEventListener('click', () => selectTab(t, false));
    $('a-search').addEventListener('submit', search);
    $('a-search-clear').addEventListener('click', clearSearch);
    $('a-clients-prev').addEventListener('click', () => pageStep('clients', -1));
    $('a-clients-next').addEventListener('click', () => pageStep('clients', 1));
    $('a-detail-back').addEventListener('click', backToList);
    $('a-suspend').addEventListener('click', () => setStatus('suspend'));
    $('a-reactivate').addEventListener('click', () => setStatus('reactivate'));
    $('a-rotate').addEventListener('click', rotateSecret);
    $('a-reissue').addEventListener('click', reissueToken);
    $('a-delete').addEventListener('click', deleteClient);
    $('a-detail-audit').addEventListener('click', auditOfClient);
    $('a-once-copy').addEventListener('click', async (e) => {
      const what = $('a-once-label').textContent.toLowerCase();
      if (await app.copyText($('a-once-value').value, what, $('a-once-value'), e.currentTarget)) kept('a-once');
    });
    $('a-once-download').addEventListener('click', () => downloadJson('a-once'));

    $('a-mint-form').addEventListener('submit', mint);
    $('a-minted-copy').addEventListener('click', async (e) => {
      if (await app.copyText($('a-minted-value').value, 'initial access token', $('a-minted-value'), e.currentTarget)) kept('a-minted');
    });
    $('a-minted-copy-command').addEventListener('click', async (e) => {
      if (await app.copyText($('a-minted-command').value, 'command line', $('a-minted-command'), e.currentTarget)) kept('a-minted');
    });
    $('a-minted-use').addEventListener('click', async () => {
      const value = $('a-minted-value').value;
      if (await app.startNewWithIat(value)) kept('a-minted');
    });
    $('a-iats-refresh').addEventListener('click', () => loadPage('iats'));
    $('a-iats-prev').addEventListener('click', () => pageStep('iats', -1));
    $('a-iats-next').addEventListener('click', () => pageStep('iats', 1));

    $('a-audit-filter').addEventListener('submit', filterAudit);
    $('a-audit-clear').addEventListener('click', clearAudit);
    $('a-audit-refresh').addEventListener('click', () => loadPage('audit'));
    $('a-audit-prev').addEventListener('click', () => pageStep('audit', -1));
    $('a-audit-next').addEventListener('click', () => pageStep('audit', 1));
    for (const id of [...Object.values(SEARCH_FIELDS), ...Object.values(MINT_FIELDS), ...Object.values(AUDIT_FIELDS)]) {
      $(id).addEventListener('input', () => {
        if ($(id).getAttribute('aria-invalid') === 'true') {
          $(id).removeAttribute('aria-invalid');
          $(`${id}-error`).hidden = true;
        }
      });
    }
  }

  async function signIn(e) {
    e.preventDefault();
    const input = $('a-token');
    clearFieldErrors($('a-signin-form'));
    clearError('a-signin-error');
    const value = input.value.trim();
    let problem = null;
    if (!value) problem = 'Enter the admin token.';
    else if (!TOKEN_CHARS.test(value)) problem = 'An admin token has no spaces or special characters: check what you pasted.';
    if (problem) {
      showError('a-signin-error', 'Not signed in', null, [{ message: problem, target: input }]);
      return;
    }
    await withButton($('a-signin'), 'Signing in…', async () => {
      const res = await request('GET', '/admin/clients?limit=1', { bearer: value });
      if (res.status !== 200) {
        const x = explain(res);
        const message = res.status === 401 ? 'The admin token is wrong: the server refused it.' : x.message;
        showError('a-signin-error', 'Not signed in', x.code, [{ message, target: res.status === 401 ? input : null }]);
        return;
      }
      if (token) return; // signed in meanwhile (a second press)
      token = value;
      input.value = '';
      resetPages();
      mountArea();
      setSignedIn(true);
      app.hideNotice();
      app.announce('Signed in.');
      $('atab-clients').focus();
      await loadPage('clients');
    });
  }

  async function signOut() {
    if (!(await mayDrop([...unkept.keys()]))) return;
    token = null;
    detail = null;
    unkept.clear();
    for (const k of Object.keys(once)) delete once[k];
    if (area) area.remove();
    area = null;
    resetPages();
    setSignedIn(false);
    app.notice('Signed out: this page no longer holds the admin token.');
    $('a-token').focus();
  }

  function mount() {
    if (view) return;
    view = $('tpl-admin').content.firstElementChild.cloneNode(true);
    view.hidden = true;
    $('main').append(view);
    $('a-signin-form').addEventListener('submit', signIn);
    $('a-signout').addEventListener('click', signOut);
    setSignedIn(false);
  }

  return {
    /** Shows the Admin view (after app.js checked that the current view may be left). */
    open() {
      mount();
      app.showView('admin');
      if (token) {
        $('admin-title').focus();
        refresh();
      } else {
        $('a-token').focus();
      }
    },
    /** True while a value shown once has been neither copied nor downloaded. */
    hasUnkept() {
      return unkept.size > 0;
    },
  };
}
