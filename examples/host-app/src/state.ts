import type { Actor, EmbeddedHost } from '@alga/host';
import type { Manifest } from '@alga/manifest';
import type { InstallView } from './shared';

/** The host app reads the registry as its operator would. */
const OPERATOR: Actor = { id: 'host-app', roles: ['admin'] };

function uiPathOf(manifest: Manifest): string | null {
  const entry = manifest.ui?.iframe?.entry;
  if (entry === undefined) return null;
  const dir = (manifest.assets?.ui ?? entry.slice(0, entry.lastIndexOf('/'))).replace(/\/+$/, '');
  return entry.startsWith(`${dir}/`) ? entry.slice(dir.length + 1) : null;
}

/** The installs of `tenantId`, with the manifest facts the page needs, by display name. */
export async function installsOf(
  host: Pick<EmbeddedHost, 'registry'>,
  tenantId: string,
): Promise<InstallView[]> {
  const installs = await host.registry.listInstalls(tenantId, { actor: OPERATOR });
  const views = await Promise.all(
    installs.map(async (install): Promise<InstallView> => {
      const { manifest } = await host.registry.getVersion(install.extensionId, install.version, {
        actor: OPERATOR,
      });
      return {
        extensionId: install.extensionId,
        displayName: manifest.displayName ?? manifest.name,
        description: manifest.description ?? '',
        version: install.version,
        contentHash: install.contentHash,
        enabled: install.enabled,
        grants: install.grants,
        uiPath: uiPathOf(manifest),
        settings: manifest.settings,
        endpoints: manifest.api.endpoints.map((endpoint) => ({
          method: endpoint.method,
          path: endpoint.path,
          description: endpoint.description ?? null,
        })),
      };
    }),
  );
  return views.sort((a, b) => a.displayName.localeCompare(b.displayName));
}
