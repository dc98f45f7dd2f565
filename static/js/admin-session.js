// Registrar dashboard, Admin section: the admin token (page memory only), requests with it,
// busy marks, and the error summaries of the admin forms.

import { $, api, el, isObject } from './ui.js';

const ADMIN_REFUSED = 'The server refused the admin token: it is wrong, or it was changed on the server.';
const ADMIN_OFF = 'The admin API is disabled on this server: its ADMIN_TOKEN secret is not set. '
  + 'Set it (wrangler secret put ADMIN_TOKEN; locally, in .dev.vars) and sign in again.';

export const enc = encodeURIComponent;

const session = {
  token: null, // the admin token, in page memory only
  area: null, // #admin-area while signed in
  // Signed in to the dashboard as an admin (docs/dashboard-sign-in.md): the session's CSRF
  // token; requests go to /dashboard/admin/... with the session cookie instead of the token.
  identity: null,
};
let busyCount = 0;

export function signedIn() {
  return session.area !== null;
}

export function hasToken() {
  return session.token !== null || session.identity !== null;
}

/** Whether the section runs on the dashboard sign-in (an admin by identity), not a token. */
export function byIdentity() {
  return session.identity !== null;
}

/** Opens the section for an admin signed in to the dashboard: no admin token. */
export function startIdentitySession(csrf, area) {
  session.identity = csrf;
  session.area = area;
}

/** Keeps the token the server accepted and the signed-in part of the page. */
export function startSession(token, area) {
  session.token = token;
  session.area = area;
}

/** Forgets the token and removes the signed-in part of the page. */
export function endSession() {
  session.token = null;
  session.identity = null;
  if (session.area) session.area.remove();
  session.area = null;
}

// body[data-busy] marks the page while a request is out and its answer is being shown (as the
// New client form does), so tests and assistive technology can tell when the page has settled.
function setBusy(on) {
  busyCount += on ? 1 : -1;
  if (busyCount > 0) document.body.dataset.busy = 'true';
  else delete document.body.dataset.busy;
}

/** Runs fn (a request and the rendering of its answer) with the page marked busy. */
export async function busy(fn) {
  setBusy(true);
  try {
    return await fn();
  } finally {
    setBusy(false);
  }
}

export function request(method, path, { json, bearer = session.token } = {}) {
  if (session.identity !== null && bearer === null) {
    return api(method, path.replace(/^\/admin\//, '/dashboard/admin/'), { json, session: true, csrf: session.identity });
  }
  return api(method, path, { json, token: bearer });
}

/** Runs fn with the button marked busy (a second press meanwhile does nothing). */
export async function withButton(button, label, fn) {
  if (button.getAttribute('aria-busy') === 'true') return undefined;
  const idle = button.textContent;
  button.textContent = label;
  button.setAttribute('aria-busy', 'true');
  button.setAttribute('aria-disabled', 'true');
  try {
    return await busy(fn);
  } finally {
    button.textContent = idle;
    button.removeAttribute('aria-busy');
    button.removeAttribute('aria-disabled');
  }
}

/** What an unsuccessful admin response means: { code, message, member, rest }. */
export function explain(res) {
  if (res.status === 0) return { code: null, message: `The server could not be reached (${res.message}).` };
  const b = isObject(res.body) ? res.body : {};
  const code = typeof b.error === 'string' ? b.error : null;
  const desc = typeof b.error_description === 'string' ? b.error_description : '';
  if (res.status === 401) return { code: code || 'invalid_token', message: `${ADMIN_REFUSED} Sign out, then sign in with the current one.` };
  if (res.status === 404 && /admin API is disabled/i.test(desc)) return { code, message: ADMIN_OFF };
  if (code) {
    const m = /^([a-z_]+):\s*([\s\S]*)$/.exec(desc);
    return { code, message: desc || code, member: m ? m[1] : undefined, rest: m ? m[2] : undefined };
  }
  return { code: null, message: `The server answered HTTP ${res.status}.` };
}

export function clearFieldErrors(form) {
  if (!form) return;
  for (const e of form.querySelectorAll('[aria-invalid="true"]')) e.removeAttribute('aria-invalid');
  for (const e of form.querySelectorAll('.field-error')) {
    e.hidden = true;
    e.textContent = '';
  }
}

function fieldError(input, message) {
  const slot = $(`${input.id}-error`);
  if (slot) {
    slot.textContent = message;
    slot.hidden = false;
  }
  input.setAttribute('aria-invalid', 'true');
}

/** Clears a field's error as soon as it is edited (ids of the fields). */
export function clearOnInput(ids) {
  for (const id of ids) {
    $(id).addEventListener('input', () => {
      if ($(id).getAttribute('aria-invalid') === 'true') {
        $(id).removeAttribute('aria-invalid');
        $(`${id}-error`).hidden = true;
      }
    });
  }
}

export function clearError(boxId) {
  const box = $(boxId);
  if (!box) return;
  box.hidden = true;
  box.querySelector('.es-list').replaceChildren();
}

/** The error summary (same look and behaviour as the New client form's): title, code, items with links. */
export function showError(boxId, title, code, items) {
  const box = $(boxId);
  box.querySelector('.es-title').textContent = title;
  const codeLine = box.querySelector('.es-code');
  codeLine.replaceChildren();
  if (code) codeLine.append('Error ', el('code', {}, code), ':');
  codeLine.hidden = !code;
  const list = box.querySelector('.es-list');
  list.replaceChildren();
  for (const item of items) {
    const li = el('li');
    if (item.target) {
      fieldError(item.target, item.short || item.message);
      const a = el('a', { href: `#${item.target.id}` }, item.message);
      a.addEventListener('click', (e) => {
        e.preventDefault();
        item.target.focus();
      });
      li.append(a);
    } else {
      li.textContent = item.message;
    }
    list.append(li);
  }
  box.hidden = false;
  box.focus();
  box.scrollIntoView({ block: 'nearest' });
}

/** An unsuccessful answer in a summary; `fields` maps the member it names to a field's id. */
export function fail(boxId, res, title, fields = {}) {
  const x = explain(res);
  const target = x.member && fields[x.member] ? $(fields[x.member]) : null;
  showError(boxId, title, x.code, [{ message: x.message, target, short: x.rest }]);
}
