// Registrar dashboard, Check metadata: sends a pasted document to POST /metadata/validate, or a
// Client ID Metadata Document's URL to GET /metadata/validate?url= (the server fetches it), and
// shows every error beside its member (with the value sent there, for pasted JSON), the
// warnings and the normalized metadata, which "Register with this" puts into the New client
// form. Nothing is registered here. Every value is rendered as text.

import {
  $, announce, api, describeFailure, showView,
} from './ui.js';
import { startNewWith } from './client-editor.js';

/** The value at `member` (`redirect_uris[1]`, `jwks.keys[0]`, `client_name#fr`) of `doc`. */
export function valueAt(doc, member) {
  let v = doc;
  for (const part of member.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (v === null || typeof v !== 'object') return undefined;
    v = part.startsWith('[') ? v[Number(part.slice(1, -1))] : v[part];
  }
  return v;
}

let normalized = null;

function item(list, { member, error, description }, doc) {
  const li = document.createElement('li');
  if (member) {
    const m = document.createElement('span');
    m.className = 'member';
    m.textContent = member;
    li.append(m, ': ');
  }
  li.append(error ? `${description} (${error})` : description);
  const sent = member ? valueAt(doc, member) : undefined;
  if (sent !== undefined) {
    const s = document.createElement('span');
    s.className = 'sent muted';
    s.textContent = `sent: ${JSON.stringify(sent)}`;
    li.append(s);
  }
  li.dataset.member = member || '';
  list.append(li);
}

function render(body, doc) {
  const errors = $('check-errors');
  const warnings = $('check-warnings');
  errors.replaceChildren();
  warnings.replaceChildren();
  for (const e of body.errors) item(errors, e, doc);
  for (const w of body.warnings) item(warnings, w, doc);
  $('check-errors-section').hidden = body.errors.length === 0;
  $('check-warnings-section').hidden = body.warnings.length === 0;
  normalized = body.valid ? body.normalized : null;
  $('check-normalized').value = normalized ? JSON.stringify(normalized, null, 2) : '';
  $('check-normalized-section').hidden = !normalized;
  const n = body.errors.length;
  const w = body.warnings.length;
  const verdict = body.valid
    ? `Valid${w ? `, with ${w} warning${w === 1 ? '' : 's'}` : ''}`
    : `Not valid: ${n} error${n === 1 ? '' : 's'}${w ? `, ${w} warning${w === 1 ? '' : 's'}` : ''}`;
  $('check-verdict').textContent = verdict;
  const d = body.document;
  const fetched = $('check-fetched');
  fetched.hidden = !d;
  if (d) {
    const at = new Date(d.fetched_at * 1000).toISOString();
    fetched.textContent = `Fetched ${d.url} at ${at}; the server would cache this for ${d.cache_seconds} seconds.`;
  }
  $('check-result').hidden = false;
  $('check-verdict').focus();
}

const byUrl = () => document.querySelector('input[name="check-source"]:checked')?.value === 'url';

/** Shows `text` beside the input in use (the text area or the URL), or clears both. */
function inputError(text) {
  for (const [field, shown] of [['check-input', !byUrl()], ['check-url', byUrl()]]) {
    const el = $(`${field}-error`);
    el.textContent = shown ? text : '';
    el.hidden = !(shown && text);
    $(field).setAttribute('aria-invalid', shown && text ? 'true' : 'false');
  }
}

function showSource() {
  $('check-json-fields').hidden = byUrl();
  $('check-url-fields').hidden = !byUrl();
  inputError('');
}

/** Sends the request and shows its answer; `doc` is what was pasted (`{}` for a URL). */
async function send(method, path, json, doc) {
  const button = $('check-run');
  button.setAttribute('aria-busy', 'true');
  const res = await api(method, path, { json });
  button.removeAttribute('aria-busy');
  if (res.status !== 200 || !res.body || !Array.isArray(res.body.errors)) {
    $('check-result').hidden = true;
    inputError(describeFailure(res));
    return;
  }
  render(res.body, doc);
  announce($('check-verdict').textContent);
}

async function run(e) {
  e.preventDefault();
  inputError('');
  if (byUrl()) {
    const url = $('check-url').value.trim();
    // Everything else about the URL is the server's to say (its rules, beside `url`).
    if (!url) {
      inputError('Give the document\'s URL, e.g. https://app.example/client.json');
      $('check-url').focus();
      return;
    }
    await send('GET', `/metadata/validate?url=${encodeURIComponent(url)}`, undefined, {});
    return;
  }
  let doc;
  try {
    doc = JSON.parse($('check-input').value);
  } catch (err) {
    inputError(`Not valid JSON: ${err.message}`);
    $('check-input').focus();
    return;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    inputError('The document must be a JSON object: { "redirect_uris": … }');
    $('check-input').focus();
    return;
  }
  const path = $('check-cimd').checked ? '/metadata/validate?profile=cimd' : '/metadata/validate';
  await send('POST', path, doc, doc);
}

/** Shows the Check metadata view. */
export function open() {
  showView('check');
  $('check-title').focus();
}

/** Wires the view's form (once, at start). */
export function wireCheck() {
  $('check-form').addEventListener('submit', run);
  for (const radio of document.querySelectorAll('input[name="check-source"]')) radio.addEventListener('change', showSource);
  $('check-register').addEventListener('click', () => {
    if (normalized) startNewWith(normalized);
  });
}
