import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  bundle,
  filesByName,
  html,
  js,
  launchChromium,
  serve,
  type TestServer,
  waitFor,
} from './harness';
import type { ChildHarness, HostHarness, LogEntry, MountOptions, Outcome } from './pages/types';

type HostWindow = Window & { harness: HostHarness };
type ChildWindow = Window & { child: ChildHarness };

let browser: Browser;
let host: TestServer;
let ext: TestServer;
let iifeSize = 0;

const IIFE_CHILD = `
  const bridge = AlgaIframe.createBridge({ methods: { add: (a, b) => a + b } });
  window.child = { ready: bridge.ready.then(() => 'ready', (e) => 'failed:' + e.code) };
`;
const FORGED = (extra: string) => `
  const syn = { namespace: 'penpal', channel: 'alga-ui/1', type: 'SYN', participantId: 'evil' };
  const call = { namespace: 'penpal', channel: 'alga-ui/1', type: 'CALL', id: 'x',
    methodPath: ['alga', 'navigate'], args: ['/pwned'] };
  parent.postMessage(syn, '*');
  parent.postMessage(call, '*');
  ${extra}
`;

beforeAll(async () => {
  const [hostJs, childJs, iifeJs] = await Promise.all([
    bundle(new URL('./pages/host.ts', import.meta.url)),
    bundle(new URL('./pages/child.ts', import.meta.url)),
    // Same options as the tsup IIFE build: one minified file exposing a global AlgaIframe.
    bundle(new URL('../../src/iife.ts', import.meta.url), {
      globalName: 'AlgaIframe',
      minify: true,
    }),
  ]);
  iifeSize = iifeJs.length;
  host = await serve((request, url, body) => {
    if (url.pathname === '/') return html('<script src="/host.js"></script>');
    if (url.pathname === '/host.js') return js(hostJs);
    if (url.pathname === '/api/ext-proxy/com.acme.test/forbidden') {
      return {
        status: 403,
        type: 'application/json',
        body: JSON.stringify({ error: { code: 'CAPABILITY_DENIED', message: 'nope' } }),
      };
    }
    if (url.pathname.startsWith('/api/ext-proxy/')) {
      return {
        type: 'application/json',
        body: JSON.stringify({
          method: request.method,
          path: url.pathname,
          body: body.toString('utf8'),
          cookie: request.headers.cookie ?? null,
        }),
      };
    }
    return undefined;
  });
  ext = await serve(
    filesByName({
      'index.html': html(
        '<div id="swatch" style="width:40px;height:40px;background:var(--alga-color-primary)"></div><script src="child.js"></script>',
      ),
      'child.js': js(childJs),
      'iife.html': html(
        '<script src="alga-iframe-sdk.iife.js"></script><script src="iife-child.js"></script>',
      ),
      'alga-iframe-sdk.iife.js': js(iifeJs),
      'iife-child.js': js(IIFE_CHILD),
      'plain.html': html('<p>no SDK here</p>'),
      'evil.html': html(
        `<script>${FORGED("parent.frames[0].postMessage(syn, '*'); parent.frames[0].postMessage(call, '*');")}</script>`,
      ),
    }),
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await ext?.close();
});

let page: Page;
beforeEach(async () => {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'host_session', value: 'abc', url: host.origin }]);
  page = await context.newPage();
  await page.goto(`${host.origin}/`);
  return () => context.close();
});

const mount = (options: MountOptions) =>
  page.evaluate((o) => (window as unknown as HostWindow).harness.mount(o), options);
const hostLog = () => page.evaluate(() => (window as unknown as HostWindow).harness.log);
const hostCall = (method: string, ...args: unknown[]) =>
  page.evaluate(
    ([m, a]) => (window as unknown as HostWindow).harness.call(m as string, ...(a as unknown[])),
    [method, args] as const,
  );

async function childFrame(name = 'index.html', origin = ext.origin): Promise<Frame> {
  return waitFor(
    () =>
      page.frames().find((frame) => frame.url().startsWith(origin) && frame.url().includes(name)),
    5_000,
    `the ${name} frame`,
  );
}
/** Runs `fn` inside the iframe with its `window.child` harness. */
const child = async <T>(fn: (c: ChildHarness) => T | Promise<T>, frame?: Frame): Promise<T> => {
  const target = frame ?? (await childFrame());
  const handle = await waitFor(
    () => target.evaluate(() => 'child' in window),
    5_000,
    'the iframe harness',
  ).then(() => target.evaluateHandle(() => (window as unknown as ChildWindow).child));
  return target.evaluate(fn as (c: ChildHarness) => Promise<T>, handle) as Promise<T>;
};
const childReady = (frame?: Frame) => child((c) => c.ready, frame);
const entries = (log: LogEntry[], type: string) => log.filter((entry) => entry.type === type);

