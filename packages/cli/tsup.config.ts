import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    bin: 'src/bin.ts',
    testing: 'src/testing/index.ts',
    // Loaded by path from the testing harness (`new URL('./worker.js', import.meta.url)`).
    worker: 'src/testing/worker.js',
  },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' } },
  clean: true,
  sourcemap: true,
  // The toolchains and TypeScript are loaded at run time, never bundled.
  external: ['typescript', 'esbuild', '@bytecodealliance/componentize-js', '@bytecodealliance/jco'],
  // `alga build` generates worlds inside the alga:extension package, so the WIT ships with the CLI.
  onSuccess: () => cp('../../wit', 'dist/wit', { recursive: true }),
});
