import { BridgeError, BridgeErrorCode } from './errors';
import { Link, type LinkEvents } from './internal/link';
import type { IgnoredMessage } from './internal/messenger';
import {
  APP,
  helloRequestSchema,
  navigateSchema,
  PROTOCOL_VERSION,
  parseArg,
  proxyOptionsSchema,
  routeSchema,
  SDK,
  sessionSchema,
  sizeSchema,
  wrapMethods,
} from './internal/protocol';
import { resolveTheme, type Theme, type ThemeInput } from './theme';

/** A map of methods one side exposes to the other. Arguments and results must survive structured clone. */
export type MethodMap<T> = { [K in keyof T]: (...args: never[]) => unknown };

/** The methods of a side when nothing more precise is known. */
export type AnyMethods = Record<string, (...args: unknown[]) => unknown>;

/** Options of {@link buildExtUiSrc}. */
export interface ExtUiSrcOptions {
  /** Where the host serves `/ext-ui/`: `''` (same origin), a path (`/app`) or an origin (`https://ext.example.com`). */
  publicBase: string;
  /** The extension id (`com.acme.hello` or `@acme/hello`). */
  extensionId: string;
  /** The bundle's content hash, `sha256:<64 hex>`. */
  contentHash: string;
  /** The UI file, relative to the bundle's UI folder (default `index.html`). */
  path?: string;
  /** Query parameters for the page (e.g. the route inside the extension UI). */
  params?: Record<string, string | number | boolean>;
}

const EXTENSION_ID = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/i;
const CONTENT_HASH = /^sha256:[0-9a-f]{64}$/;

/**
 * Builds the iframe URL of an extension UI file:
 * `{publicBase}/ext-ui/{encoded extensionId}/{contentHash}/{path}?{params}`. The content
 * hash in the URL makes the asset immutable, so it can be cached forever.
 *
 * @example
 * ```ts
 * buildExtUiSrc({ publicBase: 'https://ext.example.com', extensionId: 'com.acme.hello',
 *   contentHash: 'sha256:ab…', path: 'index.html', params: { view: 'list' } });
 * // 'https://ext.example.com/ext-ui/com.acme.hello/sha256:ab…/index.html?view=list'
 * ```
 */
export function buildExtUiSrc(options: ExtUiSrcOptions): string {
  const { publicBase, extensionId, contentHash, path = 'index.html', params = {} } = options;
  if (!EXTENSION_ID.test(extensionId) || extensionId.length > 214) {
    throw new BridgeError(
      BridgeErrorCode.INVALID_ARGUMENT,
      `extensionId "${extensionId}" is not an extension id (expected e.g. "com.acme.hello" or "@acme/hello")`,
    );
  }
  if (!CONTENT_HASH.test(contentHash)) {
    throw new BridgeError(
      BridgeErrorCode.INVALID_ARGUMENT,
      `contentHash "${contentHash}" must be "sha256:" followed by 64 lower-case hex digits`,
    );
  }
  const base = publicBase.replace(/\/+$/, '');
  if (base !== '' && !/^https?:\/\/[^/?#]+(?:\/[^?#]*)?$/i.test(base) && !/^\/[^/?#]/.test(base)) {
    throw new BridgeError(
      BridgeErrorCode.INVALID_ARGUMENT,
      `publicBase "${publicBase}" must be '', a path such as "/app" or an http(s) origin with an optional path`,
    );
  }
  const segments = path.replace(/^\/+/, '').split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\')) {
      throw new BridgeError(
        BridgeErrorCode.INVALID_ARGUMENT,
        `path "${path}" must be a relative file path without empty, "." or ".." segments`,
      );
    }
  }
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) query.append(key, String(value));
  const search = query.size > 0 ? `?${query.toString()}` : '';
  const file = segments.map(encodeURIComponent).join('/');
  return `${base}/ext-ui/${encodeURIComponent(extensionId)}/${contentHash}/${file}${search}`;
}

/** A short-lived token for the iframe to identify the user to the host's proxy; never a secret of the extension. */
export interface SessionToken {
  /** The bearer token. */
  token: string;
  /** When it expires, in epoch milliseconds. */
  expiresAt: number;
}

/** What a host's `session` callback may return (`expiresAt` as epoch ms, ISO string or Date). */
export interface SessionGrant {
  /** The bearer token. */
  token: string;
  /** Expiry: epoch milliseconds, an ISO 8601 string or a Date. */
  expiresAt: number | string | Date;
}

/** A size the iframe asked for, in CSS pixels. */
export interface FrameSize {
  /** Height in CSS pixels. */
  height: number;
  /** Width in CSS pixels, when the iframe asks for one. */
  width?: number;
}

