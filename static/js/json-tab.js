// Registrar dashboard, New client form, JSON tab: the document Save sends, updated as the form
// changes; edited by hand, it is applied to the form or discarded.

import { $, setText } from './ui.js';
import { state } from './client-state.js';
import { SKIP } from './form-fields.js';
import { collect, fill } from './form-document.js';
import { clearFieldError, showFieldError } from './form-errors.js';

export function updateJson(force = false) {
  const status = $('json-status');
  if (state.jsonDirty && !force) {
    setText(status, 'Your edits to this document are not applied yet, and the form has changed since. '
      + 'Apply replaces the form with this document; Discard shows the form\'s document.');
    status.classList.add('is-dirty');
    return;
  }
  const { doc, problems } = collect();
  $('json-request').value = JSON.stringify(doc, null, 2);
  state.jsonDirty = false;
  status.classList.remove('is-dirty');
  const notes = [];
  const extra = Object.keys(state.extras);
  if (extra.length) notes.push(`Sent as they are (no form field): ${extra.join(', ')}.`);
  for (const p of problems) notes.push(`Left out: ${p.message}.`);
  setText(status, notes.join(' '));
}

export function applyJson() {
  const area = $('json-request');
  clearFieldError(area);
  let obj;
  try {
    obj = JSON.parse(area.value);
  } catch (e) {
    showFieldError(area, `Not valid JSON: ${e.message}`);
    area.focus();
    return;
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    showFieldError(area, 'The document must be a JSON object: { "client_name": … }');
    area.focus();
    return;
  }
  const ignored = Object.keys(obj).filter((k) => SKIP.has(k));
  fill(obj);
  state.formDirty = true;
  const msg = ['Applied to the form.'];
  if (ignored.length) msg.push(`Not taken from the document (the dashboard or the server sets them): ${ignored.join(', ')}.`);
  const extra = Object.keys(state.extras);
  if (extra.length) msg.push(`Sent as they are (no form field): ${extra.join(', ')}.`);
  setText($('json-status'), msg.join(' '));
}

/** Drops the edits of the JSON tab: it shows the form's document again. */
export function discardJson() {
  clearFieldError($('json-request'));
  updateJson(true);
  setText($('json-status'), 'JSON edits discarded: this is the form\'s document.');
}

/** The JSON tab was typed in: its document is no longer the form's. */
export function jsonEdited() {
  state.jsonDirty = true;
  const status = $('json-status');
  setText(status, 'Edited: Apply fills the form with this document; Discard goes back to the form\'s document.');
  status.classList.add('is-dirty');
}
