import type {
  AuditEntry,
  InstallRecord,
  KvScope,
  RegistryError,
  RegistryStore,
  VersionRecord,
} from '@alga/host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StoreHandle, storeFactories } from './fixtures/registry-stores.js';

const T0 = '2025-01-01T00:00:00.000Z';

function version(overrides: Partial<VersionRecord> = {}): VersionRecord {
  return {
    extensionId: 'com.example.hello',
    version: '1.0.0',
    manifest: { name: 'com.example.hello', version: '1.0.0', capabilities: ['cap:log.emit'] },
    contentHash: `sha256:${'a'.repeat(64)}`,
    signature: { keyId: 'k1', algorithm: 'ed25519', signature: 'c2ln' },
    publisherKeyId: 'k1',
    publisher: 'example',
    bundleSize: 12_345_678,
    componentSize: 12_000_000,
    publishedAt: T0,
    state: 'active',
    ...overrides,
  };
}

function install(overrides: Partial<InstallRecord> = {}): InstallRecord {
  return {
    installId: 'inst-1',
    tenantId: 'tenant-a',
    extensionId: 'com.example.hello',
    version: '1.0.0',
    contentHash: `sha256:${'a'.repeat(64)}`,
    grants: ['cap:context.read', 'cap:log.emit'],
    egress: ['api.example.com'],
    enabled: true,
    revision: 1,
    createdAt: T0,
    updatedAt: T0,
    config: { greeting: 'Hello', limit: 10, nested: { ok: true } },
    configVersion: 1,
    configUpdatedAt: T0,
    secretEnvelope: {
      v: 1,
      alg: 'A256GCM',
      kid: 'k1',
      iv: 'AAAAAAAAAAAAAAAA',
      ct: 'Y3QtY3QtY3QtY3QtY3QtY3Q',
    },
    secretsVersion: 1,
    secretFields: { apiKey: { version: 1, updatedAt: T0 } },
    secretsUpdatedAt: T0,
    ...overrides,
  };
}

function audit(action: AuditEntry['action'], overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    tenantId: 'tenant-a',
    extensionId: 'com.example.hello',
    installId: 'inst-1',
    action,
    actor: 'ops',
    at: T0,
    fromVersion: undefined,
    toVersion: '1.0.0',
    detail: {},
    ...overrides,
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);

