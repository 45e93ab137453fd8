import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';
import { z } from 'zod';
import { HostAppError } from './errors';

/** The example's folder. */
export const HOST_APP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** The host page's script and stylesheet. */
export interface PageBundle {
  readonly js: string;
  readonly css: string;
  /** True when both came from the cache (no esbuild run). */
  readonly cached: boolean;
  /** `sha256` of the script and stylesheet, for ETags. */
  readonly etag: string;
  readonly durationMs: number;
}

/** Options of {@link bundlePage}. */
export interface BundlePageOptions {
  /** Cache folder; default `node_modules/.cache/alga/host-page` in this example. */
  cacheDir?: string;
}

const indexSchema = z.object({ key: z.string(), inputs: z.array(z.string()) });

/**
 * The ui-kit stylesheet. Workspace packages resolve to their sources here, and the published
 * `@alga/ui-kit/styles.css` (dist) exists only after `npm run build`, so the page takes the
 * source file it is built from.
 */
function uiKitStylesheet(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@alga/ui-kit/package.json')), 'src', 'styles.css');
}

/** One key over esbuild's version and every input file's path and bytes. */
async function inputsKey(inputs: readonly string[]): Promise<string> {
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\n`);
  for (const input of [...inputs].sort()) {
    hash.update(`${input}\n`);
    hash.update(await readFile(resolve(HOST_APP_DIR, input)));
  }
  return hash.digest('hex');
}

async function readCached(cacheDir: string): Promise<{ js: string; css: string } | undefined> {
  const index = indexSchema.safeParse(
    JSON.parse(await readFile(join(cacheDir, 'index.json'), 'utf8').catch(() => 'null')),
  );
  if (!index.success) return undefined;
  // An input that vanished (a moved dependency) means a rebuild, never a failure.
  const key = await inputsKey(index.data.inputs).catch(() => undefined);
  if (key !== index.data.key) return undefined;
  const [js, css] = await Promise.all([
    readFile(join(cacheDir, `${key}.js`), 'utf8').catch(() => undefined),
    readFile(join(cacheDir, `${key}.css`), 'utf8').catch(() => undefined),
  ]);
  return js === undefined || css === undefined ? undefined : { js, css };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const staging = `${path}.${process.pid}.tmp`;
  await writeFile(staging, text);
  await rename(staging, path);
}

/**
 * Bundles the host page (`src/page/main.tsx`: React, `@alga/ui-kit`, `@alga/iframe-sdk`) with
 * esbuild into one script, and its stylesheet (ui-kit's plus `page.css`). The result is cached
 * under a key over every input file, so an unchanged page loads from disk in milliseconds.
 *
 * @example
 * ```ts
 * const { js, css, cached } = await bundlePage();
 * ```
 */
export async function bundlePage(options: BundlePageOptions = {}): Promise<PageBundle> {
  const started = performance.now();
  const cacheDir =
    options.cacheDir ?? join(HOST_APP_DIR, 'node_modules', '.cache', 'alga', 'host-page');
  const done = (js: string, css: string, cached: boolean): PageBundle => ({
    js,
    css,
    cached,
    etag: createHash('sha256').update(js).update(css).digest('hex').slice(0, 32),
    durationMs: Math.round(performance.now() - started),
  });
  const hit = await readCached(cacheDir);
  if (hit !== undefined) return done(hit.js, hit.css, true);

  const result = await build({
    absWorkingDir: HOST_APP_DIR,
    entryPoints: ['src/page/main.tsx'],
    bundle: true,
    write: false,
    metafile: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@alga/source'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).catch((cause: unknown) => {
    throw new HostAppError(
      'PAGE_BUILD_FAILED',
      `esbuild could not bundle ${join(HOST_APP_DIR, 'src/page/main.tsx')}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  });
  const js = result.outputFiles[0]?.text ?? '';
  const stylesheets = [uiKitStylesheet(), join(HOST_APP_DIR, 'src', 'page', 'page.css')];
  const css = (await Promise.all(stylesheets.map((path) => readFile(path, 'utf8')))).join('\n');
  // Metafile inputs are relative to absWorkingDir; the stylesheets are given the same form.
  const inputs = [
    // Namespaced entries such as `(disabled):fs` are not files.
    ...Object.keys(result.metafile.inputs).filter((input) => !input.includes(':')),
    ...stylesheets.map((path) => relative(HOST_APP_DIR, path)),
  ];
  const key = await inputsKey(inputs);
  await mkdir(cacheDir, { recursive: true });
  await writeAtomically(join(cacheDir, `${key}.js`), js);
  await writeAtomically(join(cacheDir, `${key}.css`), css);
  await writeAtomically(join(cacheDir, 'index.json'), JSON.stringify({ key, inputs }));
  return done(js, css, false);
}
