import { defineConfig } from 'tsup';

export default defineConfig({
  // The runner's isolates start from their own scripts, shipped next to index.js.
  entry: {
    index: 'src/index.ts',
    'runner-worker': 'src/runner/worker/entry.ts',
    'runner-process': 'src/runner/process/entry.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
});
