import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// @alga/* linked from a source checkout (file: dependencies) have TypeScript sources and no
// build; the "@alga/source" export condition points at them. Published packages need none.
const linked = existsSync(new URL('./node_modules/@alga/cli/src/index.ts', import.meta.url));
const conditions = linked ? ['@alga/source', 'module', 'node', 'import', 'default'] : [];

export default defineConfig({
  resolve: linked ? { conditions } : {},
  ssr: linked ? { resolve: { conditions, externalConditions: ['@alga/source'] } } : {},
  test: {
    include: ['test/**/*.test.ts'],
    // The first run builds the component (several seconds); later runs hit the build cache.
    hookTimeout: 180_000,
  },
});
