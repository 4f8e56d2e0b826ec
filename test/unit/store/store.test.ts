import { createStore } from '../../../src/store/index.js';
import { storeSuite } from './store.case.js';

storeSuite('embedded', (opts) => createStore({ ...opts, compactionIntervalMs: 0 }));
