import {
  type BridgeError,
  bootstrapIframe,
  buildExtUiSrc,
  type IframeConnection,
} from '@alga/iframe-sdk';
import {
  type ChildMethods,
  type HostHarness,
  type HostMethods,
  type LogEntry,
  type MountOptions,
  outcome,
} from './types';

export const CONTENT_HASH = `sha256:${'0123456789abcdef'.repeat(4)}`;

const log: LogEntry[] = [];
let connection: IframeConnection<ChildMethods> | undefined;
let iframe: HTMLIFrameElement | undefined;
let issued = 0;

function mountFrame(options: MountOptions): IframeConnection<ChildMethods> {
  iframe = document.createElement('iframe');
  iframe.id = 'ext';
  if (!options.appendLate) document.body.append(iframe);
  const src = buildExtUiSrc({
    publicBase: options.extOrigin,
    extensionId: 'com.acme.test',
    contentHash: CONTENT_HASH,
    path: options.page ?? 'index.html',
    ...(options.params ? { params: options.params } : {}),
  });
  const methods: HostMethods = {
    hostEcho: (value) => ({ echo: value }),
    hostFail: () => {
      throw new Error('host exploded');
    },
  };
  const created = bootstrapIframe<ChildMethods, HostMethods>(iframe, {
    extensionId: 'com.acme.test',
    src,
    ...(options.allowSameOrigin ? { allowSameOrigin: true } : {}),
    ...(options.theme ? { theme: options.theme } : {}),
    ...(options.origin ? { origin: options.origin } : {}),
    session: () => {
      issued++;
      return { token: `tok-${issued}`, expiresAt: new Date(Date.now() + 300_000) };
    },
    onNavigate: (to) => {
      log.push({ type: 'navigate', to });
    },
    methods,
    onIgnoredMessage: (info) => log.push({ type: 'ignored', ...info }),
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5_000,
    callTimeoutMs: 3_000,
  });
  if (options.appendLate) document.body.append(iframe);
  created.on('connect', (event) => log.push({ type: 'connect', reconnect: event.reconnect }));
  created.on('disconnect', (event) => log.push({ type: 'disconnect', reason: event.reason }));
  created.on('error', (error) => log.push({ type: 'error', code: error.code }));
  return created;
}

function current(): IframeConnection<ChildMethods> {
  if (!connection) throw new Error('mount() first');
  return connection;
}

const harness: HostHarness = {
  log,
  mount(options) {
    connection = mountFrame(options);
    return connection.ready.then(
      () => 'ready',
      (error: BridgeError) => `failed:${error.code}`,
    );
  },
  tryMount(options) {
    try {
      mountFrame(options);
      return { ok: true };
    } catch (error) {
      const { code, message } = error as BridgeError;
      return { error: { code, message } };
    }
  },
  call: (method, ...args) =>
    outcome((current().call as (m: string, ...a: unknown[]) => Promise<unknown>)(method, ...args)),
  invoke: (method, args, timeout) =>
    outcome(
      (current().invoke as (m: string, a: unknown[], o: object) => Promise<unknown>)(method, args, {
        timeout,
      }),
    ),
  setTheme: (theme) => outcome(connection?.setTheme(theme) ?? Promise.resolve()),
  connected: () => connection?.connected ?? false,
  frameHeight: () => iframe?.style.height ?? '',
  sandbox: () => iframe?.getAttribute('sandbox') ?? null,
  sessionsIssued: () => issued,
  destroy: () => connection?.destroy(),
  addFrame(src) {
    const frame = document.createElement('iframe');
    frame.src = src;
    frame.title = 'other';
    document.body.append(frame);
  },
  postToFrame(data) {
    iframe?.contentWindow?.postMessage(data, '*');
  },
};

(window as unknown as { harness: HostHarness }).harness = harness;
