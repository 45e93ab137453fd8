import { z } from 'zod';
import type { InvocationContext } from '../types';
import { parseArgs } from './args';
import { type CapabilityProvider, ProviderError } from './registry';

/** A host route the guest may call by name. */
export type UiProxyRoute = (
  payload: Uint8Array,
  context: { readonly invocation: InvocationContext; readonly signal: AbortSignal },
) => Uint8Array | string | Promise<Uint8Array | string>;

/** Options of {@link createUiProxyProvider}. */
export interface UiProxyProviderOptions {
  /** Routes served in process, by name. Checked before `baseUrl`. */
  readonly routes?: Readonly<Record<string, UiProxyRoute>>;
  /** HTTP form: `POST <baseUrl>/<route>` (env `UI_PROXY_BASE_URL`). */
  readonly baseUrl?: string;
  /** Sent as `x-alga-ui-proxy-key` on the HTTP form (env `UI_PROXY_AUTH_KEY`). */
  readonly authKey?: string;
  /** Per-call timeout of the HTTP form. Default 10 s. */
  readonly timeoutMs?: number;
  /** Largest answer read. Default 1 MiB. */
  readonly maxResponseBytes?: number;
}

const callArgs = z.tuple([
  z
    .string()
    .regex(
      /^[A-Za-z0-9_-]+(?:[./][A-Za-z0-9_-]+)*$/,
      'must be a route name (letters, digits, _ - . /)',
    )
    .max(200),
  z.instanceof(Uint8Array),
]);

/**
 * `cap:ui_proxy`: calls a named route of the host application with the invocation's ids, from
 * a route table in process or over HTTP (`UI_PROXY_BASE_URL`, `UI_PROXY_AUTH_KEY`).
 */
export function createUiProxyProvider(options: UiProxyProviderOptions = {}): CapabilityProvider {
  const maxResponseBytes = options.maxResponseBytes ?? 1_048_576;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    capability: 'cap:ui_proxy',
    functions: {
      call: async (args, context) => {
        const [route, payload] = parseArgs(callArgs, args, 'ui-proxy.call');
        const local =
          options.routes !== undefined && Object.hasOwn(options.routes, route)
            ? options.routes[route]
            : undefined;
        if (local !== undefined) {
          const answer = await local(payload, {
            invocation: context.invocation,
            signal: context.signal,
          });
          const bytes = typeof answer === 'string' ? new TextEncoder().encode(answer) : answer;
          if (bytes.byteLength > maxResponseBytes) {
            throw new ProviderError(
              'limit',
              `route ${route} answered ${bytes.byteLength} bytes, over ${maxResponseBytes}`,
            );
          }
          return bytes;
        }
        if (options.baseUrl === undefined)
          throw new ProviderError('not-found', `no UI proxy route named ${route}`);
        const { invocation } = context;
        const url = `${options.baseUrl.replace(/\/+$/, '')}/${route}`;
        let response: Response;
        try {
          response = await fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/octet-stream',
              'x-request-id': invocation.requestId,
              'x-alga-tenant-id': invocation.tenantId,
              'x-alga-extension-id': invocation.extensionId,
              'x-alga-install-id': invocation.installId,
              ...(options.authKey === undefined ? {} : { 'x-alga-ui-proxy-key': options.authKey }),
            },
            body: payload,
            signal: AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]),
            redirect: 'error',
          });
        } catch (error) {
          throw new ProviderError('unavailable', `UI proxy route ${route} could not be reached`, {
            cause: error,
          });
        }
        if (response.status === 404)
          throw new ProviderError('not-found', `no UI proxy route named ${route}`);
        if (!response.ok)
          throw new ProviderError(
            'unavailable',
            `UI proxy route ${route} answered ${response.status}`,
          );
        const body = new Uint8Array(await response.arrayBuffer());
        if (body.byteLength > maxResponseBytes) {
          throw new ProviderError(
            'limit',
            `route ${route} answered ${body.byteLength} bytes, over ${maxResponseBytes}`,
          );
        }
        return body;
      },
    },
  };
}
