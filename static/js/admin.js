// Registrar dashboard, Admin section: a browser client of this origin's admin API
// (docs/protected-registration.md, "Admin API"). This module signs in and out and mounts the
// section; its tabs are admin-clients.js, admin-tokens.js and admin-audit.js.
//
// Rules the Admin section keeps, on top of ui.js's:
// - The admin token lives only in page memory (admin-session.js). It is never written to
//   localStorage, sessionStorage, cookies or the URL, and the password field is emptied once the
//   server accepted it. Sign out forgets it and removes the signed-in part of the page (lists,
//   details, values shown once) from the document.
// - Values the API shows once (a minted initial access token, a rotated client secret, a
//   re-issued registration access token) come with Copy and a warning. Replacing or dropping one
//   that was neither copied nor downloaded asks first (admin-once.js).

import {
  $, TOKEN_CHARS, announce, clone, hideNotice, notice, showView,
} from './ui.js';
import {
  byIdentity, clearError, clearFieldErrors, endSession, explain, hasToken, request, showError,
  startIdentitySession, startSession, withButton,
} from './admin-session.js';
import { account } from './account.js';
import {
  copyButton, downloadButton, forgetAll, mayDrop,
} from './admin-once.js';
import { loadPage, resetPages } from './admin-pages.js';
import { refresh, wireAdminTabs } from './admin-tabs.js';
import { forgetDetail, wireClients } from './admin-clients.js';
import { wireTokens } from './admin-tokens.js';
import { wireAudit } from './admin-audit.js';

export { hasUnkept } from './admin-once.js';

let view = null; // #view-admin once mounted

function setSignedIn(on) {
  $('admin-signin').hidden = on;
  $('a-signout').hidden = !on || byIdentity();
  let state = 'Not signed in';
  if (on) {
    state = byIdentity()
      ? `Signed in as ${account.name || 'you'}, an admin of this dashboard.`
      : 'Signed in. The admin token is kept in this tab\'s memory only.';
  }
  $('admin-state').textContent = state;
}

/** The signed-in part of the page, from its template. */
function mountArea() {
  const node = clone('tpl-admin-area');
  $('admin-area-slot').append(node);
  wireAdminTabs();
  wireClients();
  copyButton('a-once-copy', 'a-once', 'a-once-value', () => $('a-once-label').textContent.toLowerCase());
  downloadButton('a-once-download', 'a-once');
  wireTokens();
  wireAudit();
  return node;
}

async function signIn(e) {
  e.preventDefault();
  const input = $('a-token');
  clearFieldErrors($('a-signin-form'));
  clearError('a-signin-error');
  const value = input.value.trim();
  let problem = null;
  if (!value) problem = 'Enter the admin token.';
  else if (!TOKEN_CHARS.test(value)) problem = 'An admin token has no spaces or special characters: check what you pasted.';
  if (problem) {
    showError('a-signin-error', 'Not signed in', null, [{ message: problem, target: input }]);
    return;
  }
  await withButton($('a-signin'), 'Signing in…', async () => {
    const res = await request('GET', '/admin/clients?limit=1', { bearer: value });
    if (res.status !== 200) {
      const x = explain(res);
      const message = res.status === 401 ? 'The admin token is wrong: the server refused it.' : x.message;
      showError('a-signin-error', 'Not signed in', x.code, [{ message, target: res.status === 401 ? input : null }]);
      return;
    }
    if (hasToken()) return; // signed in meanwhile (a second press)
    input.value = '';
    resetPages();
    startSession(value, mountArea());
    setSignedIn(true);
    hideNotice();
    announce('Signed in.');
    $('atab-clients').focus();
    await loadPage('clients');
  });
}

async function signOut() {
  if (!(await mayDrop())) return;
  endSession();
  forgetDetail();
  forgetAll();
  resetPages();
  setSignedIn(false);
  notice('Signed out: this page no longer holds the admin token.');
  $('a-token').focus();
}

function mount() {
  if (view) return;
  view = clone('tpl-admin');
  view.hidden = true;
  $('main').append(view);
  $('a-signin-form').addEventListener('submit', signIn);
  $('a-signout').addEventListener('click', signOut);
  setSignedIn(false);
}

/** Shows the Admin view (after app.js checked that the current view may be left). */
export function open() {
  mount();
  showView('admin');
  if (!hasToken() && account.admin) {
    // An admin by identity: the section opens without the admin token.
    resetPages();
    startIdentitySession(account.csrf, mountArea());
    setSignedIn(true);
    $('admin-title').focus();
    loadPage('clients');
    return;
  }
  if (hasToken()) {
    $('admin-title').focus();
    refresh();
  } else {
    $('a-token').focus();
  }
}
