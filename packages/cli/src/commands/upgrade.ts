import type { Command } from 'commander';
import { z } from 'zod';
import { parseFlags } from '../internal/flags';
import {
  collect,
  type InstallAnswer,
  type InstallRequest,
  installAnswer,
  installFlags,
  printInstall,
  requestFromFlags,
} from './install';
import {
  type AdminTarget,
  adminTarget,
  answerOf,
  callAdmin,
  installPath,
  targetFlags,
  targetOptions,
} from './publish';

/**
 * Which install to move, to which version (default: the highest active one; a lower one
 * downgrades), and what changes with the move: grants and egress default to the current ones
 * the new version still requests; `config` holds settings the new version requires.
 */
export type UpgradeRequest = Omit<InstallRequest, 'secrets'>;

/** Which install to remove. */
export interface UninstallRequest {
  readonly tenant: string;
  readonly extensionId: string;
}

/**
 * Moves a tenant's install to another version through a host's admin API
 * (`PATCH /api/v1/installs/{tenant}/{extensionId}`); the host loads the new bundle first.
 *
 * @example
 * ```ts
 * await upgradeInstall({ tenant: 'acme', extensionId: 'com.example.hello', version: '1.1.0' },
 *   { host: 'http://127.0.0.1:3000', token: process.env.ALGA_ADMIN_TOKEN! });
 * ```
 */
export async function upgradeInstall(
  request: UpgradeRequest,
  target: AdminTarget,
): Promise<InstallAnswer> {
  const { tenant, extensionId, version, ...changes } = request;
  const answer = await callAdmin(target, installPath({ tenant, extensionId }), {
    method: 'PATCH',
    json: { version: version ?? 'latest', ...changes },
  });
  return answerOf(installAnswer, answer, target, 'the upgrade');
}

/**
 * Removes a tenant's install, its config and its secrets through a host's admin API
 * (`DELETE /api/v1/installs/{tenant}/{extensionId}`); the audit trail stays.
 */
export async function uninstallExtension(
  request: UninstallRequest,
  target: AdminTarget,
): Promise<void> {
  await callAdmin(target, installPath(request), { method: 'DELETE' });
}

/**
 * Turns a tenant's install off or on through a host's admin API
 * (`PATCH /api/v1/installs/{tenant}/{extensionId}`): while off, the gateway answers its requests
 * `EXTENSION_DISABLED` and the install keeps its version, grants and settings.
 */
export async function setInstallEnabled(
  request: UninstallRequest & { readonly enabled: boolean },
  target: AdminTarget,
): Promise<InstallAnswer> {
  const answer = await callAdmin(target, installPath(request), {
    method: 'PATCH',
    json: { enabled: request.enabled },
  });
  return answerOf(installAnswer, answer, target, request.enabled ? 'the enable' : 'the disable');
}

const upgradeFlags = z.strictObject({ ...installFlags, ...targetFlags });

const uninstallFlags = z.strictObject({ tenant: z.string().min(1), ...targetFlags });

/**
 * Registers `alga upgrade <extensionId>[@version] --tenant <t>`, `alga uninstall <extensionId>
 * --tenant <t>`, and `alga disable`/`alga enable <extensionId> --tenant <t>`.
 */
export function registerUpgrade(program: Command): void {
  targetOptions(
    program
      .command('upgrade <extension>')
      .description(
        "move a tenant's install to another version (<extensionId>@<version>; no version: the latest active) on a running Alga host",
      )
      .requiredOption('--tenant <tenant>', 'the tenant whose install moves')
      .option(
        '--grant <capability>',
        'grant a capability (repeat); default: the current grants the new version requests',
        collect,
      )
      .option('--egress <host>', 'allow egress to a host pattern (repeat)', collect)
      .option('--config <key=value>', 'set a plain setting with the move (repeat)', collect),
  ).action(async (extension: string, rawFlags: unknown) => {
    const flags = parseFlags(upgradeFlags, rawFlags, 'upgrade');
    const moved = await upgradeInstall(
      requestFromFlags(extension, flags, 'upgrade'),
      adminTarget(flags, 'upgrade'),
    );
    printInstall(`${moved.extensionId} for ${moved.tenantId} is now at ${moved.version}`, moved);
  });

  targetOptions(
    program
      .command('uninstall <extension>')
      .description(
        "remove a tenant's install with its config and secrets on a running Alga host (the audit trail stays)",
      )
      .requiredOption('--tenant <tenant>', 'the tenant whose install goes'),
  ).action(async (extensionId: string, rawFlags: unknown) => {
    const flags = parseFlags(uninstallFlags, rawFlags, 'uninstall');
    await uninstallExtension(
      { tenant: flags.tenant, extensionId },
      adminTarget(flags, 'uninstall'),
    );
    process.stdout.write(`uninstalled ${extensionId} for ${flags.tenant}\n`);
  });

  for (const enabled of [false, true]) {
    const command = enabled ? 'enable' : 'disable';
    targetOptions(
      program
        .command(`${command} <extension>`)
        .description(
          enabled
            ? "turn a tenant's disabled install on again, on a running Alga host"
            : "turn a tenant's install off on a running Alga host: its requests answer EXTENSION_DISABLED, and it keeps its version, grants and settings",
        )
        .requiredOption('--tenant <tenant>', 'the tenant whose install it is'),
    ).action(async (extensionId: string, rawFlags: unknown) => {
      const flags = parseFlags(uninstallFlags, rawFlags, command);
      const install = await setInstallEnabled(
        { tenant: flags.tenant, extensionId, enabled },
        adminTarget(flags, command),
      );
      process.stdout.write(
        enabled
          ? `enabled ${install.extensionId}@${install.version} for ${install.tenantId}\n`
          : `disabled ${install.extensionId}@${install.version} for ${install.tenantId}: its requests answer EXTENSION_DISABLED until alga enable\n`,
      );
    });
  }
}
