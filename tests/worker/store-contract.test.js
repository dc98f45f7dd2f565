// The store contract on D1 (issue 15, item 2): tests/store-contract/cases.json, the cases that
// tests/store_contract.rs runs on the in-memory store and tests/kv/store-contract.test.js on KV.
// With REGISTRAR_TEST_BACKEND=kv (a kv build) it runs the KV side instead.
import { contractSuite } from '../store-contract/run.js';

contractSuite(process.env.REGISTRAR_TEST_BACKEND || 'd1');
