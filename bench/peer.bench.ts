// Peer: per-call cost of the Alga runner against the Extism JS SDK (worker mode) on the same
// workloads: noop ("ok") and a 10 KB JSON body echoed as bytes. The Extism plugin is WAT
// written against the Extism kernel ABI and compiled with wabt; each engine is also timed in
// its own thread, so each engine's host overhead is its worker figure minus its thread figure.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { benchArgs, pick } from './lib/args';
import { loadDirect, witRequest } from './lib/direct';
import { buildFixture, createBenchHost, jsonPayload } from './lib/fixtures';
import { BENCH_DIR, Report } from './lib/report';
import { createBenchStack, executeRequest } from './lib/stack';
import { sample, summarize } from './lib/stats';

const args = benchArgs();
const report = new Report('peer', 'Peer: Alga runner vs Extism JS SDK (per call)', args.quick);
const rounds = pick(args, 10, 3);
const perBlock = pick(args, 300, 100);
const payload = jsonPayload();
const payloadBytes = new TextEncoder().encode(payload);

const extism: ChildProcess = spawn(
  process.execPath,
  ['--no-warnings', join(BENCH_DIR, 'lib', 'child-extism.mjs')],
  { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
);
await once(extism, 'message');
async function extismBlock(
  mode: 'worker' | 'thread',
  fn: 'noop' | 'echo',
  warmup: number,
): Promise<number[]> {
  extism.send({ mode, fn, input: fn === 'noop' ? '' : payload, samples: perBlock, warmup });
  const [answer] = (await once(extism, 'message')) as [{ times?: number[]; error?: string }];
  if (answer.times === undefined)
    throw new Error(answer.error ?? 'no answer from the Extism child');
  return answer.times;
}

const host = await createBenchHost();
const noop = await host.publishAndInstall('noop', 'bench');
const json = await host.publishAndInstall('json', 'bench');
const stack = await createBenchStack({ policy: 'reuse' }, host);
await stack.runner.warm(noop.contentHash, noop);
await stack.runner.warm(json.contentHash, json);
const direct = {
  noop: (await loadDirect((await buildFixture('noop')).component)).instantiate(),
  echo: (await loadDirect((await buildFixture('json')).component)).instantiate(),
};

/** Fails the run when an answer is not the expected one: a fast error is not a fast call. */
function check(answer: { status: number; body: Uint8Array }, bytes: number): void {
  if (answer.status !== 200 || answer.body.byteLength !== bytes) {
    const text = new TextDecoder().decode(answer.body).slice(0, 300);
    throw new Error(`answered ${answer.status} (${answer.body.byteLength} bytes): ${text}`);
  }
}
const workloads = {
  noop: {
    label: 'noop',
    runner: async () =>
      check(await stack.runner.execute(executeRequest(noop, '/noop', { handler: 'noop' })), 2),
    thread: () => check(direct.noop.handle(witRequest('GET', '/noop', undefined, 'noop')), 2),
  },
  echo: {
    label: '10 KB JSON bytes echo',
    runner: async () =>
      check(
        await stack.runner.execute(
          executeRequest(json, '/raw', { body: payloadBytes, handler: 'raw' }),
        ),
        payloadBytes.byteLength,
      ),
    thread: () =>
      check(
        direct.echo.handle(witRequest('POST', '/raw', payloadBytes, 'raw')),
        payloadBytes.byteLength,
      ),
  },
};

for (const [fn, workload] of Object.entries(workloads) as Array<
  ['noop' | 'echo', (typeof workloads)['noop']]
>) {
  const times = {
    algaWorker: [] as number[],
    algaThread: [] as number[],
    extismWorker: [] as number[],
    extismThread: [] as number[],
  };
  for (let round = 0; round < rounds; round++) {
    const warmup = round === 0 ? 50 : 5;
    times.algaWorker.push(...(await sample(workload.runner, { warmup, samples: perBlock })));
    times.extismWorker.push(...(await extismBlock('worker', fn, warmup)));
    times.algaThread.push(...(await sample(workload.thread, { warmup, samples: perBlock })));
    times.extismThread.push(...(await extismBlock('thread', fn, warmup)));
  }
  const us = (values: number[]) => summarize(values.map((ms) => ms * 1000));
  const algaWorker = us(times.algaWorker);
  const algaThread = us(times.algaThread);
  const extismWorker = us(times.extismWorker);
  const extismThread = us(times.extismThread);
  report.compare({
    id: `peer.${fn}.alga-vs-extism`,
    label: `${workload.label}: Alga runner.execute (worker)`,
    unit: 'us',
    subject: algaWorker,
    baseline: { label: 'Extism plugin.call, runInWorker', summary: extismWorker },
  });
  report.compare({
    id: `peer.${fn}.alga`,
    label: `  Alga worker vs its own thread (host overhead)`,
    unit: 'us',
    subject: algaWorker,
    baseline: { label: 'handle() in this thread', summary: algaThread },
  });
  report.compare({
    id: `peer.${fn}.extism`,
    label: `  Extism worker vs its own thread (host overhead)`,
    unit: 'us',
    subject: extismWorker,
    baseline: { label: 'plugin.call, in thread', summary: extismThread },
  });
}

report.note(
  "Fair in what it compares: the host engines' per-call overhead (worker minus own thread) on the same inputs and outputs. Not fair as a guest comparison: the Alga guest is SpiderMonkey running a TypeScript handler through @alga/runtime; the Extism guest is a few lines of hand-written WAT. Neither side parses the JSON (the Alga side uses the fixture's /raw route).",
);
report.note(
  "The Extism SDK runs in its own plain Node process (tsx's source maps break its data: URL worker); blocks of calls alternate between the two processes, one idle while the other measures.",
);
await report.finish();
extism.disconnect();
await stack.close();
await host.close();
