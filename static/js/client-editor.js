// Registrar dashboard, the New client form as a view: opening it (empty, with an initial access
// token from the Admin section, or with a checked document), Save (POST /register, or PUT of
// RFC 7592 for a loaded client), Delete, and the client shown after a save or load.

import {
  $, SECRET_METHODS, api, confirmDialog, hideNotice, notice, setText, showView,
} from './ui.js';
import { ready } from './discovery.js';
import { clientPath, setBusy, state } from './client-state.js';
import { collect, fill, newDefaults, validateLocal } from './form-document.js';
import {
  clearErrors, showApiError, showErrors, withoutMember,
} from './form-errors.js';
import { selectTab } from './form-tabs.js';
import { forgetClient, mayLeave } from './navigation.js';
import { changedMembers, renderResult, withKnownSecret } from './result.js';
import { account } from './account.js';
import {
  asRegistration, ownedPath, sessionCall,
} from './owned-api.js';

export async function startNew() {
  if (!ready() || state.busy) return false;
  if (!(await mayLeave())) return false;
  hideNotice();
  forgetClient();
  clearErrors();
  $('f-initial_access_token').value = '';
  fill(newDefaults());
  state.formDirty = false;
  state.jsonDirty = false;
  renderEditorHead();
  showView('editor');
  selectTab($('tab-main'), false);
  $('f-client_name').focus();
  return true;
}

/** The New client form opened from another view (which says so when it cannot open yet). */
async function startNewFrom() {
  if (!ready()) {
    notice('The server\'s capabilities are not loaded yet, so the New client form cannot open: try again in a moment.', true);
    return false;
  }
  return startNew();
}

/** New client, with an initial access token from the Admin section already in its field. */
export async function startNewWithIat(iat) {
  if (!(await startNewFrom())) return false;
  $('f-initial_access_token').value = iat;
  notice('The initial access token is filled in on the Credentials tab; Save sends it.');
  return true;
}

/** New client, filled with a document (the Check metadata view's normalized metadata). */
export async function startNewWith(doc) {
  if (!(await startNewFrom())) return false;
  fill(doc);
  state.formDirty = true;
  notice('The form and its JSON tab hold the checked metadata; Save registers it.');
  return true;
}

function renderEditorHead() {
  const edit = state.mode === 'edit';
  const name = edit && state.registration && typeof state.registration.client_name === 'string' ? state.registration.client_name : '';
  setText($('editor-title'), edit ? (name || 'Client without a name') : 'New client');
  setText($('editor-sub'), edit ? state.clientId : '');
  $('delete').hidden = !edit;
  // The owner's confidential client: a new secret without the token (my-clients.js).
  $('rotate').hidden = !(edit && state.owned && state.registration && SECRET_METHODS.has(state.registration.token_endpoint_auth_method));
  $('w-initial_access_token').hidden = edit;
  setText($('cancel'), edit ? 'Close' : 'Cancel');
  setText($('save'), edit ? 'Save changes' : 'Save');
  const put = state.owned ? ownedPath(state.clientId) : `/register/${state.clientId}`;
  setText($('json-request-hint'), edit
    ? `What Save sends (PUT ${put}): the complete metadata, which replaces the registration. Updated as you fill the form; you may edit it and apply it to the form.`
    : 'What Save sends (POST /register), updated as you fill the form. You may edit it and apply it to the form.');
}

/**
 * After a successful POST, PUT or GET. kind: created | updated | loaded, or rotated (the owner's
 * client with a new secret, my-clients.js); sent: the request document.
 */
export function onClient(body, kind, sent) {
  const prevSecret = state.secret;
  state.mode = 'edit';
  state.clientId = body.client_id;
  state.token = typeof body.registration_access_token === 'string' ? body.registration_access_token : null;
  if (typeof body.client_secret === 'string') state.secret = body.client_secret;
  else if (!SECRET_METHODS.has(body.token_endpoint_auth_method)) state.secret = null;
  state.registration = withKnownSecret(body);
  // An owner's update issues no token (RFC 7592's issues one every time).
  const tokenNew = kind === 'updated' && !state.owned;
  const secretNew = (kind === 'updated' || kind === 'rotated') && typeof body.client_secret === 'string' && body.client_secret !== prevSecret;
  // Credentials shown once that were neither downloaded nor copied yet.
  state.unsaved = kind === 'created' || tokenNew || secretNew;
  clearErrors();
  fill(body);
  state.formDirty = false;
  renderEditorHead();
  renderResult(kind, { tokenNew, secretNew, changed: changedMembers(sent, body) });
  showView('editor');
  $('result').scrollIntoView({ block: 'start' });
  $('result-title').focus();
}

export async function save(e) {
  e.preventDefault();
  if (state.busy) return;
  clearErrors();
  if (state.jsonDirty) {
    showErrors([{ message: 'The JSON tab has edits that are not applied to the form: apply or discard them first.', target: $('json-request') }], null);
    return;
  }
  const { doc, where, problems } = collect();
  const local = [...problems, ...validateLocal(doc, where)];
  if (local.length) {
    showErrors(local.map((p) => ({ ...p, short: withoutMember(p.message, p.path) })), null);
    return;
  }
  const button = $('save');
  setBusy(button, true, 'Saving…');
  const editing = state.mode === 'edit';
  const iat = $('f-initial_access_token').value.trim();
  // Signed in (and without an initial access token): registered as the person's own client,
  // found again under My clients.
  const owned = !editing && !iat && account.signedIn;
  let res;
  if (editing && state.owned) res = await sessionCall('PUT', ownedPath(state.clientId), doc);
  else if (editing) res = await api('PUT', clientPath(), { json: doc, token: state.token });
  else if (owned) res = await api('POST', '/dashboard/clients', { json: doc, session: true, csrf: account.csrf });
  else res = await api('POST', '/register', { json: doc, token: iat || undefined });
  setBusy(button, false);
  // The owner's PUT answers with the client in the admin API's shape.
  const body = editing && state.owned ? asRegistration(res.body) : res.body;
  if ((res.status === 201 || res.status === 200) && body && typeof body.client_id === 'string') {
    $('f-initial_access_token').value = '';
    onClient(body, editing ? 'updated' : 'created', doc);
  } else {
    showApiError(res, where, editing ? 'The changes were not saved' : 'The client was not registered');
  }
}

/** Delete of the client on screen; true once it is deleted. */
export async function deleteClient() {
  if (state.busy || state.mode !== 'edit') return false;
  const name = state.registration && typeof state.registration.client_name === 'string' ? `“${state.registration.client_name}” ` : '';
  const ok = await confirmDialog({
    title: 'Delete this client?',
    text: `Client ${name}(${state.clientId}) will be removed from the server. Applications using this client ID stop working at once. This cannot be undone.`,
    ok: 'Delete client',
  });
  if (!ok) return false;
  clearErrors();
  const button = $('delete');
  setBusy(button, true, 'Deleting…');
  const res = state.owned
    ? await sessionCall('DELETE', ownedPath(state.clientId))
    : await api('DELETE', clientPath(), { token: state.token });
  setBusy(button, false);
  if (res.status === 204) {
    const id = state.clientId;
    forgetClient();
    state.formDirty = false;
    showView('start');
    notice(`Client ${id} was deleted. Its credentials no longer work.`);
    $('main').focus();
    return true;
  }
  showApiError(res, {}, 'The client was not deleted');
  return false;
}
