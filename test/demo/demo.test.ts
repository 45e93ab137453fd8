import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm run demo` as a user runs it (the real script, real builds, a real embedded host, real
// HTTP), on a free port, driven by real Chromium. The first run builds the examples with
// componentize-js (cached under node_modules/.cache/alga for every later run).

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/images/demo-host.png', import.meta.url));
// The page shows times and a visit count, so each run's pixels differ: the picture in the docs
// is rewritten only when it is missing or ALGA_UPDATE_SCREENSHOTS=1, else it goes to tmp.
const SCREENSHOT =
  process.env.ALGA_UPDATE_SCREENSHOTS === '1' || !existsSync(DOCS_SCREENSHOT)
    ? DOCS_SCREENSHOT
    : join(tmpdir(), 'alga-demo-host.png');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const run = promisify(execFile);
/** Debian's chromium, which the globalSetup (scripts/ensure-chromium.mjs) installs when missing. */
const CHROMIUM_PATH = process.env.ALGA_CHROMIUM_PATH ?? '/usr/bin/chromium';

let demo: ChildProcess;
let output = '';
let browser: Browser;
let page: Page;

async function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = output.match(pattern);
    if (match !== null) return match;
    if (demo.exitCode !== null) throw new Error(`the demo exited (${demo.exitCode}):\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${pattern} in the demo's output after ${timeoutMs} ms:\n${output}`);
}

async function frameOf(extensionId: string): Promise<Frame> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const frame = page.frames().find((f) => f.url().includes(`/ext-ui/${extensionId}/`));
    if (frame !== undefined) return frame;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no iframe of ${extensionId} appeared`);
}

beforeAll(async () => {
  // Its own data folder, so a demo someone runs on the same checkout keeps its keys and tenants.
  demo = spawn(process.execPath, ['scripts/demo.mjs', '--port', '0', '--data', '.alga/demo-test'], {
    cwd: ROOT,
    env: { ...process.env, PORT: undefined, ALGA_ADMIN_TOKEN: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  demo.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  await waitForOutput(/Press Ctrl-C to stop\./, 600_000);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
}, 660_000);

afterAll(async () => {
  await browser?.close();
  if (demo !== undefined && demo.exitCode === null) demo.kill('SIGKILL');
});

describe('npm run demo', () => {
  it('prints every step with its timing, the URLs, the keys and three curl commands', () => {
    for (let step = 1; step <= 7; step++) {
      expect(output).toMatch(new RegExp(`\\[${step}/7\\] .+ \\(\\d+(\\.\\d)? m?s\\)\\n`));
    }
    expect(output).toMatch(/ {2}Host page {6}http:\/\/localhost:\d+\/\n/);
    expect(output).toMatch(/ {2}Extension UIs {2}http:\/\/127\.0\.0\.1:\d+\/ext-ui\//);
    expect(output).toMatch(/ {2}Admin token {4}alga_at_[\w-]{43}\n/);
    expect(output).toMatch(
      /API keys {7}acme {4}alga_tk_[\w-]{43}\n {17}globex {2}alga_tk_[\w-]{43}\n/,
    );
    expect(output.match(/^ {2}curl .+$/gm)).toHaveLength(3);
    // The demo's secret placeholders are sealed by the host and printed nowhere.
    expect(output).not.toMatch(/demo-(acme|globex)-\w+-key/);
  });

  it('answers the three printed curl commands as printed', async () => {
    const commands = (output.match(/^ {2}(curl .+)$/gm) ?? []).map((line) => line.trim());
    const answers = await Promise.all(
      commands.map(async (command) => JSON.parse((await run('sh', ['-c', command])).stdout)),
    );
    expect(answers[0]).toMatchObject({ message: 'Hello, Ada!', tenantId: 'acme' });
    expect(answers[1]).toEqual({
      greeting: 'Howdy',
      accent: 'warning',
      tenantId: 'globex',
      secretsSet: [],
      visits: expect.any(Number),
    });
    expect(answers[2]).toMatchObject({
      tenantId: 'acme',
      extensionId: 'com.example.ui-demo',
      config: { greeting: 'Welcome aboard', accent: 'success' },
      secrets: { apiKey: { set: true } },
    });
    expect(JSON.stringify(answers[2])).not.toContain('demo-acme-board-key');
  });

  it("opens an extension's iframe UI on the second origin, which renders what it fetched through callProxy", async () => {
    const [, hostPage] = await waitForOutput(/Host page +(\S+)/, 1000);
    await page.goto(hostPage as string);
    const nav = page.getByRole('navigation', { name: 'Installed extensions' });
    await nav.getByRole('heading', { name: 'Installed for acme' }).waitFor();
    await nav.getByRole('button', { name: 'Team board' }).click();

    const frame = await frameOf('com.example.ui-demo');
    expect(new URL(frame.url()).hostname).toBe('127.0.0.1');
    await frame.getByRole('heading', { name: 'Team board' }).waitFor();
    // Text from the tenant's settings, fetched by the iframe through the host's UI proxy.
    await expect
      .poll(() => frame.getByTestId('greeting').textContent(), { timeout: 15_000 })
      .toBe('Welcome aboard, acme!');
    await frame.getByText('set (the value stays on the host)').waitFor();
    // Sandboxed without allow-same-origin: the extension page has an opaque origin.
    expect(await frame.evaluate(() => window.origin)).toBe('null');

    const visits = frame.locator('.board-facts dd').first();
    const before = Number(await visits.textContent());
    await frame.getByRole('button', { name: 'Record a visit' }).click();
    await expect.poll(() => visits.textContent(), { timeout: 10_000 }).toBe(String(before + 1));
    // The handler's log line arrives on the host page's live debug stream.
    const debug = page.getByRole('list', { name: 'Guest output, newest first' });
    await debug.getByText('visit recorded').first().waitFor({ timeout: 10_000 });
    await frame.getByRole('button', { name: 'Dismiss' }).click();
    await frame.getByRole('button', { name: 'Dismiss' }).waitFor({ state: 'detached' });
    await page.screenshot({ path: SCREENSHOT, animations: 'disabled' });
  });

  it('shows the settings form for the install, and the other tenant its own values', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Greeting' }).inputValue(), { timeout: 10_000 })
      .toBe('Welcome aboard');

    await page.getByRole('button', { name: /Tenant/ }).click();
    await page.getByRole('option', { name: 'globex' }).click();
    await page
      .getByRole('navigation', { name: 'Installed extensions' })
      .getByRole('button', { name: 'Team board' })
      .click();
    await page.getByRole('tab', { name: 'UI' }).click();
    const frame = await frameOf('com.example.ui-demo');
    await expect
      .poll(() => frame.getByTestId('greeting').textContent(), { timeout: 15_000 })
      .toBe('Howdy, globex!');
    await frame.getByText('not set: add it in Settings').waitFor();
  });

  it('stops cleanly on Ctrl-C (SIGINT) with exit code 0', async () => {
    demo.kill('SIGINT');
    const [code] = await once(demo, 'exit');
    expect(code).toBe(0);
    expect(output).toMatch(/SIGINT: stopping \(draining requests in flight\) \.\.\.\nstopped\.\n$/);
  });
});
