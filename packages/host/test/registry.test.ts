import {
  type AuditEntry,
  BundleError,
  generateSigningKey,
  type PublishResult,
  RegistryError,
} from '@alga/host';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  createTestRegistry,
  manifest,
  signedBundle,
  type TestRegistry,
  trustFor,
} from './fixtures/registry-fixtures.js';

const EXT = 'com.example.hello';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RegistryError || error instanceof BundleError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

let t: TestRegistry;
beforeEach(async () => {
  t = await createTestRegistry();
});
afterEach(async () => {
  await t.dispose();
});

async function publish(
  overrides: Record<string, unknown> = {},
  extra?: string,
): Promise<PublishResult> {
  const bundle = await signedBundle(
    t.key,
    manifest(overrides),
    extra === undefined ? {} : { extra },
  );
  return t.registry.publish(bundle.bytes, bundle.signature, { actor: ADMIN });
}

const mode = { mode: 'a' } as const;

describe('publish', () => {
  it('verifies, stores the bundle and records the version; identical content is idempotent', async () => {
    const bundle = await signedBundle(t.key, manifest());
    const events: unknown[] = [];
    t.registry.events.on('published', (e) => events.push(e));
    const first = await t.registry.publish(bundle.bytes, bundle.signature, { actor: ADMIN });
    expect(first).toEqual({
      extensionId: EXT,
      version: '1.0.0',
      contentHash: bundle.contentHash,
      created: true,
    });
    expect(await t.bundles.has(bundle.contentHash)).toBe(true);
    const record = await t.store.getVersion(EXT, '1.0.0');
    expect(record).toMatchObject({
      contentHash: bundle.contentHash,
      publisherKeyId: t.key.keyId,
      publisher: 'example',
      bundleSize: bundle.bytes.byteLength,
      componentSize: 8,
      publishedAt: '2030-01-01T00:00:00.000Z',
      state: 'active',
      signature: bundle.signature,
    });
    expect(record?.manifest).toMatchObject({ name: EXT, version: '1.0.0' });
    const again = await t.registry.publish(bundle.bytes, bundle.signature, { actor: ADMIN });
    expect(again.created).toBe(false);
    expect(events).toEqual([
      { ...first, actor: 'ops-admin' },
      { ...again, actor: 'ops-admin' },
    ]);
  });

  it('rejects other content under an existing version with VERSION_CONFLICT', async () => {
    await publish();
    const other = await signedBundle(t.key, manifest(), { extra: 'changed' });
    const error = await t.registry
      .publish(other.bytes, other.signature, { actor: ADMIN })
      .catch((e) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.code).toBe('VERSION_CONFLICT');
    expect(error.message).toContain('com.example.hello@1.0.0 is already published');
  });

  it('rejects tampered bundles and bad signatures with the bundle error codes', async () => {
    const bundle = await signedBundle(t.key, manifest(), { compress: false });
    const tampered = Uint8Array.from(bundle.bytes);
    const at = Buffer.from(tampered).indexOf('com.example.hello');
    tampered[at] = 'C'.charCodeAt(0);
    expect(await codeOf(t.registry.publish(tampered, bundle.signature, { actor: ADMIN }))).toBe(
      'HASH_MISMATCH',
    );

    const forged = {
      ...bundle.signature,
      signature: `${bundle.signature.signature.slice(0, -4)}AAAA`,
    };
    expect(await codeOf(t.registry.publish(bundle.bytes, forged, { actor: ADMIN }))).toBe(
      'SIGNATURE_INVALID',
    );

    const stranger = await generateSigningKey();
    const unsigned = await signedBundle(stranger, manifest());
    expect(
      await codeOf(t.registry.publish(unsigned.bytes, unsigned.signature, { actor: ADMIN })),
    ).toBe('UNTRUSTED_SIGNER');

    const revoked = t.with({ trust: trustFor([{ key: t.key }], [t.key.keyId]) });
    expect(await codeOf(revoked.publish(bundle.bytes, bundle.signature, { actor: ADMIN }))).toBe(
      'KEY_REVOKED',
    );
    expect(await t.store.listVersions(EXT)).toEqual([]);
  });

  it("refuses a manifest publisher other than the key's and another publisher's extension id", async () => {
    const bundle = await signedBundle(t.key, manifest({ publisher: 'mallory' }));
    expect(await codeOf(t.registry.publish(bundle.bytes, bundle.signature, { actor: ADMIN }))).toBe(
      'PUBLISHER_MISMATCH',
    );
    await publish();
    const mallory = await generateSigningKey();
    const both = t.with({
      trust: trustFor([{ key: t.key }, { key: mallory, publisher: 'mallory' }]),
    });
    const hijack = await signedBundle(
      mallory,
      manifest({ publisher: 'mallory', version: '9.0.0' }),
    );
    const error = await both
      .publish(hijack.bytes, hijack.signature, { actor: ADMIN })
      .catch((e) => e);
    expect(error.code).toBe('PUBLISHER_MISMATCH');
    expect(error.message).toContain('belongs to publisher "example"');
  });

  it('asks authorize first-class: no actor and non-admins are FORBIDDEN', async () => {
    const bundle = await signedBundle(t.key, manifest());
    expect(
      await codeOf(t.registry.publish(bundle.bytes, bundle.signature, { actor: undefined })),
    ).toBe('FORBIDDEN');
    expect(
      await codeOf(
        t.registry.publish(bundle.bytes, bundle.signature, {
          actor: { id: 'eve', roles: ['viewer'] },
        }),
      ),
    ).toBe('FORBIDDEN');
    const seen: unknown[] = [];
    const custom = t.with({
      authorize: (actor, action, resource) => {
        seen.push([actor.id, action, resource]);
        return actor.id === 'ci';
      },
    });
    expect(
      (await custom.publish(bundle.bytes, bundle.signature, { actor: { id: 'ci' } })).created,
    ).toBe(true);
    expect(seen).toEqual([['ci', 'extension.publish', { extensionId: EXT, version: '1.0.0' }]]);
  });
});

