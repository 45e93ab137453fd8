import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';
import { collect, keyValuePairs, secretsFromEnv } from './install';
import {
  type AdminTarget,
  adminTarget,
  answerOf,
  callAdmin,
  installPath,
  targetFlags,
  targetOptions,
} from './publish';

const settingValue = z.union([z.string(), z.number(), z.boolean()]);

// Loose: `--json` prints what the host answered, fields this CLI does not read included.
const settingsSchema = z.looseObject({
  tenantId: z.string(),
  extensionId: z.string(),
  installId: z.string(),
  version: z.string(),
  fields: z.array(z.looseObject({ key: z.string(), kind: z.string() })),
  config: z.record(z.string(), settingValue),
  configVersion: z.number(),
  secrets: z.record(z.string(), z.looseObject({ set: z.boolean() })),
  secretsVersion: z.number(),
  missing: z.array(z.string()),
});

/**
 * An install's settings as the admin API shows them: config merged over the manifest
 * defaults, and for each secret only whether it is set, never its value.
 */
export type InstallSettings = z.infer<typeof settingsSchema>;

/** Which install's settings. */
export interface SettingsTarget {
  readonly tenant: string;
  readonly extensionId: string;
}

/** What to change: config values (`null`: back to the default) and secrets (`null`: cleared). */
export interface SettingsChange {
  readonly config?: Readonly<Record<string, string | number | boolean | null>>;
  /** Secret values; sent once to the host, which seals them. */
  readonly secrets?: Readonly<Record<string, string | null>>;
}

/** Reads an install's settings through a host's admin API (`GET .../settings`). */
export async function getInstallSettings(
  install: SettingsTarget,
  target: AdminTarget,
): Promise<InstallSettings> {
  const answer = await callAdmin(target, installPath(install, 'settings'), { method: 'GET' });
  return answerOf(settingsSchema, answer, target, 'the settings');
}

/**
 * Changes an install's config and secrets together through a host's admin API
 * (`PUT .../settings`); keys not named keep their values. The host checks every value against
 * the manifest and seals the secrets.
 *
 * @example
 * ```ts
 * await saveInstallSettings({ tenant: 'acme', extensionId: 'com.example.hello' },
 *   { config: { greeting: 'Hi' }, secrets: { apiKey: process.env.API_KEY! } },
 *   { host: 'http://127.0.0.1:3000', token: process.env.ALGA_ADMIN_TOKEN! });
 * ```
 */
export async function saveInstallSettings(
  install: SettingsTarget,
  change: SettingsChange,
  target: AdminTarget,
): Promise<InstallSettings> {
  const answer = await callAdmin(target, installPath(install, 'settings'), {
    method: 'PUT',
    json: change,
  });
  return answerOf(settingsSchema, answer, target, 'the settings');
}

/** Restores the manifest defaults and clears every secret of an install (`DELETE .../settings`). */
export async function resetInstallSettings(
  install: SettingsTarget,
  target: AdminTarget,
): Promise<InstallSettings> {
  const answer = await callAdmin(target, installPath(install, 'settings'), { method: 'DELETE' });
  return answerOf(settingsSchema, answer, target, 'the settings');
}

/**
 * A `--config` value as its field's kind wants it, so `--config retries=3` sends a number to a
 * number field and `--config code=007` a string to a text field. A secret is refused: its
 * value would sit in the shell's history.
 */
function typedValue(
  settings: InstallSettings,
  key: string,
  value: string,
): string | number | boolean {
  const kind = settings.fields.find((field) => field.key === key)?.kind;
  if (kind === 'secret') {
    throw new CliError(
      'USAGE',
      `alga settings: ${key} is a secret setting; pass it as --secret-env ${key}=<VARIABLE> so its value stays off the command line`,
    );
  }
  if (kind === 'number') {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number)) {
      throw new CliError('USAGE', `alga settings: --config ${key} takes a number, got "${value}"`);
    }
    return number;
  }
  if (kind === 'boolean') {
    if (value !== 'true' && value !== 'false') {
      throw new CliError(
        'USAGE',
        `alga settings: --config ${key} takes true or false, got "${value}"`,
      );
    }
    return value === 'true';
  }
  // Text, select, or a key the manifest lacks: the host names what is wrong with it.
  return value;
}

