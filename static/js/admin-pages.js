// Registrar dashboard, Admin section: the paged lists (clients, initial access tokens, audit
// events), each with its query, its page size and the cursors of the pages seen so far.

import { $, el, isObject } from './ui.js';
import {
  busy, clearError, clearFieldErrors, fail, request, signedIn,
} from './admin-session.js';

/**
 * name → { path, member, box, title, fields, pager, render }: the list's endpoint, the member
 * of the answer that holds it, its error box and title, the search fields by query parameter,
 * the id prefix of its pager and what renders a page. Registered by the module of each list.
 */
const lists = {};
export const pages = {};

export function registerList(name, spec) {
  lists[name] = spec;
  pages[name] = freshPage();
}

function freshPage() {
  return { cursors: [undefined], next: undefined, query: {}, limit: '20', loading: false };
}

export function resetPages() {
  for (const name of Object.keys(lists)) pages[name] = freshPage();
}

/** Back to the first page of a list, with a new query and page size. */
export function restart(name, query, limit) {
  const p = pages[name];
  p.query = query;
  p.limit = limit;
  p.cursors = [undefined];
}

function setPager(prefix, p) {
  $(`${prefix}-prev`).setAttribute('aria-disabled', String(p.cursors.length <= 1));
  $(`${prefix}-next`).setAttribute('aria-disabled', String(p.next === undefined));
  $(`${prefix}-page`).textContent = `Page ${p.cursors.length}`;
}

/** Loads the current page of a list; false when the API refused. */
export function loadPage(name) {
  return busy(() => loadPageNow(name));
}

async function loadPageNow(name) {
  const p = pages[name];
  const l = lists[name];
  const q = new URLSearchParams({ ...p.query, limit: p.limit });
  const cursor = p.cursors[p.cursors.length - 1];
  if (cursor !== undefined) q.set('cursor', cursor);
  p.loading = true;
  const res = await request('GET', `${l.path}?${q}`);
  p.loading = false;
  if (!signedIn()) return false; // signed out meanwhile
  if (res.status !== 200 || !isObject(res.body) || !Array.isArray(res.body[l.member])) {
    fail(l.box, res, l.title, l.fields);
    return false;
  }
  clearError(l.box);
  p.next = typeof res.body.next_cursor === 'string' ? res.body.next_cursor : undefined;
  l.render(res.body[l.member].filter(isObject));
  setPager(l.pager, p);
  return true;
}

async function pageStep(name, dir) {
  const p = pages[name];
  if (p.loading) return;
  if (dir > 0) {
    if (p.next === undefined) return;
    p.cursors.push(p.next);
    if (!(await loadPage(name))) p.cursors.pop();
  } else {
    if (p.cursors.length <= 1) return;
    const popped = p.cursors.pop();
    if (!(await loadPage(name))) p.cursors.push(popped);
  }
}

/** Wires the Previous and Next buttons of a list. */
export function wirePager(name) {
  const prefix = lists[name].pager;
  $(`${prefix}-prev`).addEventListener('click', () => pageStep(name, -1));
  $(`${prefix}-next`).addEventListener('click', () => pageStep(name, 1));
}

/** A filter form's Clear: empties the form and its field errors, then loads the first page of
 * the whole list at the page size `limit` shows. */
export async function clearFilter(name, form, limit) {
  form.reset();
  clearFieldErrors(form);
  restart(name, {}, limit.value);
  await loadPage(name);
}

/** The page sizes a list offers: within the admin API's `limit` (at most 100, 20 by default). */
const PAGE_SIZES = [10, 20, 50, 100];
const DEFAULT_PAGE_SIZE = 20;

/** Fills a "per page" select; the default is what a form reset returns to. */
export function offerPageSizes(select) {
  for (const n of PAGE_SIZES) {
    select.append(el('option', n === DEFAULT_PAGE_SIZE ? { value: String(n), selected: '' } : { value: String(n) }, String(n)));
  }
}
