import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { type Manifest, ManifestError, parseManifest } from '@alga/manifest';
import { z } from 'zod';
import { CliError } from '../internal/errors';

/** The default source entry of an extension, relative to its folder. */
export const DEFAULT_ENTRY = 'src/handler.ts';

/** An extension project on disk, validated. */
export interface Project {
  /** Absolute project folder. */
  readonly dir: string;
  readonly manifest: Manifest;
  /** Absolute path of the source entry. */
  readonly entry: string;
  /** The entry relative to `dir`, for messages. */
  readonly entryLabel: string;
  /** Absolute path the component is written to (the manifest's `entry`). */
  readonly componentPath: string;
}

const packageJsonSchema = z.looseObject({
  alga: z.strictObject({ entry: z.string().min(1).optional() }).optional(),
});

async function readJson(file: string, label: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new CliError('IO', `cannot read ${label} (${file}): ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CliError('BUILD_FAILED', `${label} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * Reads `manifest.json` and the source entry of the project in `dir`. The entry is
 * `src/handler.ts` unless `entry` (the `--entry` flag) or `package.json` `"alga": {"entry"}` says otherwise.
 */
export async function loadProject(dir: string, entryOverride?: string): Promise<Project> {
  const root = resolve(dir);
  const manifestFile = join(root, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new CliError(
      'USAGE',
      `${root} has no manifest.json; run alga build in an extension folder (alga new creates one)`,
    );
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(await readJson(manifestFile, 'manifest.json'));
  } catch (cause) {
    if (cause instanceof ManifestError) {
      const issues = cause.issues
        .map((issue) => `  ${issue.path || '(root)'}: ${issue.message}`)
        .join('\n');
      throw new CliError('BUILD_FAILED', `manifest.json is invalid:\n${issues}`, { cause });
    }
    throw cause;
  }

  let entryLabel = entryOverride;
  if (entryLabel === undefined && existsSync(join(root, 'package.json'))) {
    const parsed = packageJsonSchema.safeParse(
      await readJson(join(root, 'package.json'), 'package.json'),
    );
    if (!parsed.success) {
      throw new CliError(
        'BUILD_FAILED',
        `package.json "alga" must be {"entry": "<path>"}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    entryLabel = parsed.data.alga?.entry;
  }
  entryLabel ??= DEFAULT_ENTRY;
  const entry = resolve(root, entryLabel);
  if (!inside(root, entry)) {
    throw new CliError('USAGE', `the entry ${entryLabel} is outside the project folder ${root}`);
  }
  if (!existsSync(entry)) {
    throw new CliError(
      'NO_HANDLER_EXPORT',
      `the entry ${entryLabel} does not exist; create it with \`export default createHandler(...)\` or set "alga": {"entry": "..."} in package.json`,
    );
  }
  const componentPath = resolve(root, manifest.entry);
  if (!inside(root, componentPath) || !componentPath.endsWith('.wasm')) {
    throw new CliError(
      'BUILD_FAILED',
      `manifest.json "entry" must be a .wasm path inside the project, got ${manifest.entry}`,
    );
  }
  return { dir: root, manifest, entry, entryLabel: relative(root, entry), componentPath };
}
