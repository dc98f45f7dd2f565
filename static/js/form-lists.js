// Registrar dashboard, New client form: the list editors (redirect URIs, contacts, post-logout
// redirect URIs, request URIs, ACR values), one input per entry, and the translations of the
// human-readable members (client_name#fr, ...).

import { $, clone, setText } from './ui.js';
import { L10N_BASES, nextId } from './form-fields.js';
import { clearFieldError } from './form-errors.js';
import { formChanged } from './form-dependent.js';

export function listFieldset(member) {
  return $(`g-${member}`);
}

export function listRows(member) {
  return [...listFieldset(member).querySelectorAll(':scope > .rows > li')];
}

export function listAdd(member, value = '', focus = false) {
  const fs = listFieldset(member);
  const li = clone('tpl-row');
  const input = li.querySelector('input');
  const id = nextId(`f-${member}`);
  input.id = id;
  if (fs.dataset.type === 'url') {
    input.type = 'url';
    input.inputMode = 'url';
  }
  input.placeholder = fs.dataset.placeholder || '';
  // The server's cap for one entry (docs/api.md, "Metadata rules"); a hint, the server decides.
  if (fs.dataset.maxlength) input.maxLength = Number(fs.dataset.maxlength);
  input.value = value;
  input.dataset.list = member;
  const err = li.querySelector('.field-error');
  err.id = `${id}-error`;
  input.setAttribute('aria-describedby', err.id);
  li.querySelector('label').htmlFor = id;
  li.querySelector('.remove').addEventListener('click', () => listRemove(member, li));
  fs.querySelector(':scope > .rows').append(li);
  renumber(member);
  if (focus) input.focus();
  return input;
}

function listRemove(member, li) {
  const rows = listRows(member);
  const index = rows.indexOf(li);
  if (rows.length === 1) {
    const input = li.querySelector('input');
    input.value = '';
    clearFieldError(input);
    input.focus();
  } else {
    li.remove();
    const rest = listRows(member);
    const next = rest[Math.min(index, rest.length - 1)];
    next.querySelector('input').focus();
    renumber(member);
  }
  formChanged();
}

function renumber(member) {
  const fs = listFieldset(member);
  const item = fs.dataset.item;
  listRows(member).forEach((li, i) => {
    setText(li.querySelector('label'), `${item} ${i + 1}`);
    setText(li.querySelector('.remove .sr-only'), `Remove ${item.toLowerCase()} ${i + 1}`);
  });
}

export function listSet(member, values) {
  listFieldset(member).querySelector(':scope > .rows').replaceChildren();
  const vs = values.length ? values : [''];
  for (const v of vs) listAdd(member, v);
}

export function listValues(member) {
  // [value, input] of the non-empty rows, in order
  const out = [];
  for (const li of listRows(member)) {
    const input = li.querySelector('input');
    const v = input.value.trim();
    if (v !== '') out.push([v, input]);
  }
  return out;
}

export function l10nRows() {
  return [...$('l10n-rows').children];
}

export function l10nAdd(member = 'client_name', tag = '', value = '', focus = false) {
  const li = clone('tpl-l10n');
  const base = nextId('l10n');
  const sel = li.querySelector('.l10n-member');
  const tagIn = li.querySelector('.l10n-tag');
  const valIn = li.querySelector('.l10n-value');
  sel.id = `${base}-member`;
  tagIn.id = `${base}-tag`;
  valIn.id = `${base}-value`;
  li.querySelector('.l10n-label-member').htmlFor = sel.id;
  li.querySelector('.l10n-label-tag').htmlFor = tagIn.id;
  li.querySelector('.l10n-label-value').htmlFor = valIn.id;
  const err = li.querySelector('.field-error');
  err.id = `${base}-error`;
  for (const c of [sel, tagIn, valIn]) {
    c.dataset.errorSlot = err.id;
    c.setAttribute('aria-describedby', err.id);
  }
  if (!L10N_BASES.includes(member)) member = 'client_name';
  sel.value = member;
  tagIn.value = tag;
  // The server's caps: a name 200 characters, a URL 2000 bytes (a hint; the server decides).
  const cap = () => { valIn.maxLength = sel.value === 'client_name' ? 200 : 2000; };
  cap();
  sel.addEventListener('change', cap);
  valIn.value = value;
  li.querySelector('.remove').addEventListener('click', () => {
    const rows = l10nRows();
    const i = rows.indexOf(li);
    li.remove();
    const rest = l10nRows();
    if (rest.length) rest[Math.min(i, rest.length - 1)].querySelector('.l10n-value').focus();
    else $('l10n-add').focus();
    renumberL10n();
    formChanged();
  });
  $('l10n-rows').append(li);
  renumberL10n();
  if (focus) sel.focus();
}

function renumberL10n() {
  l10nRows().forEach((li, i) => {
    const n = i + 1;
    const label = (cls, text) => {
      const l = li.querySelector(cls);
      l.replaceChildren(text);
      const sr = document.createElement('span');
      sr.className = 'sr-only';
      setText(sr, ` (translation ${n})`);
      l.append(sr);
    };
    label('.l10n-label-member', 'Member');
    label('.l10n-label-tag', 'Language');
    label('.l10n-label-value', 'Value');
    setText(li.querySelector('.remove .sr-only'), `Remove translation ${n}`);
  });
}
