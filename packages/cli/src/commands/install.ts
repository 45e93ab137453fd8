import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';
import {
  type AdminTarget,
  adminTarget,
  answerOf,
  callAdmin,
  targetFlags,
  targetOptions,
} from './publish';

/** What to install, for whom, with which grants, config and secrets. */
export interface InstallRequest {
  readonly tenant: string;
  readonly extensionId: string;
  /** Default: the host picks the latest active version. */
  readonly version?: string;
  /** Capabilities to grant (default: the catalog defaults the manifest requests). */
  readonly grants?: readonly string[];
  /** Egress hosts to allow (default: the manifest's `http.allow`). */
  readonly egress?: readonly string[];
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /** Secret values; sent once to the host, which seals them. */
  readonly secrets?: Readonly<Record<string, string>>;
}

/** The install summary the admin API answers with. */
export const installAnswer = z.object({
  installId: z.string(),
  tenantId: z.string(),
  extensionId: z.string(),
  version: z.string(),
  grants: z.array(z.string()),
  ui: z.object({ src: z.string() }).optional(),
});

/** What the host answered to an install. */
export type InstallAnswer = z.infer<typeof installAnswer>;

/**
 * Installs an extension for a tenant through a host's admin API
 * (`POST /api/v1/extensions/install`).
 *
 * @example
 * ```ts
 * await installExtension({ tenant: 'acme', extensionId: 'com.example.hello', grants: ['cap:log.emit'] },
 *   { host: 'http://127.0.0.1:3000', token: process.env.ALGA_ADMIN_TOKEN! });
 * ```
 */
export async function installExtension(
  request: InstallRequest,
  target: AdminTarget,
): Promise<InstallAnswer> {
  const answer = await callAdmin(target, '/api/v1/extensions/install', {
    method: 'POST',
    json: request,
  });
  return answerOf(installAnswer, answer, target, 'the install');
}

/** `key=value` flag values as a record of strings; `USAGE` for an entry without a key. */
export function keyValuePairs(
  entries: readonly string[],
  flag: string,
  command: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0)
      throw new CliError(
        'USAGE',
        `alga ${command}: ${flag} takes key=value, got "${entry.slice(0, 40)}"`,
      );
    out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}

/** `--config` values of install and upgrade: those that read as JSON numbers or booleans become those. */
function typedPairs(
  entries: readonly string[],
  command: string,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(keyValuePairs(entries, '--config', command))) {
    out[key] = /^(true|false|-?\d+(\.\d+)?)$/.test(value)
      ? (JSON.parse(value) as number | boolean)
      : value;
  }
  return out;
}

/** Secret values named by `--secret-env key=VAR` flags, read from the environment; `USAGE` when one is unset. */
export function secretsFromEnv(
  entries: readonly string[],
  command: string,
): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [key, variable] of Object.entries(keyValuePairs(entries, '--secret-env', command))) {
    const value = process.env[variable];
    if (value === undefined) {
      throw new CliError(
        'USAGE',
        `alga ${command}: --secret-env ${key}=${variable}: ${variable} is not set`,
      );
    }
    secrets[key] = value;
  }
  return secrets;
}

/** Commander's accumulator for a repeatable flag. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `com.acme.hello@1.2.0` or `@acme/hello@1.2.0` into id and version; no `@version`: the latest. */
export function splitVersion(extension: string): { extensionId: string; version?: string } {
  const at = extension.lastIndexOf('@');
  if (at <= 0) return { extensionId: extension };
  return { extensionId: extension.slice(0, at), version: extension.slice(at + 1) };
}

/** What `alga install` and `alga upgrade` ask for, from `<extension>[@version]` and their flags. */
export function requestFromFlags(
  extension: string,
  flags: z.output<z.ZodObject<typeof installFlags>>,
  command: string,
): Omit<InstallRequest, 'secrets'> {
  const { extensionId, version } = splitVersion(extension);
  return {
    tenant: flags.tenant,
    extensionId,
    ...(version === undefined ? {} : { version }),
    ...(flags.grant === undefined ? {} : { grants: flags.grant }),
    ...(flags.egress === undefined ? {} : { egress: flags.egress }),
    ...(flags.config === undefined ? {} : { config: typedPairs(flags.config, command) }),
  };
}

/** Prints an install the host answered with: `headline`, its grants and its UI address. */
export function printInstall(headline: string, install: InstallAnswer): void {
  process.stdout.write(
    `${headline} (install ${install.installId})\n` +
      `  grants: ${install.grants.join(', ') || 'none'}\n` +
      (install.ui === undefined ? '' : `  ui: ${install.ui.src}\n`),
  );
}

/** The flags `alga install` and `alga upgrade` share: whose install, and what it is given. */
export const installFlags = {
  tenant: z.string().min(1),
  grant: z.array(z.string()).optional(),
  egress: z.array(z.string()).optional(),
  config: z.array(z.string()).optional(),
};

const flagsSchema = z.strictObject({
  ...installFlags,
  secretEnv: z.array(z.string()).optional(),
  ...targetFlags,
});

/** Registers `alga install <extensionId>[@version] --tenant <t> [...] --host <url> --token <admin token>`. */
export function registerInstall(program: Command): void {
  targetOptions(
    program
      .command('install <extension>')
      .description(
        'install a published extension (<extensionId> or <extensionId>@<version>) for a tenant on a running Alga host',
      )
      .requiredOption('--tenant <tenant>', 'the tenant to install for')
      .option(
        '--grant <capability>',
        'grant a capability (repeat); default: the catalog defaults',
        collect,
      )
      .option(
        '--egress <host>',
        'allow egress to a host pattern (repeat); default: the manifest http.allow',
        collect,
      )
      .option('--config <key=value>', 'set a plain setting (repeat)', collect)
      .option(
        '--secret-env <key=VAR>',
        'set secret <key> from environment variable VAR (repeat); values never go on the command line',
        collect,
      ),
  ).action(async (extension: string, rawFlags: unknown) => {
    const flags = parseFlags(flagsSchema, rawFlags, 'install');
    const secrets = secretsFromEnv(flags.secretEnv ?? [], 'install');
    const installed = await installExtension(
      {
        ...requestFromFlags(extension, flags, 'install'),
        ...(Object.keys(secrets).length === 0 ? {} : { secrets }),
      },
      adminTarget(flags, 'install'),
    );
    printInstall(
      `installed ${installed.extensionId}@${installed.version} for ${installed.tenantId}`,
      installed,
    );
  });
}
