// Registrar dashboard, My clients (signed in, docs/dashboard-sign-in.md): the clients the person
// owns, searched by name. Open puts one into the editor, which then saves, deletes and rotates its
// secret under the session (owned-api.js), without a token; a new client secret is shown once, as
// after a registration. A new registration access token (the lost-token recovery) opens the client
// in the editor as Manage a client does. And claiming a client registered without signing in,
// with its client ID and registration access token.

import {
  $, SECRET_METHODS, announce, confirmDialog, el, hideNotice, isObject, notice, setText, showView, timeEl,
} from './ui.js';
import { ready } from './discovery.js';
import { setBusy, state } from './client-state.js';
import { onSignOut } from './account.js';
import { forgetClient, mayLeave } from './navigation.js';
import { onClient } from './client-editor.js';
import { manageWith } from './manage.js';
import { withKnownSecret, renderResult } from './result.js';
import {
  asRegistration, ownedPath, sessionCall as call, sessionFailure,
} from './owned-api.js';
import {
  cell, code, pill, row as tableRow, tableRoles,
} from './admin-table.js';

function row(c) {
  const m = isObject(c.metadata) ? c.metadata : {};
  const name = typeof m.client_name === 'string' && m.client_name ? m.client_name : 'Client without a name';
  const tr = tableRow();
  tr.dataset.clientId = String(c.client_id);
  const button = (label, cls, action) => {
    const b = el('button', { type: 'button', class: `btn ${cls} btn-small` }, label);
    b.addEventListener('click', action);
    return b;
  };
  const actions = el('div', { class: 'actions' });
  actions.append(button('Open', 'btn-secondary', () => openClient(c.client_id)));
  // Only a client that authenticates with a secret has one to rotate; a suspended one cannot change.
  if (SECRET_METHODS.has(m.token_endpoint_auth_method) && c.status !== 'suspended') {
    actions.append(button('Rotate secret', 'btn-secondary', () => rotateSecret(c.client_id, name)));
  }
  actions.append(
    button('New registration access token', 'btn-secondary', () => recover(c.client_id, name)),
    button('Delete', 'btn-danger', () => remove(c.client_id, name)),
  );
  tr.append(
    cell('Name', el('span', {}, name)),
    cell('Client ID', code(String(c.client_id))),
    cell('Status', pill(String(c.status))),
    cell('Created', timeEl(c.client_id_issued_at)),
    cell('', actions),
  );
  return tr;
}

async function load() {
  const q = $('mine-q').value.trim();
  const res = await call('GET', `/dashboard/clients?limit=100${q ? `&q=${encodeURIComponent(q)}` : ''}`);
  const body = $('mine-table').querySelector('tbody');
  body.replaceChildren();
  if (res.status !== 200 || !isObject(res.body) || !Array.isArray(res.body.clients)) {
    setText($('mine-status'), sessionFailure(res));
    return;
  }
  for (const c of res.body.clients) body.append(row(c));
  $('mine-empty').hidden = res.body.clients.length > 0;
  setText($('mine-status'), `${res.body.clients.length} client${res.body.clients.length === 1 ? '' : 's'}`);
}

/** The person's client from the server, as a registration (with `secret` when one was just issued). */
async function fetchOwned(clientId) {
  const res = await call('GET', ownedPath(clientId));
  const reg = res.status === 200 ? asRegistration(res.body) : null;
  return reg ? { reg } : { failure: sessionFailure(res) };
}

/** Opens the person's client in the editor, to change, delete or rotate its secret without a token. */
export async function openClient(clientId, { secret } = {}) {
  if (state.busy || !ready()) return;
  if (!(await mayLeave())) return;
  const { reg, failure } = await fetchOwned(clientId);
  if (!reg) {
    notice(failure, true);
    return;
  }
  forgetClient();
  hideNotice();
  state.owned = true;
  if (secret) {
    reg.client_secret = secret.client_secret;
    reg.client_secret_expires_at = secret.client_secret_expires_at;
  }
  onClient(reg, secret ? 'rotated' : 'loaded');
}

/** POST …/client-secret after a confirmation: the new secret, or null (the failure said). */
async function newSecret(clientId, name, fail, button) {
  const ok = await confirmDialog({
    title: 'Rotate the client secret?',
    text: `“${name}” (${clientId}) gets a new client secret; the one it has now stops working at once, so the application fails until it has the new one. The new secret is shown once.`,
    ok: 'Rotate secret',
  });
  if (!ok) return null;
  if (button) setBusy(button, true, 'Rotating…');
  const res = await call('POST', ownedPath(clientId, 'client-secret'));
  if (button) setBusy(button, false);
  if (res.status !== 200 || !isObject(res.body) || typeof res.body.client_secret !== 'string') {
    fail(sessionFailure(res));
    return null;
  }
  return res.body;
}

/** Rotate secret in the list: the client opens in the editor with its new secret shown once. */
async function rotateSecret(clientId, name) {
  if (state.busy || !ready()) return;
  const secret = await newSecret(clientId, name, (m) => notice(m, true));
  if (secret) await openClient(clientId, { secret });
}

/** Rotate client secret in the editor, for the owner's client on screen (the form stays as it is). */
export async function rotateShown() {
  if (state.busy || !state.owned || state.mode !== 'edit') return;
  const name = typeof state.registration.client_name === 'string' && state.registration.client_name ? state.registration.client_name : 'Client without a name';
  const button = $('rotate');
  const secret = await newSecret(state.clientId, name, (m) => notice(m, true), button);
  if (!secret) {
    button.focus();
    return;
  }
  state.secret = secret.client_secret;
  const reg = { ...state.registration, client_secret_expires_at: secret.client_secret_expires_at };
  delete reg.client_secret;
  state.registration = withKnownSecret(reg);
  state.unsaved = true;
  renderResult('rotated', { secretNew: true });
  $('result').scrollIntoView({ block: 'start' });
  $('result-title').focus();
}

async function recover(clientId, name) {
  const ok = await confirmDialog({
    title: 'Issue a new registration access token?',
    text: `“${name}” (${clientId}) gets a new registration access token; the one it has now stops working at once. The new one is shown once.`,
    ok: 'Issue a new token',
  });
  if (!ok) return;
  const res = await call('POST', ownedPath(clientId, 'registration-access-token'));
  if (res.status !== 200 || !isObject(res.body) || typeof res.body.registration_access_token !== 'string') {
    notice(sessionFailure(res), true);
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
  const res = await call('DELETE', ownedPath(clientId));
  if (res.status !== 204) {
    notice(sessionFailure(res), true);
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
      : sessionFailure(res));
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

/** At Sign out: the owner's client leaves the editor (nothing of the session stays on the page). */
function forgetOwned() {
  if (!state.owned) return;
  const shown = !$('view-editor').hidden;
  forgetClient();
  state.formDirty = false;
  if (shown) showView('start');
}

export function wireMine() {
  onSignOut.push(forgetOwned);
  tableRoles($('mine-table'));
  $('mine-search').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('claim-form').addEventListener('submit', claim);
}
