// Registrar dashboard, Check metadata: sends a pasted document to POST /metadata/validate and
// shows every error beside its member (with the value sent there), the warnings and the
// normalized metadata, which "Register with this" puts into the New client form. Nothing is
// registered here. Imported by app.js, which passes the helpers it shares. Every value is
// rendered as text.

const $ = (id) => document.getElementById(id);

/** The value at `member` (`redirect_uris[1]`, `jwks.keys[0]`, `client_name#fr`) of `doc`. */
export function valueAt(doc, member) {
  let v = doc;
  for (const part of member.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (v === null || typeof v !== 'object') return undefined;
    v = part.startsWith('[') ? v[Number(part.slice(1, -1))] : v[part];
  }
  return v;
}

/**
 * app: api(method, path, opts), describeFailure(res), showView(name), announce(text),
 * startNewWith(doc) → Promise<boolean>.
 */
export function createCheck(app) {
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
    $('check-result').hidden = false;
    $('check-verdict').focus();
  }

  function inputError(text) {
    const el = $('check-input-error');
    el.textContent = text;
    el.hidden = !text;
    $('check-input').setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  async function run(e) {
    e.preventDefault();
    inputError('');
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
    const button = $('check-run');
    button.setAttribute('aria-busy', 'true');
    const path = $('check-cimd').checked ? '/metadata/validate?profile=cimd' : '/metadata/validate';
    const res = await app.api('POST', path, { json: doc });
    button.removeAttribute('aria-busy');
    if (res.status !== 200 || !res.body || !Array.isArray(res.body.errors)) {
      $('check-result').hidden = true;
      inputError(app.describeFailure(res));
      return;
    }
    render(res.body, doc);
    app.announce($('check-verdict').textContent);
  }

  function open() {
    app.showView('check');
    $('check-title').focus();
  }

  $('check-form').addEventListener('submit', run);
  $('check-register').addEventListener('click', () => {
    if (normalized) app.startNewWith(normalized);
  });
  return { open };
}
