import { fileURLToPath } from 'node:url';
import { algaProject } from '../../vitest.shared';

export default algaProject('ui-kit', {
  globalSetup: [fileURLToPath(new URL('../../scripts/ensure-chromium.mjs', import.meta.url))],
});
