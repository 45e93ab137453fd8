import { defineConfig } from 'tsup';

// No `clean` here: both builds write to dist/ in parallel; `npm run build` empties it first.

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    dts: true,
    sourcemap: true,
  },
  {
    // One self-contained file (penpal, zod/mini and eventemitter3 inlined) for a <script> tag.
    entry: { 'alga-iframe-sdk': 'src/iife.ts' },
    format: ['iife'],
    globalName: 'AlgaIframe',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    noExternal: [/.*/],
    outExtension: () => ({ js: '.iife.js' }),
  },
]);
