// Registrar dashboard: a browser client of this origin's registration API (RFC 7591 / RFC 7592).
//
// Rules this file keeps:
// - Credentials (client secret, registration access token) live only in `state` (page memory).
//   Nothing is written to localStorage, sessionStorage, cookies or the URL.
// - Every value that comes from the API or from the user is rendered with textContent, .value or
//   setAttribute; never parsed as HTML (the CSP also requires Trusted Types for HTML sinks).
// - The form offers only what the discovery document advertises.
// The Admin section (admin token, client list, initial access tokens, audit log) is in admin.js.

import { createAdmin } from './admin.js';
import { createCheck } from './check.js';

const $ = (id) => document.getElementById(id);

/** Members the dashboard sets itself or the server owns; never taken from a document typed or loaded. */
const SERVER_ONLY = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];
const DASHBOARD_SET = ['client_id', 'client_secret'];
const SKIP = new Set([...SERVER_ONLY, ...DASHBOARD_SET]);
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

const TEXT_MEMBERS = ['client_name', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'software_id', 'software_version', 'initiate_login_uri'];
const LIST_MEMBERS = ['redirect_uris', 'contacts', 'post_logout_redirect_uris', 'request_uris', 'default_acr_values'];
const L10N_BASES = ['client_name', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri'];
const CRYPTO = [
  // member, discovery list, label of the empty option, member it depends on
  ['id_token_signed_response_alg', 'id_token_signing_alg_values_supported', 'Not set (server default, RS256)'],
  ['id_token_encrypted_response_alg', 'id_token_encryption_alg_values_supported', 'Not encrypted'],
  ['id_token_encrypted_response_enc', 'id_token_encryption_enc_values_supported', 'Not set (A128CBC-HS256)', 'id_token_encrypted_response_alg'],
  ['userinfo_signed_response_alg', 'userinfo_signing_alg_values_supported', 'Not signed (plain JSON)'],
  ['userinfo_encrypted_response_alg', 'userinfo_encryption_alg_values_supported', 'Not encrypted'],
  ['userinfo_encrypted_response_enc', 'userinfo_encryption_enc_values_supported', 'Not set (A128CBC-HS256)', 'userinfo_encrypted_response_alg'],
  ['request_object_signing_alg', 'request_object_signing_alg_values_supported', 'Not set'],
  ['request_object_encryption_alg', 'request_object_encryption_alg_values_supported', 'Not encrypted'],
  ['request_object_encryption_enc', 'request_object_encryption_enc_values_supported', 'Not set (A128CBC-HS256)', 'request_object_encryption_alg'],
  ['token_endpoint_auth_signing_alg', 'token_endpoint_auth_signing_alg_values_supported', 'Not set (any advertised)'],
];
const SELECT_MEMBERS = [...CRYPTO.map((c) => c[0]), 'application_type', 'subject_type'];

/** Where an error naming a member goes when the form did not send that member. */
const TARGETS = {
  client_name: 'f-client_name', redirect_uris: 'g-redirect_uris', client_uri: 'f-client_uri', logo_uri: 'f-logo_uri',
  tos_uri: 'f-tos_uri', policy_uri: 'f-policy_uri', contacts: 'g-contacts', software_id: 'f-software_id',
  software_version: 'f-software_version', scope: 'g-scope', grant_types: 'g-grant_types', response_types: 'g-response_types',
  token_endpoint_auth_method: 'g-token_endpoint_auth_method', jwks: 'g-keys', jwks_uri: 'g-keys',
  application_type: 'f-application_type', subject_type: 'f-subject_type', initiate_login_uri: 'f-initiate_login_uri',
  post_logout_redirect_uris: 'g-post_logout_redirect_uris', request_uris: 'g-request_uris',
  require_auth_time: 'f-require_auth_time', default_max_age: 'f-default_max_age', default_acr_values: 'g-default_acr_values',
};
for (const [m] of CRYPTO) TARGETS[m] = `f-${m}`;

const GRANT_INFO = {
  authorization_code: ['Authorization code', 'People sign in through the browser. The usual choice for web, mobile and desktop apps.'],
  refresh_token: ['Refresh token', 'Get new access tokens without asking the person again. Needs another grant type.'],
  client_credentials: ['Client credentials', 'The client acts on its own behalf, with no person: services and daemons.'],
  implicit: ['Implicit', 'Tokens straight from the authorization endpoint. Discouraged (RFC 9700).'],
  password: ['Resource owner password', 'The client handles the person\'s password. Discouraged.'],
  'urn:ietf:params:oauth:grant-type:device_code': ['Device authorization', 'For TVs and command-line tools: the person signs in on another device.'],
  'urn:ietf:params:oauth:grant-type:token-exchange': ['Token exchange', 'Exchange one token for another (RFC 8693).'],
  'urn:ietf:params:oauth:grant-type:jwt-bearer': ['JWT bearer', 'A signed JWT assertion as a grant (RFC 7523).'],
  'urn:ietf:params:oauth:grant-type:saml2-bearer': ['SAML 2.0 bearer', 'A SAML assertion as a grant (RFC 7522).'],
};
const SCOPE_INFO = {
  openid: 'Sign people in with OpenID Connect (ID token).',
  profile: 'Name, picture and other profile claims.',
  email: 'Email address and whether it is verified.',
  address: 'Postal address.',
  phone: 'Phone number.',
  offline_access: 'Refresh tokens, to act while the person is away.',
};
const RESPONSE_INFO = {
  code: 'Authorization code (with PKCE).',
  token: 'Access token in the redirect (implicit).',
  id_token: 'ID token in the redirect (implicit).',
  'id_token token': 'ID token and access token (implicit).',
  'code id_token': 'Hybrid: code and ID token.',
  'code token': 'Hybrid: code and access token.',
  'code id_token token': 'Hybrid: code, ID token and access token.',
  none: 'Nothing but the redirect.',
};
const AUTH_INFO = {
  client_secret_basic: ['Client secret, HTTP Basic', 'The server issues a secret; the client sends it in the Authorization header. The default.'],
  client_secret_post: ['Client secret in the request body', 'The server issues a secret; the client sends it as a form parameter.'],
  private_key_jwt: ['Private key JWT', 'The client signs a JWT with its private key. Register its public keys below; no secret is issued.'],
  client_secret_jwt: ['Client secret JWT', 'A JWT signed with the client secret.'],
  none: ['None (public client)', 'For apps that cannot keep a secret: mobile, desktop, single-page. Use PKCE. No secret is issued.'],
  tls_client_auth: ['Mutual TLS', 'A certificate issued by a trusted CA.'],
  self_signed_tls_client_auth: ['Self-signed mutual TLS', 'A self-signed certificate registered in the client\'s keys.'],
};

const TOKEN_REFUSED = 'The server refused the registration access token: either the token is wrong '
  + '(it changes every time the client is saved) or the client no longer exists.';
const IAT_REFUSED = 'The server refused to register the client without a valid initial access token: '
  + 'it requires one, or the one entered is wrong, expired or used up. Enter the token you were given.';

const state = {
  disco: null,
  mode: 'new', // 'new' | 'edit'
  clientId: null,
  token: null,
  secret: null, // client_secret known to this page (from the registration response or a loaded file)
  registration: null, // the full registration as last returned, plus the known secret
  unsaved: false, // credentials shown that have been neither downloaded nor copied as JSON
  extras: {}, // members with no form field, sent as they are
  autoRefresh: false, // refresh_token was ticked because offline_access was chosen
  jsonDirty: false,
  formDirty: false,
  busy: false,
};

let seq = 0;
const nextId = (prefix) => `${prefix}-${++seq}`;

// ----------------------------------------------------------------------------------------------
// Small DOM helpers (text only)
// ----------------------------------------------------------------------------------------------

function setText(el, text) {
  el.textContent = text;
}

function clone(templateId) {
  return $(templateId).content.firstElementChild.cloneNode(true);
}

function addDescribedBy(el, id) {
  const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) ids.push(id);
  el.setAttribute('aria-describedby', ids.join(' '));
}

