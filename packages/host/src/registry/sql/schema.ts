import type { Generated } from 'kysely';

// Portable column types shared by SQLite and PostgreSQL: JSON is text, booleans are 0/1
// integers, times are ISO 8601 UTC text (sortable), and PostgreSQL bigints arrive as strings.

export interface ExtensionsTable {
  id: string;
  publisher: string;
  created_at: string;
}

export interface ExtensionVersionsTable {
  extension_id: string;
  version: string;
  manifest: string;
  content_hash: string;
  signature: string;
  publisher_key_id: string;
  publisher: string;
  bundle_size: number | string;
  component_size: number | string;
  published_at: string;
  state: string;
}

export interface InstallsTable {
  install_id: string;
  tenant_id: string;
  extension_id: string;
  version: string;
  content_hash: string;
  grants: string;
  egress: string;
  enabled: number;
  revision: number;
  created_at: string;
  updated_at: string;
}

export interface InstallConfigTable {
  install_id: string;
  config: string;
  version: number;
  updated_at: string;
}

export interface InstallSecretsTable {
  install_id: string;
  envelope: string | null;
  fields: string;
  version: number;
  updated_at: string;
}

export interface InstallAuditTable {
  id: Generated<number>;
  tenant_id: string;
  extension_id: string;
  install_id: string;
  action: string;
  actor: string;
  at: string;
  from_version: string | null;
  to_version: string | null;
  detail: string;
}

export interface KvTable {
  tenant_id: string;
  extension_id: string;
  key: string;
  value: Uint8Array;
  revision: number;
  /** UTF-8 key bytes + value bytes, so usage is one SUM on both dialects. */
  size: number;
}

export interface ExecutionLogsTable {
  id: Generated<number>;
  request_id: string;
  tenant_id: string;
  extension_id: string;
  install_id: string;
  version: string;
  content_hash: string;
  started_at: string;
  duration_ms: number | string;
  status: number;
  outcome: string;
  memory_bytes: number | string;
  egress_bytes: number | string;
}

export interface QuotaUsageTable {
  tenant_id: string;
  extension_id: string;
  window_start: string;
  metric: string;
  amount: number;
}

export interface RegistryDatabase {
  extensions: ExtensionsTable;
  extension_versions: ExtensionVersionsTable;
  installs: InstallsTable;
  install_config: InstallConfigTable;
  install_secrets: InstallSecretsTable;
  install_audit: InstallAuditTable;
  kv: KvTable;
  execution_logs: ExecutionLogsTable;
  quota_usage: QuotaUsageTable;
}
