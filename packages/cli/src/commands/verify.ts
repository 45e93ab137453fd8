import { readFile } from 'node:fs/promises';
import type { TrustBundleDocument, TrustStore, VerifiedBundle } from '@alga/host';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';
import { fromBundleError } from './pack';

const flagsSchema = z.strictObject({
  sig: z.string().min(1).optional(),
  trust: z.string().min(1).optional(),
});

const publicKeyDocument = z.object({
  kid: z.string(),
  publicKey: z.string(),
  publisher: z.string().min(1).optional(),
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

async function trustFromJson(json: unknown, where: string): Promise<TrustStore> {
  // Loaded on use: @alga/host takes most of a second to import, and other commands never need it.
  const { loadTrustBundle, parsePublicKey, publicKeyToPem } = await import('@alga/host');
  const single = publicKeyDocument.safeParse(json);
  if (typeof json === 'object' && json !== null && !('keys' in json) && single.success) {
    const { kid, publicKey, publisher } = single.data;
    const key = parsePublicKey(publicKey, `${where} "publicKey"`);
    if (key.keyId !== kid)
      throw new CliError(
        'USAGE',
        `${where}: "kid" ${kid} is not the id of its public key (${key.keyId})`,
      );
    return publisher === undefined
      ? loadTrustBundle(publicKeyToPem(key.publicKey))
      : loadTrustBundle({ keys: [{ kid, publicKey, publisher }] });
  }
  return loadTrustBundle(json as TrustBundleDocument);
}

/**
 * Loads a trust source: a trust bundle (PEM or JSON), a single `<prefix>.pub.pem`, or a
 * `<prefix>.pub.json` as `alga keygen` writes it (trusted for the publisher it names, if any).
 * `source` is a file path, or the bundle itself (as `SIGNING_TRUST_BUNDLE` may hold it).
 */
export async function readTrust(source: string): Promise<TrustStore> {
  const inline =
    source.includes('-----BEGIN') || source.trimStart().startsWith('{') || source.includes('\n');
  const where = inline ? 'SIGNING_TRUST_BUNDLE' : `--trust ${source}`;
  const text = inline ? source : (await readInput(source, 'trust bundle')).toString('utf8');
  const { loadTrustBundle } = await import('@alga/host');
  try {
    if (!text.trimStart().startsWith('{')) return loadTrustBundle(text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new CliError('USAGE', `${where} is not valid JSON: ${(cause as Error).message}`, {
        cause,
      });
    }
    return await trustFromJson(json, where);
  } catch (error) {
    throw await fromBundleError(error, 'USAGE', where);
  }
}

/**
 * Verifies a bundle file against its detached signature and a trust bundle. Throws a
 * `CliError` with code `VERIFY_FAILED` whose message carries the bundle error code
 * (`HASH_MISMATCH`, `UNTRUSTED_SIGNER`, `KEY_REVOKED`…).
 *
 * @example
 * ```ts
 * const verified = await verifyFile('ext.algabundle', 'ext.algabundle.sig', 'trust.json');
 * ```
 */
export async function verifyFile(
  bundlePath: string,
  sigPath: string,
  trustSource: string,
): Promise<VerifiedBundle> {
  const trust = await readTrust(trustSource);
  const signatureBytes = await readInput(sigPath, 'signature');
  const bytes = await readInput(bundlePath, 'bundle');
  const { parseBundleSignature, verifyBundle } = await import('@alga/host');
  try {
    return await verifyBundle(
      new Uint8Array(bytes),
      parseBundleSignature(new Uint8Array(signatureBytes)),
      trust,
    );
  } catch (error) {
    throw await fromBundleError(error, 'VERIFY_FAILED', `${bundlePath} failed verification`);
  }
}

/** Registers `alga verify <bundle> --sig <file> --trust <file>`. */
export function registerVerify(program: Command): void {
  program
    .command('verify <bundle>')
    .description(
      "verify a bundle's signature and content against a trust bundle; prints the signer",
    )
    .option('-s, --sig <file>', 'detached signature (default <bundle>.sig)')
    .option(
      '-t, --trust <file>',
      'trust bundle (JSON or PEM) or a .pub.pem/.pub.json (default $SIGNING_TRUST_BUNDLE)',
    )
    .action(async (bundle: string, rawFlags: unknown) => {
      const flags = parseFlags(flagsSchema, rawFlags, 'verify');
      const trust = flags.trust ?? process.env.SIGNING_TRUST_BUNDLE;
      if (trust === undefined || trust.trim() === '') {
        throw new CliError('USAGE', 'alga verify: pass --trust <file> or set SIGNING_TRUST_BUNDLE');
      }
      const verified = await verifyFile(bundle, flags.sig ?? `${bundle}.sig`, trust);
      const publisher =
        verified.signer.publisher === null
          ? 'publisher not named by the trust bundle'
          : `publisher ${verified.signer.publisher}`;
      process.stdout.write(
        `verified ${verified.manifest.name}@${verified.manifest.version} ${verified.contentHash}\n` +
          `  signed by ${verified.signer.keyId} (${publisher}) at ${verified.signature.signedAt}\n`,
      );
    });
}