/** How the host performs `/api/ext-proxy/...` requests for the iframe. */
export interface ProxyOptions {
  /** Path or URL prefix of the proxy (default `/api/ext-proxy`). */
  basePath?: string;
  /** `fetch` to use (default the global one, with the host page's cookies). */
  fetch?: typeof fetch;
  /** Extra headers (e.g. a CSRF token), computed per request. */
  headers?: () => HeadersInit | Promise<HeadersInit>;
  /** Timeout of one proxy request in ms (default 30 000). */
  timeoutMs?: number;
}

/** Options of {@link bootstrapIframe}. */
export interface BootstrapOptions<HostMethods extends MethodMap<HostMethods> = AnyMethods> {
  /** The extension this iframe shows; used in proxy URLs and told to the iframe. */
  extensionId: string;
  /** The iframe URL (from {@link buildExtUiSrc}); default the iframe's current `src`, reloaded once the sandbox is set. */
  src?: string;
  /** Origin the `src` must be served from; a mismatch throws `ORIGIN_MISMATCH`. Default: the origin of `src`. */
  origin?: string;
  /**
   * Adds `allow-same-origin` so the iframe keeps its real origin and every message is checked
   * against it exactly. Only allowed when `src` is on another origin than the host page
   * (otherwise the iframe could reach into the host): throws `UNSAFE_SANDBOX`. Default false:
   * the iframe's origin is opaque (`'null'`) and messages are accepted only from its window.
   */
  allowSameOrigin?: boolean;
  /** Theme tokens; missing ones come from the defaults of `mode`. Change later with `setTheme`. */
  theme?: ThemeInput;
  /** Issues short-lived session tokens for the iframe (called when the iframe asks, cached there). */
  session?: () => SessionGrant | Promise<SessionGrant>;
  /** The iframe asked to navigate the host app to `to` (an absolute path, validated). */
  onNavigate?: (to: string) => void | Promise<void>;
  /** The iframe asked for a size. Default: sets the iframe's `style.height` (and width when given). */
  onResize?: (size: FrameSize) => void;
  /** Largest height (px) the default resize applies (default 20 000). */
  maxHeight?: number;
  /** Methods the iframe may `call()`; validate their arguments, they come from extension code. */
  methods?: HostMethods;
  /** How `callProxy` reaches `/api/ext-proxy/{extensionId}/...`. */
  proxy?: ProxyOptions;
  /** How long `ready` waits for the first handshake (default 10 000 ms). */
  handshakeTimeoutMs?: number;
  /** Default timeout of `call` (default 10 000 ms). */
  callTimeoutMs?: number;
  /** Told about every message that claimed to be for this bridge and was dropped (wrong source, origin, shape). */
  onIgnoredMessage?: (info: IgnoredMessage) => void;
}

/** Events of an {@link IframeConnection}. */
export type ConnectionEvents = LinkEvents;

/** The host's handle on a bootstrapped iframe. */
export interface IframeConnection<IframeMethods extends MethodMap<IframeMethods> = AnyMethods> {
  /** Resolves after the first handshake; rejects with `HANDSHAKE_FAILED` after `handshakeTimeoutMs`. */
  readonly ready: Promise<void>;
  /** True while a handshaken iframe is connected. */
  readonly connected: boolean;
  /** The theme the iframe has (or gets on connect). */
  readonly theme: Theme;
  /** Validates and sends new theme tokens; the iframe re-applies its CSS variables live. */
  setTheme(theme: ThemeInput): Promise<void>;
  /** Calls a method the iframe exposed in `createBridge({methods})`, with the default timeout. */
  call<K extends keyof IframeMethods & string>(
    method: K,
    ...args: Parameters<IframeMethods[K]>
  ): Promise<Awaited<ReturnType<IframeMethods[K]>>>;
  /** Like `call` with options (per-call `timeout` in ms). */
  invoke<K extends keyof IframeMethods & string>(
    method: K,
    args: Parameters<IframeMethods[K]>,
    options?: { timeout?: number },
  ): Promise<Awaited<ReturnType<IframeMethods[K]>>>;
  /** Subscribes to `connect`, `disconnect` or `error`; returns the unsubscribe function. */
  on<E extends keyof ConnectionEvents>(
    event: E,
    listener: (...payload: ConnectionEvents[E]) => void,
  ): () => void;
  /** Ends the connection, tells the iframe, and rejects calls with `DESTROYED`. Leaves the iframe element in place. */
  destroy(): void;
}

const STRICT_SANDBOX = 'allow-scripts allow-forms';

function toEpochMs(value: number | string | Date): number {
  if (typeof value === 'number') return value;
  return (value instanceof Date ? value : new Date(value)).getTime();
}

