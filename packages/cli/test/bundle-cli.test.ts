import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ALGA = fileURLToPath(new URL('../bin/alga.js', import.meta.url));
// Each case spawns the real binary, which runs the TypeScript sources through tsx: seconds per run on a busy machine.
const SPAWN_TIMEOUT = 90_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `alga` binary in `cwd`, as a user would. */
function alga(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ALGA, ...args], {
      cwd,
      env: { ...process.env, SIGNING_TRUST_BUNDLE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The index and entry names of a gzip bundle, read with tar-stream directly (not with @alga/host). */
async function inspectBundle(bytes: Uint8Array): Promise<{ contentHash: string; files: string[] }> {
  const extract = tar.extract();
  const names: string[] = [];
  let index = '';
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.name === '.alga/index.json') index = Buffer.concat(chunks).toString('utf8');
      else names.push(entry.header.name);
    }
  })();
  extract.end(gunzipSync(bytes));
  await done;
  return { contentHash: (JSON.parse(index) as { contentHash: string }).contentHash, files: names };
}

const MANIFEST = {
  name: 'com.example.hello',
  publisher: 'example',
  version: '1.2.3',
  runtime: 'wasm-js@1',
  capabilities: ['cap:log.emit'],
  ui: { iframe: { entry: 'ui/index.html', title: 'Hello' } },
};

