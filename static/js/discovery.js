// Registrar dashboard, the server's capabilities: GET /.well-known/openid-configuration, the one
// source of what the New client form offers (scopes, grant and response types, authentication
// methods, algorithms, subject types) and of the registration endpoint.

import { $, api, describeFailure, isStringArray, setText } from './ui.js';

let disco = null;

/** Controls that need the discovery document; aria-disabled until it is loaded. */
const NEEDS_DISCOVERY = ['nav-new', 'start-new', 'm-load'];

/** Loads the document; `onLoaded(doc)` builds what depends on it. */
export async function loadDiscovery(onLoaded) {
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
  disco = res.body;
  onLoaded(res.body);
  $('registration-closed').hidden = typeof res.body.registration_endpoint === 'string';
  if (typeof res.body.issuer === 'string') {
    setText($('server-issuer'), res.body.issuer);
    $('server-line').hidden = false;
  }
  document.body.dataset.state = 'ready';
  for (const id of NEEDS_DISCOVERY) $(id).removeAttribute('aria-disabled');
}

/** Whether the discovery document is loaded (the New client form can open). */
export function ready() {
  return document.body.dataset.state === 'ready';
}

/** A list of strings the server advertises, or `fallback` (the RFC 8414 default) when absent. */
export function advertised(key, fallback = []) {
  const v = disco && disco[key];
  return isStringArray(v) ? v : fallback;
}

export function registrationEndpoint() {
  return disco && typeof disco.registration_endpoint === 'string'
    ? disco.registration_endpoint : `${location.origin}/register`;
}
