import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { SecretEnvelope, SecretSealer } from '../../secrets/sealer';
import { parseArgs } from './args';
import { type CapabilityProvider, type ProviderContext, ProviderError } from './registry';

/** Options of {@link createSecretsProvider}. */
export interface SecretsProviderOptions {
  /** Opens sealed envelopes (the registry's `AesGcmSealer` or `VaultTransitSealer`). */
  readonly sealer: Pick<SecretSealer, 'open'>;
  /** How long opened secrets stay cached. Default 30 s. */
  readonly cacheTtlMs?: number;
  /** Opened secret maps cached at most. Default 1000. */
  readonly cacheMax?: number;
}

const keyArgs = z.tuple([z.string().min(1).max(256)]);

/**
 * `cap:secrets.get`: opens the install's sealed envelope through the sealer only when a
 * granted call needs it. Plaintext lives only in a short-TTL LRU keyed by (tenant, install,
 * secrets version, envelope digest); the opened map redacts itself when printed, and no error
 * or log holds a value.
 */
export function createSecretsProvider(options?: SecretsProviderOptions): CapabilityProvider {
  const cache = new LRUCache<string, Promise<Readonly<Record<string, string>>>>({
    max: options?.cacheMax ?? 1000,
    ttl: options?.cacheTtlMs ?? 30_000,
  });

  function open(context: ProviderContext): Promise<Readonly<Record<string, string>>> {
    const envelope = context.secretEnvelope as SecretEnvelope | undefined;
    if (envelope === undefined) return Promise.resolve({});
    const sealer = options?.sealer;
    if (sealer === undefined) {
      return Promise.reject(
        new ProviderError('unavailable', 'this host has no secret sealer configured'),
      );
    }
    const { tenantId, installId } = context.invocation;
    const digest = createHash('sha256').update(JSON.stringify(envelope)).digest('hex');
    const key = `${tenantId}\u0000${installId}\u0000${context.secretsVersion}\u0000${digest}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const opening = sealer
      .open(envelope, { tenantId, installId, version: context.secretsVersion })
      .catch((error: unknown) => {
        cache.delete(key);
        throw new ProviderError(
          'unavailable',
          "the install's secrets could not be opened; save them again",
          {
            cause: error,
          },
        );
      });
    cache.set(key, opening);
    return opening;
  }

  return {
    capability: 'cap:secrets.get',
    functions: {
      get: async (args, context) => {
        const [name] = parseArgs(keyArgs, args, 'secrets.get');
        const secrets = await open(context);
        if (!Object.hasOwn(secrets, name))
          throw new ProviderError('not-found', `secret ${JSON.stringify(name)} is not set`);
        return secrets[name];
      },
      listNames: async (_args, context) => Object.keys(await open(context)).sort(),
    },
  };
}
