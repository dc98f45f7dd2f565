// Registrar dashboard, New client form ⇄ metadata document: the document the form describes
// (what Save sends), the checks made before sending, and a document put into the form.

import { $, TOKEN_CHARS, isStringArray } from './ui.js';
import { advertised } from './discovery.js';
import { state } from './client-state.js';
import {
  CRYPTO, L10N_BASES, LIST_MEMBERS, SELECT_MEMBERS, SKIP, TEXT_MEMBERS,
} from './form-fields.js';
import {
  checked, choiceInputs, ensureChoice, ensureOption, findChoice, radioValue,
} from './form-choices.js';
import {
  l10nAdd, l10nRows, listFieldset, listRows, listSet, listValues,
} from './form-lists.js';
import { syncDependent } from './form-dependent.js';
import { updateJson } from './json-tab.js';

/**
 * The request document the form describes.
 * where: error path ("redirect_uris[1]", "client_name#fr", "scope") → the element it is about.
 * problems: things that cannot be sent as they are (e.g. JWKS that is not JSON).
 */
export function collect() {
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
export function validateLocal(doc, where) {
  const out = [];
  if (!doc.client_name) {
    out.push({ path: 'client_name', message: 'client_name: enter a name for the client', target: where.client_name });
  }
  const iat = $('f-initial_access_token');
  if (state.mode === 'new' && iat.value.trim() !== '' && !TOKEN_CHARS.test(iat.value.trim())) {
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

export function resetForm() {
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
export function fill(doc) {
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

export function newDefaults() {
  const d = {};
  if (advertised('grant_types_supported', ['authorization_code']).includes('authorization_code')) d.grant_types = ['authorization_code'];
  if (advertised('response_types_supported', ['code']).includes('code') && d.grant_types) d.response_types = ['code'];
  if (advertised('scopes_supported').includes('openid')) d.scope = 'openid';
  const methods = advertised('token_endpoint_auth_methods_supported', ['client_secret_basic']);
  if (methods.length) d.token_endpoint_auth_method = methods.includes('client_secret_basic') ? 'client_secret_basic' : methods[0];
  return d;
}
