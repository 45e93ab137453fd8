import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/atomic-file';
import { GatewayError } from '../src/gateway/errors';
import { parseHostSettings, resolveHostSettings } from '../src/server/config';
import { TenantKeyStore } from '../src/server/tenants';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('CONFIG_INVALID');
    return (error as GatewayError).details?.problems as string[];
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('host settings', () => {
  it('takes flags over environment variables and applies defaults', () => {
    const settings = resolveHostSettings(
      { port: '4000' },
      {
        PORT: '5000',
        ALGA_DATA_DIR: '/var/lib/alga',
        EXT_GATEWAY_TIMEOUT_MS: '2500',
        EXT_EGRESS_ALLOWLIST: 'api.example.com, *.example.org',
        EXT_INSTANCE_POLICY: 'reuse',
        EXT_RATE_LIMIT_TENANT: '100/10',
        RUNNER_PUBLIC_BASE: 'https://ext.example.com/',
        ALGA_DEV: 'true',
      },
    );
    expect(settings).toMatchObject({
      port: 4000,
      dataDir: '/var/lib/alga',
      host: '127.0.0.1',
      gatewayTimeoutMs: 2500,
      egressAllowlist: ['api.example.com', '*.example.org'],
      instancePolicy: 'reuse',
      rateLimitTenant: { points: 100, durationSeconds: 10 },
      publicBase: 'https://ext.example.com',
      dev: true,
      shutdownTimeoutMs: 10_000,
      maxRequestBodyBytes: 5 * 1024 * 1024,
    });
  });

  it('names every bad setting by flag and variable, without echoing values', () => {
    const problems = problemsOf(() =>
      resolveHostSettings(
        { port: '70000' },
        {
          EXT_GATEWAY_TIMEOUT_MS: 'soon',
          RUNNER_PUBLIC_BASE: 'ftp://files.example.com',
          EXT_RATE_LIMIT_EXTENSION: 'lots',
          ALGA_ADMIN_TOKEN: 'short-secret',
        },
      ),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      '--port / PORT',
      '--admin-token / ALGA_ADMIN_TOKEN',
      '--public-base / RUNNER_PUBLIC_BASE',
      '--gateway-timeout-ms / EXT_GATEWAY_TIMEOUT_MS',
      '--rate-limit-extension / EXT_RATE_LIMIT_EXTENSION',
    ]);
    expect(problems.join(' ')).not.toContain('short-secret');
  });

  it('needs RUNNER_AUTH_TOKEN with RUNNER_BASE_URL', () => {
    expect(problemsOf(() => parseHostSettings({ runnerBaseUrl: 'http://runner:8080' }))).toEqual([
      '--runner-auth-token / RUNNER_AUTH_TOKEN: is required when RUNNER_BASE_URL is set',
    ]);
  });

  it('accepts lists and rules as values when given in code', () => {
    const settings = parseHostSettings({
      frameAncestors: ['https://app.example.com'],
      rateLimitExtension: { points: 5, durationSeconds: 1 },
    });
    expect(settings.frameAncestors).toEqual(['https://app.example.com']);
    expect(settings.rateLimitExtension).toEqual({ points: 5, durationSeconds: 1 });
  });
});

describe('tenant key store', () => {
  it('stores only key hashes, rotates keys, and survives a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alga-tenants-'));
    try {
      const path = join(dir, 'tenants.json');
      const store = await TenantKeyStore.open(path);
      const first = await store.issueKey('acme');
      expect(first).toMatch(/^alga_tk_[A-Za-z0-9_-]{43}$/);
      expect(store.tenantOf(first)).toBe('acme');
      const second = await store.issueKey('acme');
      expect(store.tenantOf(first)).toBeUndefined();
      expect(store.tenantOf(second)).toBe('acme');
      const text = await readFile(path, 'utf8');
      expect(text).not.toContain(second);
      // The file format: the SHA-256 of the key in hex, so files written by any version open.
      expect(JSON.parse(text).tenants[0].keyHash).toBe(
        createHash('sha256').update(second).digest('hex'),
      );
      const reopened = await TenantKeyStore.open(path);
      expect(reopened.tenantOf(second)).toBe('acme');
      expect(reopened.list()).toEqual(['acme']);
      await expect(store.issueKey('Not Valid')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to create an existing tenant or re-key an unknown one when told which to expect', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alga-tenants-'));
    try {
      const store = await TenantKeyStore.open(join(dir, 'tenants.json'));
      const [created, raced] = await Promise.allSettled([
        store.issueKey('acme', 'new'),
        store.issueKey('acme', 'new'),
      ]);
      expect(created.status).toBe('fulfilled');
      expect(raced).toMatchObject({
        status: 'rejected',
        reason: { code: 'CONFLICT', message: 'Tenant acme exists.' },
      });
      const key = (created as PromiseFulfilledResult<string>).value;
      expect(store.tenantOf(key)).toBe('acme');
      await expect(store.issueKey('nobody', 'existing')).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: 'Tenant nobody does not exist.',
      });
      expect(store.list()).toEqual(['acme']);
      const rotated = await store.issueKey('acme', 'existing');
      expect(store.tenantOf(key)).toBeUndefined();
      expect(store.tenantOf(rotated)).toBe('acme');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('writeFileAtomic', () => {
  it('creates the folder, sets the mode, and leaves no temporary file when the rename fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alga-atomic-'));
    try {
      const path = join(dir, 'nested', 'tenants.json');
      await writeFileAtomic(path, '{"a":1}', { mode: 0o600, durable: true });
      expect(await readFile(path, 'utf8')).toBe('{"a":1}');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      // A non-empty folder where the file should go: the write succeeds, the rename cannot.
      const blocked = join(dir, 'blocked');
      await mkdir(blocked);
      await writeFile(join(blocked, 'keep'), 'x');
      await expect(writeFileAtomic(blocked, 'new')).rejects.toMatchObject({
        code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/),
      });
      expect((await readdir(dir)).sort()).toEqual(['blocked', 'nested']);
      expect(await readdir(join(dir, 'nested'))).toEqual(['tenants.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
