import { defineProject } from 'vitest/config';

/** Resolve workspace packages to their TypeScript sources so tests need no build. */
const conditions = ['@alga/source', 'module', 'node', 'import', 'default'];

/** Base test settings every package and example project shares. */
export function algaProject(name: string, overrides: { testTimeout?: number; globalSetup?: string[] } = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@alga/source'] } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
      testTimeout: overrides.testTimeout ?? 30_000,
      hookTimeout: 180_000,
      globalSetup: overrides.globalSetup ?? [],
    },
  });
}
