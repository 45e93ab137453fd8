import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  AesGcmSealer,
  createSecretMap,
  KeyProvider,
  Secret,
  type SecretAad,
  SecretsError,
  VaultTransitSealer,
} from '@alga/host';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultStandIn } from './fixtures/registry-vault-standin.js';

const aad: SecretAad = { tenantId: 'tenant-a', installId: 'install-1', version: 3 };
const plain = { apiKey: 'sk-live-51HfR2eZvKYlo2C', webhookToken: 'whsec_9f8e7d' };

async function rejection(promise: Promise<unknown>): Promise<SecretsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SecretsError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const codeOf = async (promise: Promise<unknown>) => (await rejection(promise)).code;

describe('Secret and SecretMap redaction', () => {
  it('prints [redacted] in inspect, JSON, String and template literals', () => {
    const token = new Secret('hunter2');
    const map = createSecretMap({ apiKey: 'hunter3' });
    for (const text of [
      inspect(token),
      inspect({ token, map }, { depth: 10, showHidden: true }),
      JSON.stringify({ token, map }),
      String(token),
      `${token} ${map}`,
      String(map),
    ]) {
      expect(text).not.toMatch(/hunter/);
      expect(text).toContain('[redacted]');
    }
    expect(token.reveal()).toBe('hunter2');
    expect(map.apiKey).toBe('hunter3');
    expect(Object.keys(map)).toEqual(['apiKey']);
    expect(Object.isFrozen(map)).toBe(true);
  });

  it('refuses names that would undo the redaction', () => {
    expect(() => createSecretMap({ toJSON: 'x' })).toThrow(
      expect.objectContaining({ code: 'SECRETS_INPUT_INVALID' }),
    );
  });
});

