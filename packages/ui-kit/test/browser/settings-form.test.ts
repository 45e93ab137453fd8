import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AesGcmSealer,
  createRegistry,
  FsBundleStore,
  generateSigningKey,
  KeyProvider,
  loadTrustBundle,
  MemoryRegistryStore,
  packBundle,
  publicKeyToPem,
  type Registry,
  RegistryError,
  signBundle,
} from '@alga/host';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  bundle,
  html,
  js,
  launchChromium,
  serve,
  type TestServer,
} from '../../../iframe-sdk/test/browser/harness';

/**
 * The settings form against the settings API routes that `alga serve` will expose, served
 * here by a loopback node:http server over the REAL registry of @alga/host (memory store,
 * filesystem bundle store, AES-GCM sealed secrets, a signed and verified bundle).
 */
const TENANT = 'acme';
const EXTENSION = 'com.example.hello';
const ADMIN = { id: 'ops-admin', roles: ['admin'] };
const SECRET = 'sk-live-7f3a9c2e-DO-NOT-LEAK';
const WEBHOOK = 'wh-5551-DO-NOT-LEAK';

const manifest = {
  name: EXTENSION,
  publisher: 'example',
  version: '1.0.0',
  runtime: 'wasm-js@1',
  capabilities: ['cap:context.read', 'cap:log.emit', 'cap:config.read', 'cap:secrets.get'],
  settings: [
    { key: 'greeting', kind: 'text', label: 'Greeting', default: 'Hello', required: true },
    { key: 'limit', kind: 'number', label: 'Limit', min: 1, max: 100, default: 10 },
    {
      key: 'mode',
      kind: 'select',
      label: 'Mode',
      options: [
        { value: 'a', label: 'Alpha' },
        { value: 'b', label: 'Beta' },
      ],
      required: true,
    },
    { key: 'enabled', kind: 'boolean', label: 'Enabled', default: true },
    { key: 'apiKey', kind: 'secret', label: 'API key', required: true },
    { key: 'webhookToken', kind: 'secret', label: 'Webhook token' },
  ],
};

const STATUS: Record<string, number> = {
  NOT_FOUND: 404,
  NOT_INSTALLED: 404,
  CONFIG_INVALID: 422,
  FORBIDDEN: 403,
  CONFLICT: 409,
  INVALID_ARGUMENT: 400,
};

let browser: Browser;
let server: TestServer;
let registry: Registry;
let bundleDir: string;
const responses: string[] = [];

async function settingsApi(
  method: string,
  body: string,
): Promise<{ status: number; body: unknown }> {
  const actor = { actor: ADMIN };
  try {
    if (method === 'GET')
      return { status: 200, body: await registry.getSettings(TENANT, EXTENSION, actor) };
    if (method === 'DELETE') {
      return { status: 200, body: await registry.resetSettings(TENANT, EXTENSION, actor) };
    }
    if (method === 'PUT') {
      const input = JSON.parse(body) as {
        config?: Record<string, never>;
        secrets?: Record<string, never>;
      };
      return {
        status: 200,
        body: await registry.saveSettings(TENANT, EXTENSION, {
          ...actor,
          ...(input.config ? { config: input.config } : {}),
          ...(input.secrets ? { secrets: input.secrets } : {}),
        }),
      };
    }
    return { status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED', message: method } } };
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    return {
      status: STATUS[error.code] ?? 500,
      body: { error: { code: error.code, message: error.message, issues: error.issues } },
    };
  }
}

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'alga-ui-kit-settings-'));
  const key = await generateSigningKey();
  const store = new MemoryRegistryStore();
  await store.open();
  registry = createRegistry({
    store,
    bundles: new FsBundleStore({ root: bundleDir }),
    sealer: new AesGcmSealer(KeyProvider.fromKeys([{ kid: 'k1', key: randomBytes(32) }])),
    trust: loadTrustBundle({
      keys: [{ kid: key.keyId, publicKey: publicKeyToPem(key.publicKey), publisher: 'example' }],
    }),
  });
  const packed = await packBundle({
    'manifest.json': new TextEncoder().encode(JSON.stringify(manifest)),
    'dist/component.wasm': Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
  });
  await registry.publish(packed.bytes, await signBundle(packed, key), { actor: ADMIN });
  await registry.install(TENANT, EXTENSION, { actor: ADMIN, config: { mode: 'a' } });

  const [pageJs, css] = await Promise.all([
    bundle(new URL('./pages/settings.tsx', import.meta.url)),
    readFile(new URL('../../src/styles.css', import.meta.url), 'utf8'),
  ]);
  const pageConfig = JSON.stringify({
    tenantId: TENANT,
    extensionId: EXTENSION,
    settings: manifest.settings,
  });
  server = await serve(async (request, url, body) => {
    if (url.pathname === '/') {
      return html(
        `<link rel="stylesheet" href="/styles.css"><div id="root"></div><script>window.settingsPage = ${pageConfig};</script><script src="/settings.js"></script>`,
      );
    }
    if (url.pathname === '/settings.js') return js(pageJs);
    if (url.pathname === '/styles.css') return { type: 'text/css', body: css };
    if (url.pathname === `/api/v1/installs/${TENANT}/${EXTENSION}/settings`) {
      const answer = await settingsApi(request.method ?? 'GET', body.toString('utf8'));
      const text = JSON.stringify(answer.body);
      responses.push(text);
      return { status: answer.status, type: 'application/json', body: text };
    }
    return undefined;
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(bundleDir, { recursive: true, force: true });
});

