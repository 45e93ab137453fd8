import { Hono } from 'hono';
import { z } from 'zod';
import { maxArchiveBytes, resolveLimits } from '../bundle/limits';
import { manifestPaths } from '../bundle/read';
import { parseBundleSignature } from '../bundle/signature';
import { readBodyCapped } from '../gateway/body';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';
import {
  answerError,
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
  })
  .strict();
const tenantBody = z.object({ tenant: z.string().min(1).max(63) }).strict();

/** Drops keys whose value is `undefined`, so zod output fits `exactOptionalPropertyTypes` options. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

const readJson = <T>(request: Request, schema: z.ZodType<T>): Promise<T> =>
  readJsonBody(request, MAX_JSON_BYTES, 'the admin API JSON limit', (json) => schema.parse(json));

/** `{tenant}/{extensionId}` from the path after `/api/v1/installs/`, minus `suffix`. */
function installPath(path: string, suffix: string): { tenant: string; extensionId: string } {
  const rest = path.slice('/api/v1/installs/'.length);
  const trimmed = suffix === '' ? rest : rest.slice(0, -suffix.length);
  const [tenantSegment = '', ...segments] = trimmed.split('/');
  const extension = takeExtensionId(segments);
  if (extension === undefined || extension.used !== segments.length) {
    throw new GatewayError(GatewayErrorCode.NOT_FOUND, 'No such install path.');
  }
  return { tenant: decodeSegment(tenantSegment), extensionId: extension.id };
}

/**
 * The admin API of the embedded host, behind the admin bearer token: publish, list, install,
 * change installs, settings (secrets are write-only: answers say whether one is set, never
 * its value) and tenants with their gateway API keys.
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

  app.post('/api/v1/extensions/install', async (c) => {
    const body = await readJson(c.req.raw, installBody);
    if (!options.tenants.list().includes(body.tenant)) {
      throw new GatewayError(
        GatewayErrorCode.NOT_FOUND,
        `Tenant ${body.tenant} does not exist; create it with POST /api/v1/tenants.`,
      );
    }
    const { tenant, extensionId, ...rest } = body;
    const install = await options.registry.install(tenant, extensionId, {
      actor: ADMIN,
      ...defined(rest),
    });
    await options.warm?.(install).catch((error: unknown) => {
      options.logger?.warn(
        { extensionId, version: install.version, err: describeError(error) },
        'warming the installed bundle failed; its first request will load it',
      );
    });
    return jsonResponse(await withUi(install), 201, requestIdOf(c.req.raw));
  });

  app.patch('/api/v1/installs/*', async (c) => {
    const { tenant, extensionId } = installPath(c.req.path, '');
    const body = await readJson(c.req.raw, installPatchBody);
    let install: InstallSummary | undefined;
    if (body.grants !== undefined || body.egress !== undefined) {
      const { enabled: _enabled, ...grants } = body;
      install = await options.registry.setGrants(tenant, extensionId, {
        actor: ADMIN,
        ...defined(grants),
      });
    }
    if (body.enabled !== undefined) {
      install = await options.registry.setEnabled(tenant, extensionId, body.enabled, {
        actor: ADMIN,
      });
    }
    if (install === undefined) {
      throw new GatewayError(GatewayErrorCode.BAD_REQUEST, 'Give enabled, grants or egress.');
    }
    return jsonResponse(await withUi(install), 200, requestIdOf(c.req.raw));
  });

  app.on(['GET', 'PUT', 'DELETE'], '/api/v1/installs/*', async (c) => {
    if (!c.req.path.endsWith('/settings')) {
      throw new GatewayError(GatewayErrorCode.NOT_FOUND, 'No such admin route.');
    }
    const { tenant, extensionId } = installPath(c.req.path, '/settings');
    const actor = { actor: ADMIN };
    const settings =
      c.req.method === 'GET'
        ? await options.registry.getSettings(tenant, extensionId, actor)
        : c.req.method === 'PUT'
          ? await options.registry.saveSettings(tenant, extensionId, {
              ...actor,
              ...defined(await readJson(c.req.raw, settingsBody)),
            })
          : await options.registry.resetSettings(tenant, extensionId, actor);
    return jsonResponse(settings, 200, requestIdOf(c.req.raw));
  });

  app.post('/api/v1/tenants', async (c) => {
    const { tenant } = await readJson(c.req.raw, tenantBody);
    const apiKey = await options.tenants.issueKey(tenant);
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
