import { BridgeError, BridgeErrorCode } from './errors';
import type { AnyMethods, ConnectionEvents, FrameSize, MethodMap, SessionToken } from './host';
import { Link } from './internal/link';
import type { IgnoredMessage } from './internal/messenger';
import {
  APP,
  helloResponseSchema,
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
import { SessionCache } from './internal/session-cache';
import { applyTheme, resolveTheme, type Theme } from './theme';
import { SDK_VERSION } from './version';

/** Options of {@link createBridge}. */
export interface BridgeOptions<IframeMethods extends MethodMap<IframeMethods> = AnyMethods> {
  /** Methods the host may `call()`; validate their arguments, they come from the host page. */
  methods?: IframeMethods;
  /**
   * Origins the host page may have. Default: the parent's origin as the browser reports it
   * (`location.ancestorOrigins`), else any origin as long as the message comes from `window.parent`.
   */
  allowedHostOrigins?: readonly string[];
  /** Where theme CSS variables go (default `<html>`); `null` to apply them yourself via `onThemeChange`. */
  applyThemeTo?: HTMLElement | null;
  /** How long `ready` waits for the host (default 10 000 ms). */
  handshakeTimeoutMs?: number;
  /** Default timeout of calls to the host (default 10 000 ms). */
  callTimeoutMs?: number;
  /** Fetch a new session token this long before the current one expires (default 60 000 ms). */
  sessionRefreshMarginMs?: number;
  /** Told about every message that claimed to be for this bridge and was dropped. */
  onIgnoredMessage?: (info: IgnoredMessage) => void;
}

/** Options of {@link Bridge.callProxy}. */
export interface CallProxyOptions {
  /** HTTP method (default POST; GET sends no body). */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Timeout in ms for the whole round trip (default the bridge's call timeout). */
  timeout?: number;
}

/** The iframe's side of the bridge, from {@link createBridge}. */
export interface Bridge<HostMethods extends MethodMap<HostMethods> = AnyMethods> {
  /** Resolves when connected to the host and themed; rejects with `HANDSHAKE_FAILED` (timeout, not in an iframe, protocol mismatch). */
  readonly ready: Promise<void>;
  /** True while connected to the host. */
  readonly connected: boolean;
  /** The current theme (undefined before the first handshake). */
  readonly theme: Theme | undefined;
  /** The extension id the host says this iframe shows (undefined before the first handshake). */
  readonly extensionId: string | undefined;
  /** Calls `listener` with every new theme (first on connect, then on each host change). */
  onThemeChange(listener: (theme: Theme) => void): () => void;
  /** Subscribes to `connect`, `disconnect` or `error`; returns the unsubscribe function. */
  on<E extends keyof ConnectionEvents>(
    event: E,
    listener: (...payload: ConnectionEvents[E]) => void,
  ): () => void;
  /** Asks the host app to navigate to an absolute path such as `/tickets/42`. */
  navigate(to: string): Promise<void>;
  /** Asks for a size, or `'auto'` to follow the document's height as it changes. */
  resize(size: 'auto' | FrameSize): Promise<void>;
  /** A short-lived session token, cached and refreshed before it expires. */
  session(): Promise<SessionToken>;
  /** Calls the extension's handler through the host: `/api/ext-proxy/{extensionId}/{route}`. */
  callProxy<T = unknown>(route: string, payload?: unknown, options?: CallProxyOptions): Promise<T>;
  /** Calls a method the host exposed in `bootstrapIframe({methods})`, with the default timeout. */
  call<K extends keyof HostMethods & string>(
    method: K,
    ...args: Parameters<HostMethods[K]>
  ): Promise<Awaited<ReturnType<HostMethods[K]>>>;
  /** Like `call` with options (per-call `timeout` in ms). */
  invoke<K extends keyof HostMethods & string>(
    method: K,
    args: Parameters<HostMethods[K]>,
    options?: { timeout?: number },
  ): Promise<Awaited<ReturnType<HostMethods[K]>>>;
  /** Stops talking to the host, stops auto-resize and the session refresh. */
  destroy(): void;
}

function parentOriginFromBrowser(): string | undefined {
  const first = window.location.ancestorOrigins?.[0];
  return first && first !== 'null' ? first : undefined;
}

/**
 * Connects an extension's iframe page to the host page.
 *
 * @example
 * ```ts
 * const bridge = createBridge({ methods: { refresh: () => reload() } });
 * await bridge.ready;                       // themed: --alga-* CSS variables are set
 * await bridge.resize('auto');
 * const items = await bridge.callProxy<Item[]>('items', { page: 1 });
 * ```
 */
export function createBridge<
  HostMethods extends MethodMap<HostMethods> = AnyMethods,
  IframeMethods extends MethodMap<IframeMethods> = AnyMethods,
>(options: BridgeOptions<IframeMethods> = {}): Bridge<HostMethods> {
  const themeTarget =
    options.applyThemeTo === undefined ? document.documentElement : options.applyThemeTo;
  const allowed = options.allowedHostOrigins;
  const ancestor = parentOriginFromBrowser();
  const callTimeout = options.callTimeoutMs ?? 10_000;
  const themeListeners = new Set<(theme: Theme) => void>();
  let theme: Theme | undefined;
  let extensionId: string | undefined;
  let hostOrigin: string | undefined;

  const setTheme = (next: Theme) => {
    theme = next;
    if (themeTarget) applyTheme(next, themeTarget);
    for (const listener of [...themeListeners]) listener(next);
  };

  const link = new Link({
    guard: {
      remoteWindow: () => (window.parent === window ? null : window.parent),
      acceptOrigin: (origin) => {
        const ok = allowed ? allowed.includes(origin) : ancestor ? origin === ancestor : true;
        // The source check already proved this is our parent; remember its origin so
        // everything after the first SYN is posted to it and nowhere else.
        if (ok) hostOrigin = origin;
        return ok;
      },
      targetOrigin: (kind) => {
        if (hostOrigin && hostOrigin !== 'null') return hostOrigin;
        if (kind === 'SYN')
          return allowed?.length === 1 ? (allowed[0] as string) : (ancestor ?? '*');
        return '*';
      },
    },
    onIgnored: options.onIgnoredMessage,
    methods: {
      [SDK]: wrapMethods({
        setTheme: (input: unknown) => {
          setTheme(resolveTheme(input));
        },
        ping: () => 'pong',
      }),
      [APP]: wrapMethods((options.methods ?? {}) as Record<string, unknown>),
    },
    establish: async (remote) => {
      const sdk = (remote as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>)[
        SDK
      ] as Record<string, (...a: unknown[]) => Promise<unknown>>;
      let raw: unknown;
      try {
        raw = await (sdk.hello as (...a: unknown[]) => Promise<unknown>)({
          protocol: PROTOCOL_VERSION,
          sdkVersion: SDK_VERSION,
        });
      } catch (error) {
        throw new BridgeError(
          BridgeErrorCode.HANDSHAKE_FAILED,
          error && typeof error === 'object' && 'message' in error
            ? String((error as { message: unknown }).message)
            : 'The host refused the hello',
          { cause: error },
        );
      }
      const hello = parseArg(helloResponseSchema, raw, 'hello response');
      if (hello.protocol !== PROTOCOL_VERSION) {
        throw new BridgeError(
          BridgeErrorCode.HANDSHAKE_FAILED,
          `The host speaks bridge protocol ${hello.protocol}, this iframe speaks ${PROTOCOL_VERSION}: use matching @alga/iframe-sdk versions`,
        );
      }
      extensionId = hello.extensionId;
      setTheme(resolveTheme(hello.theme));
    },
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    callTimeoutMs: callTimeout,
  });

  const sessions = new SessionCache(
    async () => parseArg(sessionSchema, await link.invoke([SDK, 'session'], []), 'session token'),
    { refreshMarginMs: options.sessionRefreshMarginMs ?? 60_000 },
  );

  let autoResize: { observer: ResizeObserver; frame: number } | undefined;
  let lastHeight: number | undefined;
  const measure = () => Math.ceil(document.documentElement.getBoundingClientRect().height);
  const sendHeight = () => {
    const height = measure();
    if (height === lastHeight) return;
    lastHeight = height;
    link.invoke([SDK, 'resize'], [{ height }]).catch(() => {
      lastHeight = undefined;
    });
  };
  const stopAutoResize = () => {
    if (!autoResize) return;
    autoResize.observer.disconnect();
    cancelAnimationFrame(autoResize.frame);
    autoResize = undefined;
  };

  link.events.on('disconnect', () => sessions.clear());
  link.events.on('connect', ({ reconnect }) => {
    if (reconnect && autoResize) {
      lastHeight = undefined;
      sendHeight();
    }
  });

  if (window.parent === window) {
    link.destroy(
      new BridgeError(
        BridgeErrorCode.HANDSHAKE_FAILED,
        'This page is not inside an iframe, so there is no host to connect to',
      ),
    );
  } else {
    link.start();
  }

  return {
    ready: link.ready,
    get connected() {
      return link.connected;
    },
    get theme() {
      return theme;
    },
    get extensionId() {
      return extensionId;
    },
    onThemeChange(listener) {
      themeListeners.add(listener);
      return () => {
        themeListeners.delete(listener);
      };
    },
    on(event, listener) {
      link.events.on(event, listener as never);
      return () => {
        link.events.off(event, listener as never);
      };
    },
    async navigate(to) {
      await link.invoke([SDK, 'navigate'], [parseArg(navigateSchema, to, 'navigation target')]);
    },
    async resize(size) {
      if (size === 'auto') {
        if (autoResize) return;
        const observer = new ResizeObserver(() => {
          if (!autoResize) return;
          cancelAnimationFrame(autoResize.frame);
          autoResize.frame = requestAnimationFrame(sendHeight);
        });
        autoResize = { observer, frame: 0 };
        observer.observe(document.documentElement);
        lastHeight = measure();
        await link.invoke([SDK, 'resize'], [{ height: lastHeight }]);
        return;
      }
      stopAutoResize();
      await link.invoke([SDK, 'resize'], [parseArg(sizeSchema, size, 'size')]);
    },
    session() {
      return sessions.get();
    },
    async callProxy<T>(route: string, payload?: unknown, proxyOptions: CallProxyOptions = {}) {
      const checkedRoute = parseArg(routeSchema, route, 'proxy route');
      const checked = parseArg(proxyOptionsSchema, proxyOptions, 'proxy options');
      const timeout = checked.timeout ?? callTimeout;
      // The host's fetch gets the same deadline, and the bridge call a little longer so the
      // host's own TIMEOUT (with its message) arrives before ours.
      return (await link.invoke(
        [SDK, 'callProxy'],
        [checkedRoute, payload, { ...checked, timeout }],
        timeout + 1_000,
      )) as T;
    },
    call(method, ...args) {
      return link.invoke([APP, method], args) as never;
    },
    invoke(method, args, callOptions = {}) {
      return link.invoke([APP, method], args, callOptions.timeout) as never;
    },
    destroy() {
      stopAutoResize();
      sessions.clear();
      link.destroy();
    },
  };
}
