// Registrar dashboard, New client form: the parts that follow other parts (redirect URIs
// required or not, the signing algorithm of private_key_jwt, the keys, an encryption `enc` that
// needs its `alg`, offline_access and the refresh token grant, response types and their grants).

import { $, setText } from './ui.js';
import { state } from './client-state.js';
import { CRYPTO } from './form-fields.js';
import {
  checked, choiceInputs, findChoice, radioValue,
} from './form-choices.js';
import { updateJson } from './json-tab.js';

export function syncDependent() {
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

export function onChoiceChange(input) {
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

/** After any edit of the form: marks it unsaved and updates what depends on it. */
export function formChanged() {
  state.formDirty = true;
  syncDependent();
  updateJson();
}