describe('catalog', () => {
  it('lists every extension with its versions in publish order, without manifests or signatures', async () => {
    const first = await publish();
    const second = await publish({ version: '1.1.0' });
    await t.registry.yank(EXT, '1.0.0', { actor: ADMIN });
    const catalog = await t.registry.listExtensions({ actor: ADMIN });
    expect(catalog).toEqual([
      {
        extensionId: EXT,
        publisher: 'example',
        createdAt: '2030-01-01T00:00:00.000Z',
        versions: [
          expect.objectContaining({
            version: '1.0.0',
            contentHash: first.contentHash,
            state: 'yanked',
          }),
          expect.objectContaining({
            version: '1.1.0',
            contentHash: second.contentHash,
            state: 'active',
          }),
        ],
      },
    ]);
    const listed = catalog[0]?.versions[1];
    expect(listed).toMatchObject({
      extensionId: EXT,
      publisher: 'example',
      publisherKeyId: t.key.keyId,
      publishedAt: '2030-01-01T00:00:00.000Z',
      componentSize: 8,
    });
    expect(listed?.bundleSize).toBeGreaterThan(0);
    expect(Object.keys(listed ?? {})).not.toContain('manifest');
    expect(Object.keys(listed ?? {})).not.toContain('signature');
  });

  it('gives one version with its parsed manifest, and NOT_FOUND for a version never published', async () => {
    const published = await publish({ version: '2.0.0' });
    const detail = await t.registry.getVersion(EXT, '2.0.0', { actor: ADMIN });
    expect(detail).toMatchObject({
      extensionId: EXT,
      version: '2.0.0',
      contentHash: published.contentHash,
      state: 'active',
    });
    expect(detail.manifest.name).toBe(EXT);
    expect(detail.manifest.version).toBe('2.0.0');
    // The manifest is the registry's own cached copy, which installs take their grants from.
    expect(() => {
      (detail.manifest.capabilities as string[]).push('cap:storage.kv');
    }).toThrow(TypeError);
    const again = await t.registry.getVersion(EXT, '2.0.0', { actor: ADMIN });
    expect(again.manifest.capabilities).toEqual(detail.manifest.capabilities);
    expect(again.manifest.capabilities).not.toContain('cap:storage.kv');
    const missing = await t.registry.getVersion(EXT, '9.9.9', { actor: ADMIN }).catch((e) => e);
    expect(missing).toBeInstanceOf(RegistryError);
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toBe(`${EXT}@9.9.9 is not published.`);
  });

  it('asks authorize for extension.read: no actor and non-admins are FORBIDDEN by default', async () => {
    await publish();
    expect(await codeOf(t.registry.listExtensions({ actor: undefined }))).toBe('FORBIDDEN');
    expect(
      await codeOf(
        t.registry.getVersion(EXT, '1.0.0', { actor: { id: 'eve', roles: ['viewer'] } }),
      ),
    ).toBe('FORBIDDEN');
    const seen: unknown[] = [];
    const readers = t.with({
      authorize: (actor, action, resource) => {
        seen.push([actor.id, action, resource]);
        return action === 'extension.read';
      },
    });
    const viewer = { id: 'viewer' };
    expect((await readers.listExtensions({ actor: viewer })).map((e) => e.extensionId)).toEqual([
      EXT,
    ]);
    expect((await readers.getVersion(EXT, '1.0.0', { actor: viewer })).version).toBe('1.0.0');
    expect(seen).toEqual([
      ['viewer', 'extension.read', { extensionId: '*' }],
      ['viewer', 'extension.read', { extensionId: EXT, version: '1.0.0' }],
    ]);
  });
});

