// `npm test` runs every test file in one process, so the stacks they read are synthesized once
// (see build() in helpers.ts); `node --import tsx --test test/<file>.test.ts` runs one file alone.
import './api.test';
import './audit.test';
import './data.test';
import './events.test';
import './functions.test';
import './layout.test';
import './nag.test';
import './permissions.test';
import './variants.test';
import './web.test';
