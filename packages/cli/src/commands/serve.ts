import type { EmbeddedHost, HostSettingName } from '@alga/host';
import { type Command, Option } from 'commander';
import { CliError } from '../internal/errors';
import { shutdownSignal } from '../internal/signals';

/** Where `alga serve` prints its banner, and the environment its settings fall back to. */
export interface ServeIo {
  readonly stdout: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Starts the embedded host from flags and environment (a flag wins) and prints where it
 * listens and, when it generated one, the admin token. Bad settings are `USAGE` errors
 * naming the flag and the variable.
 *
 * @example
 * ```ts
 * const host = await serveFromFlags({ dataDir: './.alga', port: '3000' });
 * await host.close();
 * ```
 */
export async function serveFromFlags(
  flags: Partial<Record<HostSettingName, string | boolean>>,
  io: ServeIo = { stdout: (text) => process.stdout.write(text), env: process.env },
): Promise<EmbeddedHost> {
  // Loaded on use: @alga/host takes most of a second to import, and other commands never need it.
  const { createEmbeddedHost, GatewayError, resolveHostSettings } = await import('@alga/host');
  let host: EmbeddedHost;
  try {
    const settings = resolveHostSettings(flags, io.env);
    host = await createEmbeddedHost(settings);
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'CONFIG_INVALID') {
      throw new CliError('USAGE', `alga serve: ${error.message}`, { cause: error });
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError('USAGE', 'alga serve: the port is in use; pass another --port (or PORT)', {
        cause: error,
      });
    }
    throw error;
  }
  io.stdout(`alga serve: listening on ${host.url}\n  data: ${host.settings.dataDir}\n`);
  if (host.adminTokenGenerated) {
    io.stdout(
      `  admin token (generated; fix it with --admin-token or ALGA_ADMIN_TOKEN): ${host.adminToken}\n`,
    );
  }
  return host;
}

/** Registers `alga serve --data ./.alga --port 3000 [--trust trust.json] ...`. */
export function registerServe(program: Command): void {
  const attributes = new Map<string, HostSettingName>();
  const command = program
    .command('serve')
    .description(
      'run a complete Alga host on loopback: gateway, UI assets, admin API, /healthz, /metrics, debug stream',
    )
    .action(async (rawFlags: Record<string, string | boolean | undefined>) => {
      const flags: Partial<Record<HostSettingName, string | boolean>> = {};
      for (const [attribute, name] of attributes) {
        const value = rawFlags[attribute];
        if (value !== undefined) flags[name] = value;
      }
      const host = await serveFromFlags(flags);
      const signal = await shutdownSignal();
      process.stdout.write(`alga serve: ${signal}, draining in-flight requests\n`);
      await host.close();
    });
  // One flag per host setting, from the host's own settings table so the two never drift. It
  // is added only when `serve` runs: @alga/host is loaded on use (it takes most of a second).
  program.hook('preSubcommand', async (_program, subcommand) => {
    if (subcommand !== command) return;
    const { HOST_SETTINGS } = await import('@alga/host');
    for (const [name, setting] of Object.entries(HOST_SETTINGS) as [
      HostSettingName,
      (typeof HOST_SETTINGS)[HostSettingName],
    ][]) {
      const option = new Option(
        name === 'dev' ? setting.flag : `${setting.flag} <value>`,
        `${setting.help} [$${setting.env}]`,
      );
      command.addOption(option);
      attributes.set(option.attributeName(), name);
    }
  });
}
