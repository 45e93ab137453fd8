import * as z from 'zod/mini';
import { SettingsError, SettingsErrorCode } from './errors';
import type { SettingsClient, SettingsSaveInput, SettingsView } from './types';

/** Options of {@link createSettingsHttpClient}. */
export interface SettingsHttpClientOptions {
  /** Origin or path prefix of the admin API (default `''`: same origin). */
  baseUrl?: string;
  /** The tenant whose install is edited. */
  tenantId: string;
  /** The extension whose settings are edited. */
  extensionId: string;
  /** `fetch` to use (default the global one, with the page's cookies). */
  fetch?: typeof fetch;
  /** Extra headers per request (an auth or CSRF token). */
  headers?: () => HeadersInit | Promise<HeadersInit>;
  /** Timeout per request in ms (default 15 000). */
  timeoutMs?: number;
}

const secretState = z.object({
  set: z.boolean(),
  version: z.nullable(z.number()),
  updatedAt: z.nullable(z.string()),
});
const viewSchema = z.object({
  config: z.record(z.string(), z.unknown()),
  secrets: z.record(z.string(), secretState),
});
const errorSchema = z.object({
  error: z.object({
    code: z.optional(z.string()),
    message: z.optional(z.string()),
    issues: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
  }),
});

function codeFor(status: number, hasIssues: boolean): SettingsErrorCode {
  if (hasIssues || status === 422) return SettingsErrorCode.VALIDATION_FAILED;
  if (status === 404) return SettingsErrorCode.NOT_FOUND;
  if (status === 401 || status === 403) return SettingsErrorCode.FORBIDDEN;
  if (status === 409) return SettingsErrorCode.CONFLICT;
  return SettingsErrorCode.HTTP_ERROR;
}

/**
 * A {@link SettingsClient} for the admin settings API:
 * `GET | PUT | DELETE {baseUrl}/api/v1/installs/{tenantId}/{extensionId}/settings`.
 * `GET` returns a {@link SettingsView}; `PUT` takes a {@link SettingsSaveInput} and returns
 * the new view; `DELETE` resets to the manifest defaults and returns the new view. Errors are
 * `{error: {code, message, issues?: {field, message}[]}}` and become {@link SettingsError}.
 *
 * @example
 * ```tsx
 * const client = createSettingsHttpClient({ tenantId: 'acme', extensionId: 'com.acme.hello' });
 * <ExtensionSettingsForm manifestSettings={manifest.settings} client={client} />
 * ```
 */
export function createSettingsHttpClient(options: SettingsHttpClientOptions): SettingsClient {
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const url = `${base}/api/v1/installs/${encodeURIComponent(options.tenantId)}/${encodeURIComponent(options.extensionId)}/settings`;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));

  async function request(method: 'GET' | 'PUT' | 'DELETE', body?: SettingsSaveInput) {
    const headers = new Headers(options.headers ? await options.headers() : undefined);
    headers.set('accept', 'application/json');
    if (body) headers.set('content-type', 'application/json');
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers,
        credentials: 'same-origin',
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new SettingsError(
        SettingsErrorCode.NETWORK_ERROR,
        `${method} ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const parsed = errorSchema.safeParse(json);
      const issues = parsed.success ? (parsed.data.error.issues ?? []) : [];
      const message = parsed.success ? parsed.data.error.message : undefined;
      throw new SettingsError(
        codeFor(response.status, issues.length > 0),
        `${method} settings answered ${response.status}${message ? `: ${message}` : ''}`,
        { status: response.status, issues },
      );
    }
    const view = viewSchema.safeParse(json);
    if (!view.success) {
      throw new SettingsError(
        SettingsErrorCode.INVALID_RESPONSE,
        `${method} settings answered ${response.status} without a settings view ({config, secrets})`,
        { status: response.status },
      );
    }
    return view.data as SettingsView;
  }

  return {
    get: () => request('GET'),
    save: (input) => request('PUT', input),
    reset: () => request('DELETE'),
  };
}