describe('install', () => {
  it('picks the highest active stable version and default grants and egress', async () => {
    await publish();
    await publish({ version: '1.2.0' });
    await publish({ version: '2.0.0-beta.1' });
    await publish({ version: '1.10.0' });
    await t.registry.yank(EXT, '1.10.0', { actor: ADMIN });
    const install = await t.registry.install('t1', EXT, { actor: ADMIN, config: mode });
    expect(install).toMatchObject({
      tenantId: 't1',
      extensionId: EXT,
      version: '1.2.0',
      grants: ['cap:context.read', 'cap:log.emit'],
      egress: ['api.example.com', '*.example.org', 'api.example.com:8443'],
      enabled: true,
      configVersion: 1,
      secretsVersion: 0,
    });
    expect(install).not.toHaveProperty('secretEnvelope');
    expect(
      await codeOf(
        t.registry.install('t2', EXT, { actor: ADMIN, version: '1.10.0', config: mode }),
      ),
    ).toBe('VERSION_UNAVAILABLE');
    expect(
      await codeOf(t.registry.install('t2', EXT, { actor: ADMIN, version: '3.0.0', config: mode })),
    ).toBe('NOT_FOUND');
    expect(await codeOf(t.registry.install('t1', EXT, { actor: ADMIN, config: mode }))).toBe(
      'ALREADY_INSTALLED',
    );
    expect(await codeOf(t.registry.install('t2', 'com.example.none', { actor: ADMIN }))).toBe(
      'NOT_FOUND',
    );
  });

  it('never grants more than the manifest requests', async () => {
    await publish();
    const granted = await t.registry.install('t1', EXT, {
      actor: ADMIN,
      config: mode,
      grants: ['cap:secrets.get', 'cap:context.read', 'cap:secrets.get'],
      egress: ['a.example.org', 'api.example.com:8443'],
    });
    expect(granted.grants).toEqual(['cap:context.read', 'cap:secrets.get']);
    expect(granted.egress).toEqual(['a.example.org', 'api.example.com:8443']);
    const tooMuch = await t.registry
      .install('t2', EXT, { actor: ADMIN, config: mode, grants: ['cap:storage.kv'] })
      .catch((e) => e);
    expect(tooMuch.code).toBe('GRANT_EXCEEDS_REQUEST');
    expect(tooMuch.message).toContain(
      '"cap:storage.kv" is not requested by com.example.hello@1.0.0',
    );
    expect(
      await codeOf(
        t.registry.install('t2', EXT, { actor: ADMIN, config: mode, grants: ['cap:teleport'] }),
      ),
    ).toBe('CAPABILITY_UNKNOWN');
    for (const egress of [
      ['evil.com'],
      ['example.org'],
      ['api.example.com:9000'],
      ['a.b.example.org:8443'],
    ]) {
      expect(
        await codeOf(t.registry.install('t2', EXT, { actor: ADMIN, config: mode, egress })),
      ).toBe('EGRESS_EXCEEDS_REQUEST');
    }
  });

  it('validates config against the manifest settings, naming each field', async () => {
    await publish();
    const error = await t.registry
      .install('t1', EXT, {
        actor: ADMIN,
        config: {
          limit: 101,
          mode: 'z',
          greeting: 5,
          enabled: 'yes',
          apiKey: 'x',
          colour: 'red',
        } as never,
      })
      .catch((e) => e);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toEqual([
      { field: 'settings.limit', message: 'must be at most 100' },
      { field: 'settings.mode', message: "must be one of 'a', 'b'" },
      { field: 'settings.greeting', message: 'must be a string, got a number' },
      { field: 'settings.enabled', message: 'must be true or false, got a string' },
      { field: 'settings.apiKey', message: 'is a secret: pass it in secrets, not config' },
      { field: 'settings.colour', message: 'is not a setting of com.example.hello' },
      { field: 'settings.mode', message: 'is required' },
    ]);
    expect(error.message).toContain('settings.limit: must be at most 100');
    const low = await t.registry
      .install('t1', EXT, { actor: ADMIN, config: { ...mode, limit: 0 } })
      .catch((e) => e);
    expect(low.issues).toEqual([{ field: 'settings.limit', message: 'must be at least 1' }]);
    expect(await t.store.getInstall('t1', EXT)).toBeUndefined();
  });

  it('verifies the stored bundle again, so a key revoked after publish blocks installs', async () => {
    await publish();
    const revoked = t.with({ trust: trustFor([{ key: t.key }], [t.key.keyId]) });
    expect(await codeOf(revoked.install('t1', EXT, { actor: ADMIN, config: mode }))).toBe(
      'KEY_REVOKED',
    );
  });
});

