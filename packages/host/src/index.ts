/**
 * `@alga/host`: everything a host application needs to run Alga extensions safely.
 *
 * Modules: bundle (pack, hash, sign, verify), store (bundle stores), registry (publish,
 * installs, settings), secrets (sealed envelopes), runner (isolated execution), gateway
 * (HTTP), ui (asset serving), observability (events, metrics, logs, debug stream).
 *
 * @packageDocumentation
 */

export type { BundleErrorOptions, BundleManifestIssue } from './bundle/errors.js';
// bundle: pack, read, hash, sign and verify; trust bundles; bundle stores
export { BundleError, BundleErrorCode } from './bundle/errors.js';
export type { BundleFileDigest, BundleFiles } from './bundle/hash.js';
export { computeContentHash, computeDigest, isContentHash } from './bundle/hash.js';
export type { BundleIndex } from './bundle/index-file.js';
export { BUNDLE_FORMAT } from './bundle/index-file.js';
export type { PublicKeyDocument, PublicKeyInfo } from './bundle/keys.js';
export {
  generateSigningKey,
  keyIdOf,
  loadSigningKey,
  parsePublicKey,
  publicKeyToPem,
  SigningKey,
} from './bundle/keys.js';
export type { BundleLimits } from './bundle/limits.js';
export { DEFAULT_BUNDLE_LIMITS } from './bundle/limits.js';
export type { PackBundleOptions, PackedBundle } from './bundle/pack.js';
export { packBundle } from './bundle/pack.js';
export { BUNDLE_INDEX_PATH } from './bundle/paths.js';
export type { ReadBundle } from './bundle/read.js';
export { readBundle } from './bundle/read.js';
export type {
  BundleSignature,
  BundleSigner,
  SignBundleOptions,
  VerifiedSignature,
  VerifySignatureOptions,
} from './bundle/signature.js';
export {
  parseBundleSignature,
  SIGNATURE_DOMAIN,
  serializeBundleSignature,
  signaturePayload,
  signBundle,
  verifySignature,
} from './bundle/signature.js';
export type { VerifiedBundle, VerifyBundleOptions } from './bundle/verify.js';
export { verifyBundle } from './bundle/verify.js';
// gateway: web-standard handler for /api/ext and /api/ext-proxy, adapters, rate limits
export type {
  ExpressHandler,
  ExpressRequestLike,
  FetchHandler,
  NodeListener,
} from './gateway/adapters.js';
export { createNodeListener, toExpressHandler } from './gateway/adapters.js';
export type { GatewayErrorOptions } from './gateway/errors.js';
export { GATEWAY_ERROR_STATUS, GatewayError, GatewayErrorCode } from './gateway/errors.js';
export type {
  Gateway,
  GatewayEventMap,
  GatewayIdentity,
  GatewayInstall,
  GatewayLimits,
  GatewayOptions,
  GatewayRegistry,
  GatewayRequestEvent,
  GatewayVersionStore,
  ResolveIdentity,
} from './gateway/gateway.js';
export { createGateway, DEFAULT_GATEWAY_LIMITS } from './gateway/gateway.js';
export type { ErrorBody, GatewayLogger } from './gateway/http.js';
export type {
  GatewayRateLimiter,
  RateLimiterOptions,
  RateLimitRejection,
  RateLimitRule,
} from './gateway/rate-limit.js';
export { createRateLimiter } from './gateway/rate-limit.js';
// observability: runner events, Prometheus metrics, logs, debug stream, run records
export type {
  DebugEvent,
  DebugFilter,
  DebugStreamAdapter,
  DebugSubscription,
  RedisDebugAdapterOptions,
} from './observability/debug-stream.js';
export {
  DebugStream,
  debugAdapterFromEnv,
  InProcessDebugAdapter,
  RedisDebugAdapter,
} from './observability/debug-stream.js';
export type {
  DeniedEvent,
  InvocationEndEvent,
  InvocationStartEvent,
  IsolateReplacedEvent,
  LimitEvent,
  ProgramLoadedEvent,
  RunnerEventMap,
  TrapEvent,
} from './observability/events.js';
export { RunnerEvents } from './observability/events.js';
export type { LogMethod, RunnerLogger } from './observability/logger.js';
export { createPinoLogger } from './observability/logger.js';
export type { RunnerMetrics } from './observability/metrics.js';
export { createRunnerMetrics } from './observability/metrics.js';
export type { ExecutionRecorderOptions, ExecutionRecordSink } from './observability/recorder.js';
export { ExecutionRecorder } from './observability/recorder.js';
// registry: stores, installs, settings
export type {
  Actor,
  Authorize,
  RegistryAction,
  RegistryResource,
} from './registry/authorize.js';
export { adminOnly } from './registry/authorize.js';
export type { RegistryIssue } from './registry/errors.js';
export { RegistryError, RegistryErrorCode } from './registry/errors.js';
export { MAX_KV_KEY_BYTES, MAX_KV_LIST_LIMIT } from './registry/kv.js';
export { MemoryRegistryStore } from './registry/memory-store.js';
export type {
  ActorOptions,
  ExtensionSummary,
  GrantOptions,
  InstallOptions,
  InstallSummary,
  PublishResult,
  Registry,
  RegistryEvents,
  RegistryLogger,
  RegistryOptions,
  ResolvedInstall,
  SaveSettingsOptions,
  UpgradeOptions,
  VersionDetail,
  VersionSummary,
} from './registry/registry.js';
export { createRegistry, DEFAULT_RESOLVE_CACHE_TTL_MS } from './registry/registry.js';
export type {
  ConfigInput,
  InstallSettings,
  SecretStatus,
  SecretsInput,
} from './registry/settings.js';
export type { PostgresRegistryStoreOptions } from './registry/sql/postgres-store.js';
export { PostgresRegistryStore } from './registry/sql/postgres-store.js';
export { SqlRegistryStore } from './registry/sql/sql-store.js';
export type { SqliteRegistryStoreOptions } from './registry/sql/sqlite-store.js';
export { SqliteRegistryStore } from './registry/sql/sqlite-store.js';
export type {
  AuditAction,
  AuditEntry,
  ExecutionLogRow,
  ExtensionRecord,
  InstallRecord,
  InstallWriteResult,
  KvDeleteResult,
  KvEntry,
  KvPage,
  KvPutResult,
  KvScope,
  QuotaUsageRow,
  RegistryStore,
  SecretFieldMeta,
  VersionRecord,
  VersionState,
} from './registry/types.js';
// runner: isolated execution with limits and capability providers
export type { LoadHint } from './runner/engine/engine.js';
export type { ComponentLoaderOptions, SignatureSource } from './runner/engine/loader.js';
export { createComponentLoader, signaturesFromRegistry } from './runner/engine/loader.js';
export type { LimitName } from './runner/errors.js';
export { RUNNER_ERROR_STATUS, RunnerError, RunnerErrorCode } from './runner/errors.js';
export { DEFAULT_LIMITS, MAX_LIMITS } from './runner/limits.js';
export type { DefaultProvidersOptions } from './runner/providers/defaults.js';
export { createDefaultProviders } from './runner/providers/defaults.js';
export type { HttpProviderOptions } from './runner/providers/http.js';
export { createHttpProvider } from './runner/providers/http.js';
export type { MetricsProviderOptions } from './runner/providers/metrics.js';
export { createMetricsProvider } from './runner/providers/metrics.js';
export type {
  CapabilityProvider,
  GuestLogLevel,
  ProviderContext,
  ProviderFunction,
  ProviderHooks,
} from './runner/providers/registry.js';
export { ProviderError, ProviderErrorCode, ProviderRegistry } from './runner/providers/registry.js';
export type { SecretsProviderOptions } from './runner/providers/secrets.js';
export { createSecretsProvider } from './runner/providers/secrets.js';
export type { StorageProviderOptions } from './runner/providers/storage.js';
export { createStorageProvider } from './runner/providers/storage.js';
export type { UiProxyProviderOptions, UiProxyRoute } from './runner/providers/ui-proxy.js';
export { createUiProxyProvider } from './runner/providers/ui-proxy.js';
export { executeRequestSchema, parseExecuteRequest } from './runner/request.js';
export { DEFAULT_RESPONSE_HEADERS } from './runner/response-policy.js';
export type { EmbeddedRunner, IsolationOptions, RunnerOptions } from './runner/runner.js';
export { createRunner } from './runner/runner.js';
export type {
  ExecuteError,
  ExecuteHttp,
  ExecuteRequest,
  ExecuteResponse,
  InstancePolicy,
  InvocationContext,
  IsolationMode,
  Runner,
  RunnerLimitOverrides,
  RunnerLimits,
  RunnerStats,
} from './runner/types.js';
// secrets: sealed envelopes and redaction
export { AesGcmSealer } from './secrets/aes-gcm.js';
export { SecretsError, SecretsErrorCode } from './secrets/errors.js';
export type { RawKey } from './secrets/key-provider.js';
export { KeyProvider } from './secrets/key-provider.js';
export type { SecretMap } from './secrets/redact.js';
export {
  createSecretMap,
  isSecretMap,
  RESERVED_SECRET_NAMES,
  Secret,
} from './secrets/redact.js';
export type {
  AesGcmEnvelope,
  SecretAad,
  SecretEnvelope,
  SecretSealer,
  VaultTransitEnvelope,
} from './secrets/sealer.js';
export { encodeAad, parseSecretEnvelope, secretEnvelopeSchema } from './secrets/sealer.js';
export type { VaultTransitSealerOptions } from './secrets/vault-transit.js';
export { VaultTransitSealer } from './secrets/vault-transit.js';
// server: the embedded host (alga serve), the runner service and its client
export type {
  HostSettingName,
  HostSettings,
  HostSettingsInput,
  RawHostSettings,
} from './server/config.js';
export { HOST_SETTINGS, parseHostSettings, resolveHostSettings } from './server/config.js';
export type {
  EmbeddedHost,
  EmbeddedHostOptions,
  StartupWarmReport,
} from './server/embedded-host.js';
export { createEmbeddedHost } from './server/embedded-host.js';
export type { RemoteRunnerOptions } from './server/remote-runner.js';
export { RemoteRunner } from './server/remote-runner.js';
export type {
  RunnerService,
  RunnerServiceOptions,
  ServedRunner,
} from './server/runner-service.js';
export { createRunnerService } from './server/runner-service.js';
export type { FsBundleStoreOptions } from './store/fs-store.js';
export { FsBundleStore } from './store/fs-store.js';
export type { S3BundleStoreOptions } from './store/s3-store.js';
export { S3BundleStore } from './store/s3-store.js';
export type { BundleReadOptions, BundleStore } from './store/types.js';
export type {
  TrustBundleDocument,
  TrustBundleInput,
  TrustBundleKeyEntry,
  TrustedKey,
  TrustSource,
  TrustSourceOptions,
  TrustStore,
} from './trust/trust.js';
export { createTrustSource, loadTrustBundle } from './trust/trust.js';
// ui-assets: /ext-ui/{extensionId}/{contentHash}/{path}
export type {
  UiAssetServer,
  UiAssetServerOptions,
  UiAssetVersionStore,
} from './ui-assets/handler.js';
export {
  createUiAssetServer,
  UI_ASSET_PREFIX,
  uiContentSecurityPolicy,
} from './ui-assets/handler.js';
