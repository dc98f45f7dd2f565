// Registrar dashboard, Admin section, Initial access tokens: mint one (shown once, with a
// command line that registers a client with it, or straight into the New client form), and
// the paged list with Revoke.

import {
  $, announce, confirmDialog, el, formatTime, isObject, srOnly, timeEl,
} from './ui.js';
import { registrationEndpoint } from './discovery.js';
import {
  clearError, clearFieldErrors, clearOnInput, enc, fail, request, showError, signedIn, withButton,
} from './admin-session.js';
import {
  copyButton, kept, mayDrop, showOnce,
} from './admin-once.js';
import {
  cell, dash, ident, pill, plural, row, tableRoles,
} from './admin-table.js';
import {
  loadPage, pages, registerList, wirePager,
} from './admin-pages.js';
import { startNewWithIat } from './client-editor.js';

const MINT_FIELDS = { label: 'a-label', expires_in: 'a-expires', max_uses: 'a-max-uses', profile: 'a-profile' };

/** A word for a shell command line, quoted when needed. */
function shellWord(s) {
  return /^[A-Za-z0-9_:/.@%+=,~-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

function iatState(t, now = Date.now() / 1000) {
  if (typeof t.state === 'string') return t.state;
  if (t.revoked_at !== undefined) return 'revoked';
  if (t.expires_at <= now) return 'expired';
  if (t.uses >= t.max_uses) return 'exhausted';
  return 'active';
}

function renderIats(tokens) {
  const body = $('a-iats-table').querySelector('tbody');
  body.replaceChildren();
  for (const t of tokens) {
    const tr = row();
    tr.dataset.iatId = String(t.id);
    const state = iatState(t);
    const actions = cell('');
    if (state !== 'revoked') {
      const b = el('button', { type: 'button', class: 'btn btn-secondary btn-small' }, 'Revoke');
      b.append(srOnly(` token “${String(t.label)}”`));
      b.addEventListener('click', () => revokeIat(t, b));
      actions.append(b);
    } else if (Number.isFinite(t.revoked_at)) {
      actions.append(el('span', { class: 'muted' }, 'Revoked '), timeEl(t.revoked_at));
    }
    tr.append(
      cell('Label', el('span', { class: 'value-text' }, String(t.label ?? ''))),
      cell('State', pill(state)),
      cell('Uses', el('span', {}, `${t.uses} / ${t.max_uses}`)),
      cell('Expires', timeEl(t.expires_at)),
      cell('Created', timeEl(t.created_at)),
      cell('Profile', typeof t.profile === 'string' ? ident(t.profile) : dash()),
      actions,
    );
    body.append(tr);
  }
  $('a-iats-table').hidden = tokens.length === 0;
  $('a-iats-empty').hidden = tokens.length !== 0;
  $('a-iats-status').textContent = tokens.length ? `${plural(tokens.length, 'token')} on page ${pages.iats.cursors.length}.` : '';
}

function mintBody() {
  const form = $('a-mint-form');
  clearFieldErrors(form);
  const problems = [];
  const label = $('a-label').value.trim();
  if (!label) problems.push({ target: $('a-label'), message: 'Label: enter what the token is for' });
  const amount = $('a-expires').value.trim();
  let expiresIn;
  if (!/^\d{1,9}$/.test(amount) || Number(amount) < 1) {
    problems.push({ target: $('a-expires'), message: 'Expires in: enter a whole number, 1 or more' });
  } else {
    expiresIn = Number(amount) * Number($('a-expires-unit').value);
  }
  const uses = $('a-max-uses').value.trim();
  if (!/^\d{1,9}$/.test(uses) || Number(uses) < 1) {
    problems.push({ target: $('a-max-uses'), message: 'Max uses: enter a whole number, 1 or more' });
  }
  const profile = $('a-profile').value.trim();
  const body = { label, expires_in: expiresIn, max_uses: Number(uses) };
  if (profile) body.profile = profile;
  return { body, problems };
}

function commandLine(value) {
  const endpoint = registrationEndpoint();
  const example = JSON.stringify({ client_name: 'My app', redirect_uris: ['https://app.example/callback'] });
  return [
    `curl -X POST ${shellWord(endpoint)} \\`,
    `  -H ${shellWord(`Authorization: Bearer ${value}`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellWord(example)}`,
  ].join('\n');
}

async function mint(e) {
  e.preventDefault();
  const { body, problems } = mintBody();
  if (problems.length) {
    showError('a-mint-error', 'Check the form', null, problems);
    return;
  }
  clearError('a-mint-error');
  if (!(await mayDrop(['a-minted']))) return;
  await withButton($('a-mint'), 'Minting…', async () => {
    const res = await request('POST', '/admin/initial-access-tokens', { json: body });
    if (!signedIn()) return;
    if (res.status !== 201 || !isObject(res.body) || typeof res.body.token !== 'string') {
      fail('a-mint-error', res, 'The token was not minted', MINT_FIELDS);
      return;
    }
    await showMinted(res.body);
  });
}

async function showMinted(t) {
  const facts = [`Expires ${formatTime(t.expires_at)}`, `${plural(t.max_uses, 'registration')} allowed`,
    typeof t.profile === 'string' ? `profile ${t.profile}` : 'default profile'];
  $('a-minted-facts').textContent = `${facts.join(' · ')}.`;
  $('a-minted-command').value = commandLine(t.token);
  showOnce('a-minted', {
    title: `Token minted: ${t.label}`,
    value: t.token,
    what: `initial access token “${t.label}”`,
  });
  $('a-label').value = '';
  pages.iats.cursors = [undefined];
  await loadPage('iats');
  announce('Token minted. Copy it now: it is shown only once.');
}

async function revokeIat(t, button) {
  const ok = await confirmDialog({
    title: 'Revoke this token?',
    text: `The initial access token “${t.label}” stops working at once: registrations with it are refused. `
      + 'Clients already registered with it stay.',
    ok: 'Revoke token',
  });
  if (!ok) return;
  await withButton(button, 'Revoking…', async () => {
    const res = await request('DELETE', `/admin/initial-access-tokens/${enc(t.id)}`);
    if (!signedIn()) return;
    if (res.status !== 204) {
      fail('a-iats-error', res, 'The token was not revoked');
      return;
    }
    await loadPage('iats');
    $('a-iats-status').textContent = `Token “${t.label}” revoked. ${$('a-iats-status').textContent}`;
    $('a-iats-title').focus();
  });
}

// ------------------------------------------------------------------------------------------
// Audit log
// ------------------------------------------------------------------------------------------

registerList('iats', {
  path: '/admin/initial-access-tokens',
  member: 'initial_access_tokens',
  box: 'a-iats-error',
  title: 'The tokens could not be listed',
  fields: {},
  pager: 'a-iats',
  render: renderIats,
});

/** Wires the Initial access tokens tab of a freshly mounted admin area. */
export function wireTokens() {
  tableRoles($('a-iats-table'));
  $('a-mint-form').addEventListener('submit', mint);
  copyButton('a-minted-copy', 'a-minted', 'a-minted-value', 'initial access token');
  copyButton('a-minted-copy-command', 'a-minted', 'a-minted-command', 'command line');
  $('a-minted-use').addEventListener('click', async () => {
    const value = $('a-minted-value').value;
    if (await startNewWithIat(value)) kept('a-minted');
  });
  $('a-iats-refresh').addEventListener('click', () => loadPage('iats'));
  wirePager('iats');
  clearOnInput(Object.values(MINT_FIELDS));
}
