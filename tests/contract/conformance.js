// The OpenAPI document (static/openapi.json) as a checker of responses: its schemas compiled
// with Ajv (JSON Schema 2020-12), and `assertConforms`, which checks a response's status, content
// type, body and headers against the operation it answers. Shared by tests/contract/ and the
// suites of other builds (tests/cimd/), so every build's answers are held to the one document.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import { ROOT, assertJsonContentType } from '../worker/harness.js';

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const DOC_PATH = path.join(ROOT, 'static', 'openapi.json');
export const DOC_TEXT = fs.readFileSync(DOC_PATH, 'utf8');
export const DOC = JSON.parse(DOC_TEXT);
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// ---------------------------------------------------------------------------------------------
// The document's schemas, compiled with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
// ---------------------------------------------------------------------------------------------
const SCHEMA_ID = 'https://registrar.invalid/openapi.json';
const resolvePointer = (pointer) =>
  pointer.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, key) => node?.[key], DOC);
export const deref = (obj) => {
  let o = obj;
  for (let i = 0; o && o.$ref && i < 10; i++) o = resolvePointer(o.$ref);
  return o;
};

function makeAjv() {
  // strict: unknown keywords are errors; formats are annotations (as in 2020-12 by default).
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true, validateFormats: false, allErrors: true });
  // The document itself, with its component schemas reachable at #/components/schemas/...
  ajv.addKeyword({ keyword: 'components', schemaType: 'object' });
  ajv.addSchema({ $id: SCHEMA_ID, components: { schemas: DOC.components.schemas } });
  return ajv;
}
const ajv = makeAjv();
const compiled = new Map();
/** A validator for a schema object of the document (may be a $ref into components). */
export function validatorFor(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) {
    const rewritten = JSON.parse(key.replaceAll('"#/components/', `"${SCHEMA_ID}#/components/`));
    compiled.set(key, ajv.compile(rewritten));
  }
  return compiled.get(key);
}
export function assertValid(schema, value, what) {
  const v = validatorFor(schema);
  assert.ok(v(value), `${what} does not match the document:\n${JSON.stringify(v.errors, null, 2).slice(0, 3000)}\nvalue: ${JSON.stringify(value).slice(0, 1500)}`);
}

/** The documented response for this status (or fails), after checking content type, body and required headers. */
export function assertConforms(r, method, template) {
  const op = DOC.paths[template]?.[method.toLowerCase()];
  const where = `${method} ${template} -> ${r.status}`;
  let doc;
  if (op) doc = deref(op.responses[String(r.status)]);
  else if (r.status === 405) doc = DOC.components.responses[/^\/(admin|as|dashboard)\//.test(template) ? 'AdminMethodNotAllowed' : 'MethodNotAllowed'];
  else if (r.status === 404) doc = DOC.components.responses.NotFound;
  assert.ok(doc, `${where} is not documented: ${r.text.slice(0, 300)}`);
  const media = doc.content?.['application/json'];
  if (media && method !== 'HEAD') {
    assertJsonContentType(r);
    assertValid(media.schema, r.body, `${where} body`);
  } else {
    assert.equal(r.text, '', `${where}: a body where the document has none`);
  }
  for (const [name, h0] of Object.entries(doc.headers ?? {})) {
    const h = deref(h0);
    const value = r.headers.get(name);
    if (h.required) assert.ok(value !== null, `${where}: required header ${name} missing`);
    if (value !== null) {
      const v = h.schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      assertValid(h.schema, v, `${where} header ${name}`);
    }
  }
  return r;
}
