import { fileURLToPath } from 'node:url';
import { algaProject } from '../../vitest.shared';

const project = algaProject('host', {
  globalSetup: [fileURLToPath(new URL('../../scripts/ensure-postgres.mjs', import.meta.url))],
});

// Vitest passes ssr.resolve.conditions to Node as `--conditions`; the shared list holds
// `import`, which makes CommonJS `require` load dual packages' ESM builds (pg's
// `require('pg-pool')` gets a module namespace, not the Pool class). Vite adds `import` itself.
// No `module` either: it is a bundler-only condition, and the AWS SDK maps it to builds with
// extensionless imports that Node cannot load (`node` then picks its CommonJS build).
project.ssr = {
  ...project.ssr,
  resolve: {
    ...project.ssr?.resolve,
    conditions: ['@alga/source', 'node', 'development|production'],
  },
};

export default project;
