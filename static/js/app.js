// Registrar dashboard: a browser client of this origin's registration API (RFC 7591 / RFC 7592),
// of its metadata check and of its admin API. ES modules, no build step; this one, loaded by
// index.html, wires the page. The views:
// - the New client form and a loaded client: client-editor.js (Save, Delete), form-*.js
//   (fields, choices from discovery.js, lists, rules, errors, tabs), json-tab.js, result.js;
// - Manage a client: manage.js;  Check metadata: check.js;
// - signed in: account.js, My clients: my-clients.js (the owner's client in the editor: owned-api.js);
// - Admin: admin.js (sign in), admin-clients.js, admin-tokens.js, admin-audit.js.
// What they share is ui.js; the client on screen is client-state.js. ui.js says the rules.

import {
  $, addLiveRegion, copyText, hideNotice, showView,
} from './ui.js';
import { loadDiscovery } from './discovery.js';
import { state } from './client-state.js';
import { LIST_MEMBERS } from './form-fields.js';
import { buildCryptoGroups, buildOptions } from './form-choices.js';
import {
  l10nAdd, listAdd, listFieldset, listSet,
} from './form-lists.js';
import { formChanged, onChoiceChange } from './form-dependent.js';
import { clearFieldError } from './form-errors.js';
import { wireTabs } from './form-tabs.js';
import { applyJson, discardJson, jsonEdited } from './json-tab.js';
import { deleteClient, save, startNew } from './client-editor.js';
import { goStart, goTo } from './navigation.js';
import { copyJson, download } from './result.js';
import { manageByFile, manageByToken } from './manage.js';
import * as check from './check.js';
import * as admin from './admin.js';
import { loadAccount, wireAccount } from './account.js';
import * as mine from './my-clients.js';

function wireForm() {
  buildCryptoGroups();
  for (const m of LIST_MEMBERS) {
    const fs = listFieldset(m);
    fs.querySelector('.add-row').addEventListener('click', () => { listAdd(m, '', true); formChanged(); });
    listSet(m, []);
  }
  $('l10n-add').addEventListener('click', () => { l10nAdd('client_name', '', '', true); formChanged(); });

  const form = $('client-form');
  form.addEventListener('submit', save);
  const onEdit = (e) => {
    const t = e.target;
    if (t.id === 'json-request') {
      if (e.type === 'input') jsonEdited();
      return;
    }
    if (e.type === 'change' && t.matches('.choice input')) onChoiceChange(t);
    if (t.getAttribute('aria-invalid') === 'true' || t.closest('fieldset[aria-invalid="true"]')) clearFieldError(t);
    formChanged();
  };
  form.addEventListener('input', onEdit);
  form.addEventListener('change', onEdit);

  wireTabs();
  $('json-apply').addEventListener('click', applyJson);
  $('json-reset').addEventListener('click', discardJson);
}

function init() {
  addLiveRegion();
  $('refresh-note').setAttribute('aria-live', 'polite');
  wireForm();
  check.wireCheck();

  $('nav-new').addEventListener('click', startNew);
  $('start-new').addEventListener('click', startNew);
  $('nav-home').addEventListener('click', () => goStart());
  $('nav-manage').addEventListener('click', () => goStart('m-client_id'));
  $('nav-admin').addEventListener('click', () => goTo(admin));
  $('nav-mine').addEventListener('click', () => goTo(mine));
  $('nav-check').addEventListener('click', () => goTo(check));
  // The owner's client came from My clients, and goes back there.
  $('cancel').addEventListener('click', () => (state.owned ? goTo(mine) : goStart()));
  $('delete').addEventListener('click', async () => {
    const owned = state.owned;
    if ((await deleteClient()) && owned) await mine.open();
  });
  $('rotate').addEventListener('click', mine.rotateShown);
  $('manage-form').addEventListener('submit', manageByToken);
  $('m-file').addEventListener('change', manageByFile);
  $('notice-close').addEventListener('click', hideNotice);
  $('discovery-retry').addEventListener('click', () => loadDiscovery(buildOptions));

  $('download').addEventListener('click', download);
  $('json-download').addEventListener('click', download);
  $('copy-json').addEventListener('click', copyJson);
  $('json-copy').addEventListener('click', copyJson);
  for (const b of document.querySelectorAll('button.copy')) {
    b.setAttribute('aria-label', `Copy ${b.dataset.copyWhat}`);
    b.addEventListener('click', () => {
      const src = $(b.dataset.copy);
      copyText(src.value, b.dataset.copyWhat, src, b);
    });
  }

  window.addEventListener('beforeunload', (e) => {
    if (state.unsaved || admin.hasUnkept()) {
      e.preventDefault();
      e.returnValue = '';
    }
  });

  wireAccount();
  mine.wireMine();
  showView('start');
  loadDiscovery(buildOptions);
  loadAccount();
}

init();
