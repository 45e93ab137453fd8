import { BridgeError, createBridge } from '@alga/iframe-sdk';
import {
  type ChildHarness,
  type ChildMethods,
  type HostMethods,
  type LogEntry,
  outcome,
} from './types';

const log: LogEntry[] = [];
const methods: ChildMethods = {
  add: (a, b) => a + b,
  fail: () => {
    throw new BridgeError('INVALID_ARGUMENT', 'a must be positive');
  },
  crash: () => {
    throw new Error('child exploded');
  },
  slow: (ms) => new Promise((resolve) => setTimeout(() => resolve('done'), ms)),
};
const allowedHost = new URLSearchParams(window.location.search).get('allowedHost');
const bridge = createBridge<HostMethods, ChildMethods>({
  methods,
  ...(allowedHost ? { allowedHostOrigins: [allowedHost] } : {}),
  onIgnoredMessage: (info) => log.push({ type: 'ignored', ...info }),
  handshakeTimeoutMs: 5_000,
  callTimeoutMs: 3_000,
});
bridge.on('connect', (event) => log.push({ type: 'connect', reconnect: event.reconnect }));
bridge.on('disconnect', (event) => log.push({ type: 'disconnect', reason: event.reason }));
bridge.onThemeChange((theme) => log.push({ type: 'theme', primary: theme.colors.primary }));

const harness: ChildHarness = {
  log,
  ready: bridge.ready.then(
    () => 'ready',
    (error: BridgeError) => `failed:${error.code}`,
  ),
  call: (method, ...args) =>
    outcome((bridge.call as (m: string, ...a: unknown[]) => Promise<unknown>)(method, ...args)),
  navigate: (to) => outcome(bridge.navigate(to)),
  resize: (size) => outcome(bridge.resize(size as 'auto')),
  session: () => outcome(bridge.session()),
  callProxy: (route, payload, options) =>
    outcome(bridge.callProxy(route, payload, options as undefined)),
  extensionId: () => bridge.extensionId,
  connected: () => bridge.connected,
  grow(px) {
    const block = document.createElement('div');
    block.style.height = `${px}px`;
    document.body.append(block);
  },
};
(window as unknown as { child: ChildHarness }).child = harness;
