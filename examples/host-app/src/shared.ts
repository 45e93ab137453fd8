import type { SettingField } from '@alga/manifest';

/** The header the page names its selected tenant in (its "session"). */
export const TENANT_HEADER = 'x-alga-demo-tenant';

/** One install as the host page shows it. */
export interface InstallView {
  readonly extensionId: string;
  readonly displayName: string;
  readonly description: string;
  readonly version: string;
  readonly contentHash: string;
  readonly enabled: boolean;
  readonly grants: readonly string[];
  /** The iframe entry relative to the bundle's UI folder, when the extension has a UI. */
  readonly uiPath: string | null;
  readonly settings: readonly SettingField[];
  readonly endpoints: ReadonlyArray<{ method: string; path: string; description: string | null }>;
}

/** What `GET /demo/api/state` answers: the tenants, each with its installs. */
export interface HostAppState {
  /** Origin the `/ext-ui/` iframes load from (another origin than the page). */
  readonly uiOrigin: string;
  readonly tenants: ReadonlyArray<{ id: string; installs: readonly InstallView[] }>;
}
