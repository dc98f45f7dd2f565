// Registrar dashboard, leaving the client on screen: forgetting its credentials, and asking
// first when they were never kept or the form has unsaved edits.

import { $, confirmDialog, hideNotice, showView } from './ui.js';
import { state } from './client-state.js';
import { clearErrors } from './form-errors.js';

export function forgetClient() {
  state.mode = 'new';
  state.clientId = null;
  state.token = null;
  state.owned = false;
  state.secret = null;
  state.registration = null;
  state.unsaved = false;
  state.extras = {};
  for (const id of ['cred-client_id', 'cred-client_secret', 'cred-registration_access_token', 'cred-registration_client_uri', 'json-response']) {
    $(id).value = '';
  }
  $('result').hidden = true;
  $('json-response-section').hidden = true;
}

/** Asks before dropping credentials that were never kept, or unsaved edits. */
export async function mayLeave() {
  if (state.unsaved) {
    return confirmDialog({
      title: 'Leave without keeping the credentials?',
      text: `You have neither downloaded nor copied the JSON of client ${state.clientId}. `
        + (state.owned ? 'Its new client secret cannot be shown again.'
          : 'Its client secret and registration access token cannot be shown again.'),
      ok: 'Leave anyway',
    });
  }
  if (state.formDirty && !$('view-editor').hidden) {
    return confirmDialog({
      title: 'Discard your changes?',
      text: state.mode === 'new' ? 'The new client has not been saved.' : 'Your changes to this client have not been saved.',
      ok: 'Discard changes',
    });
  }
  return true;
}

/** Drops the client on screen unless a request is out or the person keeps it; false then. */
async function leaveClient() {
  if (state.busy) return false;
  if (!(await mayLeave())) return false;
  forgetClient();
  clearErrors();
  state.formDirty = false;
  return true;
}

/** Leaves the client on screen (asking first if the form has unsaved edits) for another view. */
export async function goTo(view) {
  if (!(await leaveClient())) return;
  hideNotice();
  view.open();
}

export async function goStart(focusId) {
  if (!(await leaveClient())) return;
  showView('start');
  if (focusId) $(focusId).focus();
  else $('main').focus();
}
