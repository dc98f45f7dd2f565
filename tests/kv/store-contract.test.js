// The store contract on Workers KV (issue 15, item 2; a REGISTRAR_FEATURES="kv signin" build, as
// scripts/test.sh makes it: on a plain kv build the owned-client cases are left out):
// tests/store-contract/cases.json, the cases that tests/store_contract.rs runs on the in-memory
// store and tests/worker/store-contract.test.js on D1. The cases KV cannot run say why in the file.
import { contractSuite } from '../store-contract/run.js';

contractSuite('kv', { STORAGE_BACKEND: 'kv' });
