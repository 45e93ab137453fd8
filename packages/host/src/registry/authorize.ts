/** Who is asking: the host app's user or service, as its RBAC knows them. */
export interface Actor {
  /** Stable id, written to the audit trail. */
  readonly id: string;
  /** Roles the host assigned; the default {@link Authorize} allows only `admin`. */
  readonly roles?: readonly string[];
  /** The tenant the actor belongs to, for hosts whose RBAC is per tenant. */
  readonly tenantId?: string;
}

/** Every action the registry asks {@link Authorize} about. */
export type RegistryAction =
  | 'extension.read'
  | 'extension.publish'
  | 'extension.yank'
  | 'install.read'
  | 'install.create'
  | 'install.upgrade'
  | 'install.uninstall'
  | 'install.enable'
  | 'install.disable'
  | 'install.grants'
  | 'settings.read'
  | 'settings.write'
  | 'settings.reset';

/** What an action is about. */
export interface RegistryResource {
  /** `*` for every extension (a catalog listing, every install of a tenant). */
  readonly extensionId: string;
  /** Absent for extension-wide actions (publish, yank, read). */
  readonly tenantId?: string;
  readonly version?: string;
}

/**
 * The host app's RBAC hook: true allows the action. Called before every registry action
 * except `resolveInstall` (the gateway's hot path, which authenticates end users itself).
 */
export type Authorize = (
  actor: Actor,
  action: RegistryAction,
  resource: RegistryResource,
) => boolean | Promise<boolean>;

/**
 * The default {@link Authorize}: deny everything except an actor with the `admin` role.
 *
 * @example
 * const registry = createRegistry({ ...options, authorize: (actor, action, resource) =>
 *   actor.roles?.includes('admin') || (action === 'settings.read' && actor.tenantId === resource.tenantId) });
 */
export const adminOnly: Authorize = (actor) => actor.roles?.includes('admin') === true;
