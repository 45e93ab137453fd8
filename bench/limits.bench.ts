// Limits: how late the client's 504 comes after a handler's deadline, how long a guest that
// grows its memory without bound takes to be stopped at the cap, and how long a worker killed
// at a deadline takes to be replaced and serve again.
import { Worker } from 'node:worker_threads';
import { benchArgs, pick } from './lib/args';
import { createBenchHost } from './lib/fixtures';
import { Report } from './lib/report';
import { type BenchStack, createBenchStack, executeRequest } from './lib/stack';
import { samplePair, summarize } from './lib/stats';

const args = benchArgs();
const report = new Report('limits', 'Limits: deadline, memory cap, worker replacement', args.quick);
const samples = pick(args, 15, 3);
const DEADLINE_MS = 200;
const MIB = 1024 * 1024;
const MEMORY_CAP = 64 * MIB;

const host = await createBenchHost();
const ext = await host.publishAndInstall('limits', 'bench');
// The gateway hands its deadline to the runner (ExecuteRequest.limits.timeoutMs): the client's
// 504 is the gateway's timer, and the runner kills the worker at the deadline of the handler.
const common = { timeoutMs: DEADLINE_MS, memoryBytes: MEMORY_CAP } as const;
const pooled = await createBenchStack({ policy: 'fresh', ...common }, host);
// One isolate and no spare, so the request after a kill waits for the replacement: started
// ahead of the deadline (the default), or at the kill.
const single = await createBenchStack({ policy: 'reuse', size: 1, spares: 0, ...common }, host);
const singleAtKill = await createBenchStack(
  { policy: 'reuse', size: 1, spares: 0, replaceAheadMs: 0, ...common },
  host,
);
for (const stack of [pooled, single, singleAtKill]) await stack.runner.warm(ext.contentHash, ext);

const memoryOf = new Map<string, number>();
for (const stack of [pooled, single, singleAtKill]) {
  stack.runner.events.on('invocation:end', (event) => {
    memoryOf.set(event.context.requestId, event.memoryBytes);
  });
}

async function call(
  stack: BenchStack,
  path: string,
): Promise<{ status: number; ms: number; memory: number }> {
  const requestId = crypto.randomUUID();
  const started = performance.now();
  const response = await stack.gateway.fetch(
    stack.request(ext.extensionId, path, { headers: { 'x-request-id': requestId } }),
  );
  await response.arrayBuffer();
  const ms = performance.now() - started;
  return {
    status: response.status,
    ms,
    memory: memoryOf.get(response.headers.get('x-request-id') ?? requestId) ?? 0,
  };
}

function expectStatus(what: string, status: number, expected: number): void {
  if (status !== expected) throw new Error(`${what} answered ${status}, expected ${expected}`);
}

for (const stack of [pooled, single, singleAtKill]) await call(stack, '/noop');

// Deadline -> 504: time past the deadline, against how late a plain timer fires meanwhile.
const timeout = await samplePair(
  async () => {
    const answer = await call(pooled, '/loop');
    expectStatus('/loop', answer.status, 504);
  },
  () => new Promise((resolve) => setTimeout(resolve, DEADLINE_MS)),
  { warmup: 1, samples },
);
const late = summarize(timeout.subject.map((ms) => ms - DEADLINE_MS));
const timerLate = summarize(timeout.baseline.map((ms) => ms - DEADLINE_MS));
report.add({
  id: 'limits.timeout.late',
  label: `504 after the ${DEADLINE_MS} ms deadline (gateway.fetch, looping guest)`,
  unit: 'ms',
  subject: late,
  baseline: { label: `setTimeout(${DEADLINE_MS}) lateness`, summary: timerLate },
  // Lateness of a timer is near zero: the ratio compares the whole waits instead.
  ratio: summarize(timeout.subject).median / summarize(timeout.baseline).median,
  overhead: late.median - timerLate.median,
});
report.target({
  id: 'limits.timeout',
  description: 'client gets the 504 after the deadline (median, ms past it)',
  value: late.median,
  limit: 20,
  unit: 'ms',
  op: '<=',
  ratio: `timer lateness ${timerLate.median.toFixed(2)} ms`,
});

