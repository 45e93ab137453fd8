import { CAPABILITIES, type CapabilityId } from '@alga/manifest';
import type { LimitName } from '../errors';
import type { InvocationContext } from '../types';
import type { CallResult, HostErrorPayload } from '../worker/protocol';

/** Stable codes of provider errors: the cases of the WIT `error` variant the guest sees. */
export const ProviderErrorCode = {
  DENIED: 'denied',
  NOT_FOUND: 'not-found',
  INVALID: 'invalid',
  UNAVAILABLE: 'unavailable',
  LIMIT: 'limit',
  CONFLICT: 'conflict',
} as const;

/** One of {@link ProviderErrorCode}. */
export type ProviderErrorCode = (typeof ProviderErrorCode)[keyof typeof ProviderErrorCode];

/**
 * What a capability provider throws to answer the guest with a WIT `error`. Its message goes to
 * the guest, so it names what was wrong and never holds a secret.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: ProviderErrorCode;
  /** The limit that fired, for `limit` errors (reported in events and metrics). */
  readonly limit: LimitName | undefined;

  constructor(
    code: ProviderErrorCode,
    message: string,
    options: { cause?: unknown; limit?: LimitName } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.limit = options.limit;
  }
}

/** Severity of a guest log line. */
export type GuestLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What a provider knows about the invocation it serves. */
export interface ProviderContext {
  readonly invocation: InvocationContext;
  readonly config: Readonly<Record<string, unknown>>;
  readonly grants: ReadonlySet<CapabilityId>;
  /** The install's egress allowlist. */
  readonly egress: readonly string[];
  readonly secretEnvelope: unknown;
  readonly secretsVersion: number;
  /** Aborts when the invocation's deadline passes or it ends. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds of the invocation's deadline. */
  readonly deadline: number;
  /** Records a guest log line (bounded by the invocation's log budget). */
  log(level: GuestLogLevel, message: string, fields: Readonly<Record<string, unknown>>): void;
  /** Counts bytes sent to and received from the network on the guest's behalf. */
  countEgress(sent: number, received: number): void;
}

/** Serves one WIT function: gets the lifted arguments, returns the value or throws {@link ProviderError}. */
export type ProviderFunction = (args: readonly unknown[], context: ProviderContext) => unknown;

/** Serves every function of one capability's WIT interface. */
export interface CapabilityProvider {
  readonly capability: CapabilityId;
  readonly functions: Readonly<Record<string, ProviderFunction>>;
}

/** Observers of the registry's decisions (the runner wires them to events and metrics). */
export interface ProviderHooks {
  denied?(capability: CapabilityId, context: ProviderContext): void;
  limit?(limit: LimitName, message: string, context: ProviderContext): void;
  failed?(capability: CapabilityId, error: unknown, context: ProviderContext): void;
}

function asPayload(error: unknown): HostErrorPayload {
  if (error instanceof ProviderError) return { tag: error.code, val: error.message };
  return { tag: 'unavailable', val: 'the host failed to serve this call' };
}

/**
 * The capability providers the runner serves host imports with: one per capability, keyed by
 * capability id. Every call checks the invocation's grants first (deny by default), then runs
 * the provider on the trusted side. Hosts add or replace a provider with {@link register}.
 *
 * @example
 * ```ts
 * const providers = createDefaultProviders({ secrets: { sealer } });
 * providers.register({
 *   capability: 'cap:ui_proxy',
 *   functions: { call: ([route, payload]) => myRoutes.call(String(route), payload as Uint8Array) },
 * });
 * const runner = createRunner({ ...options, providers });
 * ```
 */
export class ProviderRegistry {
  readonly #byInterface = new Map<string, CapabilityProvider>();

  /** Adds `provider`, replacing the one registered for the same capability. */
  register(provider: CapabilityProvider): this {
    this.#byInterface.set(CAPABILITIES[provider.capability].witInterface, provider);
    return this;
  }

  /** The provider of `capability`, if one is registered. */
  get(capability: CapabilityId): CapabilityProvider | undefined {
    return this.#byInterface.get(CAPABILITIES[capability].witInterface);
  }

  /** WIT interfaces served and their functions (what isolates link guest imports to). */
  interfaces(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [iface, provider] of this.#byInterface) out[iface] = Object.keys(provider.functions);
    return out;
  }

  /** Serves one host call: grant check, then the provider. Never throws. */
  async call(
    iface: string,
    fn: string,
    args: readonly unknown[],
    context: ProviderContext,
    hooks: ProviderHooks = {},
  ): Promise<CallResult> {
    const provider = this.#byInterface.get(iface);
    const handler = provider?.functions[fn];
    if (provider === undefined || handler === undefined) {
      return { err: { tag: 'invalid', val: `${iface}.${fn} is not served by this host` } };
    }
    if (!context.grants.has(provider.capability)) {
      hooks.denied?.(provider.capability, context);
      return {
        err: { tag: 'denied', val: `${provider.capability} is not granted to this install` },
      };
    }
    try {
      return { ok: await handler(args, context) };
    } catch (error) {
      if (error instanceof ProviderError && error.code === 'limit' && error.limit !== undefined) {
        hooks.limit?.(error.limit, error.message, context);
      } else if (!(error instanceof ProviderError)) {
        hooks.failed?.(provider.capability, error, context);
      }
      return { err: asPayload(error) };
    }
  }
}
