// Warm invoke overhead: gateway.fetch(Request) -> runner -> worker -> guest handle -> Response,
// in this process, against calling the same component's `handle` directly in this thread.
import { benchArgs, pick } from './lib/args';
import { startBareWorker, startSpinWorker } from './lib/bare-worker';
import { loadDirect, witRequest } from './lib/direct';
import { buildFixture, createBenchHost, jsonPayload } from './lib/fixtures';
import { Report } from './lib/report';
import { createBenchStack, executeRequest } from './lib/stack';
import { sample, samplePair, summarize, throughput } from './lib/stats';

const args = benchArgs();
const report = new Report('invoke', 'Warm invoke overhead (in process)', args.quick);
const samples = pick(args, 3000, 150);
const warmup = pick(args, 300, 50);
/**
 * Idle time between requests for the low-load figures (the "at low load"): longer than
 * one instantiation, so the worker can have the install's next spare ready (as the runner's
 * README figures assume).
 */
const LOW_LOAD_GAP_MS = 30;
const lowLoadSamples = pick(args, 300, 40);
const toUs = (values: number[]) => values.map((value) => value * 1000);

/** Adds a row in microseconds for a {@link samplePair} run (milliseconds). */
function addPair(
  row: { id: string; label: string; note?: string },
  pair: { subject: number[]; baseline: number[] },
  baselineLabel: string,
) {
  return report.compare({
    ...row,
    unit: 'us',
    subject: summarize(toUs(pair.subject)),
    baseline: { label: baselineLabel, summary: summarize(toUs(pair.baseline)) },
  });
}

const host = await createBenchHost();
const noop = await host.publishAndInstall('noop', 'bench');
const echo = await host.publishAndInstall('json', 'bench');
/**
 * A stack with both fixtures loaded, once its isolates have made their pristine instances:
 * background instantiation must not overlap the samples.
 */
async function warmStack(policy: 'reuse' | 'fresh') {
  const stack = await createBenchStack({ policy }, host);
  await stack.runner.warm(noop.contentHash, noop);
  await stack.runner.warm(echo.contentHash, echo);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return stack;
}
/** Long enough for every isolate to instantiate its pristine instances after a warm(). */
const SETTLE_MS = 1500;
// Reuse figures are taken before the fresh stack exists: a fresh request makes the next
// pristine instance in the background, which would slow whatever is sampled next.
const reuse = await warmStack('reuse');

const noopComponent = (await buildFixture('noop')).component;
const noopProgram = await loadDirect(noopComponent);
const bareWorker = await startBareWorker(noopComponent);
const direct = {
  noop: noopProgram.instantiate(),
  json: (await loadDirect((await buildFixture('json')).component)).instantiate(),
};
const payload = jsonPayload();
const payloadBytes = new TextEncoder().encode(payload);

async function viaGateway(stack: typeof reuse, path: string, body?: string): Promise<void> {
  const extensionId = path.startsWith('/noop') ? noop.extensionId : echo.extensionId;
  const response = await stack.gateway.fetch(
    stack.request(
      extensionId,
      path,
      body === undefined
        ? {}
        : { method: 'POST', body, headers: { 'content-type': 'application/json' } },
    ),
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`gateway answered ${response.status}: ${text}`);
}

function directCall(kind: 'noop' | 'json'): void {
  const response =
    kind === 'noop'
      ? direct.noop.handle(witRequest('GET', '/noop', undefined, 'noop'))
      : direct.json.handle(witRequest('POST', '/echo', payloadBytes, 'echo'));
  if (response.status !== 200) throw new Error(`direct call answered ${response.status}`);
}

const cases = [
  { id: 'noop', label: 'noop', path: '/noop', body: undefined, kind: 'noop' as const },
  { id: 'json', label: '10 KB JSON echo', path: '/echo', body: payload, kind: 'json' as const },
];
const medians: Record<string, number> = {};
async function policyRows(policy: 'reuse' | 'fresh', stack: typeof reuse): Promise<void> {
  for (const { id, label, path, body, kind } of cases) {
    const pair = await samplePair(
      () => viaGateway(stack, path, body),
      () => directCall(kind),
      { warmup, samples },
    );
    const subject = summarize(toUs(pair.subject));
    const baseline = summarize(toUs(pair.baseline));
    medians[`${policy}.${id}`] = subject.median;
    // Each policy's own paired baseline: the overhead compares samples taken side by side.
    medians[`${policy}.direct.${id}`] = baseline.median;
    report.compare({
      id: `invoke.${policy}.${id}`,
      label: `gateway.fetch ${policy} ${label}`,
      unit: 'us',
      subject,
      baseline: { label: 'direct handle()', summary: baseline },
    });
  }
}
await policyRows('reuse', reuse);