describe('install lifecycle', () => {
  it('keeps an audit trail of install, upgrade, downgrade, disable, grants and uninstall', async () => {
    await publish();
    await publish({ version: '1.1.0' });
    const changes: AuditEntry[] = [];
    t.registry.events.on('changed', (e) => changes.push(e));
    const alice = { id: 'alice', roles: ['admin'] };
    await t.registry.install('t1', EXT, { actor: ADMIN, version: '1.0.0', config: mode });
    t.advance(1000);
    expect((await t.registry.upgrade('t1', EXT, { actor: alice })).version).toBe('1.1.0');
    t.advance(1000);
    expect((await t.registry.upgrade('t1', EXT, { actor: alice, version: '1.0.0' })).version).toBe(
      '1.0.0',
    );
    await t.registry.setEnabled('t1', EXT, false, { actor: ADMIN });
    await t.registry.setEnabled('t1', EXT, false, { actor: ADMIN });
    await t.registry.setGrants('t1', EXT, { actor: ADMIN, grants: ['cap:log.emit'], egress: [] });
    await t.registry.uninstall('t1', EXT, { actor: ADMIN });
    const trail = await t.registry.auditTrail('t1', EXT, { actor: ADMIN });
    expect(trail.map((a) => [a.action, a.actor, a.fromVersion, a.toVersion, a.at])).toEqual([
      ['install', 'ops-admin', undefined, '1.0.0', '2030-01-01T00:00:00.000Z'],
      ['upgrade', 'alice', '1.0.0', '1.1.0', '2030-01-01T00:00:01.000Z'],
      ['downgrade', 'alice', '1.1.0', '1.0.0', '2030-01-01T00:00:02.000Z'],
      ['disable', 'ops-admin', '1.0.0', '1.0.0', '2030-01-01T00:00:02.000Z'],
      ['grants', 'ops-admin', '1.0.0', '1.0.0', '2030-01-01T00:00:02.000Z'],
      ['uninstall', 'ops-admin', '1.0.0', undefined, '2030-01-01T00:00:02.000Z'],
    ]);
    expect(trail[4]?.detail).toEqual({ grants: ['cap:log.emit'], egress: [] });
    expect(changes).toEqual(trail);
    expect(await t.store.getInstall('t1', EXT)).toBeUndefined();
    expect(await codeOf(t.registry.resolveInstall('t1', EXT))).toBe('NOT_INSTALLED');
  });

  it('carries grants the new manifest still requests and re-checks required config on upgrade', async () => {
    await publish();
    await publish({
      version: '2.0.0',
      capabilities: ['cap:context.read', 'cap:secrets.get'],
      http: { allow: [] },
      settings: [
        {
          key: 'region',
          kind: 'select',
          label: 'Region',
          options: [{ value: 'eu', label: 'EU' }],
          required: true,
        },
      ],
    });
    await t.registry.install('t1', EXT, {
      actor: ADMIN,
      version: '1.0.0',
      config: mode,
      grants: ['cap:context.read', 'cap:log.emit', 'cap:secrets.get'],
    });
    const blocked = await t.registry.upgrade('t1', EXT, { actor: ADMIN }).catch((e) => e);
    expect(blocked.issues).toEqual([{ field: 'settings.region', message: 'is required' }]);
    const moved = await t.registry.upgrade('t1', EXT, { actor: ADMIN, config: { region: 'eu' } });
    expect(moved).toMatchObject({
      version: '2.0.0',
      grants: ['cap:context.read', 'cap:secrets.get'],
      egress: [],
    });
    expect((await t.registry.resolveInstall('t1', EXT)).config).toEqual({ region: 'eu' });
  });
});