// Replacement: the request after a kill waits for the new worker.
const warmNoop: number[] = [];
const replaced: number[] = [];
const replacedAtKill: number[] = [];
const spawnFloor: number[] = [];
/** Runs `path` on the runner directly, with its own deadline (the gateway gives all the same). */
async function execute(stack: BenchStack, path: string, timeoutMs: number) {
  const request = executeRequest(ext, path, { timeoutMs });
  const started = performance.now();
  const response = await stack.runner.execute(request);
  const ms = performance.now() - started;
  return {
    status: response.status,
    code: response.error?.code ?? 'ok',
    ms,
    memory: memoryOf.get(request.context.requestId) ?? 0,
  };
}
/** Loops into the deadline on `stack`, then times the next request. */
async function afterKill(stack: BenchStack): Promise<number> {
  expectStatus('/loop', (await execute(stack, '/loop', DEADLINE_MS)).status, 504);
  const next = await execute(stack, '/noop', 30_000);
  expectStatus('/noop after a kill', next.status, 200);
  return next.ms;
}
for (let i = 0; i < samples; i++) {
  warmNoop.push((await execute(single, '/noop', 30_000)).ms);
  const pair = i % 2 === 0 ? [single, singleAtKill] : [singleAtKill, single];
  for (const stack of pair)
    (stack === single ? replaced : replacedAtKill).push(await afterKill(stack));
  const started = performance.now();
  const worker = new Worker('require("node:worker_threads").parentPort.postMessage(1)', {
    eval: true,
  });
  await new Promise((resolve) => worker.once('message', resolve));
  spawnFloor.push(performance.now() - started);
  await worker.terminate();
}
const replacedSummary = summarize(replaced);
const atKillSummary = summarize(replacedAtKill);
const floor = summarize(spawnFloor);
const aheadMs = DEADLINE_MS / 2;
report.compare({
  id: 'limits.replace.next-request',
  label: `runner: 504 -> next request answered (1 isolate, no spare; replacement started ${aheadMs} ms before the deadline)`,
  unit: 'ms',
  subject: replacedSummary,
  baseline: { label: 'replacement started at the kill', summary: atKillSummary },
});
report.compare({
  id: 'limits.replace.at-kill',
  label: '  runner: the same, replacement started at the kill (replaceAheadMs 0)',
  unit: 'ms',
  subject: atKillSummary,
  baseline: { label: 'bare Worker spawn to first message', summary: floor },
});
report.add({
  id: 'limits.replace.warm',
  label: '  runner: the same request on a warm isolate',
  unit: 'ms',
  subject: summarize(warmNoop),
});
report.target({
  id: 'limits.replace',
  description: 'killed worker replaced and serving (median, no spare)',
  value: replacedSummary.median,
  limit: 60,
  unit: 'ms',
  op: '<=',
  ratio: `${atKillSummary.median.toFixed(0)} ms started at the kill, ${(atKillSummary.median / floor.median).toFixed(1)}x a bare Worker spawn`,
});
const withSpare: number[] = [];
for (let i = 0; i < samples; i++) {
  expectStatus('/loop', (await call(pooled, '/loop')).status, 504);
  withSpare.push((await call(pooled, '/noop')).ms);
}
report.add({
  id: 'limits.replace.with-spare',
  label: 'kill -> next request answered (2 isolates + 1 spare, fresh)',
  unit: 'ms',
  subject: summarize(withSpare),
});

// Memory cap: a guest allocating 1 MiB arrays without end, against one that stops in time.
const GROW_MIB = 32;
const hog: number[] = [];
const grow: number[] = [];
const capToTrap: number[] = [];
let reached = 0;
for (let i = 0; i < samples; i++) {
  const base = await execute(pooled, '/noop', 30_000);
  const bounded = await execute(pooled, `/grow?mib=${GROW_MIB}`, 30_000);
  expectStatus('/grow', bounded.status, 200);
  const unbounded = await execute(pooled, '/hog', 30_000);
  if (unbounded.code !== 'MEMORY_LIMIT') throw new Error(`/hog ended with ${unbounded.code}`);
  hog.push(unbounded.ms);
  grow.push(bounded.ms);
  reached = unbounded.memory;
  // Fill rate from the bounded run; the hog's time past the moment it should have reached
  // the memory it ended at is the cost of stopping it there.
  const perByte = (bounded.ms - base.ms) / Math.max(1, bounded.memory - base.memory);
  capToTrap.push(unbounded.ms - base.ms - perByte * (unbounded.memory - base.memory));
}
const hogSummary = summarize(hog);
const growSummary = summarize(grow);
report.add({
  id: 'limits.memory.hog',
  label: `runner: unbounded growth -> MEMORY_LIMIT at the ${MEMORY_CAP / MIB} MiB cap`,
  unit: 'ms',
  subject: hogSummary,
  baseline: { label: `growing ${GROW_MIB} MiB and answering`, summary: growSummary },
  ratio: hogSummary.median / growSummary.median,
  note: `linear memory at the trap: ${(reached / MIB).toFixed(1)} MiB`,
});
report.add({
  id: 'limits.memory.cap-to-trap',
  label: '  estimated cap -> trap -> answer',
  unit: 'ms',
  subject: summarize(capToTrap),
});

report.note(
  `Deadline ${DEADLINE_MS} ms: the gateway answers 504 at its own deadline (counted from gateway.fetch) and passes the same deadline to the runner, which terminates the worker when the handler has run that long; the next request waits for that kill and the replacement. The runner starts the replacement of an invocation still running ${aheadMs} ms before its deadline (replaceAheadMs, 250 ms by default, at most half the deadline); the at-kill row turns that off.`,
);
report.note(
  "Cap -> trap is estimated: the bounded run gives the guest's fill rate (ms per byte of linear memory), and the time the hog took beyond reaching the memory it ended at is the cost of detecting the failed growth, trapping and answering.",
);
await report.finish();
for (const stack of [pooled, single, singleAtKill]) await stack.close();
await host.close();
