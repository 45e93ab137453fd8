/**
 * `@alga/host`: everything a host application needs to run Alga extensions safely.
 *
 * Modules: bundle (pack, hash, sign, verify), store (bundle stores), registry (publish,
 * installs, settings), secrets (sealed envelopes), runner (isolated execution), gateway
 * (HTTP), ui (asset serving), observability (events, metrics, logs, debug stream).
 *
 * @packageDocumentation
 */

export type { RegistryIssue } from './registry/errors.js';

// registry: stores, installs, settings
export { RegistryError, RegistryErrorCode } from './registry/errors.js';
export { MAX_KV_KEY_BYTES, MAX_KV_LIST_LIMIT } from './registry/kv.js';
export { MemoryRegistryStore } from './registry/memory-store.js';
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
