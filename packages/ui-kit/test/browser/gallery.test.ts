import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  bundle,
  html,
  js,
  launchChromium,
  serve,
  type TestServer,
} from '../../../iframe-sdk/test/browser/harness';

const require = createRequire(import.meta.url);
const SCREENSHOT = fileURLToPath(
  new URL('../../../../docs/images/ui-kit-gallery.png', import.meta.url),
);

let browser: Browser;
let server: TestServer;
let axeSource = '';

beforeAll(async () => {
  const [galleryJs, css, axe] = await Promise.all([
    bundle(new URL('./pages/gallery.tsx', import.meta.url)),
    readFile(new URL('../../src/styles.css', import.meta.url), 'utf8'),
    readFile(require.resolve('axe-core/axe.min.js'), 'utf8'),
  ]);
  axeSource = axe;
  server = await serve((_request, url) => {
    if (url.pathname === '/') {
      return html(
        '<link rel="stylesheet" href="/styles.css"><div id="root"></div><script src="/gallery.js"></script>',
      );
    }
    if (url.pathname === '/gallery.js') return js(galleryJs);
    if (url.pathname === '/styles.css') return { type: 'text/css', body: css };
    return undefined;
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

let page: Page;
beforeEach(async () => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  return () => context.close();
});

async function open(mode: 'light' | 'dark' = 'light') {
  await page.goto(`${server.origin}/?mode=${mode}`);
  await page.getByRole('heading', { name: 'Hello extension' }).waitFor();
  await page.getByText('Set, updated').waitFor();
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core in the page (WCAG 2.1 A/AA and best practices) and lists what it found. */
async function axe(context?: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async (selector) => {
    const { axe } = window as unknown as {
      axe: { run(c: unknown, o: unknown): Promise<{ violations: AxeViolation[] }> };
    };
    const result = await axe.run(selector ? { include: [selector] } : document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
      },
      resultTypes: ['violations'],
    });
    return result.violations;
  }, context ?? null);
  return violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`,
  );
}

describe('ui-kit gallery in Chromium', () => {
  test('every component on one page: axe-core finds no violations (light), and a screenshot is saved', async () => {
    await open('light');
    const headings = await page.getByRole('heading', { level: 2 }).allTextContents();
    expect(headings).toEqual([
      'Buttons',
      'Fields',
      'Status',
      'Dialog and tabs',
      'Table',
      'Extension settings',
      'Hello extension',
    ]);
    expect(
      await page.getByRole('region', { name: 'Notifications' }).getByRole('alertdialog').count(),
    ).toBe(2);
    // The check itself can fail: an image without alt text is reported.
    await page.evaluate(() => {
      const probe = document.createElement('div');
      probe.id = 'axe-probe';
      probe.innerHTML = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">';
      document.querySelector('main')?.append(probe);
    });
    expect((await axe('#axe-probe')).map((v) => v.split(' ')[0])).toEqual(['image-alt']);
    await page.evaluate(() => document.getElementById('axe-probe')?.remove());
    const violations = await axe();
    expect(violations, `axe violations:\n${violations.join('\n')}`).toEqual([]);
    // Animations off, caret hidden: the same code renders the same bytes, so the committed image
    // only changes when the components do.
    await page.screenshot({
      path: SCREENSHOT,
      fullPage: true,
      animations: 'disabled',
      caret: 'hide',
    });
  });

  test('the dark theme passes axe too (contrast of the dark tokens)', async () => {
    await open('dark');
    expect(await page.evaluate(() => document.documentElement.dataset.algaTheme)).toBe('dark');
    const violations = await axe();
    expect(violations, `axe violations:\n${violations.join('\n')}`).toEqual([]);
  });

  test('the open dialog and the open select list pass axe', async () => {
    await open();
    await page.getByRole('button', { name: 'Open dialog' }).click();
    await page.getByRole('alertdialog', { name: 'Delete ticket?' }).waitFor();
    const dialogViolations = await axe('.alga-modal-overlay');
    expect(dialogViolations, `axe violations:\n${dialogViolations.join('\n')}`).toEqual([]);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: /Plan/ }).click();
    await page.getByRole('listbox').waitFor();
    const listViolations = await axe('.alga-popover');
    expect(listViolations, `axe violations:\n${listViolations.join('\n')}`).toEqual([]);
  });
});

describe('keyboard and screen-reader behaviour (WAI-ARIA patterns)', () => {
  beforeEach(() => open());

  test('dialog: Enter opens, focus moves in, Escape closes and focus returns to the trigger', async () => {
    const trigger = page.getByRole('button', { name: 'Open dialog' });
    await trigger.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Delete ticket?' });
    await dialog.waitFor();
    expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // React Aria hands focus back in the animation frame after the dialog unmounts.
    await expect.poll(() => trigger.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  test('tabs: arrow keys move the selection and show the matching panel', async () => {
    const first = page.getByRole('tab', { name: 'Open' });
    await first.click();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Mine' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    expect(await page.getByRole('tabpanel').textContent()).toBe('1 ticket assigned to you.');
    await page.keyboard.press('End');
    expect(await page.getByRole('tab', { name: 'All' }).getAttribute('aria-selected')).toBe('true');
  });

  test('table: sorting by a column sets aria-sort and reorders the rows', async () => {
    const table = page.getByRole('grid', { name: 'Tickets' });
    const ids = () =>
      table
        .getByRole('row')
        .locator('[role="gridcell"]:first-child, [role="rowheader"]:first-child')
        .allTextContents();
    expect(await ids()).toEqual(['T-1', 'T-2', 'T-3']);
    const priority = table.getByRole('columnheader', { name: /Priority/ });
    await priority.click();
    expect(await priority.getAttribute('aria-sort')).toBe('ascending');
    expect(await ids()).toEqual(['T-2', 'T-3', 'T-1']);
    await priority.focus();
    await page.keyboard.press('Enter');
    expect(await priority.getAttribute('aria-sort')).toBe('descending');
    expect(await ids()).toEqual(['T-1', 'T-3', 'T-2']);
  });

  test('select: the keyboard opens the list, arrows move, Enter picks', async () => {
    const button = page.getByRole('button', { name: /Plan/ });
    expect(await button.textContent()).toContain('Business');
    await button.focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('listbox').waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('listbox').waitFor({ state: 'detached' });
    expect(await button.textContent()).toContain('Enterprise');
  });

  test('switch and checkbox toggle with Space and report their state', async () => {
    const toggle = page.getByRole('switch', { name: 'Notifications' });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.focus();
    await page.keyboard.press('Space');
    expect(await toggle.isChecked()).toBe(false);
    const box = page.getByRole('checkbox', { name: 'I agree' });
    await box.focus();
    await page.keyboard.press('Space');
    expect(await box.isChecked()).toBe(true);
  });

  test('fields: the error is linked by aria-describedby and the field is aria-invalid', async () => {
    const email = page.getByRole('textbox', { name: 'Email' });
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    const description = await email.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent)
        .join(' | '),
    );
    expect(description).toContain('Enter an email address such as ops@acme.test.');
    const seats = page.getByRole('textbox', { name: 'Seats' });
    await seats.focus();
    await page.keyboard.press('ArrowUp');
    expect(await seats.inputValue()).toBe('4');
  });
});
