import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { SqliteRegistryStore } from '@alga/host';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  createTestRegistry,
  manifest,
  signedBundle,
  type TestRegistry,
} from './fixtures/registry-fixtures.js';
import { type StoreHandle, storeFactories } from './fixtures/registry-stores.js';

const EXT = 'com.example.hello';
const PLAIN = 'sk-live-PLAINTEXT-4242-do-not-leak';
const PLAIN_2 = 'whsec-PLAINTEXT-second-secret';

for (const factory of storeFactories) {
  describe.skipIf(!factory.enabled)(`settings API on ${factory.name}`, () => {
    let handle: StoreHandle;
    let t: TestRegistry;

    async function setup(options: Parameters<typeof createTestRegistry>[0] = {}) {
      handle = await factory.create();
      t = await createTestRegistry({ ...options, store: handle.store });
      const bundle = await signedBundle(t.key, manifest());
      await t.registry.publish(bundle.bytes, bundle.signature, { actor: ADMIN });
      await t.registry.install('t1', EXT, {
        actor: ADMIN,
        config: { mode: 'a' },
        grants: ['cap:secrets.get'],
      });
    }

    afterEach(async () => {
      await t.dispose();
      await handle.dispose();
    });

    it('returns config merged with defaults and only the status of each secret', async () => {
      await setup();
      const settings = await t.registry.getSettings('t1', EXT, { actor: ADMIN });
      expect(settings).toMatchObject({
        tenantId: 't1',
        extensionId: EXT,
        version: '1.0.0',
        config: { greeting: 'Hello', limit: 10, mode: 'a', enabled: true },
        configVersion: 1,
        secrets: {
          apiKey: { set: false, version: null, updatedAt: null },
          webhookToken: { set: false, version: null, updatedAt: null },
        },
        secretsVersion: 0,
        missing: ['apiKey'],
      });
      expect(settings.fields.map((f) => f.key)).toEqual([
        'greeting',
        'limit',
        'mode',
        'enabled',
        'apiKey',
        'webhookToken',
      ]);
      expect(
        await t.registry
          .getSettings('t1', EXT, { actor: { id: 'viewer', roles: ['viewer'] } })
          .catch((e) => e.code),
      ).toBe('FORBIDDEN');
    });

    it('saves config and secrets atomically with new versions; blank keeps, null clears', async () => {
      await setup();
      t.advance(1000);
      const saved = await t.registry.saveSettings('t1', EXT, {
        actor: ADMIN,
        config: { limit: 50, greeting: null },
        secrets: { apiKey: PLAIN, webhookToken: PLAIN_2 },
      });
      expect(saved).toMatchObject({
        config: { greeting: 'Hello', limit: 50, mode: 'a', enabled: true },
        configVersion: 2,
        configUpdatedAt: '2030-01-01T00:00:01.000Z',
        secrets: {
          apiKey: { set: true, version: 1, updatedAt: '2030-01-01T00:00:01.000Z' },
          webhookToken: { set: true, version: 1, updatedAt: '2030-01-01T00:00:01.000Z' },
        },
        secretsVersion: 1,
        missing: [],
      });
      t.advance(1000);
      const second = await t.registry.saveSettings('t1', EXT, {
        actor: ADMIN,
        secrets: { apiKey: '', webhookToken: null },
      });
      expect(second.configVersion).toBe(2);
      expect(second.secretsVersion).toBe(2);
      expect(second.secrets).toEqual({
        apiKey: { set: true, version: 1, updatedAt: '2030-01-01T00:00:01.000Z' },
        webhookToken: { set: false, version: null, updatedAt: null },
      });
      // The runner's view: the envelope opens only for this (tenant, install, version).
      const resolved = await t.registry.resolveInstall('t1', EXT);
      const aad = {
        tenantId: 't1',
        installId: resolved.installId,
        version: resolved.secretsVersion,
      };
      expect({ ...(await t.sealer.open(resolved.secretEnvelope!, aad)) }).toEqual({
        apiKey: PLAIN,
      });
      expect(
        await t.sealer.open(resolved.secretEnvelope!, { ...aad, version: 1 }).catch((e) => e.code),
      ).toBe('SECRETS_OPEN_FAILED');
      // Nothing to change: no new versions.
      const same = await t.registry.saveSettings('t1', EXT, {
        actor: ADMIN,
        secrets: { apiKey: '' },
      });
      expect([same.configVersion, same.secretsVersion]).toEqual([2, 2]);
    });

    it('rejects bad input naming the field, and a required secret cannot be cleared', async () => {
      await setup();
      const error = await t.registry
        .saveSettings('t1', EXT, {
          actor: ADMIN,
          config: { limit: 1000, apiKey: 'x' } as never,
          secrets: { greeting: PLAIN, apiKey: 42 } as never,
        })
        .catch((e) => e);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.issues).toEqual([
        { field: 'settings.limit', message: 'must be at most 100' },
        { field: 'settings.apiKey', message: 'is a secret: pass it in secrets, not config' },
        { field: 'settings.greeting', message: 'is not a secret: pass it in config' },
        { field: 'settings.apiKey', message: 'must be a string or null, got a number' },
        { field: 'settings.apiKey', message: 'is required' },
      ]);
      await t.registry.saveSettings('t1', EXT, { actor: ADMIN, secrets: { apiKey: PLAIN } });
      const clearing = await t.registry
        .saveSettings('t1', EXT, { actor: ADMIN, secrets: { apiKey: null } })
        .catch((e) => e);
      expect(clearing.issues).toEqual([{ field: 'settings.apiKey', message: 'is required' }]);
    });

    it('resets to manifest defaults and clears every secret', async () => {
      await setup();
      await t.registry.saveSettings('t1', EXT, {
        actor: ADMIN,
        config: { limit: 99 },
        secrets: { apiKey: PLAIN },
      });
      const reset = await t.registry.resetSettings('t1', EXT, { actor: ADMIN });
      expect(reset).toMatchObject({
        config: { greeting: 'Hello', limit: 10, enabled: true },
        configVersion: 3,
        secrets: { apiKey: { set: false }, webhookToken: { set: false } },
        secretsVersion: 2,
        missing: ['mode', 'apiKey'],
      });
      const resolved = await t.registry.resolveInstall('t1', EXT);
      expect(resolved.secretEnvelope).toBeUndefined();
      expect(
        (await t.registry.auditTrail('t1', EXT, { actor: ADMIN })).map((a) => a.action),
      ).toEqual(['install', 'settings', 'reset']);
    });

    it('applies concurrent saves one after another (compare-and-set with retry)', async () => {
      await setup();
      // A second registry (another replica: its own cache, and on PostgreSQL its own pool).
      const other = t.with({ store: await handle.peer() });
      const saves = await Promise.all([
        other.saveSettings('t1', EXT, {
          actor: ADMIN,
          config: { limit: 20 },
          secrets: { apiKey: PLAIN },
        }),
        t.registry.saveSettings('t1', EXT, {
          actor: ADMIN,
          config: { greeting: 'Hi' },
          secrets: { apiKey: PLAIN, webhookToken: PLAIN_2 },
        }),
      ]);
      expect(saves.map((s) => s.configVersion).sort()).toEqual([2, 3]);
      const final = await t.registry.getSettings('t1', EXT, { actor: ADMIN });
      expect(final.config).toMatchObject({ limit: 20, greeting: 'Hi' });
      expect([final.configVersion, final.secretsVersion]).toEqual([3, 2]);
      expect(final.secrets.webhookToken?.set).toBe(true);
    });

    it('never lets a secret into a log line, error, event, API result or the database', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      await setup({ logger: pino({ level: 'trace' }, sink) });
      const seen: string[] = [...lines];
      const record = (value: unknown) => {
        seen.push(inspect(value, { depth: 20, showHidden: true }));
        seen.push(JSON.stringify(value) ?? '');
      };
      const recordError = (error: unknown) => {
        const e = error as Error;
        seen.push(
          e.message,
          e.stack ?? '',
          JSON.stringify(e),
          inspect(e, { depth: 20, showHidden: true }),
        );
      };
      t.registry.events.on('changed', record);
      t.registry.events.on('published', record);

      record(
        await t.registry.saveSettings('t1', EXT, {
          actor: ADMIN,
          secrets: { apiKey: PLAIN, webhookToken: PLAIN_2 },
        }),
      );
      record(await t.registry.getSettings('t1', EXT, { actor: ADMIN }));
      const resolved = await t.registry.resolveInstall('t1', EXT);
      record(resolved);
      const opened = await t.sealer.open(resolved.secretEnvelope!, {
        tenantId: 't1',
        installId: resolved.installId,
        version: resolved.secretsVersion,
      });
      record(opened);
      record({ nested: { opened } });
      seen.push(String(opened), `${opened}`);
      record(
        await t.registry.saveSettings('t1', EXT, { actor: ADMIN, secrets: { webhookToken: null } }),
      );

      for (const attempt of [
        () =>
          t.registry.saveSettings('t1', EXT, {
            actor: ADMIN,
            config: { mode: PLAIN },
            secrets: { apiKey: PLAIN },
          }),
        () =>
          t.registry.saveSettings('t1', EXT, {
            actor: ADMIN,
            secrets: { greeting: PLAIN, nope: PLAIN } as never,
          }),
        () =>
          t.registry.saveSettings('t1', EXT, {
            actor: ADMIN,
            config: { greeting: PLAIN.repeat(400) },
          }),
        () =>
          t.registry.saveSettings('t1', EXT, { actor: { id: 'eve' }, secrets: { apiKey: PLAIN } }),
        () =>
          t.sealer.open(resolved.secretEnvelope!, {
            tenantId: 't2',
            installId: resolved.installId,
            version: 1,
          }),
        () => t.sealer.seal({ toJSON: PLAIN }, { tenantId: 't1', installId: 'i', version: 1 }),
      ]) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(Error);
        recordError(error);
      }
      seen.push(...lines);

      // The flow did produce output to search, and the plaintext does reach the runner.
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(opened.apiKey).toBe(PLAIN);
      for (const text of seen) {
        expect(text).not.toContain(PLAIN);
        expect(text).not.toContain(PLAIN_2);
        expect(text).not.toContain('PLAINTEXT');
      }
      if (handle.store instanceof SqliteRegistryStore) {
        await handle.store.close();
        const dir = join(handle.store.path, '..');
        for (const file of await readdir(dir)) {
          const bytes = await readFile(join(dir, file));
          expect(bytes.includes(PLAIN), file).toBe(false);
          expect(bytes.includes('PLAINTEXT'), file).toBe(false);
        }
      }
    });
  });
}
