import type { HostInterfaceName } from './host';

/** Which capability and WIT interface each `ctx` member needs (kept in step with the catalog by a test). */
export const CONTEXT_MEMBERS = {
  context: { capability: 'cap:context.read', witInterface: 'context' },
  config: { capability: 'cap:config.read', witInterface: 'config' },
  secrets: { capability: 'cap:secrets.get', witInterface: 'secrets' },
  http: { capability: 'cap:http.fetch', witInterface: 'http' },
  storage: { capability: 'cap:storage.kv', witInterface: 'storage' },
  log: { capability: 'cap:log.emit', witInterface: 'log' },
  metrics: { capability: 'cap:metrics.emit', witInterface: 'metrics' },
  uiProxy: { capability: 'cap:ui_proxy', witInterface: 'ui-proxy' },
} as const satisfies Record<string, { capability: string; witInterface: HostInterfaceName }>;

/** A `ctx` member that needs a capability. */
export type ContextMember = keyof typeof CONTEXT_MEMBERS;
