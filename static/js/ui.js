// Registrar dashboard, what every view shares: DOM helpers (text only), the page's notices and
// announcements, times, the API call, copy, download, the confirmation dialog, views and
// tab-list keys. No module touches the document when imported; app.js wires the page.
//
// Rules every module of the dashboard keeps:
// - Credentials (client secret, registration access token, admin token) live only in page
//   memory. Nothing is written to localStorage, sessionStorage, cookies or the URL.
// - Every value that comes from the API or from the user is rendered with textContent, .value or
//   setAttribute; never parsed as HTML (the CSP also requires Trusted Types for HTML sinks).

export const $ = (id) => document.getElementById(id);

/**
 * Authentication methods whose clients are issued a client secret (the server's
 * `AuthMethod::uses_secret`; it refuses `client_secret_jwt`, which needs the plain secret).
 */
export const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);

/** What a bearer token (registration access, initial access, admin) can be made of. */
export const TOKEN_CHARS = /^[\x21-\x7e]+$/;

export const TOKEN_REFUSED = 'The server refused the registration access token: either the token is wrong '
  + '(it changes every time the client is saved) or the client no longer exists.';

export function setText(node, text) {
  node.textContent = text;
}

/** An element with attributes and text; never HTML. */
export function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

export function srOnly(text) {
  return el('span', { class: 'sr-only' }, text);
}

/** The first element of a <template>, cloned. */
export function clone(templateId) {
  return $(templateId).content.firstElementChild.cloneNode(true);
}

export function addDescribedBy(node, id) {
  const ids = (node.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) ids.push(id);
  node.setAttribute('aria-describedby', ids.join(' '));
}

export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function isStringArray(v) {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** A file name part made of an identifier (a client ID). */
export function fileSafe(id) {
  return String(id).replace(/[^A-Za-z0-9._-]/g, '_');
}

// ----------------------------------------------------------------------------------------------
// Announcements and the notice line
// ----------------------------------------------------------------------------------------------

/** The live region for short announcements (copy, download); app.js adds it once. */
export function addLiveRegion() {
  const live = el('div', { id: 'live', class: 'sr-only', 'aria-live': 'polite' });
  document.body.append(live);
}

export function announce(text) {
  const live = $('live');
  live.textContent = '';
  // A fresh text node after a tick makes screen readers announce repeated messages too.
  setTimeout(() => { live.textContent = text; }, 30);
}

export function notice(text, isError = false) {
  setText($('notice-text'), text);
  $('notice').classList.toggle('is-error', isError);
  $('notice').hidden = false;
}

export function hideNotice() {
  $('notice').hidden = true;
  setText($('notice-text'), '');
}

// ----------------------------------------------------------------------------------------------
// Times
// ----------------------------------------------------------------------------------------------

/** Unix seconds as a local date and time; "—" when there is none. */
export function formatTime(seconds, withSeconds = false) {
  if (!Number.isFinite(seconds)) return '—';
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: withSeconds ? 'medium' : 'short' });
}

/** A <time> element of Unix seconds (ISO in datetime and title), or "—". */
export function timeEl(seconds, withSeconds = false) {
  if (!Number.isFinite(seconds)) return el('span', {}, '—');
  const iso = new Date(seconds * 1000).toISOString();
  return el('time', { datetime: iso, title: iso }, formatTime(seconds, withSeconds));
}

// ----------------------------------------------------------------------------------------------
// API
// ----------------------------------------------------------------------------------------------

/** A request to this origin: { status, body, text, retryAfter }, or { status: 0, message }. */
export async function api(method, path, { json, token, csrf, session = false } = {}) {
  const headers = { accept: 'application/json' };
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  // The sign-in session's CSRF token (account.js): every request the session cookie authorises
  // that changes something carries it.
  if (csrf) headers['x-registrar-csrf'] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      // The session cookie goes only to the /dashboard/ endpoints that read it.
      credentials: session ? 'same-origin' : 'omit',
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

/** One sentence for an unsuccessful answer of the public API. */
export function describeFailure(res) {
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
// Download, copy, confirm
// ----------------------------------------------------------------------------------------------

/** Saves text as a JSON file of this name (nothing leaves the page but the download). */
export function downloadText(text, fileName) {
  const blob = new Blob([text], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: fileName });
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  announce(`Downloading ${fileName}.`);
}

export async function copyText(text, what, source, button) {
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

export function confirmDialog({ title, text, ok }) {
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

// ----------------------------------------------------------------------------------------------
// Views and tab lists
// ----------------------------------------------------------------------------------------------

/** Shows one view of <main>: start, editor, check or admin (once mounted). */
export function showView(name) {
  $('view-start').hidden = name !== 'start';
  $('view-editor').hidden = name !== 'editor';
  $('view-check').hidden = name !== 'check';
  $('view-mine').hidden = name !== 'mine';
  const adminView = $('view-admin');
  if (adminView) adminView.hidden = name !== 'admin';
}

/** Selects `tab` of the list `all`: only its panel shown, only it in the tab order. */
export function showTab(all, tab) {
  for (const t of all) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
}

/**
 * The keydown handler of a WAI-ARIA tab list: arrows move to the next or previous tab,
 * wrapping; Home and End to the first and last. `tabsOf()` lists the tabs, `select(tab, true)`
 * selects and focuses one.
 */
export function tabKeyHandler(tabsOf, select) {
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
