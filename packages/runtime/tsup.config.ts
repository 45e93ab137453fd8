import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/guest.ts'],
  format: ['esm'],
  // The runtime runs inside the component's JS engine (StarlingMonkey), not Node.
  platform: 'neutral',
  target: 'es2022',
  // rollup-plugin-dts drops triple-slash references, so the typings point at the WIT
  // module declarations that the build script copies next to them.
  dts: { banner: '/// <reference path="./generated/extension.d.ts" />' },
  clean: true,
  sourcemap: true,
});
