import { fileURLToPath } from 'node:url';
import { algaProject } from '../../vitest.shared';

export default algaProject('iframe-sdk', {
  globalSetup: [fileURLToPath(new URL('../../scripts/ensure-chromium.mjs', import.meta.url))],
});
