/// <reference path="../generated/extension.d.ts" />
import type * as ConfigApi from 'alga:extension/config@1.0.0';
import type * as ContextApi from 'alga:extension/context@1.0.0';
import type * as HttpApi from 'alga:extension/http@1.0.0';
import type * as LogApi from 'alga:extension/log@1.0.0';
import type * as MetricsApi from 'alga:extension/metrics@1.0.0';
import type * as SecretsApi from 'alga:extension/secrets@1.0.0';
import type * as StorageApi from 'alga:extension/storage@1.0.0';
import type * as Types from 'alga:extension/types@1.0.0';
import type * as UiProxyApi from 'alga:extension/ui-proxy@1.0.0';

/** The request record the host passes to the component's `handle` export (WIT `incoming-request`). */
export type IncomingRequest = Types.IncomingRequest;

/** The response record `handle` returns to the host (WIT `outgoing-response`). */
export type OutgoingResponse = Types.OutgoingResponse;

/** A host call's failure as the component model delivers it (WIT `types.error`). */
export type HostErrorPayload = Types.Error;

/**
 * The host interfaces a component was linked with, keyed by WIT interface name. An interface
 * is present only when the manifest declares its capability (`alga build` imports exactly those).
 */
export interface HostInterfaces {
  readonly context?: typeof ContextApi;
  readonly config?: typeof ConfigApi;
  readonly secrets?: typeof SecretsApi;
  readonly http?: typeof HttpApi;
  readonly storage?: typeof StorageApi;
  readonly log?: typeof LogApi;
  readonly metrics?: typeof MetricsApi;
  readonly 'ui-proxy'?: typeof UiProxyApi;
}

/** The name of one host interface in {@link HostInterfaces}. */
export type HostInterfaceName = keyof HostInterfaces;
