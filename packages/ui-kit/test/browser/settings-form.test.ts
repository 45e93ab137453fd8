import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buildExtension } from '@alga/cli';
import {
  createEmbeddedHost,
  type EmbeddedHost,
  generateSigningKey,
  packBundle,
  readBundle,
  serializeBundleSignature,
  signBundle,
} from '@alga/host';
import { pino } from 'pino';
import type { Browser, Locator, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { bundle, launchChromium } from '../../../iframe-sdk/test/browser/harness';

/**
 * The settings form against a REAL `alga serve` host (`createEmbeddedHost`: SQLite registry,
 * sealed secrets, the admin API behind its bearer token) on a loopback port. The extension is
 * the host's gateway fixture, built with the real `alga build` (cached), its manifest given
 * the richer settings this form needs, packed, signed, published and installed over HTTP.
 * The page is served at the host's own origin (Playwright answers only the page's own URLs),
 * so the form's requests go from Chromium straight to the host's settings API.
 */
const TENANT = 'acme';
const ADMIN_TOKEN = `ui-kit-settings-admin-${process.pid}-0123456789`;
const SECRET = 'sk-live-7f3a9c2e-DO-NOT-LEAK';
const WEBHOOK = 'wh-5551-DO-NOT-LEAK';
const FIXTURE = fileURLToPath(
  new URL('../../../host/test/fixtures/gateway-statuses/', import.meta.url),
);
const PAGE = '/__ui-kit-test__/settings';

const settings = [
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
];

let browser: Browser;
let host: EmbeddedHost;
let dir: string;
let extensionId: string;
let pageJs: string;
let css: string;
const logs: string[] = [];
const responses: Promise<string>[] = [];

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${host.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(init.headers as Record<string, string>),
    },
  });
const settingsPath = () => `/api/v1/installs/${TENANT}/${extensionId}/settings`;

interface StoredView {
  config: Record<string, unknown>;
  secrets: Record<string, { set: boolean; version: number | null; updatedAt: string | null }>;
}

/** What the host's settings API answers now (read outside the browser). */
async function stored(): Promise<StoredView> {
  const response = await admin(settingsPath());
  expect(response.status).toBe(200);
  return (await response.json()) as StoredView;
}

/** The fixture's built files with `settings` in its manifest, packed and signed by a fresh key. */
async function signedFixture() {
  await buildExtension({ dir: FIXTURE });
  const files = new Map((await readBundle((await packBundle(FIXTURE)).bytes)).files);
  const manifest = JSON.parse(new TextDecoder().decode(files.get('manifest.json'))) as {
    name: string;
    publisher: string;
  };
  files.set('manifest.json', new TextEncoder().encode(JSON.stringify({ ...manifest, settings })));
  const packed = await packBundle(files);
  const key = await generateSigningKey();
  return {
    manifest,
    bytes: packed.bytes,
    signature: await signBundle(packed, key),
    trust: {
      keys: [{ ...key.publicKeyDocument(manifest.publisher), publisher: manifest.publisher }],
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alga-ui-kit-settings-'));
  const fixture = await signedFixture();
  extensionId = fixture.manifest.name;
  const trustPath = join(dir, 'trust.json');
  await writeFile(trustPath, JSON.stringify(fixture.trust));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  host = await createEmbeddedHost({
    dataDir: join(dir, 'data'),
    port: 0,
    trust: trustPath,
    adminToken: ADMIN_TOKEN,
    logger: pino({ level: 'debug' }, sink),
  });

  const form = new FormData();
  form.set('bundle', new Blob([fixture.bytes as Uint8Array<ArrayBuffer>]), 'ext.algabundle');
  form.set('signature', serializeBundleSignature(fixture.signature));
  const published = await admin('/api/v1/extensions', { method: 'POST', body: form });
  expect(published.status, await published.clone().text()).toBe(201);
  const json = { 'content-type': 'application/json' };
  const tenant = await admin('/api/v1/tenants', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ tenant: TENANT }),
  });
  expect(tenant.status).toBe(201);
  const installed = await admin('/api/v1/extensions/install', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ tenant: TENANT, extensionId, config: { mode: 'a' } }),
  });
  expect(installed.status, await installed.clone().text()).toBe(201);

  [pageJs, css] = await Promise.all([
    bundle(new URL('./pages/settings.tsx', import.meta.url)),
    readFile(new URL('../../src/styles.css', import.meta.url), 'utf8'),
  ]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * A page at the host's origin whose form client sends `adminToken` (none when omitted). Only
 * the page, its script and its stylesheet are answered by the test; every API request reaches
 * the host, and each settings answer is recorded for the leak checks.
 */
async function openForm(adminToken?: string): Promise<Page> {
  const opened = await browser.newPage();
  opened.setDefaultTimeout(5_000);
  const pageConfig = JSON.stringify({
    tenantId: TENANT,
    extensionId,
    settings,
    ...(adminToken === undefined ? {} : { adminToken }),
  });
  await opened.route(`${host.url}${PAGE}/**`, (route) => {
    const path = new URL(route.request().url()).pathname.slice(PAGE.length);
    if (path === '/settings.js') {
      return route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: pageJs });
    }
    if (path === '/styles.css') return route.fulfill({ contentType: 'text/css', body: css });
    return route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>settings</title><link rel="stylesheet" href="${PAGE}/styles.css"></head><body><div id="root"></div><script>window.settingsPage = ${pageConfig};</script><script src="${PAGE}/settings.js"></script></body></html>`,
    });
  });
  opened.on('response', (response: Response) => {
    if (response.url().endsWith('/settings')) responses.push(response.text());
  });
  await opened.goto(`${host.url}${PAGE}/`);
  return opened;
}

let page: Page;
beforeEach(async () => {
  page = await openForm(ADMIN_TOKEN);
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

describe('ExtensionSettingsForm against a running alga serve (createEmbeddedHost)', () => {
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

  test('without the admin token the host refuses, and the form says why', async () => {
    const anonymous = await openForm();
    try {
      const alert = anonymous.getByRole('alert').filter({ hasText: 'could not be loaded' });
      await alert.waitFor();
      expect(await alert.textContent()).toContain('GET settings answered 401');
      expect(await alert.textContent()).toContain('authorization: Bearer <admin token>');
      expect(await anonymous.getByRole('button', { name: 'Save' }).count()).toBe(0);
    } finally {
      await anonymous.close();
    }
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

    // Write-only: the value is in no response, no host log, and nowhere in the page after the save.
    const dom = await page.evaluate(() => {
      const values = [...document.querySelectorAll('input')].map((input) => input.value);
      return `${document.documentElement.outerHTML}\n${values.join('\n')}\n${JSON.stringify((window as unknown as { saved: unknown[] }).saved)}`;
    });
    const answered = await Promise.all(responses);
    expect(answered.length).toBeGreaterThanOrEqual(3);
    for (const secret of [SECRET, WEBHOOK]) {
      expect(dom).not.toContain(secret);
      expect(answered.filter((text) => text.includes(secret))).toEqual([]);
      expect(logs.filter((line) => line.includes(secret))).toEqual([]);
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
    const seeded = await admin(settingsPath(), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        config: { greeting: 'Yo', limit: 77, mode: 'b', enabled: false },
        secrets: { apiKey: SECRET },
      }),
    });
    expect(seeded.status).toBe(200);
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
