import { defineProject } from 'vitest/config';

/**
 * Resolve workspace packages to their TypeScript sources so tests need no build. Vitest hands
 * the SSR conditions to Node as `--conditions`, so the list holds only what Node itself should
 * honour: `import` would make CommonJS `require` load dual packages' ESM builds (pg-pool), and
 * the bundler-only `module` maps the AWS SDK to builds with extensionless imports.
 */
const conditions = ['@alga/source', 'node', 'development|production'];

/** Base test settings every package and example project shares. */
export function algaProject(
  name: string,
  overrides: { testTimeout?: number; globalSetup?: string[] } = {},
) {
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
