// Runner overhead: a warm call (`reuse` instance), a fresh-instance call (`fresh`, with spares)
// and a new version of an already transpiled component (new content hash: verify, compile,
// instantiate; the transpile cache is keyed by the component), in worker and
// process isolation, each against calling the same component's `handle` directly in one
// thread. Its fixture is bench/fixtures/runner-noop; figures go to bench/results/latest.json
// (area `runner`) and docs/performance.md like every other area. Flags: --quick.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExtension } from '@alga/cli';
import {
  createPinoLogger,
  createRunner,
  type EmbeddedRunner,
  type ExecuteRequest,
  FsBundleStore,
  generateSigningKey,
  type IsolationMode,
  loadTrustBundle,
  packBundle,
  signBundle,
} from '@alga/host';
import { benchArgs } from './lib/args';
import { type DirectComponent, witRequest as directRequest, loadDirect } from './lib/direct';
import { Report } from './lib/report';
import { summarize } from './lib/stats';

const { quick } = benchArgs();
const N = quick ? 200 : 2_000;
const COLD = quick ? 1 : 4;
const here = new URL('.', import.meta.url).pathname;
const fixture = join(here, 'fixtures', 'runner-noop');
const report = new Report('runner', 'Runner overhead: worker and process isolation', quick);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the component, built by alga build, packed and signed --------------------------------
const built = await buildExtension({ dir: fixture });
const component = await readFile(built.componentPath);
const manifest = JSON.parse(await readFile(join(fixture, 'manifest.json'), 'utf8')) as Record<
  string,
  unknown
>;
const root = await mkdtemp(join(tmpdir(), 'alga-runner-bench-'));
const store = new FsBundleStore({ root: join(root, 'bundles') });
const key = await generateSigningKey();
const trust = loadTrustBundle({
  keys: [{ kid: key.keyId, publicKey: key.publicKeyDocument().publicKey, publisher: 'alga-bench' }],
});
const signatures = new Map<string, unknown>();

async function publish(version: string): Promise<{ contentHash: string; version: string }> {
  const packed = await packBundle({
    'manifest.json': new TextEncoder().encode(JSON.stringify({ ...manifest, version })),
    'dist/component.wasm': component,
  });
  await store.put(packed.bytes);
  signatures.set(packed.contentHash, await signBundle(packed.bytes, key));
  return { contentHash: packed.contentHash, version };
}

function request(
  bundle: { contentHash: string; version: string },
  policy: 'fresh' | 'reuse',
): ExecuteRequest {
  return {
    context: {
      requestId: randomUUID(),
      tenantId: 'bench',
      extensionId: String(manifest.name),
      installId: 'bench-install',
      version: bundle.version,
      contentHash: bundle.contentHash,
    },
    http: { method: 'GET', path: '/', query: [], headers: [], body: new Uint8Array(), kind: 'api' },
    config: {},
    grants: ['cap:context.read'],
    egress: [],
    instancePolicy: policy,
  };
}

// --- the baseline: the same component called directly in this thread -----------------------
type Handle = DirectComponent['handle'];

/** A cold direct load (transpile, compile, import, instantiate, first call) into a new folder. */
async function loadDirectCold(): Promise<{ instantiate: () => Handle; loadMs: number }> {
  const started = performance.now();
  const program = await loadDirect(component, join(root, `direct-${randomUUID()}`), {
    'alga:extension/context': { get: () => ({}) },
  });
  const instantiate = (): Handle => program.instantiate().handle;
  instantiate()(witRequest);
  return { instantiate, loadMs: performance.now() - started };
}

const witRequest = directRequest('GET', '/');

const rows: Array<{ name: string; samples: number[]; baseline: string }> = [];
const direct = await loadDirectCold();
{
  const handle = direct.instantiate();
  const warm: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    handle(witRequest);
    warm.push(performance.now() - t);
  }
  rows.push({ name: 'direct: warm call', samples: warm, baseline: 'direct: warm call' });
  const fresh: number[] = [];
  for (let i = 0; i < N / 4; i++) {
    const t = performance.now();
    direct.instantiate()(witRequest);
    fresh.push(performance.now() - t);
    // One macrotask between instances, as between requests: lets V8 collect the old ones.
    await pause(0);
  }
  rows.push({
    name: 'direct: new instance + call',
    samples: fresh,
    baseline: 'direct: warm call',
  });
  const cold: number[] = [];
  for (let i = 0; i < COLD; i++) cold.push((await loadDirectCold()).loadMs);
  rows.push({
    name: 'direct: cold (transpile+compile+instantiate+call)',
    samples: cold,
    baseline: 'direct: warm call',
  });
}