// Where the overhead goes: the runner alone (no Request/Response, no registry or routing).
const runnerOnly = await samplePair(
  () => reuse.runner.execute(executeRequest(noop, '/noop', { installId: 'bench-direct-runner' })),
  () => directCall('noop'),
  { warmup, samples },
);
addPair(
  { id: 'invoke.runner.noop', label: 'runner.execute reuse noop (no gateway)' },
  runnerOnly,
  'direct handle()',
);

// The floor of any host that keeps guests out of its main thread: the same call in a plain
// worker, one postMessage each way; then the runner's own share above that floor.
async function bareCall(): Promise<void> {
  const response = await bareWorker.call(witRequest('GET', '/noop', undefined, 'noop'));
  if (response.status !== 200) throw new Error(`bare worker answered ${response.status}`);
}
const bare = addPair(
  {
    id: 'invoke.bare-worker.noop',
    label: 'bare worker: handle() in a plain worker thread, one postMessage each way (no runner)',
  },
  await samplePair(bareCall, () => directCall('noop'), { warmup, samples }),
  'direct handle()',
);
const runnerOverBare = await samplePair(
  () => reuse.runner.execute(executeRequest(noop, '/noop', { installId: 'bench-direct-runner' })),
  bareCall,
  { warmup, samples },
);
addPair(
  { id: 'invoke.runner.over-bare', label: 'runner.execute reuse noop vs the bare worker' },
  runnerOverBare,
  'bare worker',
);
await bareWorker.close();

// Why a hand-off costs more here than a bare ping-pong suggests: how fast this thread wakes
// when a worker answers, after waits of one length in a row (no guest). On this VM a thread
// that keeps waiting longer than about 130 us wakes up much more slowly.
const SHORT_WAIT_US = 60;
const LONG_WAIT_US = 200;
const spinWorker = startSpinWorker();
async function wakeUps(busyUs: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await spinWorker.roundTrip(busyUs);
  const wakes: number[] = [];
  for (let i = 0; i < samples; i++) wakes.push(await spinWorker.roundTrip(busyUs));
  return wakes;
}
const shortWake = summarize(await wakeUps(SHORT_WAIT_US));
const longWake = summarize(await wakeUps(LONG_WAIT_US));
await spinWorker.close();
report.compare({
  id: 'invoke.wake.long',
  label: `wake-up of this thread when a worker answers after ${LONG_WAIT_US} us (no guest)`,
  unit: 'us',
  subject: longWake,
  baseline: { label: `after ${SHORT_WAIT_US} us`, summary: shortWake },
});

// Throughput in process: requests in flight through gateway.fetch, against direct calls in a loop.
const total = pick(args, 20_000, 1_500);
const rounds = pick(args, 5, 2);
const directRate: number[] = [];
for (let i = 0; i < rounds; i++) {
  directRate.push(
    (
      await throughput(async () => directCall('noop'), {
        concurrency: 1,
        total: Math.min(total, 20_000),
      })
    ).perSecond,
  );
}
const directRates = summarize(directRate);
for (const concurrency of [1, 8, 64]) {
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    rates.push(
      (await throughput(() => viaGateway(reuse, '/noop'), { concurrency, total })).perSecond,
    );
  }
  const summary = summarize(rates);
  const figure = report.add({
    id: `invoke.throughput.c${concurrency}`,
    label: `gateway.fetch reuse noop, ${concurrency} in flight`,
    unit: 'req/s',
    subject: summary,
    baseline: { label: 'direct handle() calls/s', summary: directRates },
    ratio: summary.median / directRates.median,
  });
  if (concurrency === 64) {
    report.target({
      id: 'invoke.throughput',
      description: 'in-process noop throughput, reuse (median of rounds, 64 in flight)',
      value: figure.subject.median,
      limit: 4000,
      unit: 'req/s',
      op: '>=',
      ratio: `${(figure.ratio ?? 0).toFixed(3)}x direct calls/s`,
    });
  }
}

const reuseNoop =
  (medians['reuse.noop'] ?? Number.NaN) - (medians['reuse.direct.noop'] ?? Number.NaN);
report.target({
  id: 'invoke.reuse.overhead',
  description: 'warm reuse overhead above the direct call (p50, noop)',
  value: reuseNoop,
  limit: 150,
  unit: 'us',
  op: '<=',
  ratio: `${((medians['reuse.noop'] ?? 0) / (medians['reuse.direct.noop'] ?? 1)).toFixed(1)}x direct; a bare worker adds ${Math.round(bare.overhead ?? Number.NaN)} us`,
});
const fresh = await warmStack('fresh');
await policyRows('fresh', fresh);