let page: Page;
beforeEach(async () => {
  page = await browser.newPage();
  page.setDefaultTimeout(5_000);
  await page.goto(`${server.origin}/`);
  await page.getByRole('button', { name: 'Save' }).waitFor();
  return () => page.close();
});

/** The texts an element's aria-describedby points at. */
const describedBy = (locator: Locator) =>
  locator.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' | '),
  );
const secretBlock = (key: string) => page.locator(`[data-secret="${key}"]`);
const stored = () => registry.getSettings(TENANT, EXTENSION, { actor: ADMIN });

describe('ExtensionSettingsForm against the settings API over the real registry', () => {
  test('loads values merged over defaults, and secrets only as "not set"', async () => {
    expect(await page.getByRole('textbox', { name: 'Greeting' }).inputValue()).toBe('Hello');
    expect(await page.getByRole('textbox', { name: 'Limit' }).inputValue()).toBe('10');
    expect(await page.getByRole('button', { name: /Mode/ }).textContent()).toContain('Alpha');
    expect(await page.getByRole('switch', { name: 'Enabled' }).isChecked()).toBe(true);
    expect(await secretBlock('apiKey').textContent()).toContain('Not set');
    expect(
      await page.getByRole('textbox', { name: 'API key', exact: true }).getAttribute('type'),
    ).toBe('password');
  });

  test('server field errors show beside their fields; a valid save stores config and secrets write-only', async () => {
    const greeting = page.getByRole('textbox', { name: 'Greeting' });
    const limit = page.getByRole('textbox', { name: 'Limit' });
    const apiKey = page.getByRole('textbox', { name: 'API key', exact: true });
    await greeting.fill('');
    await limit.fill('42');
    await limit.blur();
    await page.getByRole('button', { name: 'Save' }).click();

    await page.getByText('is required').first().waitFor();
    expect(await greeting.getAttribute('aria-invalid')).toBe('true');
    expect(await describedBy(greeting)).toContain('is required');
    expect(await apiKey.getAttribute('aria-invalid')).toBe('true');
    expect(await describedBy(apiKey)).toContain('is required');
    expect(await limit.getAttribute('aria-invalid')).toBeNull();
    expect((await stored()).config.limit).toBe(10);

    await greeting.fill('Howdy');
    await apiKey.fill(SECRET);
    await page.getByRole('textbox', { name: 'Webhook token', exact: true }).fill(WEBHOOK);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();

    expect(await greeting.getAttribute('aria-invalid')).toBeNull();
    expect(await apiKey.inputValue()).toBe('');
    expect(await secretBlock('apiKey').textContent()).toMatch(/Set, updated \d{4}-\d\d-\d\dT/);
    expect(await secretBlock('webhookToken').textContent()).toContain('Set, updated');
    const after = await stored();
    expect(after.config).toMatchObject({ greeting: 'Howdy', limit: 42, mode: 'a', enabled: true });
    expect(after.secrets.apiKey?.set).toBe(true);
    expect(after.secrets.webhookToken?.set).toBe(true);

    // Write-only: the value is in no response and nowhere in the page after the save.
    const dom = await page.evaluate(() => {
      const values = [...document.querySelectorAll('input')].map((input) => input.value);
      return `${document.documentElement.outerHTML}\n${values.join('\n')}\n${JSON.stringify((window as unknown as { saved: unknown[] }).saved)}`;
    });
    for (const secret of [SECRET, WEBHOOK]) {
      expect(dom).not.toContain(secret);
      expect(responses.some((text) => text.includes(secret))).toBe(false);
    }

    // An empty secret input keeps the stored value; "Clear" removes one.
    // React Aria keeps the real input visually hidden; users click the label.
    await page.getByText('Clear Webhook token on save').click();
    expect(
      await page.getByRole('checkbox', { name: 'Clear Webhook token on save' }).isChecked(),
    ).toBe(true);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await expectText(secretBlock('webhookToken'), 'Not set');
    const cleared = await stored();
    expect(cleared.secrets.apiKey?.set).toBe(true);
    expect(cleared.secrets.webhookToken?.set).toBe(false);
  });

  test('Reset to defaults asks first, then restores the manifest defaults and clears secrets', async () => {
    await registry.saveSettings(TENANT, EXTENSION, {
      actor: ADMIN,
      config: { greeting: 'Yo', limit: 77, mode: 'b', enabled: false },
      secrets: { apiKey: SECRET },
    });
    await page.reload();
    await page.getByRole('button', { name: 'Save' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Greeting' }).inputValue()).toBe('Yo');

    await page.getByRole('button', { name: 'Reset to defaults' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Reset to defaults?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await stored()).config.greeting).toBe('Yo');

    await page.getByRole('button', { name: 'Reset to defaults' }).click();
    await dialog.getByRole('button', { name: 'Reset' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings reset to defaults.' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Greeting' }).inputValue()).toBe('Hello');
    expect(await page.getByRole('textbox', { name: 'Limit' }).inputValue()).toBe('10');
    expect(await page.getByRole('switch', { name: 'Enabled' }).isChecked()).toBe(true);
    expect(await secretBlock('apiKey').textContent()).toContain('Not set');
    const after = await stored();
    expect(after.config).toEqual({ greeting: 'Hello', limit: 10, enabled: true });
    expect(after.secrets.apiKey).toEqual({ set: false, version: null, updatedAt: null });
  });
});

async function expectText(locator: Locator, text: string): Promise<void> {
  await locator.filter({ hasText: text }).waitFor({ timeout: 3_000 });
  expect(await locator.textContent()).toContain(text);
}