// --- the runner -----------------------------------------------------------------------------
async function measure(
  runner: EmbeddedRunner,
  bundle: { contentHash: string; version: string },
  policy: 'fresh' | 'reuse',
  gapMs: number,
) {
  for (let i = 0; i < 20; i++) await runner.execute(request(bundle, policy));
  const samples: number[] = [];
  for (let i = 0; i < N / (policy === 'fresh' ? 4 : 1); i++) {
    const t = performance.now();
    const response = await runner.execute(request(bundle, policy));
    samples.push(performance.now() - t);
    if (response.status !== 200)
      throw new Error(`bench request failed: ${response.status} ${response.error?.code}`);
    if (gapMs > 0) await pause(gapMs);
  }
  return samples;
}

let versionCounter = 0;
for (const mode of ['worker', 'process'] as IsolationMode[]) {
  const dataDir = join(root, `data-${mode}`);
  const options = {
    store,
    trust,
    signatures: async (hash: string) => signatures.get(hash),
    dataDir,
    isolation: { mode, size: 2, spares: 1 },
    logger: createPinoLogger('silent'),
  };
  const runner = createRunner(options);
  const bundle = await publish('1.0.0');
  await runner.warm(bundle.contentHash);
  rows.push({
    name: `${mode}: warm call (reuse)`,
    samples: await measure(runner, bundle, 'reuse', 0),
    baseline: 'direct: warm call',
  });
  // The worker makes the program's next pristine instance after answering (one instantiation,
  // ~25 ms here): 30 ms between requests leaves it time to, back to back does not.
  rows.push({
    name: `${mode}: fresh instance (spare ready)`,
    samples: await measure(runner, bundle, 'fresh', 30),
    baseline: 'direct: new instance + call',
  });
  rows.push({
    name: `${mode}: fresh instance (back to back)`,
    samples: await measure(runner, bundle, 'fresh', 0),
    baseline: 'direct: new instance + call',
  });
  const cold: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const fresh = await publish(`1.0.${++versionCounter}`);
    const t = performance.now();
    const response = await runner.execute(request(fresh, 'fresh'));
    cold.push(performance.now() - t);
    if (response.status !== 200) throw new Error(`cold request failed: ${response.error?.code}`);
  }
  rows.push({
    name: `${mode}: new version, same component (verify+compile, transpile cached)`,
    samples: cold,
    baseline: 'direct: cold (transpile+compile+instantiate+call)',
  });
  await runner.close();
  // A restart: the transpiled output is on disk, so only verify + compile + instantiate remain.
  const restarted = createRunner(options);
  const restartSamples: number[] = [];
  const t = performance.now();
  const first = await restarted.execute(request(bundle, 'fresh'));
  restartSamples.push(performance.now() - t);
  if (first.status !== 200) throw new Error(`restart request failed: ${first.error?.code}`);
  rows.push({
    name: `${mode}: cold start after restart (transpile cached)`,
    samples: restartSamples,
    baseline: 'direct: cold (transpile+compile+instantiate+call)',
  });
  await restarted.close();
}

const byName = new Map(rows.map((row) => [row.name, summarize(row.samples)]));
const warmDirect = byName.get('direct: warm call');
for (const row of rows) {
  const subject = summarize(row.samples);
  const like = byName.get(row.baseline);
  const id = row.name.replace(/[^a-z0-9]+/g, '-').replace(/-+$/, '');
  report.add({
    id: `runner.${id}`,
    label: row.name,
    unit: 'ms',
    subject,
    ...(like === undefined || row.baseline === row.name
      ? {}
      : {
          baseline: { label: row.baseline, summary: like },
          ratio: subject.median / like.median,
          overhead: subject.median - like.median,
        }),
    ...(warmDirect === undefined
      ? {}
      : { note: `${(subject.median / warmDirect.median).toFixed(1)}x direct warm call` }),
  });
}
report.note(
  'Baselines are like for like: a warm call against a direct warm call, a fresh instance against a direct new instance + call, a cold start against a direct transpile + compile + instantiate + call. Fresh with a spare ready leaves 30 ms between requests; back to back leaves none.',
);
await report.finish();