describe('AesGcmSealer', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const sealer = new AesGcmSealer(KeyProvider.fromKeys([{ kid: 'k1', key: k1 }]));

  it('round-trips with a fresh IV per envelope and no plaintext in the envelope', async () => {
    const a = await sealer.seal(plain, aad);
    const b = await sealer.seal(plain, aad);
    expect(a).toMatchObject({ v: 1, alg: 'A256GCM', kid: 'k1' });
    expect(a.iv).toHaveLength(16);
    expect(a.iv).not.toBe(b.iv);
    expect(JSON.stringify(a)).not.toContain('sk-live');
    const opened = await sealer.open(a, aad);
    expect({ ...opened }).toEqual(plain);
    expect(inspect(opened)).toBe('[redacted]');
  });

  it('binds the envelope to tenant, install and version', async () => {
    const envelope = await sealer.seal(plain, aad);
    for (const other of [
      { ...aad, tenantId: 'tenant-b' },
      { ...aad, installId: 'install-2' },
      { ...aad, version: 4 },
    ]) {
      const error = await sealer.open(envelope, other).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretsError);
      expect((error as SecretsError).code).toBe('SECRETS_OPEN_FAILED');
    }
    const flipped = {
      ...envelope,
      ct: `${envelope.ct[0] === 'A' ? 'B' : 'A'}${envelope.ct.slice(1)}`,
    };
    expect(await codeOf(sealer.open(flipped, aad))).toBe('SECRETS_OPEN_FAILED');
    expect(await codeOf(sealer.open({ ...envelope, iv: 'short' }, aad))).toBe(
      'SECRETS_ENVELOPE_INVALID',
    );
  });

  it('rotates keys: new seals use the current key, old envelopes still open', async () => {
    const old = await sealer.seal(plain, aad);
    const rotated = new AesGcmSealer(
      KeyProvider.fromKeys([
        { kid: 'k2', key: k2 },
        { kid: 'k1', key: k1 },
      ]),
    );
    expect({ ...(await rotated.open(old, aad)) }).toEqual(plain);
    const fresh = await rotated.seal(plain, aad);
    expect(fresh.kid).toBe('k2');
    const error = await rejection(sealer.open(fresh, aad));
    expect(error.code).toBe('SECRETS_KEY_UNKNOWN');
    expect(error.message).toContain('key "k2" is not held');
  });

  it('reads keys from an env var and a key file, never echoing key material', async () => {
    const env = {
      ALGA_SECRETS_KEY: `2025:${k2.toString('base64')},2024:${k1.toString('base64url')}`,
      SINGLE: k1.toString('base64'),
      SHORT: `k:${randomBytes(16).toString('base64')}`,
    };
    const fromEnv = KeyProvider.fromEnv('ALGA_SECRETS_KEY', env);
    expect([fromEnv.currentKeyId, fromEnv.keyIds]).toEqual(['2025', ['2025', '2024']]);
    // Both entries decode to the right bytes: the base64url one opens what k1 sealed as "2024".
    const as2024 = new AesGcmSealer(KeyProvider.fromKeys([{ kid: '2024', key: k1 }]));
    expect({
      ...(await new AesGcmSealer(fromEnv).open(await as2024.seal(plain, aad), aad)),
    }).toEqual(plain);
    const as2025 = new AesGcmSealer(KeyProvider.fromKeys([{ kid: '2025', key: k2 }]));
    expect({
      ...(await as2025.open(await new AesGcmSealer(fromEnv).seal(plain, aad), aad)),
    }).toEqual(plain);
    const single = KeyProvider.fromEnv('SINGLE', env);
    expect(single.currentKeyId).toMatch(/^k[0-9a-f]{12}$/);
    const short = await rejection(Promise.resolve().then(() => KeyProvider.fromEnv('SHORT', env)));
    expect(short.code).toBe('SECRETS_KEY_INVALID');
    expect(short.message).toContain('key must be 32 bytes, got 16');
    expect(short.message).not.toContain(env.SHORT.slice(2, 10));
    expect(() => KeyProvider.fromEnv('MISSING', env)).toThrow(/MISSING is not set/);

    const dir = await mkdtemp(join(tmpdir(), 'alga-keys-'));
    try {
      const file = join(dir, 'keys');
      await writeFile(file, `# rotated 2025\nk1:${k1.toString('base64')}\n`);
      const fromFile = await KeyProvider.fromFile(file);
      expect({
        ...(await new AesGcmSealer(fromFile).open(await sealer.seal(plain, aad), aad)),
      }).toEqual(plain);
      expect(await codeOf(KeyProvider.fromFile(join(dir, 'absent')))).toBe('SECRETS_KEY_INVALID');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('VaultTransitSealer against a loopback STAND-IN of Vault transit (no Vault/OpenBao installable here)', () => {
  const token = 'hvs.standin-token-value';
  let vault: Awaited<ReturnType<typeof startVaultStandIn>>;
  let sealer: VaultTransitSealer;

  beforeAll(async () => {
    vault = await startVaultStandIn({ token, keyName: 'alga' });
    sealer = new VaultTransitSealer({ address: vault.address, token, keyName: 'alga' });
  });
  afterAll(async () => {
    await vault.close();
  });

  it('seals via /v1/transit/encrypt with the AAD as derivation context and opens via decrypt', async () => {
    const envelope = await sealer.seal(plain, aad);
    expect(envelope).toMatchObject({ v: 1, alg: 'vault-transit', kid: 'transit/alga' });
    expect(envelope.ct).toMatch(/^vault:v1:/);
    expect({ ...(await sealer.open(envelope, aad)) }).toEqual(plain);
    const [encrypt, decrypt] = vault.requests.slice(-2);
    expect(encrypt?.path).toBe('/v1/transit/encrypt/alga');
    expect(encrypt?.headers['x-vault-token']).toBe(token);
    expect(JSON.parse(Buffer.from(String(encrypt?.body.plaintext), 'base64').toString())).toEqual(
      plain,
    );
    expect(Buffer.from(String(encrypt?.body.context), 'base64').toString()).toBe(
      '["alga-secrets/v1","tenant-a","install-1",3]',
    );
    expect(decrypt?.path).toBe('/v1/transit/decrypt/alga');
    expect(decrypt?.body).toEqual({ ciphertext: envelope.ct, context: encrypt?.body.context });
  });

  it('does not open an envelope copied to another install', async () => {
    const envelope = await sealer.seal(plain, aad);
    const error = await rejection(sealer.open(envelope, { ...aad, installId: 'install-2' }));
    expect(error.code).toBe('SECRETS_OPEN_FAILED');
    expect(error.message).toContain('message authentication failed');
  });

  it('maps a refused token and an unreachable server, never showing the token', async () => {
    const wrong = new VaultTransitSealer({
      address: vault.address,
      token: 'hvs.wrong',
      keyName: 'alga',
    });
    const denied = await rejection(wrong.seal(plain, aad));
    expect(denied.code).toBe('SECRETS_BACKEND_DENIED');
    const down = new VaultTransitSealer({
      address: 'http://127.0.0.1:9',
      token,
      keyName: 'alga',
      timeoutMs: 2000,
    });
    const unreachable = await rejection(down.seal(plain, aad));
    expect(unreachable.code).toBe('SECRETS_BACKEND_UNAVAILABLE');
    for (const text of [
      inspect(sealer, { showHidden: true, depth: 5 }),
      JSON.stringify(sealer),
      denied.message,
      unreachable.message,
      inspect(denied),
      inspect(unreachable),
    ]) {
      expect(text).not.toContain('standin-token');
      expect(text).not.toContain('hvs.wrong');
    }
  });
});
