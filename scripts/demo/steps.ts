import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import {
  type AdminTarget,
  buildExtension,
  generateKeyFiles,
  installExtension,
  publishBundle,
} from '@alga/cli';
import type { HostApp } from '@alga/example-host-app';
import { buildUi } from '@alga/example-ui-demo/build-ui';
import {
  loadSigningKey,
  packBundle,
  parseBundleSignature,
  type Runner,
  type ServedRunner,
  type SigningKey,
  serializeBundleSignature,
  signBundle,
} from '@alga/host';
import type { Manifest } from '@alga/manifest';
import { z } from 'zod';
import { DemoError } from './errors';
import { type DemoExtension, EXTENSIONS, PUBLISHER, REPO_ROOT, TENANTS } from './plan';
import { type StepResult, seconds } from './progress';

/** An example, built and packed. */
export interface PackedExtension {
  readonly extension: DemoExtension;
  readonly manifest: Manifest;
  readonly contentHash: string;
  readonly bundlePath: string;
  readonly signaturePath: string;
}

const shortName = (extension: DemoExtension) => extension.dir.replace(/^examples\//, '');

async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const staging = `${path}.${process.pid}.tmp`;
  await writeFile(staging, data);
  await rename(staging, path);
}

/** `alga build` of every example (the iframe UI first where there is one); cached by source. */
export async function buildExamples(): Promise<StepResult<void>> {
  const parts: string[] = [];
  for (const extension of EXTENSIONS) {
    const dir = join(REPO_ROOT, extension.dir);
    if (extension.ui) await buildUi(dir);
    const result = await buildExtension({ dir });
    parts.push(
      `${shortName(extension)} ${result.cached ? 'cached' : `built in ${seconds(result.durationMs)}`}`,
    );
  }
  return { value: undefined, detail: parts.join(', ') };
}

/** The dev signing key under `<data>/keys/dev.key` (made once), and a trust bundle naming it. */
export async function devKey(
  dataDir: string,
): Promise<StepResult<{ key: SigningKey; trustPath: string }>> {
  const prefix = join(dataDir, 'keys', 'dev');
  const created = !existsSync(`${prefix}.key`);
  if (created) await generateKeyFiles(prefix, { publisher: PUBLISHER });
  const key = loadSigningKey(await readFile(`${prefix}.key`));
  const trustPath = join(dataDir, 'trust.json');
  const trust = { keys: [key.publicKeyDocument(PUBLISHER)] };
  await writeAtomically(trustPath, `${JSON.stringify(trust, null, 2)}\n`);
  return {
    value: { key, trustPath },
    detail: `${created ? 'created' : 'reused'} ${key.keyId.slice(0, 20)}…, trust bundle ${relative(process.cwd(), trustPath)}`,
  };
}

/**
 * Packs and signs every example into `<data>/bundles/`. A bundle file is named by its content
 * hash, so unchanged examples reuse the file (no gzip of 12 MB again) and only a signature by
 * another key is redone.
 */
export async function packAndSign(
  dataDir: string,
  key: SigningKey,
): Promise<StepResult<PackedExtension[]>> {
  const bundlesDir = join(dataDir, 'bundles');
  await mkdir(bundlesDir, { recursive: true });
  const packed: PackedExtension[] = [];
  let reused = 0;
  for (const extension of EXTENSIONS) {
    const dir = join(REPO_ROOT, extension.dir);
    // The content hash does not depend on compression, and a plain tar is cheap to make.
    const plain = await packBundle(dir, { compress: false });
    const stem = `${extension.id}-${plain.manifest.version}`;
    const bundlePath = join(bundlesDir, `${stem}-${plain.contentHash.slice(7, 23)}.algabundle`);
    const signaturePath = `${bundlePath}.sig`;
    if (existsSync(bundlePath)) {
      reused += 1;
    } else {
      await writeAtomically(bundlePath, (await packBundle(dir)).bytes);
      // Older bundles of this example (versions start with a digit) are never used again.
      const keep = new Set([basename(bundlePath), basename(signaturePath)]);
      for (const file of await readdir(bundlesDir)) {
        if (
          file.startsWith(`${extension.id}-`) &&
          /^\d/.test(file.slice(extension.id.length + 1)) &&
          !keep.has(file)
        ) {
          await unlink(join(bundlesDir, file));
        }
      }
    }
    const existing = await readFile(signaturePath, 'utf8')
      .then((text) => parseBundleSignature(text))
      .catch(() => undefined);
    if (existing?.keyId !== key.keyId || existing.contentHash !== plain.contentHash) {
      const signature = await signBundle({ contentHash: plain.contentHash }, key);
      await writeAtomically(signaturePath, serializeBundleSignature(signature));
    }
    packed.push({
      extension,
      manifest: plain.manifest,
      contentHash: plain.contentHash,
      bundlePath,
      signaturePath,
    });
  }
  return {
    value: packed,
    detail: `${packed.length} bundles${reused > 0 ? ` (${reused} unchanged, reused)` : ''}`,
  };
}

