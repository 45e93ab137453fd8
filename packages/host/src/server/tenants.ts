import { hash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic-file';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';

const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const fileSchema = z.object({
  version: z.literal(1),
  tenants: z.array(
    z.object({
      id: z.string().regex(TENANT_ID),
      /** sha256 of the API key, hex: the key itself is never stored. */
      keyHash: z.string().regex(/^[0-9a-f]{64}$/),
      createdAt: z.string(),
      rotatedAt: z.string(),
    }),
  ),
});

type TenantRow = z.infer<typeof fileSchema>['tenants'][number];

const hashKey = (key: string) => hash('sha256', key, 'hex');

/** True when `id` is a valid tenant id: 1-63 of `a-z 0-9 _ -`, starting alphanumeric. */
export function isTenantId(id: string): boolean {
  return TENANT_ID.test(id);
}

/**
 * The embedded host's tenants and their API keys, in `tenants.json` under the data folder.
 * Only a SHA-256 of each key is stored, so the file reveals no usable credential; writes go
 * to a temporary file first and are renamed into place, so a crash never leaves half a file.
 */
export class TenantKeyStore {
  readonly #path: string;
  #rows = new Map<string, TenantRow>();
  #byHash = new Map<string, string>();
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string) {
    this.#path = path;
  }

  /** Opens (or starts) the store at `path`. */
  static async open(path: string): Promise<TenantKeyStore> {
    const store = new TenantKeyStore(path);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new GatewayError(GatewayErrorCode.CONFIG_INVALID, `Cannot read ${path}.`, {
          cause: error,
        });
      }
    }
    if (text !== undefined) {
      const parsed = fileSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        throw new GatewayError(
          GatewayErrorCode.CONFIG_INVALID,
          `${path} is not a valid tenant file; restore it from a backup or remove it to start over.`,
        );
      }
      for (const row of parsed.data.tenants) store.#index(row);
    }
    return store;
  }

  /** The tenant whose API key is `apiKey`, or `undefined`. */
  tenantOf(apiKey: string): string | undefined {
    return this.#byHash.get(hashKey(apiKey));
  }

  /** True when tenant `id` exists. */
  has(id: string): boolean {
    return this.#rows.has(id);
  }

  /** Tenant ids, sorted. */
  list(): string[] {
    return [...this.#rows.keys()].sort();
  }

  /**
   * Creates tenant `id` with a new API key, or gives an existing tenant a new key (the old
   * one stops working at once). Returns the key: the only time it is ever visible.
   * `expect: 'new'` refuses an existing tenant (`CONFLICT`) and `expect: 'existing'` an
   * unknown one (`NOT_FOUND`), checked in the same step as the write, so two callers cannot
   * both create the same tenant.
   */
  async issueKey(id: string, expect?: 'new' | 'existing'): Promise<string> {
    if (!isTenantId(id)) {
      throw new GatewayError(
        GatewayErrorCode.BAD_REQUEST,
        'tenant must be 1-63 of a-z, 0-9, _ and -, starting with a letter or digit.',
      );
    }
    if (expect === 'new' && this.#rows.has(id)) {
      throw new GatewayError(GatewayErrorCode.CONFLICT, `Tenant ${id} exists.`);
    }
    if (expect === 'existing' && !this.#rows.has(id)) {
      throw new GatewayError(GatewayErrorCode.NOT_FOUND, `Tenant ${id} does not exist.`);
    }
    const apiKey = `alga_tk_${randomBytes(32).toString('base64url')}`;
    const now = new Date().toISOString();
    const previous = this.#rows.get(id);
    if (previous !== undefined) this.#byHash.delete(previous.keyHash);
    this.#index({
      id,
      keyHash: hashKey(apiKey),
      createdAt: previous?.createdAt ?? now,
      rotatedAt: now,
    });
    await this.#persist();
    return apiKey;
  }

  #index(row: TenantRow): void {
    this.#rows.set(row.id, row);
    this.#byHash.set(row.keyHash, row.id);
  }

  #persist(): Promise<void> {
    const body = JSON.stringify({ version: 1, tenants: [...this.#rows.values()] }, null, 2);
    const write = () => writeFileAtomic(this.#path, body, { mode: 0o600, durable: true });
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }
}
