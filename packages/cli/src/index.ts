/**
 * `@alga/cli`: the `alga` command and its programmatic API.
 *
 * @packageDocumentation
 */

export type { BuildOptions, BuildResult, ComponentMetadata } from './build/index';
export { buildExtension } from './build/index';
export type { ToolchainVersions } from './build/toolchain';
export { runCli } from './cli';
export type {
  AuditEntry,
  CatalogExtension,
  InstalledExtension,
  YankedVersion,
} from './commands/catalog';
export { installAuditTrail, listCatalog, listInstalls, yankVersion } from './commands/catalog';
export type { InstallAnswer, InstallRequest } from './commands/install';
export { installExtension } from './commands/install';
export type { KeygenResult } from './commands/keygen';
export { generateKeyFiles } from './commands/keygen';
export type { FollowOptions, GuestLogEvent, LogFilter } from './commands/logs';
export { followLogs, formatLogEvent } from './commands/logs';
export type { DependencyMode, ScaffoldOptions, ScaffoldResult } from './commands/new';
export { scaffoldExtension } from './commands/new';
export type { PackResult } from './commands/pack';
export { packToFile } from './commands/pack';
export type { AdminTarget, PublishResult } from './commands/publish';
export { publishBundle } from './commands/publish';
export type { ServeIo } from './commands/serve';
export { serveFromFlags } from './commands/serve';
export type { InstallSettings, SettingsChange, SettingsTarget } from './commands/settings';
export {
  getInstallSettings,
  resetInstallSettings,
  saveInstallSettings,
} from './commands/settings';
export type { SignResult } from './commands/sign';
export { signFile } from './commands/sign';
export type { IssuedTenantKey } from './commands/tenants';
export { issueTenantKey, listTenants } from './commands/tenants';
export type { UninstallRequest, UpgradeRequest } from './commands/upgrade';
export { setInstallEnabled, uninstallExtension, upgradeInstall } from './commands/upgrade';
export { verifyFile } from './commands/verify';
export type { DevConfig } from './dev/config';
export type { DevOptions, DevSession } from './dev/session';
export { devVersion, startDev } from './dev/session';
export { CliError, CliErrorCode } from './internal/errors';
