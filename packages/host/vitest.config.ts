import { fileURLToPath } from 'node:url';
import { algaProject } from '../../vitest.shared';

const project = algaProject('host', {
  globalSetup: [fileURLToPath(new URL('../../scripts/ensure-postgres.mjs', import.meta.url))],
});

// Vitest passes ssr.resolve.conditions to Node as `--conditions`; the shared list holds
// `import`, which makes CommonJS `require` load dual packages' ESM builds (pg's
// `require('pg-pool')` gets a module namespace, not the Pool class). Vite adds `import` itself.
project.ssr = {
  ...project.ssr,
  resolve: {
    ...project.ssr?.resolve,
    conditions: ['@alga/source', 'module', 'node', 'development|production'],
  },
};

export default project;