const publishedSchema = z.record(
  z.string(),
  z.object({ version: z.string(), contentHash: z.string() }),
);

/**
 * True when the host's registry under `hostDir` recorded one of these versions with other
 * content (an example was edited without a version bump), which it would refuse to publish.
 */
export async function registryIsStale(
  hostDir: string,
  packed: readonly PackedExtension[],
): Promise<boolean> {
  const text = await readFile(join(hostDir, 'published.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  const parsed = publishedSchema.safeParse(JSON.parse(text));
  if (!parsed.success) return true;
  return packed.some((item) => {
    const previous = parsed.data[item.extension.id];
    return previous?.version === item.manifest.version && previous.contentHash !== item.contentHash;
  });
}

/** Removes the host's data (registry, installs, tenants); keys, bundles and build caches stay. */
export async function resetHostData(hostDir: string): Promise<void> {
  await rm(hostDir, { recursive: true, force: true });
}

/** Publishes every bundle through the embedded host's admin API (`POST /api/v1/extensions`). */
export async function publishAll(
  target: AdminTarget,
  hostDir: string,
  packed: readonly PackedExtension[],
): Promise<StepResult<void>> {
  let created = 0;
  for (const item of packed) {
    const result = await publishBundle(item.bundlePath, item.signaturePath, target);
    if (result.created) created += 1;
  }
  const record = Object.fromEntries(
    packed.map((item) => [
      item.extension.id,
      { version: item.manifest.version, contentHash: item.contentHash },
    ]),
  );
  await writeAtomically(join(hostDir, 'published.json'), `${JSON.stringify(record, null, 2)}\n`);
  return {
    value: undefined,
    detail: `${created} published, ${packed.length - created} already there (verified against the trust bundle)`,
  };
}

async function admin(
  target: AdminTarget,
  method: string,
  path: string,
  json?: unknown,
): Promise<unknown> {
  const response = await fetch(`${target.host}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${target.token}`,
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new DemoError(
      'STEP_FAILED',
      `${method} ${path} answered ${response.status} ${error?.code ?? ''}: ${error?.message ?? 'no details'}`,
    );
  }
  return body;
}

/**
 * Creates (or re-keys) the demo tenants and installs every example for each with the plan's
 * config and secrets, granting what each manifest asks for. An install left from an earlier
 * run is reset and given the plan's settings again.
 */
export async function tenantsAndInstalls(
  app: HostApp,
  target: AdminTarget,
  packed: readonly PackedExtension[],
): Promise<StepResult<Record<string, string>>> {
  const apiKeys: Record<string, string> = {};
  let installed = 0;
  let reset = 0;
  for (const [tenant, installs] of Object.entries(TENANTS)) {
    const answer = z
      .object({ apiKey: z.string() })
      .parse(await admin(target, 'POST', '/api/v1/tenants', { tenant }));
    apiKeys[tenant] = answer.apiKey;
    for (const item of packed) {
      const plan = installs[item.extension.id];
      if (plan === undefined) continue;
      const settings = {
        ...(plan.config === undefined ? {} : { config: plan.config }),
        ...(plan.secrets === undefined ? {} : { secrets: plan.secrets }),
      };
      if ((await app.host.store.getInstall(tenant, item.extension.id)) === undefined) {
        await installExtension(
          {
            tenant,
            extensionId: item.extension.id,
            version: item.manifest.version,
            grants: item.manifest.capabilities,
            ...settings,
          },
          target,
        );
        installed += 1;
      } else {
        const path = `/api/v1/installs/${tenant}/${item.extension.id}/settings`;
        await admin(target, 'DELETE', path);
        if (plan.config !== undefined || plan.secrets !== undefined) {
          await admin(target, 'PUT', path, settings);
        }
        reset += 1;
      }
    }
  }
  const tenants = Object.keys(apiKeys).join(' and ');
  return {
    value: apiKeys,
    detail: `${tenants}: ${installed} installed${reset > 0 ? `, ${reset} kept from the last run with the demo settings restored` : ''}`,
  };
}

/** Loads and compiles each component ahead of its first request. */
export async function warm(
  app: HostApp,
  packed: readonly PackedExtension[],
): Promise<StepResult<void>> {
  // Both runners the embedded host can have (worker pool, remote) take a load hint, which names
  // the version whose signature to verify with; EmbeddedHost types its runner without it.
  const runner = app.host.runner as Runner & Pick<ServedRunner, 'warm'>;
  for (const item of packed) {
    await runner.warm(item.contentHash, {
      extensionId: item.extension.id,
      version: item.manifest.version,
    });
  }
  return { value: undefined, detail: `${packed.length} components ready` };
}
