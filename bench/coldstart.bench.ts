// Cold start: (1) publish -> first response for a content hash the host has never run, in a
// running host; (2) first response after a process restart, with the on-disk transpile cache.
// Each publish sample publishes two components no cache keyed by bytes has seen: a new build
// of a known shape (new core module bytes: the code changed, the capabilities did not) and a new
// shape (a component-level section added: jco must run, as for a new capability set).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PackedBundle, type ProgramLoadedEvent, signBundle, verifyBundle } from '@alga/host';
import { benchArgs, pick } from './lib/args';
import { runScript } from './lib/child';
import { loadDirect, transpileInFreshWorker, witRequest } from './lib/direct';
import {
  buildFixture,
  createBenchHost,
  newBuildComponent,
  uniqueShapeComponent,
} from './lib/fixtures';
import { Report } from './lib/report';
import { createBenchStack, publishAndCall } from './lib/stack';
import { summarize } from './lib/stats';

const args = benchArgs();
const report = new Report('coldstart', 'Cold start', args.quick);
const samples = pick(args, 6, 2);
const restartSamples = pick(args, 5, 1);
const runId = Date.now().toString(36);
/** How long the runner's transpile worker waits for another job before it stops. */
const TRANSPILER_IDLE_MS = 30_000;

// (1) publish -> first response, in a host whose workers are already up.
const host = await createBenchHost();
const runnerDir = await mkdtemp(join(tmpdir(), 'alga-bench-cold-'));
const directDir = join(runnerDir, 'direct');
const stack = await createBenchStack({ policy: 'fresh', dataDir: join(runnerDir, 'runner') }, host);
const warmup = await host.publishAndInstall('limits', 'warmup');
const warmResponse = await stack.gateway.fetch(
  stack.request(warmup.extensionId, '/noop', { tenantId: 'warmup' }),
);
await warmResponse.arrayBuffer();
let instantiateMs = 0;
stack.runner.events.on('invocation:end', (event) => {
  instantiateMs = event.instantiateMs;
});
let lastLoad: ProgramLoadedEvent | undefined;
stack.runner.events.on('program:loaded', (event) => {
  lastLoad = event;
});

const noop = await buildFixture('noop');
// The noop shape has run once (a previous version), as it has for any extension's next build.
const previous = await publishAndCall(stack, noop, noop.component, '1.0.0', 'previous');
if (previous.firstResponseMs <= 0) throw new Error('the previous version did not answer');
const parts = {
  publish: [] as number[],
  firstResponse: [] as number[],
  knownShape: [] as number[],
  knownShapeBaseline: [] as number[],
  verify: [] as number[],
  transpileFresh: [] as number[],
  transpileLoaded: [] as number[],
  compile: [] as number[],
  instantiateRunner: [] as number[],
  runnerVerify: [] as number[],
  runnerGlue: [] as number[],
  runnerCompileWait: [] as number[],
  instantiate: [] as number[],
  call: [] as number[],
  direct: [] as number[],
};

