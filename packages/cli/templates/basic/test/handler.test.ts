import { fileURLToPath } from 'node:url';
import { loadExtension, type TestExtension } from '@alga/cli/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

// Builds the extension with `alga build` (cached after the first run) and runs the real
// WebAssembly component against in-memory host capabilities.
let ext: TestExtension;
beforeAll(async () => {
  ext = await loadExtension(fileURLToPath(new URL('..', import.meta.url)));
});
afterAll(() => ext.close());

it('greets with the configured greeting and the tenant id', async () => {
  const res = await ext.invoke(
    { path: '/hello?name=Ada' },
    { context: { tenantId: 'acme' }, config: { greeting: 'Hi' } },
  );
  expect(res.status).toBe(200);
  expect(res.json()).toEqual({ message: 'Hi, Ada!', tenantId: 'acme' });
  expect(res.logs).toEqual([{ level: 'info', message: 'greeted', fields: { name: 'Ada' } }]);
});

it('answers 403 when the install was not granted config access', async () => {
  const res = await ext.invoke(
    { path: '/hello' },
    { grants: ['cap:context.read', 'cap:log.emit'] },
  );
  expect(res.status).toBe(403);
  expect(res.json()).toMatchObject({ error: { code: 'CAPABILITY_DENIED' } });
});
