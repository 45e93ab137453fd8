import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The extension folder (where `manifest.json` is). */
export const UI_DEMO_DIR = fileURLToPath(new URL('..', import.meta.url));

/** What {@link buildUi} wrote. */
export interface UiBuild {
  /** The output folder (`ui/`, the manifest's `assets.ui`). */
  readonly outDir: string;
  /** Files in it, with their sizes in bytes. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
  /** Files whose bytes changed (a rebuild of unchanged sources changes none). */
  readonly changed: number;
  readonly durationMs: number;
}

/**
 * The ui-kit stylesheet. In this repository workspace packages resolve to their sources, and
 * the published `@alga/ui-kit/styles.css` (dist) exists only after `npm run build`, so the
 * example copies the source file it is built from.
 */
function uiKitStylesheet(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@alga/ui-kit/package.json')), 'src', 'styles.css');
}

async function writeIfChanged(path: string, data: string | Uint8Array): Promise<boolean> {
  const next = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  const previous = await readFile(path).catch(() => undefined);
  if (previous?.equals(next)) return false;
  // Through a temporary file: a pack running at the same time never reads half a file.
  const staging = `${path}.${process.pid}.tmp`;
  await writeFile(staging, next);
  await rename(staging, path);
  return true;
}

/**
 * Bundles the iframe UI (`src/ui/app.tsx` with React, `@alga/ui-kit` and `@alga/iframe-sdk`)
 * into one minified script and copies the page and stylesheets next to it, in `ui/`: the
 * folder `alga pack` puts in the bundle. Files are rewritten only when their bytes change,
 * so the bundle's content hash stays put across identical builds.
 *
 * @example
 * ```ts
 * await buildUi(); // ui/index.html, ui/app.js, ui/styles.css, ui/board.css
 * ```
 */
export async function buildUi(dir: string = UI_DEMO_DIR): Promise<UiBuild> {
  const started = performance.now();
  const outDir = join(dir, 'ui');
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(dir, 'src', 'ui', 'app.tsx')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@alga/source'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]?.contents ?? new Uint8Array();
  const outputs: Array<[string, string | Uint8Array]> = [
    ['app.js', script],
    ['index.html', await readFile(join(dir, 'src', 'ui', 'index.html'), 'utf8')],
    ['board.css', await readFile(join(dir, 'src', 'ui', 'board.css'), 'utf8')],
    ['styles.css', await readFile(uiKitStylesheet(), 'utf8')],
  ];
  let changed = 0;
  for (const [name, data] of outputs) {
    if (await writeIfChanged(join(outDir, name), data)) changed += 1;
  }
  return {
    outDir,
    files: outputs.map(([path, data]) => ({
      path,
      bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength,
    })),
    changed,
    durationMs: Math.round(performance.now() - started),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = await buildUi();
  const listing = built.files.map((file) => `${file.path} ${(file.bytes / 1024).toFixed(1)} KiB`);
  process.stdout.write(`built ui/ in ${built.durationMs} ms: ${listing.join(', ')}\n`);
}
