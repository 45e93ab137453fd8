import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';

const flagsSchema = z.strictObject({
  out: z.string().min(1),
  publisher: z.string().min(1).max(200).optional(),
  force: z.boolean().optional(),
});

/** What `alga keygen` wrote. */
export interface KeygenResult {
  /** The key id (`ed25519:…`). */
  readonly keyId: string;
  /** `<prefix>.key`: PKCS#8 PEM private key, mode 0600. */
  readonly privateKeyPath: string;
  /** `<prefix>.pub.pem`: SPKI PEM public key. */
  readonly publicPemPath: string;
  /** `<prefix>.pub.json`: `{kid, algorithm, publicKey, publisher?}`, pasteable into a trust bundle. */
  readonly publicJsonPath: string;
}

/**
 * Writes a new ed25519 key pair: `<prefix>.key` (PKCS#8 PEM, created with mode 0600 and never
 * overwritten unless `force`), `<prefix>.pub.pem` and `<prefix>.pub.json`.
 *
 * @example
 * ```ts
 * const { keyId } = await generateKeyFiles('keys/acme', { publisher: 'acme' });
 * ```
 */
export async function generateKeyFiles(
  prefix: string,
  options: { publisher?: string; force?: boolean } = {},
): Promise<KeygenResult> {
  // Loaded on use: @alga/host takes most of a second to import, and other commands never need it.
  const { generateSigningKey } = await import('@alga/host');
  const key = await generateSigningKey();
  const result: KeygenResult = {
    keyId: key.keyId,
    privateKeyPath: `${prefix}.key`,
    publicPemPath: `${prefix}.pub.pem`,
    publicJsonPath: `${prefix}.pub.json`,
  };
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    await mkdir(dirname(result.privateKeyPath), { recursive: true });
    handle = await open(result.privateKeyPath, options.force === true ? 'w' : 'wx', 0o600);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new CliError(
        'USAGE',
        `${result.privateKeyPath} already exists; refusing to overwrite a signing key (pass --force to replace it).`,
        { cause },
      );
    }
    throw new CliError('IO', `cannot create ${result.privateKeyPath} (${code ?? 'error'})`, {
      cause,
    });
  }
  try {
    // An existing file keeps its mode when opened with 'w'; the key must not stay readable to others.
    await handle.chmod(0o600);
    await handle.writeFile(key.toPkcs8Pem());
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await writeFile(result.publicPemPath, key.publicKeyPem());
    await writeFile(
      result.publicJsonPath,
      `${JSON.stringify(key.publicKeyDocument(options.publisher), null, 2)}\n`,
    );
  } catch (cause) {
    throw new CliError('IO', `cannot write the public key next to ${result.privateKeyPath}`, {
      cause,
    });
  }
  return result;
}

/** Registers `alga keygen --out <prefix>`. */
export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description(
      'create an ed25519 signing key pair: <prefix>.key (0600), <prefix>.pub.pem, <prefix>.pub.json',
    )
    .requiredOption('-o, --out <prefix>', 'path prefix of the files to write')
    .option('--publisher <name>', 'publisher the key signs for, recorded in <prefix>.pub.json')
    .option('--force', 'replace an existing key')
    .action(async (rawFlags: unknown) => {
      const { out, publisher, force } = parseFlags(flagsSchema, rawFlags, 'keygen');
      const result = await generateKeyFiles(out, {
        ...(publisher === undefined ? {} : { publisher }),
        ...(force === undefined ? {} : { force }),
      });
      process.stdout.write(`${result.keyId}\n`);
      process.stderr.write(
        `wrote ${result.privateKeyPath} (private, mode 0600: keep it secret), ${result.publicPemPath}, ${result.publicJsonPath}\n`,
      );
    });
}
