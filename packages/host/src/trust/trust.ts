import { readFileSync, type Stats, unwatchFile, watchFile } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { BundleError } from '../bundle/errors.js';
import { parsePublicKey } from '../bundle/keys.js';

/** One key the trust bundle accepts signatures from. */
export interface TrustedKey {
  /** Key id, as in signatures (`ed25519:…`). */
  readonly keyId: string;
  /** The raw 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The publisher the key signs for; `null` for keys from a PEM trust bundle, which carries no names. */
  readonly publisher: string | null;
  /** Signatures made before this instant are refused (`KEY_NOT_YET_VALID`). */
  readonly notBefore: Date | undefined;
  /** Signatures made after this instant are refused (`KEY_EXPIRED`); earlier ones stay valid. */
  readonly notAfter: Date | undefined;
}

/**
 * The keys a host trusts to sign bundles, and the revoked ones. Verification asks it for
 * a key by id; `reload()` re-reads its source so rotation and revocation need no restart.
 */
export interface TrustStore {
  /** The trusted key with this id, or `undefined`. A revoked key is still returned: ask {@link TrustStore.isRevoked}. */
  resolve(keyId: string): TrustedKey | undefined;
  /** True when `keyId` is on the revocation list (revocation applies to every bundle, whenever signed). */
  isRevoked(keyId: string): boolean;
  /** Every trusted key. */
  keys(): readonly TrustedKey[];
  /** Re-reads the source file; on failure throws `TRUST_INVALID` and keeps the previous keys. A no-op for inline input. */
  reload(): void;
  /** Where the keys came from: a file path, or `inline`. */
  readonly source: string;
}

/** One key of the JSON trust bundle form. */
export interface TrustBundleKeyEntry {
  /** Key id; must equal the id computed from `publicKey`. */
  readonly kid: string;
  /** PEM, base64 SPKI DER, or base64 of the raw 32 bytes. */
  readonly publicKey: string;
  /** The publisher the key signs for. */
  readonly publisher: string;
  /** Optional `ed25519` (so `<prefix>.pub.json` can be pasted in as is). */
  readonly algorithm?: 'ed25519';
  /** ISO 8601 instant before which signatures are refused. */
  readonly notBefore?: string;
  /** ISO 8601 instant after which signatures are refused. */
  readonly notAfter?: string;
}

/** The JSON trust bundle form. */
export interface TrustBundleDocument {
  /** Trusted keys. */
  readonly keys: readonly TrustBundleKeyEntry[];
  /** Revoked key ids: refused for every bundle, whenever signed. */
  readonly revoked?: readonly string[];
}

/** What {@link loadTrustBundle} accepts: PEM or JSON text, a file path, their bytes, or the JSON document itself. */
export type TrustBundleInput = string | Uint8Array | TrustBundleDocument;

interface TrustState {
  readonly keys: ReadonlyMap<string, TrustedKey>;
  readonly revoked: ReadonlySet<string>;
}

const MAX_TRUST_BYTES = 4 * 1024 * 1024;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

const instant = z.iso.datetime({ offset: true });
const documentSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      kid: z.string().min(1).max(200),
      publicKey: z.string().min(1).max(10_000),
      publisher: z.string().min(1).max(200),
      algorithm: z.literal('ed25519').optional(),
      notBefore: instant.optional(),
      notAfter: instant.optional(),
    }),
  ),
  revoked: z.array(z.string().min(1).max(200)).optional(),
});

function invalid(where: string, message: string, cause?: unknown): BundleError {
  return new BundleError(
    'TRUST_INVALID',
    `Trust bundle (${where}): ${message}`,
    cause === undefined ? {} : { cause },
  );
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) =>
      typeof key === 'number'
        ? `${out}[${key}]`
        : out === ''
          ? String(key)
          : `${out}.${String(key)}`,
    '',
  );
}

