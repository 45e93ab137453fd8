import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadExtension, MemoryStorage, type TestExtension } from '@alga/cli/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi, UI_DEMO_DIR, type UiBuild } from '../src/build-ui';

// Built once per run by `alga build` (cached across runs) and executed as the real component.
let ext: TestExtension;
let ui: UiBuild;
beforeAll(async () => {
  ui = await buildUi();
  ext = await loadExtension(UI_DEMO_DIR);
});
afterAll(() => ext?.close());

describe('examples/ui-demo handler', () => {
  it('imports only the interfaces its manifest declares', () => {
    expect(ext.imports.filter((name) => name.startsWith('alga:')).sort()).toEqual([
      'alga:extension/config',
      'alga:extension/context',
      'alga:extension/log',
      'alga:extension/secrets',
      'alga:extension/storage',
    ]);
  });

  it('summarises the tenant settings, which secrets are set, and the visit count', async () => {
    const res = await ext.invoke(
      { path: '/summary' },
      {
        context: { tenantId: 'acme' },
        config: { greeting: 'Welcome', accent: 'success' },
        secrets: { apiKey: 'k-acme-1' },
      },
    );
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      greeting: 'Welcome',
      accent: 'success',
      tenantId: 'acme',
      secretsSet: ['apiKey'],
      visits: 0,
    });
    expect(res.text()).not.toContain('k-acme-1');
    expect(res.logs).toEqual([{ level: 'info', message: 'summary served', fields: { visits: 0 } }]);
  });

  it('falls back to the manifest defaults and reports an unset secret', async () => {
    const res = await ext.invoke({ path: '/summary' }, { context: { tenantId: 'globex' } });
    expect(res.json()).toEqual({
      greeting: 'Hello',
      accent: 'info',
      tenantId: 'globex',
      secretsSet: [],
      visits: 0,
    });
  });

  it('counts visits in storage with compare-and-set', async () => {
    const storage = new MemoryStorage();
    const first = await ext.invoke({ method: 'POST', path: '/visits', json: {} }, { storage });
    const second = await ext.invoke({ method: 'POST', path: '/visits', json: {} }, { storage });
    expect([first.json(), second.json()]).toEqual([{ visits: 1 }, { visits: 2 }]);
    expect(storage.revision('visits')).toBe(2);
    const summary = await ext.invoke({ path: '/summary' }, { storage });
    expect(summary.json()).toMatchObject({ visits: 2 });
  });

  it('answers 403 when the install was not granted storage', async () => {
    const res = await ext.invoke(
      { method: 'POST', path: '/visits', json: {} },
      { grants: ['cap:context.read', 'cap:log.emit', 'cap:config.read', 'cap:secrets.get'] },
    );
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'CAPABILITY_DENIED' } });
  });
});

describe('examples/ui-demo iframe UI build', () => {
  it('writes the page, one script and the stylesheets into ui/', async () => {
    expect(ui.files.map((file) => file.path).sort()).toEqual([
      'app.js',
      'board.css',
      'index.html',
      'styles.css',
    ]);
    const html = await readFile(join(ui.outDir, 'index.html'), 'utf8');
    expect(html).toContain('<script src="./app.js"></script>');
    const script = await readFile(join(ui.outDir, 'app.js'), 'utf8');
    // The bridge and the proxy route are bundled in; no network API is called directly.
    expect(script).toContain('summary');
    expect(script).not.toMatch(/\bXMLHttpRequest\b/);
  });

  it('rewrites nothing when the sources did not change', async () => {
    const again = await buildUi();
    expect(again.changed).toBe(0);
  });
});
