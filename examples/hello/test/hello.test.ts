import { fileURLToPath } from 'node:url';
import { loadExtension, type TestExtension } from '@alga/cli/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Built once per run by `alga build` (cached across runs) and executed as the real component.
let ext: TestExtension;
beforeAll(async () => {
  ext = await loadExtension(fileURLToPath(new URL('..', import.meta.url)));
});
afterAll(() => ext?.close());

describe('examples/hello', () => {
  it('imports only the interfaces its manifest declares', () => {
    expect(ext.build.metadata.capabilities).toEqual(['cap:context.read', 'cap:log.emit']);
    expect(ext.imports.filter((name) => name.startsWith('alga:'))).toEqual([
      'alga:extension/context',
      'alga:extension/log',
    ]);
  });

  it('answers GET /hello with the tenant id from context', async () => {
    const res = await ext.invoke(
      { path: '/hello?name=Ada' },
      { context: { tenantId: 'tenant-acme', requestId: 'req-1' } },
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({
      message: 'Hello, Ada!',
      tenantId: 'tenant-acme',
      requestId: 'req-1',
    });
    expect(res.logs).toEqual([
      { level: 'info', message: 'hello', fields: { tenantId: 'tenant-acme' } },
    ]);
  });

  it('answers 403 CAPABILITY_DENIED when the operator withheld cap:context.read', async () => {
    const res = await ext.invoke({ path: '/hello' }, { grants: ['cap:log.emit'] });
    expect(res.status).toBe(403);
    expect(res.json()).toEqual({
      error: {
        code: 'CAPABILITY_DENIED',
        message: 'ctx.context failed (denied): cap:context.read is not granted to this install',
      },
    });
  });

  it('is not reached for a path the manifest does not declare', async () => {
    const res = await ext.invoke({ method: 'POST', path: '/hello' });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'ENDPOINT_NOT_FOUND' } });
  });
});
