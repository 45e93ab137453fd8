// Verification cost: what every publish, install and load pays to trust a bundle (gunzip, tar
// read, per-file sha256, canonical content hash, ed25519 signature, manifest checks), against
// the floor of hashing the same bytes once with node:crypto.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  FsBundleStore,
  packBundle,
  readBundle,
  signBundle,
  verifyBundle,
  verifySignature,
} from '@alga/host';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { benchArgs, pick } from './lib/args';
import { buildFixture, createBenchHost } from './lib/fixtures';
import { Report } from './lib/report';
import { samplePair, summarize } from './lib/stats';

const args = benchArgs();
const report = new Report('verify', 'Verification cost (hash + signature)', args.quick);
const MIB = 1024 * 1024;
/** UI assets are split in files of this size: the bundle reader caps one file at 32 MiB. */
const ASSET_CHUNK = 12 * MIB;

/** `size` bytes made of the real component repeated: compresses the way real bundles do. */
function filler(component: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += component.byteLength) {
    out.set(component.subarray(0, Math.min(component.byteLength, size - offset)), offset);
  }
  return out;
}

const host = await createBenchHost();
const noop = await buildFixture('noop');

for (const sizeMiB of [1, 12, 50]) {
  const total = sizeMiB * MIB;
  const componentSize = Math.min(total, noop.component.byteLength);
  const files: Record<string, Uint8Array> = {
    'manifest.json': new TextEncoder().encode(JSON.stringify(noop.manifest)),
    'dist/component.wasm': filler(noop.component, componentSize),
  };
  for (let left = total - componentSize, i = 0; left > 0; left -= ASSET_CHUNK, i++) {
    files[`ui/asset-${i}.bin`] = filler(noop.component, Math.min(ASSET_CHUNK, left));
  }
  const packed = await packBundle(files);
  const signature = await signBundle(packed.bytes, host.signingKey);
  const raw = Object.values(files);
  const options = {
    warmup: 2,
    samples: pick(args, sizeMiB === 50 ? 12 : 30, sizeMiB === 50 ? 3 : 8),
  };

  const hashFiles = (): void => {
    for (const bytes of raw) createHash('sha256').update(bytes).digest();
  };

  // The bundle as the embedded store keeps it (a plain tar: gzip undone once, on put), which is
  // what every load verifies.
  const tar = gunzipSync(packed.bytes);
  const plain = await samplePair(
    () => verifyBundle(tar, signature, host.trust),
    hashFiles,
    options,
  );
  const plainFigure = report.add({
    id: `verify.tar.${sizeMiB}mib`,
    label: `verifyBundle ${sizeMiB} MiB as the store keeps it (plain tar)`,
    unit: 'ms',
    subject: summarize(plain.subject),
    baseline: { label: 'node:crypto sha256 of the files', summary: summarize(plain.baseline) },
    ratio: summarize(plain.subject).median / summarize(plain.baseline).median,
  });

  // What a load pays end to end: the store reads the file and re-hashes it, and verifyBundle
  // takes that check (the store hands it over) and checks the signature and manifest.
  const root = await mkdtemp(join(tmpdir(), 'alga-bench-verify-'));
  const store = new FsBundleStore({ root });
  await store.put(packed.bytes);
  const load = await samplePair(
    async () => {
      const stored = await store.get(packed.contentHash);
      if (stored === undefined) throw new Error('the bundle was not stored');
      await verifyBundle(stored, signature, host.trust);
    },
    hashFiles,
    options,
  );
  await rm(root, { recursive: true, force: true });
  report.add({
    id: `verify.load.${sizeMiB}mib`,
    label: `  load: FsBundleStore.get (read, re-hash) + verifyBundle ${sizeMiB} MiB`,
    unit: 'ms',
    subject: summarize(load.subject),
    baseline: { label: 'node:crypto sha256 of the files', summary: summarize(load.baseline) },
    ratio: summarize(load.subject).median / summarize(load.baseline).median,
  });

  // The gzip transport form, as published: publish verifies this once.
  const verify = await samplePair(
    () => verifyBundle(packed.bytes, signature, host.trust),
    hashFiles,
    options,
  );
  report.add({
    id: `verify.bundle.${sizeMiB}mib`,
    label: `  verifyBundle ${sizeMiB} MiB as published (${(packed.bytes.byteLength / MIB).toFixed(1)} MiB gzip)`,
    unit: 'ms',
    subject: summarize(verify.subject),
    baseline: { label: 'node:crypto sha256 of the files', summary: summarize(verify.baseline) },
    ratio: summarize(verify.subject).median / summarize(verify.baseline).median,
  });

  const parts = await samplePair(
    () => readBundle(packed.bytes),
    () => gunzipSync(packed.bytes),
    options,
  );
  report.add({
    id: `verify.read.${sizeMiB}mib`,
    label: `  readBundle (gunzip, tar, digests) ${sizeMiB} MiB`,
    unit: 'ms',
    subject: summarize(parts.subject),
    baseline: { label: 'gunzipSync alone', summary: summarize(parts.baseline) },
    ratio: summarize(parts.subject).median / summarize(parts.baseline).median,
  });
  if (sizeMiB === 12) {
    report.target({
      id: 'verify.12mib',
      description: 'verification of a 12 MiB bundle as the store keeps it (median)',
      value: plainFigure.subject.median,
      limit: 30,
      unit: 'ms',
      op: '<=',
      ratio: `${(plainFigure.ratio ?? 0).toFixed(2)}x node:crypto sha256 of its files`,
    });
    const signatureOnly = await samplePair(
      () => verifySignature(signature, host.trust),
      () => undefined,
      { warmup: 5, samples: pick(args, 200, 50) },
    );
    report.add({
      id: 'verify.signature',
      label: '  verifySignature (ed25519 over the content hash)',
      unit: 'ms',
      subject: summarize(signatureOnly.subject),
    });
  }

  const flat = filler(noop.component, total);
  const hashes = await samplePair(
    () => nobleSha256(flat),
    () => createHash('sha256').update(flat).digest(),
    options,
  );
  report.add({
    id: `verify.sha256.noble.${sizeMiB}mib`,
    label: `sha256 @noble/hashes ${sizeMiB} MiB`,
    unit: 'ms',
    subject: summarize(hashes.subject),
    baseline: { label: 'node:crypto', summary: summarize(hashes.baseline) },
    ratio: summarize(hashes.subject).median / summarize(hashes.baseline).median,
  });
}

report.note(
  'Bundles are the noop fixture manifest, its real 12 MiB component (cut to 1 MiB for the smallest) and UI assets made of repeated component bytes in 12 MiB files, so gzip sees wasm-like data.',
);
report.note(
  'The host hashes with node:crypto (OpenSSL, SHA-NI where the CPU has it); @noble/hashes stays the portable choice for code without native crypto (browsers, the guest).',
);
await report.finish();
await host.close();