function announce(text) {
  const live = $('live');
  live.textContent = '';
  // A fresh text node after a tick makes screen readers announce repeated messages too.
  setTimeout(() => { live.textContent = text; }, 30);
}

function notice(text, isError = false) {
  setText($('notice-text'), text);
  $('notice').classList.toggle('is-error', isError);
  $('notice').hidden = false;
}

function hideNotice() {
  $('notice').hidden = true;
  setText($('notice-text'), '');
}

function setBusy(button, busy, label) {
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

function isStringArray(v) {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

// ----------------------------------------------------------------------------------------------
// API
// ----------------------------------------------------------------------------------------------

async function api(method, path, { json, token } = {}) {
  const headers = { accept: 'application/json' };
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    return { status: 0, message: e && e.message ? e.message : String(e) };
  }
  const text = await res.text();
  let body;
  if (text) {
    try { body = JSON.parse(text); } catch { body = undefined; }
  }
  return { status: res.status, body, text, retryAfter: res.headers.get('retry-after') };
}

function clientPath(id = state.clientId) {
  return `/register/${encodeURIComponent(id)}`;
}

function describeFailure(res) {
  if (res.status === 0) return `The server could not be reached (${res.message}).`;
  if (res.status === 401) return TOKEN_REFUSED;
  if (res.status === 413) return 'The request is too large for the server (over 64 KiB).';
  if (res.status === 429) {
    const s = Number.parseInt(res.retryAfter, 10);
    return `Too many requests: the server asks to wait${Number.isFinite(s) ? ` ${s} seconds` : ''} before trying again.`;
  }
  const b = res.body;
  if (b && typeof b.error === 'string') {
    return typeof b.error_description === 'string' ? `${b.error}: ${b.error_description}` : b.error;
  }
  return `The server answered HTTP ${res.status}.`;
}

// ----------------------------------------------------------------------------------------------
// Discovery → form options
// ----------------------------------------------------------------------------------------------

const NEEDS_DISCOVERY = ['nav-new', 'start-new', 'm-load'];

async function loadDiscovery() {
  document.body.dataset.state = 'loading';
  for (const id of NEEDS_DISCOVERY) $(id).setAttribute('aria-disabled', 'true');
  $('discovery-error').hidden = true;
  const res = await api('GET', '/.well-known/openid-configuration');
  if (res.status !== 200 || !res.body || typeof res.body !== 'object' || Array.isArray(res.body)) {
    setText($('discovery-error-text'), describeFailure(res.status === 200 ? { status: 200, body: undefined } : res));
    $('discovery-error').hidden = false;
    document.body.dataset.state = 'error';
    return;
  }
  state.disco = res.body;
  buildOptions(res.body);
  $('registration-closed').hidden = typeof res.body.registration_endpoint === 'string';
  if (typeof res.body.issuer === 'string') {
    setText($('server-issuer'), res.body.issuer);
    $('server-line').hidden = false;
  }
  document.body.dataset.state = 'ready';
  for (const id of NEEDS_DISCOVERY) $(id).removeAttribute('aria-disabled');
}

function advertised(key, fallback = []) {
  const v = state.disco && state.disco[key];
  return isStringArray(v) ? v : fallback;
}

function makeChoice(container, { type, name, value, label, desc, code, unadvertised }) {
  const node = clone('tpl-choice');
  const input = node.querySelector('input');
  input.type = type;
  input.name = name;
  input.value = value;
  input.id = nextId(`c-${name}`);
  const nameEl = node.querySelector('.choice-name');
  const codeEl = node.querySelector('.choice-value');
  const descEl = node.querySelector('.choice-desc');
  nameEl.id = `${input.id}-name`;
  codeEl.id = `${input.id}-code`;
  descEl.id = `${input.id}-desc`;
  setText(nameEl, label);
  setText(codeEl, code ? value : '');
  setText(descEl, desc || '');
  input.setAttribute('aria-labelledby', code ? `${nameEl.id} ${codeEl.id}` : nameEl.id);
  if (desc) input.setAttribute('aria-describedby', descEl.id);
  if (unadvertised) {
    node.classList.add('unadvertised');
    setText(descEl, 'Registered earlier or typed in JSON; the server may refuse it.');
    input.setAttribute('aria-describedby', descEl.id);
  }
  container.append(node);
  return input;
}

function choiceInputs(container) {
  return [...container.querySelectorAll('input')];
}

function findChoice(container, value) {
  return choiceInputs(container).find((i) => i.value === value) || null;
}

function buildOptions() {
  // Scopes
  const scopes = $('scope-choices');
  scopes.replaceChildren();
  for (const s of advertised('scopes_supported')) {
    makeChoice(scopes, { type: 'checkbox', name: 'scope', value: s, label: s, desc: SCOPE_INFO[s] });
  }
  // Grant types (RFC 8414: absent means authorization_code and implicit)
  const grants = $('grant-choices');
  grants.replaceChildren();
  for (const g of advertised('grant_types_supported', ['authorization_code', 'implicit'])) {
    const [label, desc] = GRANT_INFO[g] || [g, ''];
    makeChoice(grants, { type: 'checkbox', name: 'grant_types', value: g, label, desc, code: label !== g });
  }
  // Response types
  const responses = $('response-choices');
  responses.replaceChildren();
  for (const r of advertised('response_types_supported', ['code'])) {
    makeChoice(responses, { type: 'checkbox', name: 'response_types', value: r, label: r, desc: RESPONSE_INFO[r] });
  }
  // Token endpoint authentication methods
  const auth = $('auth-choices');
  auth.replaceChildren();
  for (const m of advertised('token_endpoint_auth_methods_supported', ['client_secret_basic'])) {
    const [label, desc] = AUTH_INFO[m] || [m, ''];
    makeChoice(auth, { type: 'radio', name: 'token_endpoint_auth_method', value: m, label, desc, code: label !== m });
  }
  // Algorithms and the other selects
  for (const [member, key, empty] of CRYPTO) {
    fillSelect($(`f-${member}`), empty, advertised(key));
  }
  fillSelect($('f-application_type'), 'Automatic', ['web', 'native'], { web: 'Web', native: 'Native' });
  fillSelect($('f-subject_type'), 'Not set (server default)', advertised('subject_types_supported'));
}

function fillSelect(select, emptyLabel, values, labels = {}) {
  select.replaceChildren();
  const empty = document.createElement('option');
  empty.value = '';
  setText(empty, emptyLabel);
  select.append(empty);
  for (const v of values) {
    const o = document.createElement('option');
    o.value = v;
    setText(o, labels[v] || v);
    select.append(o);
  }
}

function ensureOption(select, value) {
  if ([...select.options].some((o) => o.value === value)) return;
  const o = document.createElement('option');
  o.value = value;
  setText(o, `${value} (not advertised by the server)`);
  select.append(o);
}

function ensureChoice(container, type, name, value) {
  return findChoice(container, value)
    || makeChoice(container, { type, name, value, label: value, unadvertised: true });
}

// ----------------------------------------------------------------------------------------------
// List editors (redirect URIs, contacts, ...) and translations
// ----------------------------------------------------------------------------------------------

function listFieldset(member) {
  return $(`g-${member}`);
}

function listRows(member) {
  return [...listFieldset(member).querySelectorAll(':scope > .rows > li')];
}

function listAdd(member, value = '', focus = false) {
  const fs = listFieldset(member);
  const li = clone('tpl-row');
  const input = li.querySelector('input');
  const id = nextId(`f-${member}`);
  input.id = id;
  if (fs.dataset.type === 'url') {
    input.type = 'url';
    input.inputMode = 'url';
  }
  input.placeholder = fs.dataset.placeholder || '';
  // The server's cap for one entry (docs/api.md, "Metadata rules"); a hint, the server decides.
  if (fs.dataset.maxlength) input.maxLength = Number(fs.dataset.maxlength);
  input.value = value;
  input.dataset.list = member;
  const err = li.querySelector('.field-error');
  err.id = `${id}-error`;
  input.setAttribute('aria-describedby', err.id);
  li.querySelector('label').htmlFor = id;
  li.querySelector('.remove').addEventListener('click', () => listRemove(member, li));
  fs.querySelector(':scope > .rows').append(li);
  renumber(member);
  if (focus) input.focus();
  return input;
}

function listRemove(member, li) {
  const rows = listRows(member);
  const index = rows.indexOf(li);
  if (rows.length === 1) {
    const input = li.querySelector('input');
    input.value = '';
    clearFieldError(input);
    input.focus();
  } else {
    li.remove();
    const rest = listRows(member);
    const next = rest[Math.min(index, rest.length - 1)];
    next.querySelector('input').focus();
    renumber(member);
  }
  formChanged();
}

function renumber(member) {
  const fs = listFieldset(member);
  const item = fs.dataset.item;
  listRows(member).forEach((li, i) => {
    setText(li.querySelector('label'), `${item} ${i + 1}`);
    setText(li.querySelector('.remove .sr-only'), `Remove ${item.toLowerCase()} ${i + 1}`);
  });
}

function listSet(member, values) {
  listFieldset(member).querySelector(':scope > .rows').replaceChildren();
  const vs = values.length ? values : [''];
  for (const v of vs) listAdd(member, v);
}

function listValues(member) {
  // [value, input] of the non-empty rows, in order
  const out = [];
  for (const li of listRows(member)) {
    const input = li.querySelector('input');
    const v = input.value.trim();
    if (v !== '') out.push([v, input]);
  }
  return out;
}

function l10nRows() {
  return [...$('l10n-rows').children];
}

function l10nAdd(member = 'client_name', tag = '', value = '', focus = false) {
  const li = clone('tpl-l10n');
  const base = nextId('l10n');
  const sel = li.querySelector('.l10n-member');
  const tagIn = li.querySelector('.l10n-tag');
  const valIn = li.querySelector('.l10n-value');
  sel.id = `${base}-member`;
  tagIn.id = `${base}-tag`;
  valIn.id = `${base}-value`;
  li.querySelector('.l10n-label-member').htmlFor = sel.id;
  li.querySelector('.l10n-label-tag').htmlFor = tagIn.id;
  li.querySelector('.l10n-label-value').htmlFor = valIn.id;
  const err = li.querySelector('.field-error');
  err.id = `${base}-error`;
  for (const c of [sel, tagIn, valIn]) {
    c.dataset.errorSlot = err.id;
    c.setAttribute('aria-describedby', err.id);
  }
  if (!L10N_BASES.includes(member)) member = 'client_name';
  sel.value = member;
  tagIn.value = tag;
  // The server's caps: a name 200 characters, a URL 2000 bytes (a hint; the server decides).
  const cap = () => { valIn.maxLength = sel.value === 'client_name' ? 200 : 2000; };
  cap();
  sel.addEventListener('change', cap);
  valIn.value = value;
  li.querySelector('.remove').addEventListener('click', () => {
    const rows = l10nRows();
    const i = rows.indexOf(li);
    li.remove();
    const rest = l10nRows();
    if (rest.length) rest[Math.min(i, rest.length - 1)].querySelector('.l10n-value').focus();
    else $('l10n-add').focus();
    renumberL10n();
    formChanged();
  });
  $('l10n-rows').append(li);
  renumberL10n();
  if (focus) sel.focus();
}

function renumberL10n() {
  l10nRows().forEach((li, i) => {
    const n = i + 1;
    const label = (cls, text) => {
      const l = li.querySelector(cls);
      l.replaceChildren(text);
      const sr = document.createElement('span');
      sr.className = 'sr-only';
      setText(sr, ` (translation ${n})`);
      l.append(sr);
    };
    label('.l10n-label-member', 'Member');
    label('.l10n-label-tag', 'Language');
    label('.l10n-label-value', 'Value');
    setText(li.querySelector('.remove .sr-only'), `Remove translation ${n}`);
  });
}

// ----------------------------------------------------------------------------------------------
// Form ⇄ document
// ----------------------------------------------------------------------------------------------

function checked(container) {
  return choiceInputs(container).filter((i) => i.checked).map((i) => i.value);
}

function radioValue(name) {
  const r = document.querySelector(`#client-form input[name="${name}"]:checked`);
  return r ? r.value : '';
}

/**
 * The request document the form describes.
 * where: error path ("redirect_uris[1]", "client_name#fr", "scope") → the element it is about.
 * problems: things that cannot be sent as they are (e.g. JWKS that is not JSON).
 */
function collect() {
  const doc = {};
  const where = {};
  const problems = [];
  if (state.mode === 'edit') {
    doc.client_id = state.clientId;
    if (state.secret) doc.client_secret = state.secret;
  }
  const text = (member) => {
    const input = $(`f-${member}`);
    const v = input.value.trim();
    where[member] = input;
    if (v !== '') doc[member] = v;
  };
  const list = (member) => {
    const vals = listValues(member);
    where[member] = listFieldset(member);
    vals.forEach(([, input], i) => { where[`${member}[${i}]`] = input; });
    if (vals.length) doc[member] = vals.map(([v]) => v);
  };

  text('client_name');
  list('redirect_uris');
  for (const m of ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri']) text(m);
  for (const li of l10nRows()) {
    const member = li.querySelector('.l10n-member').value;
    const tagIn = li.querySelector('.l10n-tag');
    const valIn = li.querySelector('.l10n-value');
    const tag = tagIn.value.trim();
    const v = valIn.value.trim();
    if (tag === '' && v === '') continue;
    const key = `${member}#${tag}`;
    doc[key] = v;
    where[key] = valIn;
  }
  list('contacts');
  text('software_id');
  text('software_version');

  // Access
  const scopeList = checked($('scope-choices'));
  for (const s of $('f-scope-extra').value.trim().split(/\s+/)) {
    if (s && !scopeList.includes(s)) scopeList.push(s);
  }
  where.scope = $('g-scope');
  if (scopeList.length) doc.scope = scopeList.join(' ');
  const grants = checked($('grant-choices'));
  where.grant_types = $('g-grant_types');
  if (grants.length) doc.grant_types = grants;
  const responses = checked($('response-choices'));
  where.response_types = $('g-response_types');
  if (responses.length) doc.response_types = responses;

  // Credentials
  const method = radioValue('token_endpoint_auth_method');
  where.token_endpoint_auth_method = $('g-token_endpoint_auth_method');
  if (method) doc.token_endpoint_auth_method = method;
  const signing = $('f-token_endpoint_auth_signing_alg');
  where.token_endpoint_auth_signing_alg = signing;
  if (!signing.disabled && signing.value) doc.token_endpoint_auth_signing_alg = signing.value;
  const source = radioValue('jwks_source');
  if (source === 'uri') {
    text('jwks_uri');
  } else if (source === 'value') {
    const area = $('f-jwks');
    where.jwks = area;
    const raw = area.value.trim();
    if (raw !== '') {
      try {
        doc.jwks = JSON.parse(raw);
      } catch (e) {
        problems.push({ path: 'jwks', message: `jwks: not valid JSON (${e.message})`, target: area });
      }
    }
  }

  // Crypto
  for (const [member] of CRYPTO) {
    if (member === 'token_endpoint_auth_signing_alg') continue;
    const sel = $(`f-${member}`);
    where[member] = sel;
    if (!sel.disabled && sel.value) doc[member] = sel.value;
  }

  // Other
  for (const m of ['application_type', 'subject_type']) {
    const sel = $(`f-${m}`);
    where[m] = sel;
    if (sel.value) doc[m] = sel.value;
  }
  text('initiate_login_uri');
  list('post_logout_redirect_uris');
  list('request_uris');
  const rat = $('f-require_auth_time').value;
  where.require_auth_time = $('f-require_auth_time');
  if (rat !== '') doc.require_auth_time = rat === 'true';
  const maxAge = $('f-default_max_age');
  where.default_max_age = maxAge;
  const ma = maxAge.value.trim();
  if (ma !== '') {
    if (/^\d{1,15}$/.test(ma)) doc.default_max_age = Number(ma);
    else problems.push({ path: 'default_max_age', message: 'default_max_age: enter a whole number of seconds, 0 or more', target: maxAge });
  }
  list('default_acr_values');

  for (const [k, v] of Object.entries(state.extras)) {
    if (!(k in doc)) {
      doc[k] = v;
      where[k] = $('json-request');
    }
  }
  return { doc, where, problems };
}

/** Checks made before sending: what the dashboard requires on top of the API. */
function validateLocal(doc, where) {
  const out = [];
  if (!doc.client_name) {
    out.push({ path: 'client_name', message: 'client_name: enter a name for the client', target: where.client_name });
  }
  const iat = $('f-initial_access_token');
  if (state.mode === 'new' && iat.value.trim() !== '' && !/^[\x21-\x7e]+$/.test(iat.value.trim())) {
    out.push({ path: 'initial_access_token', message: 'initial access token: it has no spaces or special characters; check what you pasted', target: iat });
  }
  const grants = doc.grant_types || ['authorization_code'];
  if ((grants.includes('authorization_code') || grants.includes('implicit')) && !doc.redirect_uris) {
    out.push({
      path: 'redirect_uris',
      message: 'redirect_uris: add at least one redirect URI (the authorization code flow needs one)',
      target: listRows('redirect_uris')[0].querySelector('input'),
    });
  }
  return out;
}

function resetForm() {
  for (const m of TEXT_MEMBERS) $(`f-${m}`).value = '';
  $('f-jwks_uri').value = '';
  $('f-jwks').value = '';
  $('f-scope-extra').value = '';
  $('f-default_max_age').value = '';
  $('f-require_auth_time').value = '';
  for (const m of LIST_MEMBERS) listSet(m, []);
  $('l10n-rows').replaceChildren();
  for (const c of ['scope-choices', 'grant-choices', 'response-choices', 'auth-choices']) {
    const box = $(c);
    for (const i of choiceInputs(box)) {
      if (i.closest('.unadvertised')) i.closest('.choice').remove();
      else i.checked = false;
    }
  }
  for (const m of SELECT_MEMBERS) {
    const sel = $(`f-${m}`);
    for (const o of [...sel.options]) if (/\(not advertised by the server\)$/.test(o.text)) o.remove();
    sel.value = '';
  }
  document.querySelector('#client-form input[name="jwks_source"][value=""]').checked = true;
}

/** Puts one member into the form; false when the form has no field for it (or the type is wrong). */
function applyMember(k, v, seen) {
  if (TEXT_MEMBERS.includes(k)) {
    if (typeof v !== 'string') return false;
    $(`f-${k}`).value = v;
    return true;
  }
  if (LIST_MEMBERS.includes(k)) {
    if (!isStringArray(v)) return false;
    listSet(k, v);
    return true;
  }
  if (SELECT_MEMBERS.includes(k)) {
    if (typeof v !== 'string') return false;
    const sel = $(`f-${k}`);
    ensureOption(sel, v);
    sel.value = v;
    return true;
  }
  switch (k) {
    case 'scope': {
      if (typeof v !== 'string') return false;
      const extra = [];
      for (const s of v.split(/\s+/).filter(Boolean)) {
        const box = findChoice($('scope-choices'), s);
        if (box) box.checked = true;
        else extra.push(s);
      }
      $('f-scope-extra').value = extra.join(' ');
      return true;
    }
    case 'grant_types':
      if (!isStringArray(v)) return false;
      for (const g of v) ensureChoice($('grant-choices'), 'checkbox', 'grant_types', g).checked = true;
      return true;
    case 'response_types':
      if (!isStringArray(v)) return false;
      for (const r of v) ensureChoice($('response-choices'), 'checkbox', 'response_types', r).checked = true;
      return true;
    case 'token_endpoint_auth_method':
      if (typeof v !== 'string') return false;
      ensureChoice($('auth-choices'), 'radio', 'token_endpoint_auth_method', v).checked = true;
      return true;
    case 'jwks':
      if (!v || typeof v !== 'object' || Array.isArray(v) || seen.has('jwks_uri')) return false;
      $('f-jwks').value = JSON.stringify(v, null, 2);
      document.querySelector('#client-form input[name="jwks_source"][value="value"]').checked = true;
      return true;
    case 'jwks_uri':
      if (typeof v !== 'string' || seen.has('jwks')) return false;
      $('f-jwks_uri').value = v;
      document.querySelector('#client-form input[name="jwks_source"][value="uri"]').checked = true;
      return true;
    case 'require_auth_time':
      if (typeof v !== 'boolean') return false;
      $('f-require_auth_time').value = String(v);
      return true;
    case 'default_max_age':
      if (!Number.isSafeInteger(v) || v < 0) return false;
      $('f-default_max_age').value = String(v);
      return true;
    default: {
      const hash = k.indexOf('#');
      if (hash > 0 && L10N_BASES.includes(k.slice(0, hash)) && typeof v === 'string') {
        l10nAdd(k.slice(0, hash), k.slice(hash + 1), v);
        return true;
      }
      return false;
    }
  }
}

/** Replaces the whole form with a document. Members without a field are kept in state.extras. */
function fill(doc) {
  resetForm();
  const extras = {};
  const seen = new Set();
  for (const [k, v] of Object.entries(doc)) {
    if (SKIP.has(k) || v === null) continue;
    if (applyMember(k, v, seen)) seen.add(k);
    else extras[k] = v;
  }
  state.extras = extras;
  state.autoRefresh = false;
  syncDependent();
  updateJson(true);
}

function newDefaults() {
  const d = {};
  if (advertised('grant_types_supported', ['authorization_code']).includes('authorization_code')) d.grant_types = ['authorization_code'];
  if (advertised('response_types_supported', ['code']).includes('code') && d.grant_types) d.response_types = ['code'];
  if (advertised('scopes_supported').includes('openid')) d.scope = 'openid';
  const methods = advertised('token_endpoint_auth_methods_supported', ['client_secret_basic']);
  if (methods.length) d.token_endpoint_auth_method = methods.includes('client_secret_basic') ? 'client_secret_basic' : methods[0];
  return d;
}

// ----------------------------------------------------------------------------------------------
// Dependent parts of the form
// ----------------------------------------------------------------------------------------------

function syncDependent() {
  const grants = checked($('grant-choices'));
  const needsRedirect = grants.length === 0 || grants.includes('authorization_code') || grants.includes('implicit');
  setText($('redirect-req'), needsRedirect ? 'required for the authorization code flow' : 'optional for the chosen grant types');

  const method = radioValue('token_endpoint_auth_method');
  const pkjwt = method === 'private_key_jwt';
  $('f-token_endpoint_auth_signing_alg').disabled = !pkjwt;

  const source = radioValue('jwks_source');
  $('w-jwks_uri').hidden = source !== 'uri';
  $('w-jwks').hidden = source !== 'value';
  const keysHint = $('g-keys-hint');
  if (pkjwt && source === '') {
    setText(keysHint, 'Private key JWT needs the client\'s public keys: choose By URI or By value.');
    keysHint.classList.add('field-warning');
  } else {
    setText(keysHint, 'Needed for private key JWT and for encrypted ID tokens or userinfo responses. Public keys only.');
    keysHint.classList.remove('field-warning');
  }

  for (const [member, , , dependsOn] of CRYPTO) {
    if (dependsOn) $(`f-${member}`).disabled = $(`f-${dependsOn}`).value === '';
  }

  // offline_access and refresh_token
  const note = $('refresh-note');
  const offline = checked($('scope-choices')).includes('offline_access')
    || $('f-scope-extra').value.split(/\s+/).includes('offline_access');
  const rt = findChoice($('grant-choices'), 'refresh_token');
  let msg = '';
  if (offline && rt && rt.checked && state.autoRefresh) {
    msg = 'Refresh token was added to the grant types because you chose the offline_access scope: '
      + 'offline access works through refresh tokens, which let the client get new access tokens while the person is away.';
  } else if (offline && rt && !rt.checked) {
    msg = 'You chose offline_access without the refresh token grant: the client will not get refresh tokens.';
  } else if (offline && !rt) {
    msg = 'This server does not offer the refresh token grant, so offline_access cannot give refresh tokens.';
  }
  if (note.textContent !== msg) setText(note, msg);
}

function onChoiceChange(input) {
  if (input.name === 'scope' && input.value === 'offline_access') {
    const rt = findChoice($('grant-choices'), 'refresh_token');
    if (input.checked) {
      if (rt && !rt.checked) {
        rt.checked = true;
        state.autoRefresh = true;
      }
    } else if (state.autoRefresh && rt) {
      rt.checked = false;
      state.autoRefresh = false;
    }
  }
  if (input.name === 'grant_types') {
    if (input.value === 'refresh_token') state.autoRefresh = false;
    const grants = checked($('grant-choices'));
    // A response type needs its grant type (RFC 7591 §2.1): follow the person's change.
    for (const box of choiceInputs($('response-choices'))) {
      const parts = box.value.split(' ');
      const needsCode = parts.includes('code');
      const needsImplicit = parts.includes('token') || parts.includes('id_token');
      if (!input.checked && box.checked
        && ((needsCode && !grants.includes('authorization_code')) || (needsImplicit && !grants.includes('implicit')))) {
        box.checked = false;
      }
    }
    if (input.checked && input.value === 'authorization_code' && checked($('response-choices')).length === 0) {
      const code = findChoice($('response-choices'), 'code');
      if (code) code.checked = true;
    }
  }
}

// ----------------------------------------------------------------------------------------------
// JSON tab
// ----------------------------------------------------------------------------------------------

function updateJson(force = false) {
  const status = $('json-status');
  if (state.jsonDirty && !force) {
    setText(status, 'Your edits to this document are not applied yet, and the form has changed since. '
      + 'Apply replaces the form with this document; Discard shows the form\'s document.');
    status.classList.add('is-dirty');
    return;
  }
  const { doc, problems } = collect();
  $('json-request').value = JSON.stringify(doc, null, 2);
  state.jsonDirty = false;
  status.classList.remove('is-dirty');
  const notes = [];
  const extra = Object.keys(state.extras);
  if (extra.length) notes.push(`Sent as they are (no form field): ${extra.join(', ')}.`);
  for (const p of problems) notes.push(`Left out: ${p.message}.`);
  setText(status, notes.join(' '));
}

function applyJson() {
  const area = $('json-request');
  clearFieldError(area);
  let obj;
  try {
    obj = JSON.parse(area.value);
  } catch (e) {
    showFieldError(area, `Not valid JSON: ${e.message}`);
    area.focus();
    return;
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    showFieldError(area, 'The document must be a JSON object: { "client_name": … }');
    area.focus();
    return;
  }
  const ignored = Object.keys(obj).filter((k) => SKIP.has(k));
  fill(obj);
  state.formDirty = true;
  const msg = ['Applied to the form.'];
  if (ignored.length) msg.push(`Not taken from the document (the dashboard or the server sets them): ${ignored.join(', ')}.`);
  const extra = Object.keys(state.extras);
  if (extra.length) msg.push(`Sent as they are (no form field): ${extra.join(', ')}.`);
  setText($('json-status'), msg.join(' '));
}

// ----------------------------------------------------------------------------------------------
// Errors: beside the field and in a summary
// ----------------------------------------------------------------------------------------------

function errorSlot(target) {
  const id = target.dataset.errorSlot || `${target.id}-error`;
  return $(id);
}

function showFieldError(target, message) {
  const slot = errorSlot(target);
  if (slot) {
    setText(slot, slot.hidden || !slot.textContent ? message : `${slot.textContent} ${message}`);
    slot.hidden = false;
    addDescribedBy(target, slot.id);
  }
  target.setAttribute('aria-invalid', 'true');
  refreshTabMarkers();
}

/** A dot (and "has errors" for screen readers) on each tab whose panel holds an invalid field. */
function refreshTabMarkers() {
  for (const t of tabs()) {
    t.querySelector('.tab-err').hidden = !$(t.getAttribute('aria-controls')).querySelector('[aria-invalid="true"]');
  }
}

function clearFieldError(target) {
  const el = target.closest('[aria-invalid="true"]') || target;
  el.removeAttribute('aria-invalid');
  const slot = errorSlot(el);
  if (slot) {
    slot.hidden = true;
    setText(slot, '');
  }
  refreshTabMarkers();
}

function clearErrors() {
  const form = $('client-form');
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    setText(el, '');
  }
  for (const el of form.querySelectorAll('.tab-err')) el.hidden = true;
  $('error-summary').hidden = true;
  $('error-summary-list').replaceChildren();
}

/** "redirect_uris[1]: fragment not allowed" → { member, path, rest } */
function parseDescription(desc) {
  const m = /^([A-Za-z0-9_]+(?:#[^\s:]*)?)((?:\[\d+\]|\.[A-Za-z0-9_]+)*)\s*:\s*([\s\S]*)$/.exec(desc);
  if (!m) return null;
  const idx = /^\[(\d+)\]/.exec(m[2]);
  return { member: m[1], path: idx ? `${m[1]}[${idx[1]}]` : m[1], rest: m[3] };
}

function resolveTarget(parsed, where) {
  if (!parsed) return null;
  let t = where[parsed.path] || where[parsed.member];
  if (!t && TARGETS[parsed.member]) t = $(TARGETS[parsed.member]);
  if (!t && (parsed.member.includes('#') || parsed.member in state.extras || /_/.test(parsed.member))) t = $('json-request');
  if (t && t.classList.contains('l10n-value') && /language tag/.test(parsed.rest)) {
    t = t.closest('li').querySelector('.l10n-tag');
  }
  if (t && t.id === 'g-keys') t = radioValue('jwks_source') === 'value' ? $('f-jwks') : (radioValue('jwks_source') === 'uri' ? $('f-jwks_uri') : t);
  return t || null;
}

function tabOf(el) {
  const panel = el.closest('[role="tabpanel"]');
  return panel ? $(panel.getAttribute('aria-labelledby')) : null;
}

function reveal(target) {
  const tab = tabOf(target);
  if (tab) selectTab(tab, false);
  const focusable = target.matches('input, select, textarea, button')
    ? target
    : target.querySelector('input:not([disabled]), select, textarea, button');
  (focusable || target).focus();
  target.scrollIntoView({ block: 'center' });
}

/**
 * items: [{ message, target?, short? }]; code: the API's error code (or null for local checks).
 */
function showErrors(items, code, title) {
  const list = $('error-summary-list');
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement('li');
    if (item.target) {
      showFieldError(item.target, item.short || item.message);
      const a = document.createElement('a');
      a.href = `#${item.target.id}`;
      setText(a, item.message);
      a.addEventListener('click', (e) => {
        e.preventDefault();
        reveal(item.target);
      });
      li.append(a);
    } else {
      setText(li, item.message);
    }
    list.append(li);
  }
  setText($('error-summary-title'), title || (code ? 'The server did not accept the client' : 'Check the form'));
  const codeLine = $('error-summary-code');
  codeLine.replaceChildren();
  if (code) {
    const c = document.createElement('code');
    setText(c, code);
    codeLine.append('Error ', c, ':');
  }
  codeLine.hidden = !code;
  $('error-summary').hidden = false;
  $('error-summary').focus();
  $('error-summary').scrollIntoView({ block: 'start' });
}

function showApiError(res, where, title) {
  if (res.status === 401) {
    if (state.mode === 'new') {
      showErrors([{ message: IAT_REFUSED, target: $('f-initial_access_token') }], 'invalid_token', title);
    } else {
      showErrors([{ message: TOKEN_REFUSED }], 'invalid_token', title);
    }
    return;
  }
  const b = res.body;
  if (b && typeof b.error === 'string' && typeof b.error_description === 'string') {
    const parsed = parseDescription(b.error_description);
    const target = resolveTarget(parsed, where);
    showErrors([{ message: b.error_description, short: parsed ? parsed.rest : undefined, target }], b.error, title);
  } else {
    showErrors([{ message: describeFailure(res) }], b && typeof b.error === 'string' ? b.error : null, title);
  }
}

// ----------------------------------------------------------------------------------------------
// Tabs (WAI-ARIA tabs pattern, automatic activation)
// ----------------------------------------------------------------------------------------------

function tabs() {
  return [...$('tablist').querySelectorAll('[role="tab"]')];
}

function selectTab(tab, focus) {
  for (const t of tabs()) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (tab.id === 'tab-json') updateJson();
  if (focus) tab.focus();
  else tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

// The keydown handler of a WAI-ARIA tab list (used here and by admin.js): arrows move to the
// next or previous tab, wrapping; Home and End to the first and last. `tabsOf()` lists the tabs,
// `select(tab, true)` selects and focuses one.
function tabKeyHandler(tabsOf, select) {
  return (e) => {
    const all = tabsOf();
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    let next;
    switch (e.key) {
      case 'ArrowRight': next = all[(i + 1) % all.length]; break;
      case 'ArrowLeft': next = all[(i - 1 + all.length) % all.length]; break;
      case 'Home': next = all[0]; break;
      case 'End': next = all[all.length - 1]; break;
      default: return;
    }
    e.preventDefault();
    select(next, true);
  };
}

// ----------------------------------------------------------------------------------------------
// Credentials panel, download, copy
// ----------------------------------------------------------------------------------------------

function withKnownSecret(body) {
  if (typeof body.client_secret === 'string' || !state.secret) return body;
  const out = {};
  for (const k of [...Object.keys(body), 'client_secret'].sort()) out[k] = k === 'client_secret' ? state.secret : body[k];
  return out;
}

function fileName() {
  return `client-${String(state.clientId).replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

function registrationJson() {
  return `${JSON.stringify(state.registration, null, 2)}\n`;
}

function formatTime(seconds) {
  if (!Number.isFinite(seconds)) return '—';
  const d = new Date(seconds * 1000);
  return `${d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}`;
}

function renderResult(kind, { tokenNew = false, secretNew = false, changed = [] } = {}) {
  const reg = state.registration;
  setText($('result-title'), { created: 'Client registered', updated: 'Client updated', loaded: 'Client loaded' }[kind]);
  const warn = $('result-warning');
  const info = $('result-info');
  if (kind === 'created') {
    setText($('result-warning-title'), 'Keep these credentials now: they are shown only once.');
    setText($('result-warning-text'), 'The server stores only hashes of the client secret and the registration access token and can never show them again. '
      + 'You need the token to change or delete this client. Download the JSON file and keep it somewhere safe.');
    warn.hidden = false;
    info.hidden = !changed.length;
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
    else if (SECRET_METHODS.has(method)) why = 'Not shown: the server keeps only a hash of it. Use the secret from your original registration file.';
    else why = 'None.';
    setText($('cred-no-secret-text'), why);
  }
  $('cred-secret-new').hidden = !secretNew;
  $('cred-row-client_secret').classList.toggle('is-new', secretNew);
  $('cred-registration_access_token').value = state.token || '';
  $('cred-token-new').hidden = !tokenNew;
  $('cred-row-token').classList.toggle('is-new', tokenNew);
  $('cred-registration_client_uri').value = typeof reg.registration_client_uri === 'string' ? reg.registration_client_uri : '';
  setText($('cred-issued'), formatTime(reg.client_id_issued_at));
  setText($('cred-expires'), reg.client_secret_expires_at === 0 ? 'Never'
    : (Number.isFinite(reg.client_secret_expires_at) ? formatTime(reg.client_secret_expires_at) : '—'));
  setText($('download-name'), fileName());
  $('result').hidden = false;

  $('json-response').value = registrationJson();
  $('json-response-section').hidden = false;
}

function download() {
  if (!state.registration) return;
  const blob = new Blob([registrationJson()], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName();
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  state.unsaved = false;
  announce(`Downloading ${fileName()}.`);
}

async function copyText(text, what, source, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    if (source) {
      source.focus();
      source.select();
      try { ok = document.execCommand('copy'); } catch { ok = false; }
    }
  }
  if (button) {
    const label = button.dataset.idle || button.textContent;
    button.dataset.idle = label;
    button.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => { button.textContent = label; }, 1800);
  }
  announce(ok ? `Copied the ${what}.` : `Could not copy the ${what}: select it and copy it yourself.`);
  return ok;
}

// ----------------------------------------------------------------------------------------------
// Views and flows
// ----------------------------------------------------------------------------------------------

function showView(name) {
  $('view-start').hidden = name !== 'start';
  $('view-editor').hidden = name !== 'editor';
  $('view-check').hidden = name !== 'check';
  const adminView = $('view-admin');
  if (adminView) adminView.hidden = name !== 'admin';
}

function forgetClient() {
  state.mode = 'new';
  state.clientId = null;
  state.token = null;
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

function confirmDialog({ title, text, ok }) {
  return new Promise((resolve) => {
    const d = $('confirm');
    setText($('confirm-title'), title);
    setText($('confirm-text'), text);
    setText($('confirm-ok'), ok);
    d.returnValue = '';
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.showModal();
    $('confirm-cancel').focus();
  });
}

/** Asks before dropping credentials that were never kept, or unsaved edits. */
async function mayLeave() {
  if (state.unsaved) {
    return confirmDialog({
      title: 'Leave without keeping the credentials?',
      text: `You have neither downloaded nor copied the JSON of client ${state.clientId}. `
        + 'Its client secret and registration access token cannot be shown again.',
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

function ready() {
  return document.body.dataset.state === 'ready';
}

async function startNew() {
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

/** New client, with an initial access token from the Admin section already in its field. */
async function startNewWithIat(iat) {
  if (!ready()) {
    notice('The server\'s capabilities are not loaded yet, so the New client form cannot open: try again in a moment.', true);
    return false;
  }
  if (!(await startNew())) return false;
  $('f-initial_access_token').value = iat;
  notice('The initial access token is filled in on the Credentials tab; Save sends it.');
  return true;
}

/** New client, filled with a document (the Check metadata view's normalized metadata). */
async function startNewWith(doc) {
  if (!ready()) {
    notice('The server\'s capabilities are not loaded yet, so the New client form cannot open: try again in a moment.', true);
    return false;
  }
  if (!(await startNew())) return false;
  fill(doc);
  state.formDirty = true;
  notice('The form and its JSON tab hold the checked metadata; Save registers it.');
  return true;
}

/** Leaves the client on screen (asking first if the form has unsaved edits) for another view. */
async function goTo(view) {
  if (state.busy) return;
  if (!(await mayLeave())) return;
  forgetClient();
  clearErrors();
  state.formDirty = false;
  hideNotice();
  view.open();
}

async function goStart(focusId) {
  if (state.busy) return;
  if (!(await mayLeave())) return;
  forgetClient();
  clearErrors();
  state.formDirty = false;
  showView('start');
  if (focusId) $(focusId).focus();
  else $('main').focus();
}

function renderEditorHead() {
  const edit = state.mode === 'edit';
  const name = edit && state.registration && typeof state.registration.client_name === 'string' ? state.registration.client_name : '';
  setText($('editor-title'), edit ? (name || 'Client without a name') : 'New client');
  setText($('editor-sub'), edit ? state.clientId : '');
  $('delete').hidden = !edit;
  $('w-initial_access_token').hidden = edit;
  setText($('cancel'), edit ? 'Close' : 'Cancel');
  setText($('save'), edit ? 'Save changes' : 'Save');
  setText($('json-request-hint'), edit
    ? `What Save sends (PUT /register/${state.clientId}): the complete metadata, which replaces the registration. Updated as you fill the form; you may edit it and apply it to the form.`
    : 'What Save sends (POST /register), updated as you fill the form. You may edit it and apply it to the form.');
}

/** JSON with object members in a fixed order, to compare values. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Members the server registered differently from what was sent (RFC 7591 §3.2.1: it may narrow). */
function changedMembers(sent, body) {
  const out = [];
  if (!sent) return out;
  for (const [k, v] of Object.entries(sent)) {
    if (SKIP.has(k)) continue;
    if (!(k in body)) out.push(`${k} was not registered`);
    else if (canonical(body[k]) !== canonical(v)) out.push(`${k}: asked ${JSON.stringify(v)}, registered ${JSON.stringify(body[k])}`);
  }
  return out;
}

/** After a successful POST, PUT or GET. kind: created | updated | loaded; sent: the request document. */
function onClient(body, kind, sent) {
  const prevSecret = state.secret;
  state.mode = 'edit';
  state.clientId = body.client_id;
  state.token = body.registration_access_token;
  if (typeof body.client_secret === 'string') state.secret = body.client_secret;
  else if (!SECRET_METHODS.has(body.token_endpoint_auth_method)) state.secret = null;
  state.registration = withKnownSecret(body);
  state.unsaved = kind !== 'loaded';
  clearErrors();
  fill(body);
  state.formDirty = false;
  renderEditorHead();
  renderResult(kind, {
    tokenNew: kind === 'updated',
    secretNew: kind === 'updated' && typeof body.client_secret === 'string' && body.client_secret !== prevSecret,
    changed: changedMembers(sent, body),
  });
  showView('editor');
  $('result').scrollIntoView({ block: 'start' });
  $('result-title').focus();
}

async function save(e) {
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
    showErrors(local.map((p) => ({ ...p, short: parseDescription(p.message)?.rest })), null);
    return;
  }
  const button = $('save');
  setBusy(button, true, 'Saving…');
  const editing = state.mode === 'edit';
  const iat = $('f-initial_access_token').value.trim();
  const res = editing
    ? await api('PUT', clientPath(), { json: doc, token: state.token })
    : await api('POST', '/register', { json: doc, token: iat || undefined });
  setBusy(button, false);
  if ((res.status === 201 || res.status === 200) && res.body && typeof res.body.client_id === 'string') {
    $('f-initial_access_token').value = '';
    onClient(res.body, editing ? 'updated' : 'created', doc);
  } else {
    showApiError(res, where, editing ? 'The changes were not saved' : 'The client was not registered');
  }
}

async function deleteClient() {
  if (state.busy || state.mode !== 'edit') return;
  const name = state.registration && typeof state.registration.client_name === 'string' ? `“${state.registration.client_name}” ` : '';
  const ok = await confirmDialog({
    title: 'Delete this client?',
    text: `Client ${name}(${state.clientId}) will be removed from the server. Applications using this client ID stop working at once. This cannot be undone.`,
    ok: 'Delete client',
  });
  if (!ok) return;
  clearErrors();
  const button = $('delete');
  setBusy(button, true, 'Deleting…');
  const res = await api('DELETE', clientPath(), { token: state.token });
  setBusy(button, false);
  if (res.status === 204) {
    const id = state.clientId;
    forgetClient();
    state.formDirty = false;
    showView('start');
    notice(`Client ${id} was deleted. Its credentials no longer work.`);
    $('main').focus();
  } else {
    showApiError(res, {}, 'The client was not deleted');
  }
}

// ---------------------------------------------------------------------------- manage

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

async function manageByToken(e) {
  e.preventDefault();
  if (state.busy || !ready()) return;
  const id = $('m-client_id').value.trim();
  const token = $('m-token').value.trim();
  const problems = [];
  if (!id) problems.push({ target: $('m-client_id'), message: 'Enter the client ID.' });
  if (!token) problems.push({ target: $('m-token'), message: 'Enter the registration access token.' });
  else if (!/^[\x21-\x7e]+$/.test(token)) problems.push({ target: $('m-token'), message: 'A registration access token has no spaces or special characters: check what you pasted.' });
  if (problems.length) {
    manageErrors(problems);
    return;
  }
  if (!(await mayLeave())) return;
  await loadClient(id, token, null, 'token');
}

async function manageByFile() {
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
    || !/^[\x21-\x7e]+$/.test(obj.registration_access_token)) {
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

// ----------------------------------------------------------------------------------------------
// Wiring
// ----------------------------------------------------------------------------------------------

function formChanged() {
  state.formDirty = true;
  syncDependent();
  updateJson();
}

const admin = createAdmin({
  api,
  copyText,
  confirmDialog,
  announce,
  notice,
  hideNotice,
  showView,
  registrationEndpoint: () => (state.disco && typeof state.disco.registration_endpoint === 'string'
    ? state.disco.registration_endpoint : `${location.origin}/register`),
  startNewWithIat,
  tabKeyHandler,
});

const check = createCheck({ api, describeFailure, showView, announce, startNewWith });

function init() {
  // Live region for short announcements (copy, download).
  const live = document.createElement('div');
  live.id = 'live';
  live.className = 'sr-only';
  live.setAttribute('aria-live', 'polite');
  document.body.append(live);
  $('refresh-note').setAttribute('aria-live', 'polite');

  for (const m of LIST_MEMBERS) {
    const fs = listFieldset(m);
    fs.querySelector('.add-row').addEventListener('click', () => { listAdd(m, '', true); formChanged(); });
    listSet(m, []);
  }
  $('l10n-add').addEventListener('click', () => { l10nAdd('client_name', '', '', true); formChanged(); });

  const form = $('client-form');
  form.addEventListener('submit', save);
  const onEdit = (e) => {
    const t = e.target;
    if (t.id === 'json-request') {
      if (e.type === 'input') {
        state.jsonDirty = true;
        const status = $('json-status');
        setText(status, 'Edited: Apply fills the form with this document; Discard goes back to the form\'s document.');
        status.classList.add('is-dirty');
      }
      return;
    }
    if (e.type === 'change' && t.matches('.choice input')) onChoiceChange(t);
    if (t.getAttribute('aria-invalid') === 'true' || t.closest('fieldset[aria-invalid="true"]')) clearFieldError(t);
    formChanged();
  };
  form.addEventListener('input', onEdit);
  form.addEventListener('change', onEdit);

  $('tablist').addEventListener('keydown', tabKeyHandler(tabs, selectTab));
  for (const t of tabs()) t.addEventListener('click', () => selectTab(t, false));

  $('json-apply').addEventListener('click', applyJson);
  $('json-reset').addEventListener('click', () => {
    clearFieldError($('json-request'));
    updateJson(true);
    setText($('json-status'), 'JSON edits discarded: this is the form\'s document.');
  });

  $('nav-new').addEventListener('click', startNew);
  $('start-new').addEventListener('click', startNew);
  $('nav-home').addEventListener('click', () => goStart());
  $('nav-manage').addEventListener('click', () => goStart('m-client_id'));
  $('nav-admin').addEventListener('click', () => goTo(admin));
  $('nav-check').addEventListener('click', () => goTo(check));
  $('cancel').addEventListener('click', () => goStart());
  $('delete').addEventListener('click', deleteClient);
  $('manage-form').addEventListener('submit', manageByToken);
  $('m-file').addEventListener('change', manageByFile);
  $('notice-close').addEventListener('click', hideNotice);
  $('discovery-retry').addEventListener('click', loadDiscovery);

  $('download').addEventListener('click', download);
  $('json-download').addEventListener('click', download);
  const copyJson = async (e) => {
    if (await copyText(registrationJson(), 'registration JSON', $('json-response'), e.currentTarget)) state.unsaved = false;
  };
  $('copy-json').addEventListener('click', copyJson);
  $('json-copy').addEventListener('click', copyJson);
  for (const b of document.querySelectorAll('button.copy')) {
    b.setAttribute('aria-label', `Copy ${b.dataset.copyWhat}`);
    b.addEventListener('click', () => {
      const src = $(b.dataset.copy);
      copyText(src.value, b.dataset.copyWhat, src, b);
    });
  }

  window.addEventListener('beforeunload', (e) => {
    if (state.unsaved || admin.hasUnkept()) {
      e.preventDefault();
      e.returnValue = '';
    }
  });

  showView('start');
  loadDiscovery();
}

init();
