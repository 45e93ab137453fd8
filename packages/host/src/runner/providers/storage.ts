import { z } from 'zod';
import { RegistryError } from '../../registry/errors';
import { MAX_KV_LIST_LIMIT } from '../../registry/kv';
import type { RegistryStore } from '../../registry/types';
import { parseArgs } from './args';
import { type CapabilityProvider, type ProviderContext, ProviderError } from './registry';

/** Options of {@link createStorageProvider}. */
export interface StorageProviderOptions {
  /** The registry store holding extension KV data (memory, SQLite or PostgreSQL). */
  readonly store: Pick<RegistryStore, 'kvGet' | 'kvPut' | 'kvDelete' | 'kvList' | 'kvUsage'>;
  /** Largest value, in bytes. Default 256 KiB. */
  readonly maxValueBytes?: number;
  /** Keys one (tenant, extension) may hold. Default 10000. */
  readonly maxKeys?: number;
  /** Keys per `list-keys` page when the guest asks for none. Default 100. */
  readonly defaultListLimit?: number;
}

const revision = z.bigint().nonnegative().max(BigInt(Number.MAX_SAFE_INTEGER)).optional();
const key = z.string().min(1);
const getArgs = z.tuple([key]);
const putArgs = z.tuple([key, z.instanceof(Uint8Array), revision]);
const deleteArgs = z.tuple([key, revision]);
const listArgs = z.tuple([
  z.string(),
  z.string().optional(),
  z.number().int().nonnegative().optional(),
]);

function scope(context: ProviderContext) {
  return { tenantId: context.invocation.tenantId, extensionId: context.invocation.extensionId };
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    if (error instanceof RegistryError && error.code === 'INVALID_ARGUMENT') {
      throw new ProviderError('invalid', error.message, { cause: error });
    }
    throw new ProviderError('unavailable', 'the storage backend failed; retry later', {
      cause: error,
    });
  }
}

/**
 * `cap:storage.kv`: a key-value store scoped to (tenant, extension) in the registry database,
 * with a value-size and a key-count quota and compare-and-set writes by revision.
 */
export function createStorageProvider(options?: StorageProviderOptions): CapabilityProvider {
  const maxValueBytes = options?.maxValueBytes ?? 256 * 1024;
  const maxKeys = options?.maxKeys ?? 10_000;
  const defaultListLimit = options?.defaultListLimit ?? 100;
  const store = () => {
    if (options?.store === undefined)
      throw new ProviderError('unavailable', 'this host has no storage configured');
    return options.store;
  };
  return {
    capability: 'cap:storage.kv',
    functions: {
      get: (args, context) =>
        guard(async () => {
          const [name] = parseArgs(getArgs, args, 'storage.get');
          const entry = await store().kvGet(scope(context), name);
          return entry === undefined
            ? undefined
            : { key: name, value: entry.value, revision: BigInt(entry.revision) };
        }),
      put: (args, context) =>
        guard(async () => {
          const [name, value, expected] = parseArgs(putArgs, args, 'storage.put');
          if (value.byteLength > maxValueBytes) {
            throw new ProviderError(
              'limit',
              `value of ${value.byteLength} bytes is over the cap of ${maxValueBytes} bytes`,
              {
                limit: 'storage-value-size',
              },
            );
          }
          const kv = store();
          const where = scope(context);
          if (
            (await kv.kvGet(where, name)) === undefined &&
            (await kv.kvUsage(where)).keys >= maxKeys
          ) {
            throw new ProviderError(
              'limit',
              `the store already holds ${maxKeys} keys, its quota; delete some first`,
              {
                limit: 'storage-keys',
              },
            );
          }
          const result = await kv.kvPut(
            where,
            name,
            value,
            expected === undefined ? undefined : Number(expected),
          );
          if (!result.ok)
            throw new ProviderError(
              'conflict',
              `key ${JSON.stringify(name)} is not at revision ${expected}`,
            );
          return BigInt(result.revision);
        }),
      delete: (args, context) =>
        guard(async () => {
          const [name, expected] = parseArgs(deleteArgs, args, 'storage.delete');
          const result = await store().kvDelete(
            scope(context),
            name,
            expected === undefined ? undefined : Number(expected),
          );
          if (!result.ok)
            throw new ProviderError(
              'conflict',
              `key ${JSON.stringify(name)} is not at revision ${expected}`,
            );
          return result.existed;
        }),
      listKeys: (args, context) =>
        guard(async () => {
          const [prefix, cursor, limit] = parseArgs(listArgs, args, 'storage.list-keys');
          const page = await store().kvList(scope(context), {
            prefix,
            cursor,
            limit: Math.min(Math.max(limit ?? defaultListLimit, 1), MAX_KV_LIST_LIMIT),
          });
          return { keys: page.keys, nextCursor: page.nextCursor };
        }),
    },
  };
}