/** Lets a load's work off the request path (records, pristine instances) finish before the next. */
const SETTLE_MS = 500;
const timedShapes: Array<{ component: Uint8Array; packed: PackedBundle }> = [];
for (let i = 0; i < samples; i++) {
  const rebuilt = await publishAndCall(
    stack,
    noop,
    newBuildComponent(noop.component, (Date.now() + i) % 65_536),
    `1.1.${i + 1}`,
    `rebuild-${i}`,
  );
  parts.knownShape.push(rebuilt.firstResponseMs);

  const component = uniqueShapeComponent(noop.component, `${runId}-${i}`);
  const { packed, publishMs, firstResponseMs } = await publishAndCall(
    stack,
    noop,
    component,
    `1.0.${i + 1}`,
    `cold-${i}`,
  );
  parts.publish.push(publishMs);
  parts.firstResponse.push(firstResponseMs);
  parts.instantiateRunner.push(instantiateMs);
  if (lastLoad?.origin !== 'jco') throw new Error(`a new shape loaded from ${lastLoad?.origin}`);
  parts.runnerVerify.push(lastLoad.verifyMs);
  parts.runnerGlue.push(lastLoad.transpileMs);
  parts.runnerCompileWait.push(lastLoad.compileWaitMs);
  timedShapes.push({ component, packed });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

// The same stages by hand, on the same bytes, one at a time, once every request is timed: jco
// run in this thread keeps its code compiled and optimised for the runner's transpile worker,
// which no host's own thread does.
for (const { component, packed } of timedShapes) {
  const signature = await signBundle(packed.bytes, host.signingKey);
  let started = performance.now();
  await verifyBundle(packed.bytes, signature, host.trust);
  parts.verify.push(performance.now() - started);
  parts.transpileFresh.push(await transpileInFreshWorker(component));
  const program = await loadDirect(component, directDir);
  parts.transpileLoaded.push(program.transpileMs);
  parts.compile.push(program.compileMs);
  started = performance.now();
  const instance = program.instantiate();
  parts.instantiate.push(performance.now() - started);
  started = performance.now();
  instance.handle(witRequest('GET', '/noop', undefined, 'noop'));
  parts.call.push(performance.now() - started);
  parts.direct.push(
    (parts.transpileLoaded.at(-1) ?? 0) +
      (parts.compile.at(-1) ?? 0) +
      (parts.instantiate.at(-1) ?? 0) +
      (parts.call.at(-1) ?? 0),
  );
  parts.knownShapeBaseline.push(
    (parts.compile.at(-1) ?? 0) + (parts.instantiate.at(-1) ?? 0) + (parts.call.at(-1) ?? 0),
  );
}
await stack.close();

const rebuiltFirst = summarize(parts.knownShape);
const rebuiltBaseline = summarize(parts.knownShapeBaseline);
const rebuiltFigure = report.compare({
  id: 'coldstart.publish.known-shape',
  label: 'publish -> first response, new build of a known shape (no jco run)',
  unit: 'ms',
  subject: rebuiltFirst,
  baseline: { label: 'in-thread compile+instantiate+call', summary: rebuiltBaseline },
});
const first = summarize(parts.firstResponse);
const direct = summarize(parts.direct);
const publishFigure = report.compare({
  id: 'coldstart.publish.first-response',
  label: 'publish -> first response, new shape (jco transpiles)',
  unit: 'ms',
  subject: first,
  baseline: { label: 'in-thread transpile+compile+instantiate+call', summary: direct },
});
report.add({
  id: 'coldstart.publish.publish',
  label: '  publish + install (verify, store, record)',
  unit: 'ms',
  subject: summarize(parts.publish),
});
const stages: Array<[string, string, number[]]> = [
  ['runner-verify', '  in the runner: read and verify the bundle', parts.runnerVerify],
  ['runner-glue', "  in the runner: glue (jco on the shape's skeleton)", parts.runnerGlue],
  [
    'runner-compile-wait',
    '  in the runner: compile, waited for after the glue',
    parts.runnerCompileWait,
  ],
  ['verify', '  stage: verifyBundle', parts.verify],
  [
    'transpile-worker',
    '  stage: jco transpile of the whole component in a new worker',
    parts.transpileFresh,
  ],
  [
    'transpile-loaded',
    '  stage: jco transpile of the whole component, jco already loaded',
    parts.transpileLoaded,
  ],
  ['compile', '  stage: WebAssembly.compile core modules', parts.compile],
  ['instantiate-runner', '  stage: instantiate in the runner worker', parts.instantiateRunner],
  ['instantiate', '  stage: instantiate in this thread', parts.instantiate],
  ['call', '  stage: first handle() call', parts.call],
];
for (const [id, label, values] of stages) {
  report.add({ id: `coldstart.stage.${id}`, label, unit: 'ms', subject: summarize(values) });
}
report.target({
  id: 'coldstart.publish',
  description: 'cold start after publish, to first response: new build of a known shape (median)',
  value: rebuiltFigure.subject.median,
  limit: 150,
  unit: 'ms',
  op: '<=',
  ratio: `${(rebuiltFigure.ratio ?? 0).toFixed(2)}x the in-thread stages`,
});
report.target({
  id: 'coldstart.publish.new-shape',
  description: 'cold start after publish, to first response: new shape, jco runs (median)',
  value: publishFigure.subject.median,
  limit: 150,
  unit: 'ms',
  op: '<=',
  ratio: `${(publishFigure.ratio ?? 0).toFixed(2)}x the in-thread stages`,
});

// (2) restart: a new process on the same data folders, the transpile cache on disk.
const restartHost = await createBenchHost();
const installed = await restartHost.publishAndInstall('noop', 'bench');
const primer = await createBenchStack(
  { policy: 'fresh', dataDir: join(restartHost.root, 'runner') },
  restartHost,
);
await primer.runner.warm(installed.contentHash, installed);
await primer.close();
await loadDirect(noop.component, join(restartHost.root, 'direct'));
await restartHost.close({ keepFiles: true });

interface RestartAnswer {
  status: number;
  firstResponseMs: number;
  respondedAt: number;
  sinceStartMs: number;
  instantiateMs?: number;
  load?: ProgramLoadedEvent;
  warmMs?: number;
  afterWarmMs?: number;
}
async function restart(mode: 'runner' | 'direct'): Promise<RestartAnswer & { processMs: number }> {
  const spawnedAt = performance.timeOrigin + performance.now();
  const answer = (await runScript('child-restart.ts', [
    restartHost.root,
    installed.extensionId,
    mode,
  ])) as RestartAnswer;
  if (answer.status !== 200) throw new Error(`restart (${mode}) answered ${answer.status}`);
  return { ...answer, processMs: answer.respondedAt - spawnedAt };
}
const restarts = {
  runner: [] as RestartAnswer[],
  direct: [] as RestartAnswer[],
  runnerProcess: [] as number[],
  directProcess: [] as number[],
};
for (let i = 0; i < restartSamples; i++) {
  const runner = await restart('runner');
  restarts.runner.push(runner);
  restarts.runnerProcess.push(runner.processMs);
  const directRun = await restart('direct');
  restarts.direct.push(directRun);
  restarts.directProcess.push(directRun.processMs);
}
const restartFirst = summarize(restarts.runner.map((run) => run.firstResponseMs));
const restartDirect = summarize(restarts.direct.map((run) => run.firstResponseMs));
const restartFigure = report.compare({
  id: 'coldstart.restart.first-response',
  label: 'restart: runner created -> first response (disk cache)',
  unit: 'ms',
  subject: restartFirst,
  baseline: { label: 'in-thread load from a disk transpile cache + call', summary: restartDirect },
});
const restartLoads = restarts.runner.map((run) => {
  if (run.load?.origin !== 'disk') throw new Error(`a restart loaded from ${run.load?.origin}`);
  return run.load;
});
const loadRows: Array<[string, string, (load: ProgramLoadedEvent) => number]> = [
  ['restart.verify', '  of which read and verify the bundle', (load) => load.verifyMs],
  [
    'restart.glue',
    '  of which glue and core modules from the disk cache',
    (load) => load.transpileMs,
  ],
  [
    'restart.compile-wait',
    '  of which compile, waited for after the glue',
    (load) => load.compileWaitMs,
  ],
];
for (const [id, label, part] of loadRows) {
  report.add({
    id: `coldstart.${id}`,
    label,
    unit: 'ms',
    subject: summarize(restartLoads.map(part)),
  });
}
report.add({
  id: 'coldstart.restart.instantiate',
  label: '  of which instantiate in the runner worker',
  unit: 'ms',
  subject: summarize(restarts.runner.map((run) => run.instantiateMs ?? 0)),
});
report.add({
  id: 'coldstart.restart.warm',
  label: '  second runner in that process: warm() (isolates, verify, compile, send)',
  unit: 'ms',
  subject: summarize(restarts.runner.map((run) => run.warmMs ?? 0)),
});
report.add({
  id: 'coldstart.restart.after-warm',
  label: '  then its first response',
  unit: 'ms',
  subject: summarize(restarts.runner.map((run) => run.afterWarmMs ?? 0)),
});
const processRunner = summarize(restarts.runnerProcess);
const processDirect = summarize(restarts.directProcess);
report.compare({
  id: 'coldstart.restart.process',
  label: 'restart: process spawn -> first response',
  unit: 'ms',
  subject: processRunner,
  baseline: { label: 'spawn -> in-thread first call', summary: processDirect },
});
report.target({
  id: 'coldstart.restart',
  description: 'first response after restart with the disk cache (median, from runner creation)',
  value: restartFigure.subject.median,
  limit: 100,
  unit: 'ms',
  op: '<=',
  ratio: `${(restartFigure.ratio ?? 0).toFixed(2)}x in-thread`,
});
// (3) a new shape once the transpile worker has stopped: publishes minutes apart, as most hosts
// see them. In a process of its own (this one runs jco in its own thread for the stages above).
const idleSamples = pick(args, 3, 0);
if (idleSamples > 0) {
  const idle = (await runScript('child-idle.ts', [
    String(TRANSPILER_IDLE_MS + 1_500),
    String(idleSamples),
  ])) as { firstInProcess: number; afterIdle: number[] };
  const afterIdle = summarize(idle.afterIdle);
  report.compare({
    id: 'coldstart.publish.after-idle',
    label: 'publish -> first response, new shape, the transpile worker stopped (idle)',
    unit: 'ms',
    subject: afterIdle,
    baseline: { label: 'new shape, transpile worker up', summary: first },
  });
  report.add({
    id: 'coldstart.publish.first-in-process',
    label: '  the first new shape in a new process (isolates and jco start)',
    unit: 'ms',
    subject: summarize([idle.firstInProcess]),
  });
}

report.note(
  "Each publish sample publishes two components no cache keyed by bytes has seen: a new build of a known shape (a data segment added to its core module: new data, same code and capabilities), whose glue comes from the transpile cache's shape record, and a new shape (a custom section added to the component and to its first core module), for which jco transpiles the shape's skeleton and the engine code compiles afresh. Samples are 0.5 s apart. Stages are re-measured by hand on the new-shape bytes once every request is timed (jco run in this process's thread would keep jco's code optimised for the runner's transpile worker); \"instantiate in the runner worker\" comes from the runner's invocation:end event.",
);
report.note(
  `Idle: a new process publishes a new shape, then waits ${(TRANSPILER_IDLE_MS + 1_500) / 1000} s before each of the next (the transpile worker stops after ${TRANSPILER_IDLE_MS / 1000} s idle), as a host whose publishes come minutes apart; not in --quick.`,
);
report.note(
  'Restart: a new process opens the SQLite registry, bundle store and runner data folder of an earlier host (the transpile cache filled) and answers one gateway request; spawn time includes Node start-up and loading @alga/host through tsx.',
);
await report.finish();
await host.close();
await rm(runnerDir, { recursive: true, force: true });
await rm(restartHost.root, { recursive: true, force: true });
