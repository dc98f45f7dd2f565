// Registrar dashboard, the client on screen: its id, credentials and registration as last
// returned, in page memory only, and whether the form or its JSON tab has unsaved edits.

export const state = {
  mode: 'new', // 'new' | 'edit'
  clientId: null,
  token: null,
  // The signed-in person's own client, opened from My clients: read, changed, deleted and its
  // secret rotated through /dashboard/clients/{id} under the session, without a token.
  owned: false,
  secret: null, // client_secret known to this page (from the registration response or a loaded file)
  registration: null, // the full registration as last returned, plus the known secret
  unsaved: false, // credentials shown that have been neither downloaded nor copied as JSON
  extras: {}, // members with no form field, sent as they are
  autoRefresh: false, // refresh_token was ticked because offline_access was chosen
  jsonDirty: false,
  formDirty: false,
  busy: false,
};

/** The RFC 7592 client configuration endpoint of a client (the one on screen by default). */
export function clientPath(id = state.clientId) {
  return `/register/${encodeURIComponent(id)}`;
}

/** Marks the page busy while a request is out, and the button with a label meanwhile. */
export function setBusy(button, busy, label) {
  state.busy = busy;
  if (busy) document.body.dataset.busy = 'true';
  else delete document.body.dataset.busy;
  if (busy) {
    button.dataset.label = button.textContent;
    button.textContent = label;
    button.setAttribute('aria-busy', 'true');
    button.setAttribute('aria-disabled', 'true');
  } else {
    if (button.dataset.label) button.textContent = button.dataset.label;
    button.removeAttribute('aria-busy');
    button.removeAttribute('aria-disabled');
  }
}
