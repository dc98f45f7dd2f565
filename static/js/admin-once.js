// Registrar dashboard, Admin section: values the API shows once (a minted initial access token,
// a rotated client secret, a re-issued registration access token), with Copy, Download and a
// warning; dropping one that was neither copied nor downloaded asks first.

import {
  $, confirmDialog, copyText, downloadText,
} from './ui.js';

const unkept = new Map(); // id of a one-time box → what it shows, while neither copied nor downloaded
const once = {}; // id of a one-time box → { value, json, file }

/** True while a value shown once has been neither copied nor downloaded. */
export function hasUnkept() {
  return unkept.size > 0;
}

/** Asks before dropping one-time values that were neither copied nor downloaded (all by default). */
export async function mayDrop(ids = [...unkept.keys()]) {
  const open = ids.filter((id) => unkept.has(id));
  if (!open.length) return true;
  const what = open.map((id) => unkept.get(id)).join(', and the ');
  const ok = await confirmDialog({
    title: 'Drop a value shown only once?',
    text: `The ${what} has been neither copied nor downloaded. The server cannot show it again.`,
    ok: 'Drop it',
  });
  if (ok) for (const id of open) unkept.delete(id);
  return ok;
}

export function kept(id) {
  unkept.delete(id);
}

/** Forgets every value shown once (signing out). */
export function forgetAll() {
  unkept.clear();
  for (const k of Object.keys(once)) delete once[k];
}

export function hideOnce(id) {
  unkept.delete(id);
  delete once[id];
  const box = $(id);
  if (!box) return;
  box.hidden = true;
  for (const input of box.querySelectorAll('input, textarea')) input.value = '';
}

function downloadJson(id) {
  const o = once[id];
  if (!o || !o.json) return;
  downloadText(`${JSON.stringify(o.json, null, 2)}\n`, o.file);
  kept(id);
}

export function showOnce(id, { title, label, value, warning, json, file, what }) {
  once[id] = { value, json, file };
  unkept.set(id, what);
  $(`${id}-title`).textContent = title;
  if (label !== undefined) $(`${id}-label`).textContent = label;
  if (warning !== undefined) $(`${id}-warning`).textContent = warning;
  $(`${id}-value`).value = value;
  const fileLine = $(`${id}-file`);
  if (fileLine) fileLine.textContent = file || '';
  $(id).hidden = false;
  $(`${id}-title`).focus();
  $(id).scrollIntoView({ block: 'nearest' });
}

/** Wires a Copy button of a one-time box: copying keeps the value. */
export function copyButton(buttonId, id, sourceId, what) {
  $(buttonId).addEventListener('click', async (e) => {
    const w = typeof what === 'function' ? what() : what;
    if (await copyText($(sourceId).value, w, $(sourceId), e.currentTarget)) kept(id);
  });
}

/** Wires the Download button of a one-time box. */
export function downloadButton(buttonId, id) {
  $(buttonId).addEventListener('click', () => downloadJson(id));
}
