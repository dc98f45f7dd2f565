// The store contract's cases that need the signin build (tests/store-contract/cases.json,
// `needs: ["signin"]`: owned clients, My clients, claims): tests/worker/store-contract.test.js
// runs the others on the default build. On D1 here, or on the
// backend REGISTRAR_TEST_BACKEND names (tests/kv/store-contract.test.js runs them on KV when
// build/ is a "kv signin" build).
import { contractSuite } from '../store-contract/run.js';

contractSuite(process.env.REGISTRAR_TEST_BACKEND || 'd1', {}, { only: 'signin' });
