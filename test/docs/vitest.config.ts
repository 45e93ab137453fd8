import { algaProject } from '../../vitest.shared';

const base = algaProject('docs', { testTimeout: 900_000 });

// The project's root is this folder; its tests sit next to this file.
export default { ...base, test: { ...base.test, include: ['*.test.ts'] } };
