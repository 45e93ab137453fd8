/**
 * `@alga/cli`: the `alga` command and its programmatic API.
 *
 * @packageDocumentation
 */
export type { BuildOptions, BuildResult, ComponentMetadata } from './build/index';
export { buildExtension } from './build/index';
export type { ToolchainVersions } from './build/toolchain';
export { runCli } from './cli';
export type { DependencyMode, ScaffoldOptions, ScaffoldResult } from './commands/new';
export { scaffoldExtension } from './commands/new';
export { CliError, CliErrorCode } from './internal/errors';