/**
 * Sandboxes an iframe, loads the extension UI into it and connects to it.
 *
 * The iframe gets `sandbox="allow-scripts allow-forms"` (plus `allow-same-origin` only when
 * asked for and the UI is on another origin). Every window message must come from the
 * iframe's window *and* the expected origin (`'null'` for the opaque sandbox), and is
 * validated before use. When the iframe reloads, calls in flight fail with
 * `CONNECTION_LOST`, `disconnect` fires, and the new page is connected and themed again.
 *
 * @example
 * ```ts
 * const iframe = document.createElement('iframe');
 * container.append(iframe);
 * const connection = bootstrapIframe(iframe, {
 *   extensionId: 'com.acme.hello',
 *   src: buildExtUiSrc({ publicBase: '', extensionId: 'com.acme.hello', contentHash }),
 *   theme: { mode: 'dark' },
 *   session: () => api.issueExtensionSession('com.acme.hello'),
 *   onNavigate: (to) => router.push(to),
 * });
 * await connection.ready;
 * ```
 */
export function bootstrapIframe<
  IframeMethods extends MethodMap<IframeMethods> = AnyMethods,
  HostMethods extends MethodMap<HostMethods> = AnyMethods,
>(
  iframe: HTMLIFrameElement,
  options: BootstrapOptions<HostMethods>,
): IframeConnection<IframeMethods> {
  const src = options.src ?? iframe.getAttribute('src') ?? '';
  if (!src) {
    throw new BridgeError(
      BridgeErrorCode.INVALID_ARGUMENT,
      'bootstrapIframe needs `src` (or an iframe with a src attribute): build it with buildExtUiSrc()',
    );
  }
  const url = new URL(src, window.location.href);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BridgeError(
      BridgeErrorCode.INVALID_ARGUMENT,
      `The iframe src must be an http(s) URL, got "${url.protocol}"`,
    );
  }
  if (options.origin !== undefined && new URL(options.origin).origin !== url.origin) {
    throw new BridgeError(
      BridgeErrorCode.ORIGIN_MISMATCH,
      `The iframe src is on ${url.origin} but origin says ${options.origin}: fix publicBase or origin`,
    );
  }
  const allowSameOrigin = options.allowSameOrigin === true;
  if (allowSameOrigin && url.origin === window.location.origin) {
    throw new BridgeError(
      BridgeErrorCode.UNSAFE_SANDBOX,
      `allow-same-origin with a same-origin src (${url.origin}) would let the extension script the host page: serve ext-ui from another origin or drop allowSameOrigin`,
    );
  }
  const expectedOrigin = allowSameOrigin ? url.origin : 'null';
  const extensionId = options.extensionId;
  let theme = resolveTheme(options.theme ?? {});
  const proxy = options.proxy ?? {};
  const maxHeight = options.maxHeight ?? 20_000;
  const timeout = options.handshakeTimeoutMs ?? 10_000;
  let helloWaiter: { generation: number; resolve(): void } | undefined;
  let helloSeen = -1;

  const sdkMethods = {
    hello: (request: unknown) => {
      const hello = parseArg(helloRequestSchema, request, 'hello');
      if (hello.protocol !== PROTOCOL_VERSION) {
        throw new BridgeError(
          BridgeErrorCode.HANDSHAKE_FAILED,
          `The iframe speaks bridge protocol ${hello.protocol}, this host speaks ${PROTOCOL_VERSION}: use matching @alga/iframe-sdk versions`,
        );
      }
      helloSeen = link.generation;
      if (helloWaiter?.generation === link.generation) helloWaiter.resolve();
      return { protocol: PROTOCOL_VERSION, extensionId, theme };
    },
    navigate: async (to: unknown) => {
      const target = parseArg(navigateSchema, to, 'navigation target');
      if (!options.onNavigate) {
        throw new BridgeError(
          BridgeErrorCode.METHOD_NOT_FOUND,
          'This host does not handle navigation',
        );
      }
      await options.onNavigate(target);
    },
    resize: (size: unknown) => {
      const parsed = parseArg(sizeSchema, size, 'size');
      const next: FrameSize = { height: Math.min(Math.ceil(parsed.height), maxHeight) };
      if (parsed.width !== undefined) next.width = Math.ceil(parsed.width);
      if (options.onResize) {
        options.onResize(next);
        return;
      }
      iframe.style.height = `${next.height}px`;
      if (next.width !== undefined) iframe.style.width = `${next.width}px`;
    },
    session: async () => {
      if (!options.session) {
        throw new BridgeError(
          BridgeErrorCode.SESSION_UNAVAILABLE,
          'This host issues no session tokens (bootstrapIframe has no `session` option)',
        );
      }
      let grant: SessionGrant;
      try {
        grant = await options.session();
      } catch (error) {
        throw new BridgeError(
          BridgeErrorCode.SESSION_UNAVAILABLE,
          'The host could not issue a session token',
          { cause: error },
        );
      }
      const token = { token: grant.token, expiresAt: toEpochMs(grant.expiresAt) };
      const parsed = sessionSchema.safeParse(token);
      if (!parsed.success || !Number.isFinite(token.expiresAt) || token.expiresAt <= Date.now()) {
        throw new BridgeError(
          BridgeErrorCode.SESSION_UNAVAILABLE,
          'The host session callback returned no token or one that has already expired',
        );
      }
      return parsed.data;
    },
    callProxy: async (route: unknown, payload: unknown, rawOptions: unknown) => {
      const path = parseArg(routeSchema, route, 'proxy route').replace(/^\//, '');
      const callOptions = parseArg(proxyOptionsSchema, rawOptions ?? {}, 'proxy options');
      const method = callOptions.method ?? 'POST';
      const base = (proxy.basePath ?? '/api/ext-proxy').replace(/\/+$/, '');
      const headers = new Headers(proxy.headers ? await proxy.headers() : undefined);
      headers.set('accept', 'application/json');
      const init: RequestInit = {
        method,
        headers,
        credentials: 'same-origin',
        signal: AbortSignal.timeout(callOptions.timeout ?? proxy.timeoutMs ?? 30_000),
      };
      if (method !== 'GET' && payload !== undefined) {
        headers.set('content-type', 'application/json');
        init.body = JSON.stringify(payload);
      }
      let response: Response;
      try {
        response = await (proxy.fetch ?? fetch)(
          `${base}/${encodeURIComponent(extensionId)}/${path}`,
          init,
        );
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
        throw new BridgeError(
          timedOut ? BridgeErrorCode.TIMEOUT : BridgeErrorCode.PROXY_ERROR,
          timedOut
            ? `Proxy request ${method} ${path} timed out`
            : `Proxy request ${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      const text = await response.text();
      const isJson = /^application\/(?:[\w.+-]+\+)?json\b/i.test(
        response.headers.get('content-type') ?? '',
      );
      let body: unknown = text;
      if (isJson && text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      } else if (text === '') {
        body = null;
      }
      if (!response.ok) {
        const detail = (body as { error?: { message?: unknown } } | null)?.error?.message;
        throw new BridgeError(
          BridgeErrorCode.PROXY_ERROR,
          `Proxy request ${method} ${path} answered ${response.status}${typeof detail === 'string' ? `: ${detail}` : ''}`,
          { status: response.status },
        );
      }
      return body;
    },
  };

  const link = new Link({
    guard: {
      remoteWindow: () => iframe.contentWindow,
      acceptOrigin: (origin) => origin === expectedOrigin,
      // An opaque origin cannot be named as a target; the source check stands in for it.
      targetOrigin: () => (allowSameOrigin ? expectedOrigin : '*'),
    },
    onIgnored: options.onIgnoredMessage,
    methods: {
      [SDK]: wrapMethods(sdkMethods),
      [APP]: wrapMethods((options.methods ?? {}) as Record<string, unknown>),
    },
    establish: (_remote, generation) =>
      new Promise<void>((resolve, reject) => {
        if (helloSeen === generation) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          reject(
            new BridgeError(
              BridgeErrorCode.HANDSHAKE_FAILED,
              `The iframe connected but sent no hello within ${timeout} ms`,
            ),
          );
        }, timeout);
        helloWaiter = {
          generation,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      }),
    handshakeTimeoutMs: timeout,
    callTimeoutMs: options.callTimeoutMs ?? 10_000,
  });

  // A load after the handshake means the iframe navigated: if the page there does not answer,
  // the peer is gone. (A reload that runs the SDK again is caught sooner, by its new SYN.)
  const onLoad = () => link.probe([SDK, 'ping'], 2_000);
  iframe.addEventListener('load', onLoad);

  iframe.setAttribute(
    'sandbox',
    allowSameOrigin ? `${STRICT_SANDBOX} allow-same-origin` : STRICT_SANDBOX,
  );
  if (!iframe.hasAttribute('title')) iframe.setAttribute('title', `Extension ${extensionId}`);
  link.start();
  // The sandbox applies from the next navigation, so (re)load the src only now.
  iframe.setAttribute('src', url.href);

  const connection: IframeConnection<IframeMethods> = {
    ready: link.ready,
    get connected() {
      return link.connected;
    },
    get theme() {
      return theme;
    },
    async setTheme(input) {
      theme = resolveTheme(input);
      if (link.connected) await link.invoke([SDK, 'setTheme'], [theme]);
    },
    call(method, ...args) {
      return link.invoke([APP, method], args) as never;
    },
    invoke(method, args, callOptions = {}) {
      return link.invoke([APP, method], args, callOptions.timeout) as never;
    },
    on(event, listener) {
      link.events.on(event, listener as never);
      return () => {
        link.events.off(event, listener as never);
      };
    },
    destroy() {
      iframe.removeEventListener('load', onLoad);
      link.destroy();
    },
  };
  return connection;
}
