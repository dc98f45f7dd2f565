// Registrar dashboard, My clients (signed in, docs/dashboard-sign-in.md): the clients the person
// owns, searched by name; a new registration access token for one of them (the lost-token
// recovery), which opens the client in the editor as Manage a client does; and claiming a client
// registered without signing in, with its client ID and registration access token.

import {
  $, announce, api, confirmDialog, describeFailure, el, isObject, notice, setText, showView, timeEl,
} from './ui.js';
import { account } from './account.js';
import { manageWith } from './manage.js';

const enc = encodeURIComponent;

/** A request the session authorises (cookie, and the CSRF token for a change). */
function call(method, path, json) {
  return api(method, path, { json, session: true, csrf: account.csrf });
}

function row(c) {
  const m = isObject(c.metadata) ? c.metadata : {};
  const name = typeof m.client_name === 'string' && m.client_name ? m.client_name : 'Client without a name';
  const tr = el('tr');
  tr.dataset.clientId = String(c.client_id);
  const renew = el('button', { type: 'button', class: 'btn btn-secondary btn-small' }, 'New registration access token');
  renew.addEventListener('click', () => recover(c.client_id, name));
  const del = el('button', { type: 'button', class: 'btn btn-danger btn-small' }, 'Delete');
  del.addEventListener('click', () => remove(c.client_id, name));
  const actions = el('td');
  actions.append(renew, ' ', del);
  tr.append(el('td', {}, name), el('td', {}, String(c.client_id)), el('td', {}, String(c.status)));
  const created = el('td');
  created.append(timeEl(c.client_id_issued_at));
  tr.append(created, actions);
  return tr;
}

async function load() {
  const q = $('mine-q').value.trim();
  const res = await call('GET', `/dashboard/clients?limit=100${q ? `&q=${enc(q)}` : ''}`);
  const body = $('mine-table').querySelector('tbody');
  body.replaceChildren();
  if (res.status !== 200 || !isObject(res.body) || !Array.isArray(res.body.clients)) {
    setText($('mine-status'), describeFailure(res));
    return;
  }
  for (const c of res.body.clients) body.append(row(c));
  $('mine-empty').hidden = res.body.clients.length > 0;
  setText($('mine-status'), `${res.body.clients.length} client${res.body.clients.length === 1 ? '' : 's'}`);
}

async function recover(clientId, name) {
  const ok = await confirmDialog({
    title: 'Issue a new registration access token?',
    text: `“${name}” (${clientId}) gets a new registration access token; the one it has now stops working at once. The new one is shown once.`,
    ok: 'Issue a new token',
  });
  if (!ok) return;
  const res = await call('POST', `/dashboard/clients/${enc(clientId)}/registration-access-token`);
  if (res.status !== 200 || !isObject(res.body) || typeof res.body.registration_access_token !== 'string') {
    notice(describeFailure(res), true);
    return;
  }
  await manageWith(clientId, res.body.registration_access_token);
  notice('A new registration access token was issued and the old one no longer works: download or copy the registration now.');
}

async function remove(clientId, name) {
  const ok = await confirmDialog({
    title: 'Delete this client?',
    text: `Client “${name}” (${clientId}) will be removed from the server. Applications using this client ID stop working at once. This cannot be undone.`,
    ok: 'Delete client',
  });
  if (!ok) return;
  const res = await call('DELETE', `/dashboard/clients/${enc(clientId)}`);
  if (res.status !== 204) {
    notice(describeFailure(res), true);
    return;
  }
  announce('Client deleted.');
  await load();
}

async function claim(e) {
  e.preventDefault();
  const id = $('claim-client_id').value.trim();
  const token = $('claim-token').value.trim();
  const error = $('claim-error');
  error.hidden = true;
  if (!id || !token) {
    setText(error, 'Enter the client ID and its registration access token.');
    error.hidden = false;
    return;
  }
  const res = await call('POST', '/dashboard/claim', { client_id: id, registration_access_token: token });
  if (res.status !== 200) {
    setText(error, res.status === 401
      ? 'The server refused the registration access token: it is wrong, or the client does not exist.'
      : describeFailure(res));
    error.hidden = false;
    return;
  }
  $('claim-form').reset();
  announce('The client is yours now.');
  await load();
}

/** Shows My clients (app.js checks that the current view may be left). */
export async function open() {
  showView('mine');
  $('mine-title').focus();
  await load();
}

export function wireMine() {
  $('mine-search').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('claim-form').addEventListener('submit', claim);
}
