/**
 * `@alga/cli`: the `alga` command and its programmatic API.
 *
 * @packageDocumentation
 */
export { runCli } from './cli';
export { CliError, CliErrorCode } from './internal/errors';
