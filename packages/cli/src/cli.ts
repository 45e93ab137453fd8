import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { registerBuild } from './commands/build';
import { registerCatalog } from './commands/catalog';
import { registerDev } from './commands/dev';
import { registerInstall } from './commands/install';
import { registerKeygen } from './commands/keygen';
import { registerLogs } from './commands/logs';
import { registerNew } from './commands/new';
import { registerPack } from './commands/pack';
import { registerPublish } from './commands/publish';
import { registerServe } from './commands/serve';
import { registerSettings } from './commands/settings';
import { registerSign } from './commands/sign';
import { registerTenants } from './commands/tenants';
import { registerUpgrade } from './commands/upgrade';
import { registerVerify } from './commands/verify';
import { CliError } from './internal/errors';

/** Each command module adds itself to the program; one line per command here. */
const registrations: ReadonlyArray<(program: Command) => void> = [
  registerNew,
  registerBuild,
  registerPack,
  registerKeygen,
  registerSign,
  registerVerify,
  registerPublish,
  registerInstall,
  registerUpgrade,
  registerSettings,
  registerCatalog,
  registerTenants,
  registerLogs,
  registerServe,
  registerDev,
];

/**
 * A failed system call (`ENOSPC`, `EACCES`, a file where a folder should be): the machine's
 * state, not a bug, so it gets one line naming the call and the path instead of a stack trace.
 */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  const { code, syscall } = error as NodeJS.ErrnoException;
  return (
    error instanceof Error &&
    typeof code === 'string' &&
    /^E[A-Z0-9]+$/.test(code) &&
    typeof syscall === 'string'
  );
}

/** Runs the `alga` command line with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command('alga')
    .description('Build, sign, publish and run Alga extensions.')
    .version(version)
    .exitOverride()
    .showHelpAfterError();
  for (const register of registrations) register(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      process.stderr.write(`alga: ${error.message} [${error.code}]\n`);
      return error.exitCode;
    }
    if (isSystemError(error)) {
      process.stderr.write(`alga: ${error.message} [IO]\n`);
      return 1;
    }
    throw error;
  }
}
