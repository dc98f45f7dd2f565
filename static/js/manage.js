// Registrar dashboard, Manage a client: loads a registered client with its client ID and
// registration access token, typed or from the registration JSON file (RFC 7592 GET).

import {
  $, SECRET_METHODS, TOKEN_CHARS, api, describeFailure, hideNotice, setText,
} from './ui.js';
import { ready } from './discovery.js';
import { clientPath, setBusy, state } from './client-state.js';
import { forgetClient, mayLeave } from './navigation.js';
import { onClient } from './client-editor.js';

function manageErrors(items) {
  const box = $('manage-error');
  for (const id of ['m-client_id', 'm-token', 'm-file']) {
    $(id).removeAttribute('aria-invalid');
    $(`${id}-error`).hidden = true;
  }
  if (!items.length) {
    box.hidden = true;
    return;
  }
  for (const { target, message } of items) {
    if (!target) continue;
    const slot = $(`${target.id}-error`);
    setText(slot, message);
    slot.hidden = false;
    target.setAttribute('aria-invalid', 'true');
  }
  setText($('manage-error-text'), items.map((i) => i.message).join(' '));
  box.hidden = false;
  box.focus();
}

async function loadClient(clientId, token, fileSecret, source, fileOrigin) {
  const button = $('m-load');
  setBusy(button, true, 'Loading…');
  const res = await api('GET', clientPath(clientId), { token });
  setBusy(button, false);
  if (res.status === 200 && res.body && typeof res.body.client_id === 'string') {
    manageErrors([]);
    forgetClient();
    state.secret = fileSecret && SECRET_METHODS.has(res.body.token_endpoint_auth_method) ? fileSecret : null;
    $('m-token').value = '';
    $('m-file').value = '';
    hideNotice();
    onClient(res.body, 'loaded');
    return;
  }
  let message = describeFailure(res);
  if (res.status === 401 && fileOrigin && fileOrigin !== location.origin) {
    message += ` The file was issued by ${fileOrigin}, and this dashboard manages the clients of ${location.origin}.`;
  }
  const target = res.status === 401 || res.status === 0 ? $(source === 'file' ? 'm-file' : 'm-token') : null;
  manageErrors([{ target, message }]);
}

export async function manageByToken(e) {
  e.preventDefault();
  if (state.busy || !ready()) return;
  const id = $('m-client_id').value.trim();
  const token = $('m-token').value.trim();
  const problems = [];
  if (!id) problems.push({ target: $('m-client_id'), message: 'Enter the client ID.' });
  if (!token) problems.push({ target: $('m-token'), message: 'Enter the registration access token.' });
  else if (!TOKEN_CHARS.test(token)) problems.push({ target: $('m-token'), message: 'A registration access token has no spaces or special characters: check what you pasted.' });
  if (problems.length) {
    manageErrors(problems);
    return;
  }
  if (!(await mayLeave())) return;
  await loadClient(id, token, null, 'token');
}

/** Loads `clientId` with `token` into the editor, as Manage a client does (My clients, after a
 * new registration access token). */
export async function manageWith(clientId, token) {
  if (state.busy || !ready()) return;
  if (!(await mayLeave())) return;
  await loadClient(clientId, token, null, 'token');
}

export async function manageByFile() {
  const input = $('m-file');
  const file = input.files && input.files[0];
  if (!file || state.busy || !ready()) return;
  const fail = (message) => manageErrors([{ target: input, message }]);
  if (file.size > 1024 * 1024) {
    fail('This file is too large to be a registration file.');
    return;
  }
  let obj;
  try {
    obj = JSON.parse(await file.text());
  } catch {
    fail(`${file.name} is not a JSON file.`);
    return;
  }
  if (!obj || typeof obj !== 'object' || typeof obj.client_id !== 'string' || typeof obj.registration_access_token !== 'string'
    || !TOKEN_CHARS.test(obj.registration_access_token)) {
    fail(`${file.name} has no client_id and registration_access_token: it is not a registration file.`);
    return;
  }
  let origin = null;
  if (typeof obj.registration_client_uri === 'string') {
    try { origin = new URL(obj.registration_client_uri).origin; } catch { origin = null; }
  }
  if (!(await mayLeave())) return;
  await loadClient(obj.client_id, obj.registration_access_token, typeof obj.client_secret === 'string' ? obj.client_secret : null, 'file', origin);
}
