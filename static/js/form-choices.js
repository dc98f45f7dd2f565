// Registrar dashboard, New client form: the choices the server advertises in discovery (scopes,
// grant and response types, authentication methods, algorithms, subject types) as checkboxes,
// radio buttons and selects, with a name and a line of help for the values people meet. A value
// registered earlier or typed in JSON that the server does not advertise gets its own choice,
// marked as such.

import { $, clone, el, setText } from './ui.js';
import { advertised } from './discovery.js';
import { CRYPTO, nextId } from './form-fields.js';

/** The Crypto tab's groups: for each, the member prefix of its signing, key encryption and
 * content encryption selects (the request object's are named `…_signing_alg` and `…_encryption_…`). */
const CRYPTO_GROUPS = [
  ['ID token', 'id_token_signed_response_alg', 'id_token_encrypted_response_alg', 'id_token_encrypted_response_enc'],
  ['Userinfo response', 'userinfo_signed_response_alg', 'userinfo_encrypted_response_alg', 'userinfo_encrypted_response_enc'],
  ['Request object', 'request_object_signing_alg', 'request_object_encryption_alg', 'request_object_encryption_enc'],
];
const CRYPTO_LABELS = ['Signing', 'Key encryption', 'Content encryption'];

/** Writes the Crypto tab's three groups of selects into #crypto-groups (once, at start-up):
 * field `w-<member>`, select `f-<member>`, error `f-<member>-error`, as the other fields. */
export function buildCryptoGroups() {
  const host = $('crypto-groups');
  for (const [legend, ...members] of CRYPTO_GROUPS) {
    const grid = el('div', { class: 'grid grid-3' });
    members.forEach((m, i) => {
      const field = el('div', { class: 'field', id: `w-${m}` });
      field.append(
        el('label', { for: `f-${m}` }, CRYPTO_LABELS[i]),
        el('select', { id: `f-${m}`, 'aria-describedby': `f-${m}-error`, 'data-member': m }),
        el('p', { class: 'field-error', id: `f-${m}-error`, hidden: '' }),
      );
      grid.append(field);
    });
    const set = el('fieldset', { class: 'field crypto-group' });
    set.append(el('legend', {}, legend), grid);
    host.append(set);
  }
}

const GRANT_INFO = {
  authorization_code: ['Authorization code', 'People sign in through the browser. The usual choice for web, mobile and desktop apps.'],
  refresh_token: ['Refresh token', 'Get new access tokens without asking the person again. Needs another grant type.'],
  client_credentials: ['Client credentials', 'The client acts on its own behalf, with no person: services and daemons.'],
  implicit: ['Implicit', 'Tokens straight from the authorization endpoint. Discouraged (RFC 9700).'],
  'urn:ietf:params:oauth:grant-type:device_code': ['Device authorization', 'For TVs and command-line tools: the person signs in on another device.'],
  'urn:ietf:params:oauth:grant-type:token-exchange': ['Token exchange', 'Exchange one token for another (RFC 8693).'],
  'urn:ietf:params:oauth:grant-type:jwt-bearer': ['JWT bearer', 'A signed JWT assertion as a grant (RFC 7523).'],
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
};
const AUTH_INFO = {
  client_secret_basic: ['Client secret, HTTP Basic', 'The server issues a secret; the client sends it in the Authorization header. The default.'],
  client_secret_post: ['Client secret in the request body', 'The server issues a secret; the client sends it as a form parameter.'],
  private_key_jwt: ['Private key JWT', 'The client signs a JWT with its private key. Register its public keys below; no secret is issued.'],
  none: ['None (public client)', 'For apps that cannot keep a secret: mobile, desktop, single-page. Use PKCE. No secret is issued.'],
};

export function makeChoice(container, { type, name, value, label, desc, code, unadvertised }) {
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

export function choiceInputs(container) {
  return [...container.querySelectorAll('input')];
}

export function findChoice(container, value) {
  return choiceInputs(container).find((i) => i.value === value) || null;
}

/** The values ticked in a group of choices. */
export function checked(container) {
  return choiceInputs(container).filter((i) => i.checked).map((i) => i.value);
}

export function radioValue(name) {
  const r = document.querySelector(`#client-form input[name="${name}"]:checked`);
  return r ? r.value : '';
}

/** Builds every choice from the discovery document (once it is loaded). */
export function buildOptions() {
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
  // Token endpoint authentication methods (RFC 8414: absent means client_secret_basic)
  const auth = $('auth-choices');
  auth.replaceChildren();
  for (const m of advertised('token_endpoint_auth_methods_supported', ['client_secret_basic'])) {
    const [label, desc] = AUTH_INFO[m] || [m, ''];
    makeChoice(auth, { type: 'radio', name: 'token_endpoint_auth_method', value: m, label, desc, code: label !== m });
  }
  // Algorithms and the other selects (discovery has no list of application types)
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

/** An option for a value the server does not advertise (registered earlier or typed in JSON). */
export function ensureOption(select, value) {
  if ([...select.options].some((o) => o.value === value)) return;
  const o = document.createElement('option');
  o.value = value;
  setText(o, `${value} (not advertised by the server)`);
  select.append(o);
}

export function ensureChoice(container, type, name, value) {
  return findChoice(container, value)
    || makeChoice(container, { type, name, value, label: value, unadvertised: true });
}