function printSettings(headline: string, settings: InstallSettings): void {
  const lines = [
    `${headline} ${settings.extensionId}@${settings.version} for ${settings.tenantId} (install ${settings.installId}, config version ${settings.configVersion}, secrets version ${settings.secretsVersion})`,
  ];
  for (const field of settings.fields) {
    const secret = settings.secrets[field.key];
    const value = settings.config[field.key];
    const shown =
      field.kind === 'secret'
        ? secret?.set === true
          ? '(secret, set)'
          : '(secret, not set)'
        : value === undefined
          ? '(not set)'
          : JSON.stringify(value);
    lines.push(`  ${field.key} = ${shown}`);
  }
  if (settings.fields.length === 0) lines.push('  (the manifest declares no settings)');
  if (settings.missing.length > 0) lines.push(`  missing: ${settings.missing.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** One key set and cleared in one command is a mistake whichever way it is read, so neither wins. */
function refuseBoth(both: boolean, key: string, setFlag: string, clearFlag: string): void {
  if (both) {
    throw new CliError(
      'USAGE',
      `alga settings: ${key} is given to both ${setFlag} and ${clearFlag}; pass one of them`,
    );
  }
}

const settingsFlags = z.strictObject({
  tenant: z.string().min(1),
  config: z.array(z.string()).optional(),
  unset: z.array(z.string().min(1)).optional(),
  secretEnv: z.array(z.string()).optional(),
  clearSecret: z.array(z.string().min(1)).optional(),
  reset: z.boolean().optional(),
  json: z.boolean().optional(),
  ...targetFlags,
});

/** Registers `alga settings <extensionId> --tenant <t>` (show, change with flags, or `--reset`). */
export function registerSettings(program: Command): void {
  targetOptions(
    program
      .command('settings <extension>')
      .description(
        "show a tenant's install settings on a running Alga host (secrets only as set or not), or change them with the flags below",
      )
      .requiredOption('--tenant <tenant>', 'the tenant whose install it is')
      .option('--config <key=value>', 'set a plain setting (repeat)', collect)
      .option('--unset <key>', 'put a plain setting back to its default (repeat)', collect)
      .option(
        '--secret-env <key=VAR>',
        'set secret <key> from environment variable VAR (repeat); values never go on the command line',
        collect,
      )
      .option('--clear-secret <key>', 'clear a secret (repeat)', collect)
      .option('--reset', 'restore every default and clear every secret')
      .option('--json', 'print the settings as JSON'),
  ).action(async (extensionId: string, rawFlags: unknown) => {
    const flags = parseFlags(settingsFlags, rawFlags, 'settings');
    const target = adminTarget(flags, 'settings');
    const install = { tenant: flags.tenant, extensionId };
    const changes = [flags.config, flags.unset, flags.secretEnv, flags.clearSecret].some(
      (list) => list !== undefined,
    );
    if (flags.reset === true && changes) {
      throw new CliError(
        'USAGE',
        'alga settings: --reset restores every default; it does not go with --config, --unset, --secret-env or --clear-secret',
      );
    }
    let settings: InstallSettings;
    let headline = 'settings of';
    if (flags.reset === true) {
      settings = await resetInstallSettings(install, target);
      headline = 'reset the settings of';
    } else if (changes) {
      const current = await getInstallSettings(install, target);
      const config: Record<string, string | number | boolean | null> = {};
      for (const [key, value] of Object.entries(
        keyValuePairs(flags.config ?? [], '--config', 'settings'),
      )) {
        config[key] = typedValue(current, key, value);
      }
      for (const key of flags.unset ?? []) {
        refuseBoth(key in config, key, '--config', '--unset');
        config[key] = null;
      }
      const secrets: Record<string, string | null> = secretsFromEnv(
        flags.secretEnv ?? [],
        'settings',
      );
      for (const key of flags.clearSecret ?? []) {
        refuseBoth(key in secrets, key, '--secret-env', '--clear-secret');
        secrets[key] = null;
      }
      settings = await saveInstallSettings(
        install,
        {
          ...(Object.keys(config).length === 0 ? {} : { config }),
          ...(Object.keys(secrets).length === 0 ? {} : { secrets }),
        },
        target,
      );
      headline = 'saved the settings of';
    } else {
      settings = await getInstallSettings(install, target);
    }
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(settings, null, 2)}\n`);
      return;
    }
    printSettings(headline, settings);
  });
}
