import { Hono } from 'hono';
import { z } from 'zod';
import { maxArchiveBytes, resolveLimits } from '../bundle/limits';
import { manifestPaths } from '../bundle/read';
import { parseBundleSignature } from '../bundle/signature';
import { readBodyCapped } from '../gateway/body';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';
import {
  answerError,
  baseHeaders,
  describeError,
  type GatewayLogger,
  jsonResponse,
  requestIdOf,
} from '../gateway/http';
import { decodeSegment, takeExtensionId } from '../gateway/route';
import type { Actor } from '../registry/authorize';
import type { InstallSummary, Registry } from '../registry/registry';
import { extUiUrl } from '../ui-assets/handler';
import { requireBearer } from './auth';
import { adminError } from './errors';
import { readJsonBody } from './json';
import type { TenantKeyStore } from './tenants';

/** Options of {@link createAdminApi}. */
export interface AdminApiOptions {
  registry: Registry;
  tenants: TenantKeyStore;
  /** The bearer token every admin call must present. */
  adminToken: string;
  /** Public origin of `/ext-ui/` (`RUNNER_PUBLIC_BASE`), for the `ui.src` of installs. */
  publicBase: string;
  /** Where host-side failures are logged. */
  logger?: GatewayLogger;
  /**
   * Loads, verifies and compiles an install's bundle before the install call answers, so
   * its first request pays no cold start. A failure is logged; the install stands.
   */
  warm?: (install: InstallSummary) => Promise<void>;
}

const ADMIN: Actor = { id: 'admin-token', roles: ['admin'] };
const MAX_JSON_BYTES = 1024 * 1024;

const settingValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const installBody = z
  .object({
    tenant: z.string().min(1).max(63),
    extensionId: z.string().min(1).max(214),
    version: z.string().min(1).max(64).optional(),
    grants: z.array(z.string().max(64)).max(64).optional(),
    egress: z.array(z.string().max(512)).max(256).optional(),
    config: z.record(z.string(), settingValue).optional(),
    secrets: z.record(z.string(), z.union([z.string(), z.null()])).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
const settingsBody = z
  .object({
    config: z.record(z.string(), settingValue).optional(),
    secrets: z.record(z.string(), z.union([z.string(), z.null()])).optional(),
  })
  .strict();
const installPatchBody = z
  .object({
    enabled: z.boolean().optional(),
    grants: z.array(z.string().max(64)).max(64).optional(),
    egress: z.array(z.string().max(512)).max(256).optional(),
    /** Moves the install (up or down); `latest`: the highest active version. */
    version: z.string().min(1).max(64).optional(),
    /** Config changes that go with a version move (e.g. a setting the new version requires). */
    config: z.record(z.string(), settingValue).optional(),
  })
  .strict();
const tenantBody = z
  .object({ tenant: z.string().min(1).max(63), expect: z.enum(['new', 'existing']).optional() })
  .strict();

/** Drops keys whose value is `undefined`, so zod output fits `exactOptionalPropertyTypes` options. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

const readJson = <T>(request: Request, schema: z.ZodType<T>): Promise<T> =>
  readJsonBody(request, MAX_JSON_BYTES, 'the admin API JSON limit', (json) => schema.parse(json));

const noSuchRoute = () => new GatewayError(GatewayErrorCode.NOT_FOUND, 'No such admin route.');

/** What a path below `/api/v1/installs/` names: a tenant, one of its installs, or a part of one. */
interface InstallTarget {
  readonly tenant: string;
  readonly extensionId?: string;
  readonly part?: 'settings' | 'audit';
}

/** Parses `{tenant}[/{extensionId}[/settings|/audit]]` (a scoped id may take two segments). */
function installTarget(path: string): InstallTarget {
  const [tenantSegment = '', ...segments] = path.slice('/api/v1/installs/'.length).split('/');
  const tenant = decodeSegment(tenantSegment);
  if (tenant === '') throw new GatewayError(GatewayErrorCode.NOT_FOUND, 'No such install path.');
  if (segments.length === 0) return { tenant };
  const extension = takeExtensionId(segments);
  const rest = segments.slice(extension?.used ?? 0);
  if (extension === undefined || rest.length > 1) {
    throw new GatewayError(GatewayErrorCode.NOT_FOUND, 'No such install path.');
  }
  const [part] = rest;
  if (part === undefined) return { tenant, extensionId: extension.id };
  if (part === 'settings' || part === 'audit') return { tenant, extensionId: extension.id, part };
  throw new GatewayError(GatewayErrorCode.NOT_FOUND, 'No such install path.');
}

/** `{extensionId}/versions/{version}[/yank]` from the path after `/api/v1/extensions/`. */
function versionTarget(path: string): { extensionId: string; version: string; yank: boolean } {
  const segments = path.slice('/api/v1/extensions/'.length).split('/');
  const extension = takeExtensionId(segments);
  const [versions, version, action, ...extra] = segments.slice(extension?.used ?? 0);
  if (
    extension === undefined ||
    versions !== 'versions' ||
    version === undefined ||
    version === '' ||
    (action !== undefined && action !== 'yank') ||
    extra.length > 0
  ) {
    throw new GatewayError(
      GatewayErrorCode.NOT_FOUND,
      'No such extension path; use /api/v1/extensions/{extensionId}/versions/{version}.',
    );
  }
  return { extensionId: extension.id, version: decodeSegment(version), yank: action === 'yank' };
}

/**
 * The admin API of the embedded host, behind the admin bearer token: publish, the catalog and
 * one version's manifest, yank, install, list a tenant's installs, move an install to another
 * version, enable, grants, uninstall, the audit trail, settings (secrets are write-only: answers
 * say whether one is set, never its value) and tenants with their gateway API keys.
 */
export function createAdminApi(options: AdminApiOptions): Hono {
  const app = new Hono();
  const maxPublishBytes = maxArchiveBytes(resolveLimits()) + 64 * 1024;

  app.use(
    '/api/v1/*',
    requireBearer(
      options.adminToken,
      'The admin API needs authorization: Bearer <admin token> (--admin-token / ALGA_ADMIN_TOKEN).',
    ),
  );

  const uiOf = async (install: InstallSummary): Promise<{ src: string } | undefined> => {
    const { manifest } = await options.registry.getVersion(install.extensionId, install.version, {
      actor: ADMIN,
    });
    const entry = manifest.ui?.iframe?.entry;
    const dir = manifestPaths(manifest).uiDir?.replace(/\/+$/, '');
    if (entry === undefined || dir === undefined || !entry.startsWith(`${dir}/`)) return undefined;
    const path = entry.slice(dir.length + 1);
    return { src: extUiUrl(options.publicBase, install.extensionId, install.contentHash, path) };
  };
  const withUi = async (install: InstallSummary) => {
    const ui = await uiOf(install);
    return ui === undefined ? install : { ...install, ui };
  };

  app.post('/api/v1/extensions', async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    if (!contentType.startsWith('multipart/form-data')) {
      throw new GatewayError(
        GatewayErrorCode.BAD_REQUEST,
        'Publish with multipart/form-data holding a "bundle" file and a "signature" part.',
      );
    }
    const bytes = await readBodyCapped(c.req.raw, maxPublishBytes, 'the bundle size limit');
    let form: FormData;
    try {
      form = await new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: { 'content-type': contentType },
      }).formData();
    } catch (cause) {
      throw new GatewayError(GatewayErrorCode.BAD_REQUEST, 'The multipart body is malformed.', {
        cause,
      });
    }
    const bundle = form.get('bundle');
    const signature = form.get('signature');
    if (!(bundle instanceof Blob) || signature === null) {
      throw new GatewayError(
        GatewayErrorCode.BAD_REQUEST,
        'The multipart body needs a "bundle" file part and a "signature" part.',
      );
    }
    const signatureText = typeof signature === 'string' ? signature : await signature.text();
    let signatureJson: unknown;
    try {
      signatureJson = JSON.parse(signatureText);
    } catch (cause) {
      throw new GatewayError(GatewayErrorCode.BAD_REQUEST, 'The "signature" part is not JSON.', {
        cause,
      });
    }
    const result = await options.registry.publish(
      new Uint8Array(await bundle.arrayBuffer()),
      parseBundleSignature(signatureJson),
      { actor: ADMIN },
    );
    return jsonResponse(result, result.created ? 201 : 200, requestIdOf(c.req.raw));
  });

  app.get('/api/v1/extensions', async (c) => {
    const extensions = await options.registry.listExtensions({ actor: ADMIN });
    const listed = extensions.map((extension) => ({
      id: extension.extensionId,
      publisher: extension.publisher,
      versions: extension.versions.map((v) => ({
        version: v.version,
        contentHash: v.contentHash,
        state: v.state,
        publishedAt: v.publishedAt,
      })),
    }));
    return jsonResponse({ extensions: listed }, 200, requestIdOf(c.req.raw));
  });

  /** Loads the install's bundle before the call answers; a failure leaves it to the first request. */
  const warm = async (install: InstallSummary) => {
    await options.warm?.(install).catch((error: unknown) => {
      options.logger?.warn(
        { extensionId: install.extensionId, version: install.version, err: describeError(error) },
        'warming the installed bundle failed; its first request will load it',
      );
    });
  };

  const requireTenant = (tenant: string) => {
    if (!options.tenants.has(tenant)) {
      throw new GatewayError(
        GatewayErrorCode.NOT_FOUND,
        `Tenant ${tenant} does not exist; create it with POST /api/v1/tenants.`,
      );
    }
  };

  app.post('/api/v1/extensions/install', async (c) => {
    const body = await readJson(c.req.raw, installBody);
    requireTenant(body.tenant);
    const { tenant, extensionId, ...rest } = body;
    const install = await options.registry.install(tenant, extensionId, {
      actor: ADMIN,
      ...defined(rest),
    });
    await warm(install);
    return jsonResponse(await withUi(install), 201, requestIdOf(c.req.raw));
  });

  app.get('/api/v1/extensions/*', async (c) => {
    const { extensionId, version, yank } = versionTarget(c.req.path);
    if (yank) throw new GatewayError(GatewayErrorCode.NOT_FOUND, 'Yank with POST.');
    const detail = await options.registry.getVersion(extensionId, version, { actor: ADMIN });
    return jsonResponse(detail, 200, requestIdOf(c.req.raw));
  });

  app.post('/api/v1/extensions/*', async (c) => {
    const { extensionId, version, yank } = versionTarget(c.req.path);
    if (!yank) throw noSuchRoute();
    await options.registry.yank(extensionId, version, { actor: ADMIN });
    const { manifest: _manifest, ...yanked } = await options.registry.getVersion(
      extensionId,
      version,
      { actor: ADMIN },
    );
    return jsonResponse(yanked, 200, requestIdOf(c.req.raw));
  });

  app.patch('/api/v1/installs/*', async (c) => {
    const { tenant, extensionId, part } = installTarget(c.req.path);
    if (extensionId === undefined || part !== undefined) {
      throw noSuchRoute();
    }
    const body = await readJson(c.req.raw, installPatchBody);
    const { enabled, version, config, ...grants } = body;
    const actor = { actor: ADMIN };
    let install: InstallSummary | undefined;
    if (version !== undefined) {
      install = await options.registry.upgrade(tenant, extensionId, {
        ...actor,
        ...defined(grants),
        ...(version === 'latest' ? {} : { version }),
        ...(config === undefined ? {} : { config }),
      });
      await warm(install);
    } else if (config !== undefined) {
      throw new GatewayError(
        GatewayErrorCode.BAD_REQUEST,
        `config goes with a version change; otherwise PUT /api/v1/installs/${tenant}/${extensionId}/settings.`,
      );
    } else if (grants.grants !== undefined || grants.egress !== undefined) {
      install = await options.registry.setGrants(tenant, extensionId, {
        ...actor,
        ...defined(grants),
      });
    }
    if (enabled !== undefined) {
      install = await options.registry.setEnabled(tenant, extensionId, enabled, actor);
    }
    if (install === undefined) {
      throw new GatewayError(
        GatewayErrorCode.BAD_REQUEST,
        'Give version, enabled, grants or egress.',
      );
    }
    return jsonResponse(await withUi(install), 200, requestIdOf(c.req.raw));
  });

  app.on(['GET', 'PUT', 'DELETE'], '/api/v1/installs/*', async (c) => {
    const { tenant, extensionId, part } = installTarget(c.req.path);
    const method = c.req.method;
    const actor = { actor: ADMIN };
    const answer = (body: unknown, status = 200) =>
      jsonResponse(body, status, requestIdOf(c.req.raw));
    if (extensionId === undefined) {
      if (method !== 'GET') throw noSuchRoute();
      requireTenant(tenant);
      const installs = await options.registry.listInstalls(tenant, actor);
      return answer({ installs: await Promise.all(installs.map(withUi)) });
    }
    if (part === 'audit') {
      if (method !== 'GET') throw noSuchRoute();
      return answer({ entries: await options.registry.auditTrail(tenant, extensionId, actor) });
    }
    if (part === undefined) {
      if (method !== 'DELETE') throw noSuchRoute();
      await options.registry.uninstall(tenant, extensionId, actor);
      return new Response(null, { status: 204, headers: baseHeaders(requestIdOf(c.req.raw)) });
    }
    const settings =
      method === 'GET'
        ? await options.registry.getSettings(tenant, extensionId, actor)
        : method === 'PUT'
          ? await options.registry.saveSettings(tenant, extensionId, {
              ...actor,
              ...defined(await readJson(c.req.raw, settingsBody)),
            })
          : await options.registry.resetSettings(tenant, extensionId, actor);
    return answer(settings);
  });

  app.post('/api/v1/tenants', async (c) => {
    const { tenant, expect } = await readJson(c.req.raw, tenantBody);
    const apiKey = await options.tenants.issueKey(tenant, expect);
    return jsonResponse({ tenant, apiKey }, 201, requestIdOf(c.req.raw));
  });

  app.get('/api/v1/tenants', (c) =>
    jsonResponse({ tenants: options.tenants.list() }, 200, requestIdOf(c.req.raw)),
  );

  app.onError((error, c) =>
    answerError(adminError(error), requestIdOf(c.req.raw), options.logger, 'admin request'),
  );
  return app;
}