describe('handshake and RPC between a host page and an iframe on another origin', () => {
  test('connects through the opaque sandbox and calls both ways with typed results', async () => {
    expect(await mount({ extOrigin: ext.origin })).toBe('ready');
    expect(await childReady()).toBe('ready');
    expect(await page.evaluate(() => (window as unknown as HostWindow).harness.sandbox())).toBe(
      'allow-scripts allow-forms',
    );
    const frame = await childFrame();
    expect(await frame.evaluate(() => window.origin)).toBe('null');
    expect(await child((c) => c.extensionId())).toBe('com.acme.test');

    expect(await hostCall('add', 2, 3)).toEqual({ ok: 5 });
    expect(await child((c) => c.call('hostEcho', { n: [1, 2] }))).toEqual({
      ok: { echo: { n: [1, 2] } },
    });
    const log = await hostLog();
    expect(entries(log, 'connect')).toEqual([{ type: 'connect', reconnect: false }]);
    expect(entries(log, 'ignored')).toEqual([]);
  });

  test('errors cross as {code, message}; unknown methods and timeouts have their codes', async () => {
    await mount({ extOrigin: ext.origin });
    expect(await hostCall('fail')).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'a must be positive' },
    });
    expect(await hostCall('crash')).toEqual({
      error: { code: 'REMOTE_ERROR', message: 'child exploded' },
    });
    expect(await hostCall('nope')).toMatchObject({ error: { code: 'METHOD_NOT_FOUND' } });
    expect(await child((c) => c.call('hostFail'))).toEqual({
      error: { code: 'REMOTE_ERROR', message: 'host exploded' },
    });
    const started = Date.now();
    const timedOut = await page.evaluate(() =>
      (window as unknown as HostWindow).harness.invoke('slow', [2_000], 200),
    );
    expect(timedOut).toMatchObject({ error: { code: 'TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(
      await page.evaluate(() =>
        (window as unknown as HostWindow).harness.invoke('slow', [50], 2_000),
      ),
    ).toEqual({ ok: 'done' });
  });

  test('navigate, resize, session and callProxy go through the host with its checks', async () => {
    await mount({ extOrigin: ext.origin });
    expect(await child((c) => c.navigate('/tickets/42'))).toEqual({ ok: undefined });
    expect(await child((c) => c.navigate('https://evil.example/'))).toMatchObject({
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(entries(await hostLog(), 'navigate')).toEqual([{ type: 'navigate', to: '/tickets/42' }]);

    await child((c) => c.resize({ height: 321 }));
    expect(await page.evaluate(() => (window as unknown as HostWindow).harness.frameHeight())).toBe(
      '321px',
    );
    await child((c) => c.resize('auto'));
    await child((c) => c.grow(640));
    const grown = await waitFor(async () => {
      const height = await page.evaluate(() =>
        (window as unknown as HostWindow).harness.frameHeight(),
      );
      return Number.parseInt(height, 10) >= 640 ? height : undefined;
    });
    expect(Number.parseInt(grown, 10)).toBeLessThan(800);

    const first = (await child((c) => c.session())) as { ok: { token: string; expiresAt: number } };
    const second = await child((c) => c.session());
    expect(first.ok.token).toBe('tok-1');
    expect(first.ok.expiresAt).toBeGreaterThan(Date.now() + 200_000);
    expect(second).toEqual(first);
    expect(
      await page.evaluate(() => (window as unknown as HostWindow).harness.sessionsIssued()),
    ).toBe(1);

    expect(await child((c) => c.callProxy('items/42', { q: 1 }))).toEqual({
      ok: {
        method: 'POST',
        path: '/api/ext-proxy/com.acme.test/items/42',
        body: '{"q":1}',
        cookie: 'host_session=abc',
      },
    });
    expect(await child((c) => c.callProxy('items', undefined, { method: 'GET' }))).toMatchObject({
      ok: { method: 'GET', body: '' },
    });
    expect(await child((c) => c.callProxy('forbidden'))).toEqual({
      error: {
        code: 'PROXY_ERROR',
        status: 403,
        message: 'Proxy request POST forbidden answered 403: nope',
      },
    });
    const before = host.requests.length;
    expect(await child((c) => c.callProxy('../admin'))).toMatchObject({
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(host.requests.length).toBe(before);
  });

  test('an iframe bootstrapped before it is in the document connects once it is added', async () => {
    expect(await mount({ extOrigin: ext.origin, appendLate: true })).toBe('ready');
    expect(await hostCall('add', 1, 1)).toEqual({ ok: 2 });
    expect(entries(await hostLog(), 'error')).toEqual([]);
  });

  test('the minified IIFE build works from a plain <script> tag', async () => {
    expect(iifeSize).toBeLessThan(80_000);
    expect(await mount({ extOrigin: ext.origin, page: 'iife.html' })).toBe('ready');
    expect(await hostCall('add', 40, 2)).toEqual({ ok: 42 });
  });

  test('outside an iframe the bridge fails fast with HANDSHAKE_FAILED', async () => {
    await page.goto(`${ext.origin}/ext-ui/com.acme.test/x/index.html`);
    expect(await page.evaluate(() => (window as unknown as ChildWindow).child.ready)).toBe(
      'failed:HANDSHAKE_FAILED',
    );
  });
});

describe('origin and source checks', () => {
  test('refuses allow-same-origin with a same-origin src, and a src on an unexpected origin', async () => {
    const unsafe = await page.evaluate(
      (o) => (window as unknown as HostWindow).harness.tryMount(o),
      { extOrigin: host.origin, allowSameOrigin: true },
    );
    expect(unsafe).toMatchObject({ error: { code: 'UNSAFE_SANDBOX' } });
    const mismatch = await page.evaluate(
      (o) => (window as unknown as HostWindow).harness.tryMount(o),
      { extOrigin: ext.origin, origin: 'http://localhost:1' },
    );
    expect(mismatch).toMatchObject({ error: { code: 'ORIGIN_MISMATCH' } });
  });

  test('a message from the right window but a wrong origin is ignored', async () => {
    expect(await mount({ extOrigin: ext.origin, allowSameOrigin: true })).toBe('ready');
    expect(await page.evaluate(() => (window as unknown as HostWindow).harness.sandbox())).toBe(
      'allow-scripts allow-forms allow-same-origin',
    );
    const frame = await childFrame();
    expect(await frame.evaluate(() => window.origin)).toBe(ext.origin);
    const foreign = `http://localhost:${ext.port}`;
    // The extension page navigates its own frame to another origin running the same SDK. After
    // this evaluation returns: a navigation that begins first destroys the context it awaits.
    await frame.evaluate((url) => {
      setTimeout(() => {
        window.location.href = url;
      }, 0);
    }, `${foreign}/ext-ui/com.acme.test/x/index.html`);
    await waitFor(
      async () =>
        entries(await hostLog(), 'ignored').some(
          (entry) => entry.reason === 'origin' && entry.origin === foreign,
        ),
      5_000,
      'the foreign SYN to be reported',
    );
    await waitFor(
      async () => entries(await hostLog(), 'disconnect').length === 1,
      5_000,
      'disconnect',
    );
    const log = await hostLog();
    expect(entries(log, 'disconnect')).toEqual([{ type: 'disconnect', reason: 'navigated' }]);
    expect(entries(log, 'connect')).toHaveLength(1);
    expect(await page.evaluate(() => (window as unknown as HostWindow).harness.connected())).toBe(
      false,
    );
    expect(await hostCall('add', 1, 1)).toMatchObject({ error: { code: 'TIMEOUT' } });
  });

  test('forged messages from another frame are ignored by the host and by the iframe', async () => {
    await mount({ extOrigin: ext.origin });
    const foreign = `http://localhost:${ext.port}`;
    await page.evaluate(
      (src) => (window as unknown as HostWindow).harness.addFrame(src),
      `${foreign}/evil.html`,
    );
    await waitFor(
      async () => entries(await hostLog(), 'ignored').length >= 2,
      5_000,
      'the host to report both forged messages',
    );
    expect(entries(await hostLog(), 'ignored')).toEqual([
      { type: 'ignored', reason: 'source', origin: foreign },
      { type: 'ignored', reason: 'source', origin: foreign },
    ]);
    const childIgnored = await waitFor(
      async () => {
        const log = await child((c) => c.log);
        return entries(log, 'ignored').length >= 2 ? entries(log, 'ignored') : undefined;
      },
      5_000,
      'the iframe to report both forged messages',
    );
    expect(childIgnored.map((entry) => entry.reason)).toEqual(['source', 'source']);
    expect(entries(await hostLog(), 'navigate')).toEqual([]);
    expect(await hostCall('add', 1, 2)).toEqual({ ok: 3 });
  });

  test('an iframe that only accepts another host origin never connects', async () => {
    const result = await mount({
      extOrigin: ext.origin,
      params: { allowedHost: 'https://intranet.example' },
      handshakeTimeoutMs: 1_500,
    });
    expect(result).toBe('failed:HANDSHAKE_FAILED');
    // Its SYN was addressed to the allowed origin only, so the browser never delivered it here.
    expect(entries(await hostLog(), 'ignored')).toEqual([]);
    // A SYN from the real parent, but from an origin the iframe does not accept, is dropped.
    await page.evaluate(() =>
      (window as unknown as HostWindow).harness.postToFrame({
        namespace: 'penpal',
        channel: 'alga-ui/1',
        type: 'SYN',
        participantId: 'from-the-wrong-host',
      }),
    );
    const ignored = await waitFor(async () => {
      const log = entries(await child((c) => c.log), 'ignored');
      return log.length > 0 ? log : undefined;
    });
    expect(ignored).toEqual([{ type: 'ignored', reason: 'origin', origin: host.origin }]);
    expect(await child((c) => c.connected())).toBe(false);
  });
});

describe('reload and teardown', () => {
  test('a reload fails calls in flight with CONNECTION_LOST, then reconnects and re-themes', async () => {
    await mount({ extOrigin: ext.origin, theme: { colors: { primary: '#112233' } } });
    const pending = page.evaluate(() =>
      (window as unknown as HostWindow).harness.invoke('slow', [20_000], 15_000),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const frame = await childFrame();
    await frame.evaluate(() => {
      setTimeout(() => window.location.reload(), 0);
    });
    const lost = (await pending) as Outcome;
    expect(lost).toMatchObject({ error: { code: 'CONNECTION_LOST' } });
    expect(Date.now() - started).toBeLessThan(5_000);
    await waitFor(async () => entries(await hostLog(), 'connect').length === 2, 5_000, 'reconnect');
    const log = await hostLog();
    expect(entries(log, 'disconnect')).toEqual([{ type: 'disconnect', reason: 'reload' }]);
    expect(entries(log, 'connect')).toEqual([
      { type: 'connect', reconnect: false },
      { type: 'connect', reconnect: true },
    ]);
    expect(await hostCall('add', 20, 22)).toEqual({ ok: 42 });
    expect(await childReady()).toBe('ready');
    expect(
      await (await childFrame()).evaluate(
        () => getComputedStyle(document.getElementById('swatch') as HTMLElement).backgroundColor,
      ),
    ).toBe('rgb(17, 34, 51)');
    expect(await child((c) => c.call('hostEcho', 'again'))).toEqual({ ok: { echo: 'again' } });
  });

  test('destroy tells the iframe and rejects later calls with DESTROYED', async () => {
    await mount({ extOrigin: ext.origin });
    await page.evaluate(() => (window as unknown as HostWindow).harness.destroy());
    expect(await hostCall('add', 1, 2)).toMatchObject({ error: { code: 'DESTROYED' } });
    const log = await waitFor(async () => {
      const entriesNow = entries(await child((c) => c.log), 'disconnect');
      return entriesNow.length > 0 ? entriesNow : undefined;
    });
    expect(log).toEqual([{ type: 'disconnect', reason: 'remote-destroyed' }]);
  });
});

describe('theme tokens', () => {
  test('the iframe applies the host tokens as CSS variables and follows live changes', async () => {
    await mount({ extOrigin: ext.origin, theme: { colors: { primary: '#112233' } } });
    const frame = await childFrame();
    const swatch = () =>
      frame.evaluate(() => ({
        background: getComputedStyle(document.getElementById('swatch') as HTMLElement)
          .backgroundColor,
        mode: document.documentElement.dataset.algaTheme,
        scheme: getComputedStyle(document.documentElement).colorScheme,
        space: getComputedStyle(document.documentElement).getPropertyValue('--alga-space-md'),
      }));
    expect(await swatch()).toEqual({
      background: 'rgb(17, 34, 51)',
      mode: 'light',
      scheme: 'light',
      space: '12px',
    });
    expect(
      await page.evaluate(() =>
        (window as unknown as HostWindow).harness.setTheme({
          mode: 'dark',
          colors: { primary: '#ff0000' },
        }),
      ),
    ).toEqual({ ok: undefined });
    expect(await swatch()).toEqual({
      background: 'rgb(255, 0, 0)',
      mode: 'dark',
      scheme: 'dark',
      space: '12px',
    });
    expect(entries(await child((c) => c.log), 'theme')).toEqual([
      { type: 'theme', primary: '#112233' },
      { type: 'theme', primary: '#ff0000' },
    ]);
    expect(
      await page.evaluate(() =>
        (window as unknown as HostWindow).harness.setTheme({
          colors: { primary: 'url(https://evil.example/track.png)' },
        }),
      ),
    ).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect((await swatch()).background).toBe('rgb(255, 0, 0)');
  });
});