for (const factory of storeFactories) {
  describe.skipIf(!factory.enabled)(`RegistryStore contract: ${factory.name}`, () => {
    let handle: StoreHandle;
    let store: RegistryStore;

    beforeAll(async () => {
      handle = await factory.create();
      store = handle.store;
    });
    afterAll(async () => {
      await handle?.dispose();
    });

    describe('extensions and versions', () => {
      it('records a version, creating the extension, and returns it unchanged', async () => {
        expect(await store.insertVersion(version())).toEqual({ ok: true });
        expect(await store.getExtension('com.example.hello')).toEqual({
          id: 'com.example.hello',
          publisher: 'example',
          createdAt: T0,
        });
        expect(await store.getVersion('com.example.hello', '1.0.0')).toEqual(version());
        expect(await store.getVersion('com.example.hello', '9.9.9')).toBeUndefined();
      });

      it('never overwrites an existing version and hands back the stored one', async () => {
        const other = version({ contentHash: `sha256:${'b'.repeat(64)}` });
        const result = await store.insertVersion(other);
        expect(result).toEqual({ ok: false, existing: version() });
        expect((await store.getVersion('com.example.hello', '1.0.0'))?.contentHash).toBe(
          `sha256:${'a'.repeat(64)}`,
        );
      });

      it('lists versions in publish order and changes state', async () => {
        await store.insertVersion(
          version({ version: '1.1.0', publishedAt: '2025-02-01T00:00:00.000Z' }),
        );
        await store.insertVersion(
          version({ version: '0.9.0', publishedAt: '2024-12-01T00:00:00.000Z' }),
        );
        expect((await store.listVersions('com.example.hello')).map((v) => v.version)).toEqual([
          '0.9.0',
          '1.0.0',
          '1.1.0',
        ]);
        expect(await store.setVersionState('com.example.hello', '0.9.0', 'yanked')).toBe(true);
        expect(await store.setVersionState('com.example.hello', '7.0.0', 'yanked')).toBe(false);
        expect((await store.getVersion('com.example.hello', '0.9.0'))?.state).toBe('yanked');
        expect((await store.listExtensions()).map((e) => e.id)).toEqual(['com.example.hello']);
      });
    });

    describe('installs', () => {
      it('creates an install once per (tenant, extension) and reads it back whole', async () => {
        expect(await store.createInstall(install(), audit('install'))).toEqual({ ok: true });
        expect(
          await store.createInstall(install({ installId: 'inst-dup' }), audit('install')),
        ).toEqual({ ok: false, reason: 'exists' });
        expect(await store.getInstall('tenant-a', 'com.example.hello')).toEqual(install());
        expect(await store.getInstall('tenant-b', 'com.example.hello')).toBeUndefined();
      });

      it('updates only at the expected revision, bumping it', async () => {
        const next = install({
          version: '1.1.0',
          config: { greeting: 'Hi' },
          configVersion: 2,
          secretEnvelope: undefined,
          secretsVersion: 2,
          secretFields: {},
          enabled: false,
          revision: 2,
        });
        expect(
          await store.updateInstall(
            next,
            0,
            audit('upgrade', { fromVersion: '1.0.0', toVersion: '1.1.0' }),
          ),
        ).toEqual({ ok: false, reason: 'conflict' });
        expect(
          await store.updateInstall(
            next,
            1,
            audit('upgrade', { fromVersion: '1.0.0', toVersion: '1.1.0' }),
          ),
        ).toEqual({ ok: true });
        expect(await store.getInstall('tenant-a', 'com.example.hello')).toEqual(next);
      });

      it('lets exactly one of many concurrent writers at one revision win', async () => {
        const other = await handle.peer();
        const current = (await store.getInstall('tenant-a', 'com.example.hello'))!;
        const attempts = Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? store : other).updateInstall(
            {
              ...current,
              config: { writer: i },
              configVersion: current.configVersion + 1,
              revision: current.revision + 1,
            },
            current.revision,
            audit('settings', { detail: { config: ['writer'] } }),
          ),
        );
        const results = await Promise.all(attempts);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const stored = (await store.getInstall('tenant-a', 'com.example.hello'))!;
        expect(stored.revision).toBe(current.revision + 1);
        const winner = results.findIndex((r) => r.ok);
        expect(stored.config).toEqual({ writer: winner });
      });

      it('lists installs by tenant and extension', async () => {
        await store.createInstall(
          install({ installId: 'inst-2', tenantId: 'tenant-b' }),
          audit('install', { tenantId: 'tenant-b', installId: 'inst-2' }),
        );
        expect((await store.listInstalls({})).map((i) => i.installId)).toEqual([
          'inst-1',
          'inst-2',
        ]);
        expect(
          (await store.listInstalls({ tenantId: 'tenant-b' })).map((i) => i.installId),
        ).toEqual(['inst-2']);
        expect(await store.listInstalls({ extensionId: 'com.example.other' })).toEqual([]);
      });

      it('deletes at the expected revision and keeps the audit trail in order', async () => {
        const current = (await store.getInstall('tenant-b', 'com.example.hello'))!;
        const gone = audit('uninstall', {
          tenantId: 'tenant-b',
          installId: 'inst-2',
          fromVersion: '1.0.0',
          toVersion: undefined,
        });
        expect(await store.deleteInstall('inst-2', current.revision + 5, gone)).toEqual({
          ok: false,
          reason: 'conflict',
        });
        expect(await store.deleteInstall('inst-2', current.revision, gone)).toEqual({ ok: true });
        expect(await store.getInstall('tenant-b', 'com.example.hello')).toBeUndefined();
        expect((await store.listAudit({ tenantId: 'tenant-b' })).map((a) => a.action)).toEqual([
          'install',
          'uninstall',
        ]);
        expect(await store.listAudit({ tenantId: 'tenant-b', extensionId: 'x' })).toEqual([]);
        const trail = await store.listAudit({ tenantId: 'tenant-a' });
        expect(trail.map((a) => a.action)).toEqual(['install', 'upgrade', 'settings']);
        expect(trail[1]).toEqual(audit('upgrade', { fromVersion: '1.0.0', toVersion: '1.1.0' }));
        // A new install may take the freed (tenant, extension) slot.
        expect(
          await store.createInstall(
            install({ installId: 'inst-3', tenantId: 'tenant-b' }),
            audit('install', { tenantId: 'tenant-b', installId: 'inst-3' }),
          ),
        ).toEqual({ ok: true });
      });
    });

    describe('kv', () => {
      const scope: KvScope = { tenantId: 'tenant-a', extensionId: 'com.example.hello' };
      const otherTenant: KvScope = { tenantId: 'tenant-b', extensionId: 'com.example.hello' };

      it('writes unconditionally with increasing revisions and keeps bytes exact', async () => {
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        expect(await store.kvGet(scope, 'blob')).toBeUndefined();
        expect(await store.kvPut(scope, 'blob', all)).toEqual({ ok: true, revision: 1 });
        expect(await store.kvPut(scope, 'blob', all.subarray(10, 20))).toEqual({
          ok: true,
          revision: 2,
        });
        const got = await store.kvGet(scope, 'blob');
        expect(got?.revision).toBe(2);
        expect([...(got?.value ?? [])]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
        expect(await store.kvGet(otherTenant, 'blob')).toBeUndefined();
      });

      it('compare-and-sets on put: 0 means absent, n means at revision n', async () => {
        expect(await store.kvPut(scope, 'cas', bytes('a'), 3)).toEqual({
          ok: false,
          reason: 'conflict',
        });
        expect(await store.kvPut(scope, 'cas', bytes('a'), 0)).toEqual({ ok: true, revision: 1 });
        expect(await store.kvPut(scope, 'cas', bytes('b'), 0)).toEqual({
          ok: false,
          reason: 'conflict',
        });
        expect(await store.kvPut(scope, 'cas', bytes('b'), 2)).toEqual({
          ok: false,
          reason: 'conflict',
        });
        expect(await store.kvPut(scope, 'cas', bytes('b'), 1)).toEqual({ ok: true, revision: 2 });
        expect(new TextDecoder().decode((await store.kvGet(scope, 'cas'))?.value)).toBe('b');
      });

      it('compare-and-sets on delete', async () => {
        expect(await store.kvDelete(scope, 'cas', 1)).toEqual({ ok: false, reason: 'conflict' });
        expect(await store.kvDelete(scope, 'cas', 0)).toEqual({ ok: false, reason: 'conflict' });
        expect(await store.kvDelete(scope, 'cas', 2)).toEqual({ ok: true, existed: true });
        expect(await store.kvDelete(scope, 'cas', 0)).toEqual({ ok: true, existed: false });
        expect(await store.kvDelete(scope, 'cas', 1)).toEqual({ ok: false, reason: 'conflict' });
        expect(await store.kvDelete(scope, 'cas')).toEqual({ ok: true, existed: false });
        await store.kvPut(scope, 'cas', bytes('c'));
        expect(await store.kvDelete(scope, 'cas')).toEqual({ ok: true, existed: true });
        // Re-created keys start again at revision 1.
        expect(await store.kvPut(scope, 'cas', bytes('d'), 0)).toEqual({ ok: true, revision: 1 });
      });

      it('lets exactly one of many concurrent compare-and-set writers win', async () => {
        const other = await handle.peer();
        const creates = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            (i % 2 ? other : store).kvPut(scope, 'race', bytes(`c${i}`), 0),
          ),
        );
        expect(creates.filter((r) => r.ok)).toHaveLength(1);
        const updates = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            (i % 2 ? other : store).kvPut(scope, 'race', bytes(`u${i}`), 1),
          ),
        );
        expect(updates.filter((r) => r.ok)).toEqual([{ ok: true, revision: 2 }]);
        const winner = updates.findIndex((r) => r.ok);
        expect(new TextDecoder().decode((await store.kvGet(scope, 'race'))?.value)).toBe(
          `u${winner}`,
        );
      });

      it('increments atomically under concurrent unconditional writes', async () => {
        const other = await handle.peer();
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            (i % 2 ? other : store).kvPut(scope, 'counter', bytes(`${i}`)),
          ),
        );
        const revisions = results.map((r) => (r.ok ? r.revision : -1)).sort((a, b) => a - b);
        expect(revisions).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
        expect((await store.kvGet(scope, 'counter'))?.revision).toBe(16);
      });

      it('lists by prefix in code point order, page by page', async () => {
        const listScope: KvScope = { tenantId: 'tenant-list', extensionId: 'com.example.hello' };
        const keys = [
          'p/b',
          'p/a',
          'p/é',
          'p/\u{1F600}',
          'p/\uFFFF',
          'p/Z',
          'p0',
          'q',
          'p/a/1',
          'o',
        ];
        for (const key of keys) await store.kvPut(listScope, key, bytes(key));
        const expected = ['p/Z', 'p/a', 'p/a/1', 'p/b', 'p/é', 'p/\uFFFF', 'p/\u{1F600}'];
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.kvList(listScope, { prefix: 'p/', cursor, limit: 3 });
          seen.push(...page.keys);
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor !== undefined);
        expect(seen).toEqual(expected);
        expect(pages).toBe(3);
        expect((await store.kvList(listScope, { prefix: '', limit: 100 })).keys).toEqual([
          'o',
          ...expected,
          'p0',
          'q',
        ]);
        expect(await store.kvList(listScope, { prefix: 'p/a', limit: 2 })).toEqual({
          keys: ['p/a', 'p/a/1'],
        });
        expect(await store.kvList(listScope, { prefix: 'zz', limit: 2 })).toEqual({ keys: [] });
        expect(await store.kvUsage(listScope)).toEqual({
          keys: keys.length,
          bytes: keys.reduce((sum, k) => sum + 2 * Buffer.byteLength(k), 0),
        });
        expect(await store.kvUsage({ tenantId: 'nobody', extensionId: 'x' })).toEqual({
          keys: 0,
          bytes: 0,
        });
      });

      it('rejects malformed keys, cursors and limits with INVALID_ARGUMENT', async () => {
        const codes = await Promise.all([
          store.kvGet(scope, '').catch((e: RegistryError) => e.code),
          store.kvPut(scope, 'x'.repeat(1025), bytes('v')).catch((e: RegistryError) => e.code),
          store.kvPut(scope, 'bad\0key', bytes('v')).catch((e: RegistryError) => e.code),
          store.kvPut(scope, '\uD800', bytes('v')).catch((e: RegistryError) => e.code),
          store
            .kvList(scope, { prefix: 'p', cursor: 'not a cursor!', limit: 5 })
            .catch((e: RegistryError) => e.code),
          store
            .kvList(scope, {
              prefix: 'p',
              cursor: Buffer.from('q').toString('base64url'),
              limit: 5,
            })
            .catch((e: RegistryError) => e.code),
          store.kvList(scope, { prefix: 'p', limit: 0 }).catch((e: RegistryError) => e.code),
          store.kvPut(scope, 'k', bytes('v'), -1).catch((e: RegistryError) => e.code),
        ]);
        expect(codes).toEqual(Array(8).fill('INVALID_ARGUMENT'));
        expect(await store.kvPut(scope, 'k'.repeat(1024), bytes('v'))).toEqual({
          ok: true,
          revision: 1,
        });
      });
    });

    describe('run records', () => {
      const row = {
        requestId: 'req-1',
        tenantId: 'tenant-a',
        extensionId: 'com.example.hello',
        installId: 'inst-1',
        version: '1.0.0',
        contentHash: `sha256:${'a'.repeat(64)}`,
        startedAt: '2025-03-01T10:00:00.000Z',
        durationMs: 12,
        status: 200,
        outcome: 'ok',
        memoryBytes: 5 * 1024 ** 3,
        egressBytes: 1234,
      };

      it('appends execution logs and lists them newest first', async () => {
        await store.appendExecutionLogs([
          row,
          {
            ...row,
            requestId: 'req-2',
            startedAt: '2025-03-01T10:00:01.000Z',
            status: 504,
            outcome: 'TIMEOUT',
          },
          { ...row, requestId: 'req-3', extensionId: 'com.example.other' },
        ]);
        await store.appendExecutionLogs([]);
        const logs = await store.listExecutionLogs({
          tenantId: 'tenant-a',
          extensionId: 'com.example.hello',
        });
        expect(logs.map((l) => l.requestId)).toEqual(['req-2', 'req-1']);
        expect(logs[1]).toEqual(row);
        expect(await store.listExecutionLogs({ tenantId: 'tenant-a', limit: 1 })).toHaveLength(1);
        await expect(store.appendExecutionLogs([{ ...row, status: -1 }])).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining('execution log rows[0].status'),
        });
      });

      it('adds quota usage into one counter per (tenant, extension, window, metric)', async () => {
        const key = {
          tenantId: 'tenant-a',
          extensionId: 'com.example.hello',
          windowStart: '2025-03-01T10:00:00.000Z',
          metric: 'invocations',
        };
        await store.addQuotaUsage([
          { ...key, amount: 1 },
          { ...key, amount: 2 },
        ]);
        await store.addQuotaUsage([
          { ...key, amount: 4 },
          { ...key, metric: 'egress_bytes', amount: 1.5 },
        ]);
        expect(await store.getQuotaUsage(key)).toBe(7);
        expect(await store.getQuotaUsage({ ...key, metric: 'egress_bytes' })).toBe(1.5);
        expect(await store.getQuotaUsage({ ...key, metric: 'nothing' })).toBe(0);
      });
    });

    it('keeps data across reopen without re-running migrations', async () => {
      const reopened = await handle.reopen();
      if (reopened === undefined) return; // memory has nothing to reopen
      await reopened.open();
      expect((await reopened.getVersion('com.example.hello', '1.0.0'))?.contentHash).toBe(
        `sha256:${'a'.repeat(64)}`,
      );
    });
  });
}
