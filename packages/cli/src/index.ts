/**
 * `@alga/cli`: the `alga` command and its programmatic API.
 *
 * @packageDocumentation
 */

export type { BuildOptions, BuildResult, ComponentMetadata } from './build/index';
export { buildExtension } from './build/index';
export type { ToolchainVersions } from './build/toolchain';
export { runCli } from './cli';
export type { CatalogExtension, InstalledExtension, YankedVersion } from './commands/catalog';
export { listCatalog, listInstalls, yankVersion } from './commands/catalog';
export type { InstallAnswer, InstallRequest } from './commands/install';
export { installExtension } from './commands/install';
export type { KeygenResult } from './commands/keygen';
export { generateKeyFiles } from './commands/keygen';
export type { DependencyMode, ScaffoldOptions, ScaffoldResult } from './commands/new';
export { scaffoldExtension } from './commands/new';
export type { PackResult } from './commands/pack';
export { packToFile } from './commands/pack';
export type { AdminTarget, PublishResult } from './commands/publish';
export { publishBundle } from './commands/publish';
export type { ServeIo } from './commands/serve';
export { serveFromFlags } from './commands/serve';
export type { SignResult } from './commands/sign';
export { signFile } from './commands/sign';
export type { UninstallRequest, UpgradeRequest } from './commands/upgrade';
export { uninstallExtension, upgradeInstall } from './commands/upgrade';
export { verifyFile } from './commands/verify';
export type { DevConfig } from './dev/config';
export type { DevOptions, DevSession } from './dev/session';
export { devVersion, startDev } from './dev/session';
export { CliError, CliErrorCode } from './internal/errors';
