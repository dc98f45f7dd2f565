// Registrar dashboard: signing in with the operator's OpenID Provider (docs/dashboard-sign-in.md).
// Shown only when the server has sign-in configured (`GET /dashboard/session` says `sign_in`);
// otherwise the dashboard stays anonymous, as it is without the settings. The session itself is
// an HttpOnly cookie this page never sees; the page keeps the session's CSRF token, which every
// request that changes something under the session carries. Sign out also ends the session at
// the provider when it offers RP-initiated logout: the server says where (`end_session_url`).

import {
  $, api, isObject, notice, setText, showView,
} from './ui.js';
import { byIdentity, endSession } from './admin-session.js';

/** What else forgets what the session showed at Sign out (my-clients.js: the owner's client in the editor). */
export const onSignOut = [];

/** What a failed sign-in's `?signin_error=` means, for the person who tried. */
const REASONS = {
  unavailable: 'Sign-in is not possible right now: the sign-in provider could not be reached or is misconfigured. Try again later, or tell the operator.',
  expired: 'The sign-in took too long, or was started in another window. Please sign in again.',
  state: 'The sign-in answer did not belong to this browser’s sign-in, so it was refused. Please sign in again.',
  declined: 'The sign-in was cancelled at the provider.',
  token: 'The sign-in provider did not accept this dashboard’s sign-in. Tell the operator.',
  id_token: 'The sign-in provider’s answer could not be verified, so it was refused. Tell the operator.',
};

/** The signed-in person, as `GET /dashboard/session` describes them. */
export const account = { available: false, signedIn: false, name: '', admin: false, csrf: '' };

/** Shows, and removes from the address, the reason of a sign-in that just failed. */
function reportFailedSignIn() {
  const url = new URL(window.location.href);
  const reason = url.searchParams.get('signin_error');
  if (reason === null) return;
  url.searchParams.delete('signin_error');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  notice(REASONS[reason] ?? 'The sign-in failed.', true);
}

function render() {
  $('account').hidden = !account.available;
  const signIn = $('sign-in');
  signIn.hidden = account.signedIn;
  // Back to this page (and view) after signing in.
  signIn.href = `/dashboard/signin?return_to=${encodeURIComponent(window.location.pathname + window.location.hash)}`;
  $('account-name').hidden = !account.signedIn;
  setText($('account-name'), account.signedIn ? `Signed in as ${account.name || 'you'}${account.admin ? ' (admin)' : ''}` : '');
  $('sign-out').hidden = !account.signedIn;
  $('nav-mine').hidden = !account.signedIn;
}

export async function loadAccount() {
  reportFailedSignIn();
  const res = await api('GET', '/dashboard/session', { session: true });
  // 404: a build without sign-in; anything else unexpected: stay anonymous.
  const b = res.status === 200 && res.body ? res.body : {};
  Object.assign(account, {
    available: b.sign_in === true,
    signedIn: b.signed_in === true,
    name: typeof b.name === 'string' ? b.name : '',
    admin: b.admin === true,
    csrf: typeof b.csrf === 'string' ? b.csrf : '',
  });
  render();
}

async function signOut() {
  const res = await api('POST', '/dashboard/signout', { session: true, csrf: account.csrf });
  if (res.status !== 204 && res.status !== 200) {
    notice('Signing out failed; reload the page and try again.', true);
    return;
  }
  Object.assign(account, { signedIn: false, name: '', admin: false, csrf: '' });
  render();
  // Nothing the session showed stays on the page: My clients, an Admin section it opened.
  if (byIdentity()) endSession();
  for (const forget of onSignOut) forget();
  if (!$('view-mine').hidden || ($('view-admin') && !$('view-admin').hidden)) showView('start');
  $('mine-table').querySelector('tbody').replaceChildren();
  const end = res.status === 200 && isObject(res.body) ? res.body.end_session_url : undefined;
  if (typeof end === 'string' && /^https?:\/\//.test(end)) {
    // The provider signs the person out too, and sends them back to this page.
    notice('You are signed out of the dashboard; signing you out at the sign-in provider…');
    window.location.assign(end);
    return;
  }
  notice('You are signed out of the dashboard.');
}

export function wireAccount() {
  $('sign-out').addEventListener('click', signOut);
  render();
}
