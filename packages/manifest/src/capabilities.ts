/** One entry of the capability catalog: what an extension may ask for and what it unlocks. */
export interface CapabilityInfo {
  /** Stable id used in manifests and grants, e.g. `cap:secrets.get`. */
  readonly id: string;
  /** What granting it allows, for operators reviewing an install. */
  readonly description: string;
  /** The WIT interface (in `alga:extension@1.0.0`) the capability unlocks. */
  readonly witInterface: string;
  /** Granted on install unless the operator removes it. */
  readonly defaultGrant: boolean;
}

/**
 * The capability catalog. Each capability unlocks exactly one interface of the
 * `alga:extension` WIT world, so a component's imports can be checked against its manifest.
 */
export const CAPABILITIES = {
  'cap:context.read': {
    id: 'cap:context.read',
    description:
      'Read the ids of the current invocation (request, tenant, install, extension, version).',
    witInterface: 'alga:extension/context',
    defaultGrant: true,
  },
  'cap:log.emit': {
    id: 'cap:log.emit',
    description: 'Write structured logs, correlated with the request by the host.',
    witInterface: 'alga:extension/log',
    defaultGrant: true,
  },
  'cap:config.read': {
    id: 'cap:config.read',
    description: "Read the install's plain configuration values.",
    witInterface: 'alga:extension/config',
    defaultGrant: false,
  },
  'cap:secrets.get': {
    id: 'cap:secrets.get',
    description: "Read the install's secrets, decrypted by the host on demand.",
    witInterface: 'alga:extension/secrets',
    defaultGrant: false,
  },
  'cap:http.fetch': {
    id: 'cap:http.fetch',
    description: 'Make outbound HTTP requests to hosts on the install and operator allowlists.',
    witInterface: 'alga:extension/http',
    defaultGrant: false,
  },
  'cap:storage.kv': {
    id: 'cap:storage.kv',
    description: 'Read and write a key-value store scoped to the tenant and extension.',
    witInterface: 'alga:extension/storage',
    defaultGrant: false,
  },
  'cap:metrics.emit': {
    id: 'cap:metrics.emit',
    description: 'Emit counters and histograms to the host metrics.',
    witInterface: 'alga:extension/metrics',
    defaultGrant: false,
  },
  'cap:ui_proxy': {
    id: 'cap:ui_proxy',
    description: "Call the host application's named UI proxy routes.",
    witInterface: 'alga:extension/ui-proxy',
    defaultGrant: false,
  },
} as const satisfies Record<string, CapabilityInfo>;

/** A capability id from the catalog. */
export type CapabilityId = keyof typeof CAPABILITIES;

/** Every capability id in the catalog, in catalog order. */
export const CAPABILITY_IDS = Object.keys(CAPABILITIES) as readonly CapabilityId[];

/** The capabilities granted on install unless the operator removes them. */
export const DEFAULT_GRANTS: readonly CapabilityId[] = CAPABILITY_IDS.filter(
  (id) => CAPABILITIES[id].defaultGrant,
);

/** True when `id` names a capability in the catalog. */
export function isCapabilityId(id: string): id is CapabilityId {
  return Object.hasOwn(CAPABILITIES, id);
}
