import type { Command } from 'commander';
import { z } from 'zod';
import { type DevSession, startDev } from '../dev/session';
import { CliError } from '../internal/errors';
import { shutdownSignal } from '../internal/signals';

const flagsSchema = z.strictObject({
  port: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 to 65535')
    .max(65_535, 'must be 0 to 65535')
    .optional(),
});

/** Registers `alga dev [dir] [--port <n>]`. */
export function registerDev(program: Command): void {
  program
    .command('dev [dir]')
    .description(
      'build, sign and publish the extension to a local host, install it with .alga/dev.json, then rebuild on every change and print each request with its logs',
    )
    .option(
      '-p, --port <port>',
      'port of the dev host on 127.0.0.1 (default $PORT, else 3000; 0 picks one)',
    )
    .action(async (dir: string | undefined, rawFlags: unknown) => {
      const parsed = flagsSchema.safeParse(rawFlags);
      if (!parsed.success) {
        throw new CliError(
          'USAGE',
          `alga dev: --port ${parsed.error.issues[0]?.message ?? 'is invalid'}`,
        );
      }
      const envPort =
        process.env.PORT === undefined || process.env.PORT === ''
          ? undefined
          : Number(process.env.PORT);
      if (
        envPort !== undefined &&
        !(Number.isInteger(envPort) && envPort >= 0 && envPort <= 65_535)
      ) {
        throw new CliError('USAGE', 'alga dev: PORT must be a whole number from 0 to 65535');
      }
      const port = parsed.data.port ?? envPort;
      const session: DevSession = await startDev({
        dir: dir ?? '.',
        ...(port === undefined ? {} : { port }),
      });
      const signal = await shutdownSignal();
      process.stdout.write(`alga dev: ${signal}, stopping\n`);
      await session.close();
    });
}