describe('resolveInstall', () => {
  it('returns what the gateway needs, cached for the TTL and dropped on change', async () => {
    const published = await publish();
    await t.registry.install('t1', EXT, {
      actor: ADMIN,
      config: { ...mode, limit: 42 },
      grants: ['cap:config.read'],
      egress: ['api.example.com'],
    });
    const first = await t.registry.resolveInstall('t1', EXT);
    expect(first).toEqual({
      tenantId: 't1',
      installId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      extensionId: EXT,
      version: '1.0.0',
      contentHash: published.contentHash,
      grants: ['cap:config.read'],
      egress: ['api.example.com'],
      config: { greeting: 'Hello', limit: 42, enabled: true, mode: 'a' },
      configVersion: 1,
      secretsVersion: 0,
      enabled: true,
    });
    expect(Object.isFrozen(first.config)).toBe(true);

    // A change written behind this registry's back (another replica) shows after the TTL.
    const stored = (await t.store.getInstall('t1', EXT))!;
    await t.store.updateInstall(
      { ...stored, enabled: false, revision: stored.revision + 1 },
      stored.revision,
      {
        tenantId: 't1',
        extensionId: EXT,
        installId: stored.installId,
        action: 'disable',
        actor: 'replica-2',
        at: '2030-01-01T00:00:00.000Z',
        fromVersion: '1.0.0',
        toVersion: '1.0.0',
        detail: {},
      },
    );
    t.advance(4999);
    expect(await t.registry.resolveInstall('t1', EXT)).toBe(first);
    t.advance(2);
    expect((await t.registry.resolveInstall('t1', EXT)).enabled).toBe(false);

    // A change through the registry shows at once.
    await t.registry.setEnabled('t1', EXT, true, { actor: ADMIN });
    expect((await t.registry.resolveInstall('t1', EXT)).enabled).toBe(true);
    await t.registry.saveSettings('t1', EXT, {
      actor: ADMIN,
      config: { limit: 7 },
      secrets: { apiKey: 'k' },
    });
    const after = await t.registry.resolveInstall('t1', EXT);
    expect([after.config.limit, after.configVersion, after.secretsVersion]).toEqual([7, 2, 1]);
    expect(after.secretEnvelope).toMatchObject({ v: 1, alg: 'A256GCM', kid: 'test-1' });
  });

  it('reads through on every call when the cache is off', async () => {
    await publish();
    await t.registry.install('t1', EXT, { actor: ADMIN, config: mode });
    const uncached = t.with({ cacheTtlMs: 0 });
    const a = await uncached.resolveInstall('t1', EXT);
    const b = await uncached.resolveInstall('t1', EXT);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
  });
});