/** A project as `alga build` leaves it; the component is placeholder bytes (packing treats it as opaque). */
async function makeProject(dir: string): Promise<string> {
  await mkdir(join(dir, 'dist'), { recursive: true });
  await mkdir(join(dir, 'ui'), { recursive: true });
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(MANIFEST, null, 2));
  await writeFile(
    join(dir, 'dist', 'component.wasm'),
    Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 1, 2, 3]),
  );
  await writeFile(join(dir, 'dist', 'component.json'), '{"schema":1}\n');
  await writeFile(join(dir, 'ui', 'index.html'), '<p>hello</p>');
  await writeFile(join(dir, 'src', 'handler.ts'), 'export {};\n');
  return dir;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'alga-cli-bundle-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('alga keygen -> pack -> sign -> verify, from a clean folder', () => {
  const bundleName = 'com.example.hello-1.2.3.algabundle';
  let dir: string;
  let keyId: string;
  let contentHash: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(work, 'round-'));
    await makeProject(join(dir, 'hello'));
  });

  it(
    'keygen writes a 0600 PKCS#8 key, a PEM and a JSON public key, and prints the key id',
    async () => {
      const run = await alga(['keygen', '--out', 'keys/acme', '--publisher', 'example'], dir);
      expect(run.stderr).toContain('keys/acme.key');
      expect(run.code).toBe(0);
      keyId = run.stdout.trim();
      expect(keyId).toMatch(/^ed25519:[A-Za-z0-9_-]{16}$/);
      expect((await stat(join(dir, 'keys/acme.key'))).mode & 0o777).toBe(0o600);
      expect(await readFile(join(dir, 'keys/acme.key'), 'utf8')).toMatch(
        /^-----BEGIN PRIVATE KEY-----\n/,
      );
      expect(await readFile(join(dir, 'keys/acme.pub.pem'), 'utf8')).toMatch(
        /^-----BEGIN PUBLIC KEY-----\n/,
      );
      const document = JSON.parse(
        await readFile(join(dir, 'keys/acme.pub.json'), 'utf8'),
      ) as object;
      expect(document).toMatchObject({ kid: keyId, algorithm: 'ed25519', publisher: 'example' });
    },
    SPAWN_TIMEOUT,
  );

  it(
    'keygen refuses to overwrite an existing key',
    async () => {
      const before = await readFile(join(dir, 'keys/acme.key'));
      const run = await alga(['keygen', '--out', 'keys/acme'], dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('already exists; refusing to overwrite a signing key');
      expect(await readFile(join(dir, 'keys/acme.key'))).toEqual(before);
    },
    SPAWN_TIMEOUT,
  );

  it(
    'pack writes <name>-<version>.algabundle and prints its content hash',
    async () => {
      const run = await alga(['pack', 'hello'], dir);
      expect(run.stderr).toContain('4 files');
      expect(run.code).toBe(0);
      contentHash = run.stdout.trim();
      expect(contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
      const bundle = await inspectBundle(await readFile(join(dir, bundleName)));
      expect(bundle.contentHash).toBe(contentHash);
      expect(bundle.files).toEqual([
        'dist/component.json',
        'dist/component.wasm',
        'manifest.json',
        'ui/index.html',
      ]);
    },
    SPAWN_TIMEOUT,
  );

  it(
    'sign writes the detached signature next to the bundle',
    async () => {
      const run = await alga(['sign', bundleName, '--key', 'keys/acme.key'], dir);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(`${bundleName}.sig`);
      const signature = JSON.parse(
        await readFile(join(dir, `${bundleName}.sig`), 'utf8'),
      ) as object;
      expect(signature).toMatchObject({ contentHash, keyId, algorithm: 'ed25519' });
      expect(Object.keys(signature)).toEqual([
        'contentHash',
        'keyId',
        'algorithm',
        'signature',
        'signedAt',
      ]);
    },
    SPAWN_TIMEOUT,
  );

  it(
    'verify exits 0 and prints the verified identity',
    async () => {
      const run = await alga(
        ['verify', bundleName, '--sig', `${bundleName}.sig`, '--trust', 'keys/acme.pub.json'],
        dir,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(
        `verified com.example.hello@1.2.3 ${contentHash}\n  signed by ${keyId} (publisher example) at ${
          (
            JSON.parse(await readFile(join(dir, `${bundleName}.sig`), 'utf8')) as {
              signedAt: string;
            }
          ).signedAt
        }\n`,
      );
    },
    SPAWN_TIMEOUT,
  );

  it(
    'verify fails with HASH_MISMATCH when a file inside the bundle was changed',
    async () => {
      const archive = gunzipSync(await readFile(join(dir, bundleName)));
      const at = archive.indexOf('<p>hello</p>');
      expect(at).toBeGreaterThan(0);
      archive.write('<p>HELLO</p>', at);
      await writeFile(join(dir, 'tampered.algabundle'), gzipSync(archive));
      await writeFile(
        join(dir, 'tampered.algabundle.sig'),
        await readFile(join(dir, `${bundleName}.sig`)),
      );
      const publicKey = (
        JSON.parse(await readFile(join(dir, 'keys/acme.pub.json'), 'utf8')) as { publicKey: string }
      ).publicKey;
      await writeFile(
        join(dir, 'trust.json'),
        JSON.stringify({ keys: [{ kid: keyId, publicKey, publisher: 'example' }] }),
      );
      const run = await alga(['verify', 'tampered.algabundle', '--trust', 'trust.json'], dir);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('"ui/index.html" does not match its digest');
      expect(run.stderr).toContain('(HASH_MISMATCH) [VERIFY_FAILED]');
    },
    SPAWN_TIMEOUT,
  );

  it(
    'verify fails with SIGNATURE_INVALID when the signature was changed (trust from SIGNING_TRUST_BUNDLE)',
    async () => {
      const signature = JSON.parse(await readFile(join(dir, `${bundleName}.sig`), 'utf8')) as {
        signature: string;
      };
      const first = signature.signature.startsWith('A') ? 'B' : 'A';
      await writeFile(
        join(dir, 'forged.sig'),
        JSON.stringify({ ...signature, signature: `${first}${signature.signature.slice(1)}` }),
      );
      const pem = await readFile(join(dir, 'keys/acme.pub.pem'), 'utf8');
      const run = await alga(['verify', bundleName, '--sig', 'forged.sig'], dir, {
        SIGNING_TRUST_BUNDLE: pem,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('(SIGNATURE_INVALID) [VERIFY_FAILED]');
    },
    SPAWN_TIMEOUT,
  );
});

describe('alga pack and sign refuse bad input', () => {
  it(
    'pack names the missing component and says to run alga build',
    async () => {
      const dir = await makeProject(await mkdtemp(join(work, 'nobuild-')));
      await rm(join(dir, 'dist'), { recursive: true });
      const run = await alga(['pack', '-o', 'x.algabundle'], dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Run `alga build` first.');
      expect(run.stderr).toContain('(COMPONENT_MISSING)');
    },
    SPAWN_TIMEOUT,
  );

  it(
    'sign refuses a key that is not an ed25519 private key',
    async () => {
      const dir = await mkdtemp(join(work, 'badkey-'));
      await writeFile(join(dir, 'bad.key'), 'not a key');
      await writeFile(join(dir, 'b.algabundle'), 'not a bundle');
      const run = await alga(['sign', 'b.algabundle', '--key', 'bad.key'], dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('(KEY_INVALID) [USAGE]');
    },
    SPAWN_TIMEOUT,
  );
});
