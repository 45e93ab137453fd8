import { register as defaultRegistry, type Registry } from 'prom-client';
import { createConfigProvider } from './config';
import { createContextProvider } from './context';
import { createHttpProvider, type HttpProviderOptions } from './http';
import { createLogProvider } from './log';
import { createMetricsProvider } from './metrics';
import { ProviderRegistry } from './registry';
import { createSecretsProvider, type SecretsProviderOptions } from './secrets';
import { createStorageProvider, type StorageProviderOptions } from './storage';
import { createUiProxyProvider, type UiProxyProviderOptions } from './ui-proxy';

/** What the built-in providers need from the host. */
export interface DefaultProvidersOptions {
  /** For `cap:secrets.get`: the sealer opening install envelopes. */
  readonly secrets?: SecretsProviderOptions;
  /** For `cap:storage.kv`: the registry store and quotas. */
  readonly storage?: StorageProviderOptions;
  /** For `cap:http.fetch`: the operator's egress policy. */
  readonly http?: HttpProviderOptions;
  /** For `cap:ui_proxy`: routes or the HTTP form. Default: `UI_PROXY_BASE_URL`/`UI_PROXY_AUTH_KEY`. */
  readonly uiProxy?: UiProxyProviderOptions;
  /** For `cap:metrics.emit`: where guest metrics go. Default: prom-client's global registry. */
  readonly metricsRegistry?: Registry;
}

/**
 * A provider registry holding the eight built-in providers. A capability whose backing is not
 * configured (no sealer, no store) answers `unavailable`, never silently succeeds.
 *
 * @example
 * ```ts
 * const providers = createDefaultProviders({ secrets: { sealer }, http: { allow: ['*.example.com'] } });
 * ```
 */
export function createDefaultProviders(options: DefaultProvidersOptions = {}): ProviderRegistry {
  const uiProxy = options.uiProxy ?? {
    ...(process.env.UI_PROXY_BASE_URL ? { baseUrl: process.env.UI_PROXY_BASE_URL } : {}),
    ...(process.env.UI_PROXY_AUTH_KEY ? { authKey: process.env.UI_PROXY_AUTH_KEY } : {}),
  };
  const registry = new ProviderRegistry()
    .register(createContextProvider())
    .register(createConfigProvider())
    .register(createSecretsProvider(options.secrets))
    .register(createHttpProvider(options.http))
    .register(createStorageProvider(options.storage))
    .register(createLogProvider())
    .register(createMetricsProvider({ registry: options.metricsRegistry ?? defaultRegistry }))
    .register(createUiProxyProvider(uiProxy));
  return registry;
}