// Fresh against reuse, paired so both see the same moment of the machine: back to back, and
// at low load (a pause between requests, time for the worker to prepare the next spare).
let fromSpare = 0;
let freshServed = 0;
fresh.runner.events.on('invocation:end', (event) => {
  freshServed++;
  if (event.instantiateMs === 0) fromSpare++;
});
for (const [load, gapMs] of [
  ['low load', LOW_LOAD_GAP_MS],
  ['back to back', undefined],
] as const) {
  fromSpare = 0;
  freshServed = 0;
  const policies = await samplePair(
    () => viaGateway(fresh, '/noop'),
    () => viaGateway(reuse, '/noop'),
    {
      warmup: Math.min(warmup, 20),
      samples: gapMs === undefined ? samples : lowLoadSamples,
      ...(gapMs === undefined ? {} : { gapMs }),
    },
  );
  const spareShare = freshServed === 0 ? 0 : fromSpare / freshServed;
  const figure = addPair(
    {
      id: `invoke.fresh-vs-reuse.${gapMs === undefined ? 'busy' : 'low-load'}`,
      label: `gateway.fetch fresh noop vs reuse, ${load}`,
      note: `${Math.round(spareShare * 100)}% of fresh requests took a pristine instance`,
    },
    policies,
    'reuse',
  );
  if (gapMs !== undefined) {
    report.target({
      id: 'invoke.fresh.added',
      description: `fresh policy added latency over reuse (p50, ${gapMs} ms between requests)`,
      value: (figure.overhead ?? Number.NaN) / 1000,
      limit: 1,
      unit: 'ms',
      op: '<=',
      ratio: `${(figure.ratio ?? 0).toFixed(2)}x reuse`,
    });
  }
}

// Like for like: a fresh instance per request against a new instance + call in this thread.
const newInstance = await sample(
  () => {
    const response = noopProgram
      .instantiate()
      .handle(witRequest('GET', '/noop', undefined, 'noop'));
    if (response.status !== 200) throw new Error(`direct new instance answered ${response.status}`);
  },
  { warmup: 5, samples: lowLoadSamples, gapMs: 1 },
);
report.add({
  id: 'invoke.direct.new-instance',
  label: 'direct: new instance + handle() in this thread (fresh, like for like)',
  unit: 'us',
  subject: summarize(toUs(newInstance)),
});

// The floor of `fresh` even with a spare ready: the first call on an instance that has never
// run (made beforehand, not timed) against a call on a warm one, both in this thread.
const firstCalls: number[] = [];
const warmCalls: number[] = [];
for (let i = 0; i < lowLoadSamples; i++) {
  const instance = noopProgram.instantiate();
  await new Promise((resolve) => setTimeout(resolve, LOW_LOAD_GAP_MS));
  const request = witRequest('GET', '/noop', undefined, 'noop');
  let started = performance.now();
  instance.handle(request);
  firstCalls.push(performance.now() - started);
  started = performance.now();
  direct.noop.handle(request);
  warmCalls.push(performance.now() - started);
}
addPair(
  {
    id: 'invoke.direct.first-call',
    label: 'direct: first handle() on a never-run instance (made beforehand)',
  },
  { subject: firstCalls, baseline: warmCalls },
  'warm instance',
);

// Process isolation (child processes instead of worker threads), runner.execute alone.
const processStacks = {
  reuse: await createBenchStack(
    { policy: 'reuse', runner: { isolation: { mode: 'process', size: 2, spares: 1 } } },
    host,
  ),
  fresh: await createBenchStack(
    { policy: 'fresh', runner: { isolation: { mode: 'process', size: 2, spares: 1 } } },
    host,
  ),
};
for (const [policy, stack] of Object.entries(processStacks)) {
  await stack.runner.warm(noop.contentHash, noop);
  const pair = await samplePair(
    async () => {
      const answer = await stack.runner.execute(
        executeRequest(noop, '/noop', { installId: `bench-process-${policy}` }),
      );
      if (answer.status !== 200) throw new Error(`process runner answered ${answer.status}`);
    },
    () => directCall('noop'),
    policy === 'fresh'
      ? { warmup: 10, samples: lowLoadSamples, gapMs: LOW_LOAD_GAP_MS }
      : { warmup, samples },
  );
  addPair(
    {
      id: `invoke.process.${policy}`,
      label: `runner.execute ${policy} noop, process isolation${policy === 'fresh' ? ', low load' : ''}`,
    },
    pair,
    'direct handle()',
  );
  await stack.close();
}

report.note(
  'Overhead = subject median minus direct-call median, both sampled alternately in the same run. The direct call is the same component transpiled by jco and called in this thread (preview2-shim WASI, no worker).',
);
report.note(
  'Gateway path: Request -> identity -> rate limiter (on, limits far above the load) -> resolveInstall (cached) -> manifest route -> runner (scheduler, worker pool, postMessage) -> response policy -> Response; the body is read by the caller.',
);
await report.finish();
await reuse.close();
await fresh.close();
await host.close();
