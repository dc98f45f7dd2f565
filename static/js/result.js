// Registrar dashboard, the result of a save or load: the client's credentials (shown once after
// a registration or an update), what the server registered otherwise than asked, and the
// registration JSON file to download or copy.

import {
  $, SECRET_METHODS, copyText, downloadText, fileSafe, formatTime, setText,
} from './ui.js';
import { state } from './client-state.js';
import { SKIP } from './form-fields.js';

/** The registration as returned, with the secret this page knows when the answer has none. */
export function withKnownSecret(body) {
  if (typeof body.client_secret === 'string' || !state.secret) return body;
  const out = {};
  for (const k of [...Object.keys(body), 'client_secret'].sort()) out[k] = k === 'client_secret' ? state.secret : body[k];
  return out;
}

function fileName() {
  return `client-${fileSafe(state.clientId)}.json`;
}

function registrationJson() {
  return `${JSON.stringify(state.registration, null, 2)}\n`;
}

/** The callouts over the signed-in person's own client: no token is used or issued. */
function ownedCallouts(kind, secretNew, changed) {
  const warn = $('result-warning');
  const info = $('result-info');
  warn.hidden = !secretNew;
  if (secretNew) {
    setText($('result-warning-title'), kind === 'rotated'
      ? 'A new client secret was issued: the previous one no longer works.'
      : 'A client secret was issued: the authentication method now uses one.');
    setText($('result-warning-text'), 'Copy it now, or download the JSON file: it is shown only once, as the server keeps only a hash of it. '
      + 'Put it in your application’s configuration.');
  }
  let text = '';
  if (kind === 'loaded') text = 'Signed in, you change this client without its registration access token: saving keeps its token and its client secret.';
  else if (kind === 'updated' && !secretNew) text = 'Saved. Its registration access token and client secret are unchanged.';
  setText($('result-info-text'), text);
  info.hidden = !text && !changed.length;
}

export function renderResult(kind, { tokenNew = false, secretNew = false, changed = [] } = {}) {
  const reg = state.registration;
  setText($('result-title'), {
    created: 'Client registered', updated: 'Client updated', loaded: 'Client loaded', rotated: 'Client secret rotated',
  }[kind]);
  const warn = $('result-warning');
  const info = $('result-info');
  if (kind === 'created') {
    setText($('result-warning-title'), 'Keep these credentials now: they are shown only once.');
    setText($('result-warning-text'), 'The server stores only hashes of the client secret and the registration access token and can never show them again. '
      + 'You need the token to change or delete this client. Download the JSON file and keep it somewhere safe.');
    warn.hidden = false;
    info.hidden = !changed.length;
  } else if (state.owned) {
    ownedCallouts(kind, secretNew, changed);
  } else if (kind === 'updated') {
    setText($('result-warning-title'), 'A new registration access token was issued: the previous one no longer works.');
    setText($('result-warning-text'), (secretNew ? 'A new client secret was issued too. ' : '')
      + 'Download the new JSON file and replace your old one; the server cannot show this token again.');
    warn.hidden = false;
    info.hidden = !changed.length;
  } else {
    warn.hidden = true;
    setText($('result-info-text'), 'Saving changes issues a new registration access token; the one you used stops working. '
      + 'Download the new file after saving.');
    info.hidden = false;
  }
  if (changed.length && kind !== 'loaded') {
    setText($('result-info-text'), `The server registered less or otherwise than asked (the form now shows what it registered): ${changed.join('; ')}.`);
  }

  $('cred-client_id').value = reg.client_id || '';
  const method = reg.token_endpoint_auth_method;
  if (state.secret) {
    $('cred-client_secret').value = state.secret;
    $('cred-row-client_secret').hidden = false;
    $('cred-row-no-secret').hidden = true;
  } else {
    $('cred-client_secret').value = '';
    $('cred-row-client_secret').hidden = true;
    $('cred-row-no-secret').hidden = false;
    let why;
    if (method === 'none') why = 'None: a public client (authentication method none) has no secret.';
    else if (method === 'private_key_jwt') why = 'None: this client authenticates with its private key.';
    else if (SECRET_METHODS.has(method) && state.owned) why = 'Not shown: the server keeps only a hash of it. Rotate the secret to get a new one.';
    else if (SECRET_METHODS.has(method)) why = 'Not shown: the server keeps only a hash of it. Use the secret from your original registration file.';
    else why = 'None.';
    setText($('cred-no-secret-text'), why);
  }
  $('cred-secret-new').hidden = !secretNew;
  $('cred-row-client_secret').classList.toggle('is-new', secretNew);
  // The owner's client is managed without its registration access token, which stays unknown.
  $('cred-row-token').hidden = state.owned && !state.token;
  $('cred-registration_access_token').value = state.token || '';
  $('cred-token-new').hidden = !tokenNew;
  $('cred-row-token').classList.toggle('is-new', tokenNew);
  $('cred-registration_client_uri').value = typeof reg.registration_client_uri === 'string' ? reg.registration_client_uri : '';
  $('cred-row-uri').hidden = !$('cred-registration_client_uri').value;
  setText($('cred-issued'), formatTime(reg.client_id_issued_at));
  setText($('cred-expires'), reg.client_secret_expires_at === 0 ? 'Never'
    : (Number.isFinite(reg.client_secret_expires_at) ? formatTime(reg.client_secret_expires_at) : '—'));
  setText($('download-name'), fileName());
  $('result').hidden = false;

  // The owner's client has no registration access token on this page.
  setText($('json-response-hint'), state.owned && !state.token
    ? 'The client as the server registered it, with its client secret when one was just issued (signed in, you need no registration access token). Keep it in a local file.'
    : 'The client as the server registered it, with its secret and registration access token. Keep it in a local file.');
  $('json-response').value = registrationJson();
  $('json-response-section').hidden = false;
}

export function download() {
  if (!state.registration) return;
  downloadText(registrationJson(), fileName());
  state.unsaved = false;
}

/** Copy of the registration JSON (which counts as keeping the credentials). */
export async function copyJson(e) {
  if (await copyText(registrationJson(), 'registration JSON', $('json-response'), e.currentTarget)) state.unsaved = false;
}

/** JSON with object members in a fixed order, to compare values. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Members the server registered differently from what was sent (RFC 7591 §3.2.1: it may narrow). */
export function changedMembers(sent, body) {
  const out = [];
  if (!sent) return out;
  for (const [k, v] of Object.entries(sent)) {
    if (SKIP.has(k)) continue;
    if (!(k in body)) out.push(`${k} was not registered`);
    else if (canonical(body[k]) !== canonical(v)) out.push(`${k}: asked ${JSON.stringify(v)}, registered ${JSON.stringify(body[k])}`);
  }
  return out;
}