function parsePem(text: string, where: string): TrustState {
  const keys = new Map<string, TrustedKey>();
  let blocks = 0;
  for (const match of text.matchAll(PEM_BLOCK)) {
    blocks += 1;
    const label = match[1] ?? '';
    if (label !== 'PUBLIC KEY') {
      throw invalid(
        where,
        `PEM block ${blocks} is a "${label}"; a trust bundle holds "PUBLIC KEY" blocks only.`,
      );
    }
    let info: ReturnType<typeof parsePublicKey>;
    try {
      info = parsePublicKey(match[0], `PEM block ${blocks}`);
    } catch (cause) {
      throw invalid(where, `PEM block ${blocks} is not an ed25519 public key.`, cause);
    }
    keys.set(info.keyId, {
      keyId: info.keyId,
      publicKey: info.publicKey,
      publisher: null,
      notBefore: undefined,
      notAfter: undefined,
    });
  }
  if (blocks === 0) throw invalid(where, 'no "-----BEGIN PUBLIC KEY-----" block found.');
  return { keys, revoked: new Set() };
}

function parseDocument(input: unknown, where: string): TrustState {
  const parsed = documentSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue === undefined ? '' : fieldPath(issue.path);
    throw invalid(where, `field "${field || '(root)'}": ${issue?.message ?? 'invalid'}.`);
  }
  const keys = new Map<string, TrustedKey>();
  parsed.data.keys.forEach((entry, i) => {
    let info: ReturnType<typeof parsePublicKey>;
    try {
      info = parsePublicKey(entry.publicKey, `keys[${i}].publicKey`);
    } catch (cause) {
      throw invalid(where, `field "keys[${i}].publicKey" is not an ed25519 public key.`, cause);
    }
    if (info.keyId !== entry.kid) {
      throw invalid(
        where,
        `field "keys[${i}].kid" is ${entry.kid} but the public key's id is ${info.keyId}.`,
      );
    }
    if (keys.has(entry.kid))
      throw invalid(where, `field "keys[${i}].kid": ${entry.kid} is listed twice.`);
    const notBefore = entry.notBefore === undefined ? undefined : new Date(entry.notBefore);
    const notAfter = entry.notAfter === undefined ? undefined : new Date(entry.notAfter);
    if (notBefore !== undefined && notAfter !== undefined && notBefore >= notAfter) {
      throw invalid(where, `field "keys[${i}].notAfter" must be later than notBefore.`);
    }
    keys.set(entry.kid, {
      keyId: entry.kid,
      publicKey: info.publicKey,
      publisher: entry.publisher,
      notBefore,
      notAfter,
    });
  });
  return { keys, revoked: new Set(parsed.data.revoked ?? []) };
}

function parseText(text: string, where: string): TrustState {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (cause) {
      throw invalid(
        where,
        `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}.`,
        cause,
      );
    }
    return parseDocument(json, where);
  }
  if (trimmed.includes('-----BEGIN')) return parsePem(trimmed, where);
  throw invalid(where, 'neither PEM ("-----BEGIN PUBLIC KEY-----") nor JSON ({"keys": [...]}).');
}

function readTrustFile(path: string): TrustState {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw invalid(
      path,
      `cannot read the file (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`,
      cause,
    );
  }
  if (bytes.byteLength > MAX_TRUST_BYTES)
    throw invalid(path, `the file is over ${MAX_TRUST_BYTES} bytes.`);
  return parseText(bytes.toString('utf8'), path);
}

/** Trust bundle text rather than a path: JSON, PEM, or anything multi-line (no path holds a newline). */
function looksInline(text: string): boolean {
  return text.trimStart().startsWith('{') || text.includes('-----BEGIN') || text.includes('\n');
}

class LoadedTrustStore implements TrustStore {
  readonly source: string;
  #state: TrustState;
  readonly #load: (() => TrustState) | undefined;

  constructor(source: string, state: TrustState, load?: () => TrustState) {
    this.source = source;
    this.#state = state;
    this.#load = load;
  }

  resolve(keyId: string): TrustedKey | undefined {
    return this.#state.keys.get(keyId);
  }

  isRevoked(keyId: string): boolean {
    return this.#state.revoked.has(keyId);
  }

