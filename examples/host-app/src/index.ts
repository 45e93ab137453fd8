/**
 * The example host application: an app that embeds `@alga/host` and shows its tenants'
 * extensions on a page built with `@alga/ui-kit`. `npm run demo` runs it.
 *
 * @packageDocumentation
 */

export { HostAppError, HostAppErrorCode } from './errors';
export type { BundlePageOptions, PageBundle } from './page-bundle';
export { bundlePage, HOST_APP_DIR } from './page-bundle';
export type { HostApp, HostAppOptions } from './server';
export { startHostApp } from './server';
export type { HostAppState, InstallView } from './shared';
export { TENANT_HEADER } from './shared';
export { installsOf } from './state';
