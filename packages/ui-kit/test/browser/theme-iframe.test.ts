import { readFile } from 'node:fs/promises';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  bundle,
  filesByName,
  html,
  js,
  launchChromium,
  serve,
  type TestServer,
  waitFor,
} from '../../../iframe-sdk/test/browser/harness';
import type { HostHarness } from '../../../iframe-sdk/test/browser/pages/types';

type HostWindow = Window & { harness: HostHarness };

let browser: Browser;
let host: TestServer;
let ext: TestServer;

beforeAll(async () => {
  const [hostJs, childJs, css] = await Promise.all([
    bundle(new URL('../../../iframe-sdk/test/browser/pages/host.ts', import.meta.url)),
    bundle(new URL('./pages/themed-child.tsx', import.meta.url)),
    readFile(new URL('../../src/styles.css', import.meta.url), 'utf8'),
  ]);
  host = await serve((_request, url) => {
    if (url.pathname === '/') return html('<script src="/host.js"></script>');
    if (url.pathname === '/host.js') return js(hostJs);
    return undefined;
  });
  ext = await serve(
    filesByName({
      'themed.html': html(
        '<link rel="stylesheet" href="styles.css"><div id="root"></div><script src="themed.js"></script>',
      ),
      'themed.js': js(childJs),
      'styles.css': { type: 'text/css', body: css },
    }),
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await ext?.close();
});

test('changing the host theme live re-colours a ui-kit Button inside the sandboxed iframe', async () => {
  const page: Page = await browser.newPage();
  await page.goto(`${host.origin}/`);
  const result = await page.evaluate(
    (extOrigin) =>
      (window as unknown as HostWindow).harness.mount({
        extOrigin,
        page: 'themed.html',
        theme: { colors: { primary: '#1d4ed8' } },
      }),
    ext.origin,
  );
  expect(result).toBe('ready');
  const frame: Frame = await waitFor(() =>
    page.frames().find((f) => f.url().includes('themed.html')),
  );
  const button = frame.getByRole('button', { name: 'Themed' });
  await button.waitFor();
  const colours = () =>
    button.evaluate((el) => {
      const style = getComputedStyle(el);
      return { background: style.backgroundColor, color: style.color };
    });
  expect(await colours()).toEqual({ background: 'rgb(29, 78, 216)', color: 'rgb(255, 255, 255)' });

  await page.evaluate(() =>
    (window as unknown as HostWindow).harness.setTheme({ colors: { primary: '#b45309' } }),
  );
  await waitFor(
    async () => (await colours()).background === 'rgb(180, 83, 9)',
    2_000,
    'the new primary',
  );

  await page.evaluate(() => (window as unknown as HostWindow).harness.setTheme({ mode: 'dark' }));
  await waitFor(
    async () => (await colours()).background === 'rgb(147, 197, 253)',
    2_000,
    'the dark primary',
  );
  expect(await colours()).toEqual({ background: 'rgb(147, 197, 253)', color: 'rgb(15, 23, 42)' });
  expect(await frame.evaluate(() => window.origin)).toBe('null');
  await page.close();
});
