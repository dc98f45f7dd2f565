// Registrar dashboard, the signed-in person's requests (docs/dashboard-sign-in.md): the session
// cookie authorises them and a change carries the session's CSRF token; and the client of
// `GET /dashboard/clients/{id}` (the admin API's shape) as the editor takes a registration.

import { api, describeFailure, isObject } from './ui.js';
import { account } from './account.js';

/** `/dashboard/clients/{id}`, or one of its actions (`client-secret`, `registration-access-token`). */
export function ownedPath(clientId, action) {
  return `/dashboard/clients/${encodeURIComponent(clientId)}${action ? `/${action}` : ''}`;
}

/** A request the session authorises (cookie, and the CSRF token for a change). */
export function sessionCall(method, path, json) {
  return api(method, path, { json, session: true, csrf: account.csrf });
}

/** The session expired or was signed out elsewhere: no token is involved, so say so. */
export const SESSION_ENDED = 'You are no longer signed in (the session expired or you signed out in another tab): sign in again.';

/** One sentence for an unsuccessful answer to a session request. */
export function sessionFailure(res) {
  return res.status === 401 ? SESSION_ENDED : describeFailure(res);
}

/**
 * The client of a `/dashboard/clients/{id}` answer as a registration: its metadata with
 * `client_id` and `client_id_issued_at`, `client_secret_expires_at` for a client with a secret,
 * and a `client_secret` the answer carries (an update that moved the client to a secret method
 * issues one). Null if the answer is not a client.
 */
export function asRegistration(body) {
  if (!isObject(body) || typeof body.client_id !== 'string' || !isObject(body.metadata)) return null;
  const reg = { ...body.metadata, client_id: body.client_id };
  if (Number.isFinite(body.client_id_issued_at)) reg.client_id_issued_at = body.client_id_issued_at;
  if (typeof body.client_secret === 'string') reg.client_secret = body.client_secret;
  // Present for a client with a secret (0: never expires), shown or not.
  if (Number.isFinite(body.client_secret_expires_at)) reg.client_secret_expires_at = body.client_secret_expires_at;
  return reg;
}
