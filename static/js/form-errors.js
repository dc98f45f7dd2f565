// Registrar dashboard, New client form: errors beside their field (with a mark on the field's
// tab) and in a summary whose links lead to them; an API error is put beside the member its
// description names.

import {
  $, TOKEN_REFUSED, addDescribedBy, describeFailure, setText,
} from './ui.js';
import { state } from './client-state.js';
import { TARGETS } from './form-fields.js';
import { radioValue } from './form-choices.js';
import { selectTab, tabs } from './form-tabs.js';
import { SESSION_ENDED } from './owned-api.js';

const IAT_REFUSED = 'The server refused to register the client without a valid initial access token: '
  + 'it requires one, or the one entered is wrong, expired or used up. Enter the token you were given.';

function errorSlot(target) {
  const id = target.dataset.errorSlot || `${target.id}-error`;
  return $(id);
}

export function showFieldError(target, message) {
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

export function clearFieldError(target) {
  const el = target.closest('[aria-invalid="true"]') || target;
  el.removeAttribute('aria-invalid');
  const slot = errorSlot(el);
  if (slot) {
    slot.hidden = true;
    setText(slot, '');
  }
  refreshTabMarkers();
}

export function clearErrors() {
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

/**
 * The member an API error names, from its `member` (the server's machine-readable form, e.g.
 * "redirect_uris[1]" or "jwks.keys[0]"): { member: "redirect_uris", path: "redirect_uris[1]",
 * rest: the description without "redirect_uris[1]: " }. A list item is a field of its own;
 * anything deeper goes to its member.
 */
export function apiMember(body) {
  const named = body.member;
  if (typeof named !== 'string' || named === '') return null;
  // A localized member (`client_name#<tag>`) is whole: the tag, not a path, follows the `#`.
  const hash = named.indexOf('#');
  let end = named.length;
  for (const c of ['[', '.']) {
    const i = named.indexOf(c);
    if (i >= 0 && i < end && (hash < 0 || i < hash)) end = i;
  }
  const member = named.slice(0, end);
  const after = named.slice(end);
  const close = after.startsWith('[') ? after.indexOf(']') : -1;
  const path = close > 0 ? member + after.slice(0, close + 1) : member;
  return { member, path, rest: withoutMember(body.error_description, named) ?? body.error_description };
}

/** A message without its leading "<path>: " (the dashboard's own messages start so), or undefined. */
export function withoutMember(message, path) {
  const prefix = `${path}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : undefined;
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
export function showErrors(items, code, title) {
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

export function showApiError(res, where, title) {
  if (res.status === 401) {
    if (state.mode === 'new') {
      // The server's own words say what it wants (a server in mode signed_in asks to sign in).
      const said = res.body && typeof res.body.error_description === 'string' ? ` The server says: “${res.body.error_description}”.` : '';
      showErrors([{ message: IAT_REFUSED + said, target: $('f-initial_access_token') }], 'invalid_token', title);
    } else {
      // The owner's client is changed under the session, which has ended; no token was sent.
      showErrors([{ message: state.owned ? SESSION_ENDED : TOKEN_REFUSED }], 'invalid_token', title);
    }
    return;
  }
  const b = res.body;
  if (b && typeof b.error === 'string' && typeof b.error_description === 'string') {
    const parsed = apiMember(b);
    const target = resolveTarget(parsed, where);
    showErrors([{ message: b.error_description, short: parsed ? parsed.rest : undefined, target }], b.error, title);
  } else {
    showErrors([{ message: describeFailure(res) }], b && typeof b.error === 'string' ? b.error : null, title);
  }
}
