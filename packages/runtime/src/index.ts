/**
 * `@alga/runtime`: the guest side of an Alga extension. It is compiled into the WebAssembly
 * component, so it is small and has no Node dependency.
 *
 * @example
 * ```ts
 * import { createHandler, json } from '@alga/runtime';
 *
 * export default createHandler(async (req, ctx) => json({ tenant: ctx.context.tenantId }));
 * ```
 *
 * @packageDocumentation
 */

export type {
  ConfigApi,
  FetchOptions,
  HandlerContext,
  HttpApi,
  InvocationContext,
  ListOptions,
  ListPage,
  LogApi,
  LogFields,
  MetricLabels,
  MetricsApi,
  SecretsApi,
  StorageApi,
  StorageEntry,
  UiProxyApi,
  WriteOptions,
} from './internal/context';
export { FetchResponse } from './internal/context';
export {
  CapabilityError,
  CapabilityErrorCode,
  HandlerError,
  HandlerErrorCode,
} from './internal/errors';
export type { Handler, HandlerFunction, HandlerResult } from './internal/handler';
export { createHandler } from './internal/handler';
export type { HostInterfaces, IncomingRequest, OutgoingResponse } from './internal/host';
export type { RouteKind } from './internal/request';
export { AlgaRequest } from './internal/request';
export type { HandlerResponse, HeadersLike, ResponseOptions } from './internal/response';
export { error, json, text } from './internal/response';
