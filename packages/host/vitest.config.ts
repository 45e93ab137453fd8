import { fileURLToPath } from 'node:url';
import { algaProject } from '../../vitest.shared';

export default algaProject('host', {
  globalSetup: [
    fileURLToPath(new URL('../../scripts/ensure-postgres.mjs', import.meta.url)),
    fileURLToPath(new URL('./test/helpers/ensure-redis.ts', import.meta.url)),
  ],
});
