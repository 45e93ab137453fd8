import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';
import { printInstall, splitVersion } from './install';
import {
  type AdminTarget,
  adminTarget,
  answerOf,
  callAdmin,
  installPath,
  targetFlags,
  targetOptions,
} from './publish';

// Loose: `--json` prints what the host answered, fields this CLI does not read included.
const installedSchema = z.looseObject({
  installId: z.string(),
  tenantId: z.string(),
  extensionId: z.string(),
  version: z.string(),
  grants: z.array(z.string()),
  enabled: z.boolean(),
  ui: z.object({ src: z.string() }).optional(),
});

/** One of a tenant's installs, as the admin API lists them. */
export type InstalledExtension = z.infer<typeof installedSchema>;

const versionSchema = z.looseObject({
  version: z.string(),
  contentHash: z.string(),
  state: z.string(),
  publishedAt: z.string(),
});

const catalogSchema = z.object({
  extensions: z.array(
    z.looseObject({ id: z.string(), publisher: z.string(), versions: z.array(versionSchema) }),
  ),
});

/** A published extension and its versions in publish order, as the admin API lists them. */
export type CatalogExtension = z.infer<typeof catalogSchema>['extensions'][number];

const yankedSchema = versionSchema.extend({ extensionId: z.string() });

/** A version once yanked: running installs keep it, no new install or upgrade may take it. */
export type YankedVersion = z.infer<typeof yankedSchema>;

/**
 * Lists a tenant's installs through a host's admin API (`GET /api/v1/installs/{tenant}`).
 *
 * @example
 * ```ts
 * const installs = await listInstalls('acme',
 *   { host: 'http://127.0.0.1:3000', token: process.env.ALGA_ADMIN_TOKEN! });
 * ```
 */
export async function listInstalls(
  tenant: string,
  target: AdminTarget,
): Promise<InstalledExtension[]> {
  const answer = await callAdmin(target, `/api/v1/installs/${encodeURIComponent(tenant)}`, {
    method: 'GET',
  });
  return answerOf(z.object({ installs: z.array(installedSchema) }), answer, target, 'the listing')
    .installs;
}

/** Lists every published extension with its versions through a host's admin API (`GET /api/v1/extensions`). */
export async function listCatalog(target: AdminTarget): Promise<CatalogExtension[]> {
  const answer = await callAdmin(target, '/api/v1/extensions', { method: 'GET' });
  return answerOf(catalogSchema, answer, target, 'the catalog').extensions;
}

/**
 * Yanks a published version through a host's admin API
 * (`POST /api/v1/extensions/{extensionId}/versions/{version}/yank`): installs on it keep
 * running, and no new install or upgrade may take it.
 */
export async function yankVersion(
  request: { readonly extensionId: string; readonly version: string },
  target: AdminTarget,
): Promise<YankedVersion> {
  const path = `/api/v1/extensions/${encodeURIComponent(request.extensionId)}/versions/${encodeURIComponent(request.version)}/yank`;
  const answer = await callAdmin(target, path, { method: 'POST' });
  return answerOf(yankedSchema, answer, target, 'the yank');
}

const auditSchema = z.object({
  entries: z.array(
    z.looseObject({
      action: z.string(),
      actor: z.string(),
      at: z.string(),
      fromVersion: z.string().nullish(),
      toVersion: z.string().nullish(),
      detail: z.record(z.string(), z.array(z.string())),
    }),
  ),
});

/** One entry of an install's audit trail: who did what and when; the names of what changed, never values. */
export type AuditEntry = z.infer<typeof auditSchema>['entries'][number];

/**
 * An install's audit trail, oldest first, through a host's admin API
 * (`GET /api/v1/installs/{tenant}/{extensionId}/audit`); it outlives an uninstall.
 */
export async function installAuditTrail(
  install: { readonly tenant: string; readonly extensionId: string },
  target: AdminTarget,
): Promise<AuditEntry[]> {
  const answer = await callAdmin(target, installPath(install, 'audit'), { method: 'GET' });
  return answerOf(auditSchema, answer, target, 'the audit trail').entries;
}