  keys(): readonly TrustedKey[] {
    return [...this.#state.keys.values()];
  }

  reload(): void {
    if (this.#load !== undefined) this.#state = this.#load();
  }
}

/**
 * Loads a trust bundle: PEM with one or more `PUBLIC KEY` blocks (publisher unknown), or
 * JSON `{keys: [{kid, publicKey, publisher, notBefore?, notAfter?}], revoked: [kid…]}`.
 * A string that starts with `{`, holds `-----BEGIN` or spans lines is the bundle itself; any
 * other string is a file path, re-read by `reload()`. Throws `TRUST_INVALID` naming the bad field.
 *
 * @example
 * ```ts
 * const trust = loadTrustBundle(process.env.SIGNING_TRUST_BUNDLE ?? '/etc/alga/trust.json');
 * const bundle = await verifyBundle(bytes, signature, trust);
 * ```
 */
export function loadTrustBundle(input: TrustBundleInput): TrustStore {
  if (typeof input === 'string') {
    if (looksInline(input)) return new LoadedTrustStore('inline', parseText(input, 'inline'));
    const path = resolvePath(input);
    const load = (): TrustState => readTrustFile(path);
    return new LoadedTrustStore(path, load(), load);
  }
  if (input instanceof Uint8Array) {
    if (input.byteLength > MAX_TRUST_BYTES)
      throw invalid('inline', `over ${MAX_TRUST_BYTES} bytes.`);
    return new LoadedTrustStore('inline', parseText(Buffer.from(input).toString('utf8'), 'inline'));
  }
  return new LoadedTrustStore('inline', parseDocument(input, 'inline'));
}

/** Options of {@link createTrustSource}. */
export interface TrustSourceOptions {
  /** Trust bundle file; default: `SIGNING_TRUST_BUNDLE` from `env` (a path, or the bundle inline). */
  readonly path?: string;
  /** Environment to read `SIGNING_TRUST_BUNDLE` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Poll the file for changes every this many milliseconds (default 2000); 0 turns watching off. */
  readonly watchIntervalMs?: number;
  /** Called after the file changed and was reloaded. */
  readonly onReload?: (store: TrustStore) => void;
  /** Called when a changed file fails to load; the previous keys stay in force. */
  readonly onError?: (error: BundleError) => void;
}

/** A {@link TrustStore} that follows its file; `close()` stops watching. */
export interface TrustSource extends TrustStore {
  /** Stops watching the file. */
  close(): void;
}

/**
 * A trust store from a file (or `SIGNING_TRUST_BUNDLE`) that reloads itself when the file
 * changes, and on demand with `reload()`. A bad edit is reported to `onError` and the
 * previous keys stay in force, so a typo cannot lock every extension out. Polling
 * (`fs.watchFile`) is used because it survives editors and deploy tools that replace the
 * file by rename, which `fs.watch` loses track of.
 *
 * @example
 * ```ts
 * const trust = createTrustSource({ onError: (e) => log.error(e.message) });
 * // rotate or revoke by editing the file: no restart needed
 * ```
 */
export function createTrustSource(options: TrustSourceOptions = {}): TrustSource {
  const env = options.env ?? process.env;
  const configured = options.path ?? env.SIGNING_TRUST_BUNDLE;
  if (configured === undefined || configured.trim() === '') {
    throw new BundleError(
      'TRUST_INVALID',
      'No trust bundle configured: pass a path or set SIGNING_TRUST_BUNDLE to a PEM/JSON trust bundle or its path.',
    );
  }
  const store = loadTrustBundle(configured);
  const interval = options.watchIntervalMs ?? 2000;
  if (store.source === 'inline' || interval === 0)
    return Object.assign(store, { close: () => undefined });
  const listener = (current: Stats, previous: Stats): void => {
    if (
      current.mtimeMs === previous.mtimeMs &&
      current.size === previous.size &&
      current.ino === previous.ino
    )
      return;
    try {
      store.reload();
      options.onReload?.(store);
    } catch (error) {
      if (error instanceof BundleError) options.onError?.(error);
      else throw error;
    }
  };
  watchFile(store.source, { interval, persistent: false }, listener);
  return Object.assign(store, { close: () => unwatchFile(store.source, listener) });
}
