import { fileURLToPath } from 'node:url';
import { algaProject } from '../../vitest.shared';

const base = algaProject('demo', {
  testTimeout: 120_000,
  globalSetup: [fileURLToPath(new URL('../../scripts/ensure-chromium.mjs', import.meta.url))],
});

// The project's root is this folder; its tests sit next to this file.
export default { ...base, test: { ...base.test, include: ['*.test.ts'] } };