/** `1.0.0`, `1.0.0 -> 1.1.0` or nothing, for an audit line. */
function versionMove(entry: AuditEntry): string {
  const from = entry.fromVersion ?? undefined;
  const to = entry.toVersion ?? undefined;
  if (from === undefined || from === to) return to ?? from ?? '';
  return to === undefined ? from : `${from} -> ${to}`;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const listFlags = z.strictObject({ json: z.boolean().optional(), ...targetFlags });

const installsFlags = listFlags.extend({ tenant: z.string().min(1) });

function printAudit(entries: readonly AuditEntry[], extensionId: string, tenant: string): void {
  if (entries.length === 0) {
    process.stdout.write(`no audit entries for ${extensionId} of ${tenant}\n`);
    return;
  }
  for (const entry of entries) {
    const detail = Object.entries(entry.detail)
      .filter(([, names]) => names.length > 0)
      .map(([kind, names]) => `${kind}: ${names.join(', ')}`)
      .join('; ');
    const columns = [entry.at, entry.action, `by ${entry.actor}`, versionMove(entry), detail];
    process.stdout.write(`${columns.filter((column) => column !== '').join('  ')}\n`);
  }
}

/**
 * Registers `alga installs --tenant <t>`, `alga versions [extensionId]`, `alga yank
 * <extensionId>@<version>` and `alga audit <extensionId> --tenant <t>`.
 */
export function registerCatalog(program: Command): void {
  targetOptions(
    program
      .command('installs')
      .description("list a tenant's installs on a running Alga host")
      .requiredOption('--tenant <tenant>', 'the tenant whose installs to list')
      .option('--json', 'print the listing as JSON'),
  ).action(async (rawFlags: unknown) => {
    const flags = parseFlags(installsFlags, rawFlags, 'installs');
    const installs = await listInstalls(flags.tenant, adminTarget(flags, 'installs'));
    if (flags.json === true) return printJson(installs);
    if (installs.length === 0) process.stdout.write(`no installs for ${flags.tenant}\n`);
    for (const install of installs) {
      const state = install.enabled ? '' : ' (disabled)';
      printInstall(`${install.extensionId}@${install.version}${state}`, install);
    }
  });

  targetOptions(
    program
      .command('versions [extension]')
      .description(
        'list published extensions and their versions (one extension when its id is given) on a running Alga host',
      )
      .option('--json', 'print the catalog as JSON'),
  ).action(async (extensionId: string | undefined, rawFlags: unknown) => {
    const flags = parseFlags(listFlags, rawFlags, 'versions');
    const target = adminTarget(flags, 'versions');
    const catalog = (await listCatalog(target)).filter(
      (extension) => extensionId === undefined || extension.id === extensionId,
    );
    if (extensionId !== undefined && catalog.length === 0) {
      throw new CliError('REMOTE', `${target.host} has no published extension ${extensionId}`);
    }
    if (flags.json === true) return printJson(catalog);
    if (catalog.length === 0) process.stdout.write('no published extensions\n');
    for (const extension of catalog) {
      process.stdout.write(`${extension.id} (publisher ${extension.publisher})\n`);
      for (const version of extension.versions) {
        const columns = [version.version, version.state, version.contentHash, version.publishedAt];
        process.stdout.write(`  ${columns.join('  ')}\n`);
      }
    }
  });

  targetOptions(
    program
      .command('yank <extension>')
      .description(
        'yank a published version (<extensionId>@<version>) on a running Alga host: its installs keep running, no new install or upgrade may take it',
      )
      .option('--json', 'print the yanked version as JSON'),
  ).action(async (extension: string, rawFlags: unknown) => {
    const flags = parseFlags(listFlags, rawFlags, 'yank');
    const { extensionId, version } = splitVersion(extension);
    if (version === undefined || version === '') {
      throw new CliError('USAGE', `alga yank: name the version, as ${extensionId}@<version>`);
    }
    const yanked = await yankVersion({ extensionId, version }, adminTarget(flags, 'yank'));
    if (flags.json === true) return printJson(yanked);
    process.stdout.write(
      `yanked ${yanked.extensionId}@${yanked.version} ${yanked.contentHash}: its installs keep running; no new install or upgrade may take it\n`,
    );
  });

  targetOptions(
    program
      .command('audit <extension>')
      .description(
        "list who installed, moved, re-configured, disabled or removed a tenant's install, and when, on a running Alga host (names of what changed, never values)",
      )
      .requiredOption('--tenant <tenant>', 'the tenant whose install it is')
      .option('--json', 'print the audit trail as JSON'),
  ).action(async (extensionId: string, rawFlags: unknown) => {
    const flags = parseFlags(installsFlags, rawFlags, 'audit');
    const entries = await installAuditTrail(
      { tenant: flags.tenant, extensionId },
      adminTarget(flags, 'audit'),
    );
    if (flags.json === true) return printJson(entries);
    printAudit(entries, extensionId, flags.tenant);
  });
}
