import { readFile, stat, writeFile } from 'node:fs/promises';
import type { BundleSignature, SigningKey } from '@alga/host';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';
import { fromBundleError } from './pack';

const flagsSchema = z.strictObject({
  key: z.string().min(1),
  out: z.string().min(1).optional(),
});

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new CliError(
      'IO',
      `cannot read ${what} ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause,
      },
    );
  }
}

/** Loads `<prefix>.key`, refusing anything but an ed25519 PKCS#8 PEM. */
export async function readSigningKey(path: string): Promise<SigningKey> {
  const pem = await readInput(path, 'signing key');
  // Loaded on use: @alga/host takes most of a second to import, and other commands never need it.
  const { loadSigningKey } = await import('@alga/host');
  try {
    return loadSigningKey(pem);
  } catch (error) {
    throw await fromBundleError(error, 'USAGE', `--key ${path}`);
  }
}

/** What `alga sign` wrote. */
export interface SignResult {
  /** The detached signature. */
  readonly signature: BundleSignature;
  /** Where it was written (`<bundle>.sig` by default). */
  readonly path: string;
  /** True when the key file can be read by other users (it should be mode 0600). */
  readonly keyExposed: boolean;
}

/**
 * Signs the bundle file at `bundlePath` with the key at `keyPath` and writes the detached
 * signature JSON next to it. The bundle is fully read and checked before it is signed.
 *
 * @example
 * ```ts
 * const { path } = await signFile('ext.algabundle', 'keys/acme.key');
 * ```
 */
export async function signFile(
  bundlePath: string,
  keyPath: string,
  out?: string,
): Promise<SignResult> {
  const { serializeBundleSignature, signBundle } = await import('@alga/host');
  const key = await readSigningKey(keyPath);
  const keyExposed = ((await stat(keyPath)).mode & 0o077) !== 0;
  const bytes = await readInput(bundlePath, 'bundle');
  let signature: BundleSignature;
  try {
    signature = await signBundle(new Uint8Array(bytes), key);
  } catch (error) {
    throw await fromBundleError(error, 'VERIFY_FAILED', `cannot sign ${bundlePath}`);
  }
  const path = out ?? `${bundlePath}.sig`;
  try {
    await writeFile(path, serializeBundleSignature(signature));
  } catch (cause) {
    throw new CliError(
      'IO',
      `cannot write ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause,
      },
    );
  }
  return { signature, path, keyExposed };
}

/** Registers `alga sign <bundle> --key <file>`. */
export function registerSign(program: Command): void {
  program
    .command('sign <bundle>')
    .description('sign a bundle with an ed25519 key; writes the detached signature <bundle>.sig')
    .requiredOption('-k, --key <file>', 'private key written by `alga keygen` (<prefix>.key)')
    .option('-o, --out <file>', 'signature file to write (default <bundle>.sig)')
    .action(async (bundle: string, rawFlags: unknown) => {
      const flags = parseFlags(flagsSchema, rawFlags, 'sign');
      const result = await signFile(bundle, flags.key, flags.out);
      if (result.keyExposed) {
        process.stderr.write(`warning: ${flags.key} is readable by other users; chmod 600 it\n`);
      }
      process.stdout.write(`${result.path}\n`);
      process.stderr.write(
        `signed ${result.signature.contentHash} with ${result.signature.keyId} at ${result.signature.signedAt}\n`,
      );
    });
}
