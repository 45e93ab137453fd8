import {
  type MessagePort,
  parentPort,
  receiveMessageOnPort,
  workerData,
} from 'node:worker_threads';
import { applyDataImage, type DataImage, MEMORY_IMPORT } from '../engine/data-image';
import { lowerPriority } from '../pool/priority';
import { createMinimalWasi, linkClockDirectly } from '../wasi/minimal';
import { type Glue, type Instantiate, loadGlue } from './glue';
import { type HeldMemory, LinearMemories } from './memories';
import {
  type CallResult,
  type FromWorker,
  type InvokeMessage,
  type InvokeOutcome,
  type LoadMessage,
  STARTED_AT_INDEX,
  STARTED_ID_INDEX,
  type ToWorker,
  type WitIncomingRequest,
  type WitOutgoingResponse,
} from './protocol';

/**
 * Worker-thread entry: holds compiled programs and guest instances, runs one invocation at a
 * time, and turns each host import into a synchronous call to the trusted side.
 */

interface Loaded {
  /** A new evaluation of the glue's `instantiate` for each instance (see `loadGlue`). */
  readonly glue: Glue;
  /** The one evaluation that instances made for `fresh` requests share (see {@link Evaluation}). */
  shared?: Instantiate;
  readonly modules: ReadonlyMap<string, WebAssembly.Module>;
  /** Data each module was compiled without, written into its instances when they are made. */
  readonly images: ReadonlyMap<WebAssembly.Module, DataImage>;
  readonly memoryBytes: number;
}

interface GuestInstance {
  readonly installKey: string;
  readonly programId: string;
  readonly handle: (request: WitIncomingRequest) => WitOutgoingResponse;
  readonly memory: () => number;
  /** The memories this isolate handed the instance (taken back when it retires). */
  readonly held: readonly HeldMemory[];
  uses: number;
}

interface Current {
  readonly id: number;
  stdioLeft: number;
  /** Output was dropped at the budget (reported once). */
  truncated: boolean;
  sawOutOfMemory: boolean;
  sawEventLoopRunDry: boolean;
  readonly pending: { stdout: string; stderr: string };
}

/** Programs that keep a pristine instance on this worker (most recently used first to stay). */
const MAX_PRISTINE = 4;
/** Memories of retired instances kept for new ones (each holds a build's initial memory). */
const MAX_SPARE_MEMORIES = 2;
/** Instances of an install not served for this long are dropped. */
const IDLE_MS = 5 * 60_000;

/** How close to its cap a guest's memory must stand to count as exhausted: two growth steps. */
const EXHAUSTED_SLACK = 2 * 1_048_576;

const port = parentPort;
if (port === null) throw new TypeError('the runner worker entry must run in a worker thread');
const boot = workerData as {
  flag: SharedArrayBuffer;
  replyPort: MessagePort;
  interfaces: Record<string, string[]>;
  maxInstances: number;
  codeCacheDir?: string;
  postStarted?: boolean;
  niceness?: number;
};
lowerPriority(boot.niceness, false);
const flag = new Int32Array(boot.flag);
const startedAt = new Float64Array(boot.flag);

/** Records that invocation `id` starts now: in shared memory, and by message when asked. */
function markStarted(id: number): void {
  const at = performance.timeOrigin + performance.now();
  startedAt[STARTED_AT_INDEX] = at;
  // The atomic store orders the time before the id for a reader that loads the id atomically.
  Atomics.store(flag, STARTED_ID_INDEX, id);
  if (boot.postStarted === true) post({ type: 'started', id, at });
}
const programs = new Map<string, Promise<Loaded>>();
// Map order is recency order: the first entry is the least recently used.
const instances = new Map<string, GuestInstance>();
/**
 * One instance per loaded program that has never served a request, so it can become any
 * install's: the next install (or `fresh` request) takes it instead of instantiating while its
 * client waits, and another is made once the queue has served what was waiting. Map order is
 * recency order.
 */
const pristine = new Map<string, GuestInstance>();
/** Programs whose latest request for a new instance was `fresh`: their next instance shares. */
const servingFresh = new Set<string>();
const memories = new LinearMemories(MAX_SPARE_MEMORIES);
let current: Current | undefined;
let queue: Promise<void> = Promise.resolve();

function post(message: FromWorker): void {
  port?.postMessage(message);
}

const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };

function flushStdio(stream: 'stdout' | 'stderr', all: boolean): void {
  if (current === undefined) return;
  const buffered = current.pending[stream];
  const cut = all ? buffered.length : buffered.lastIndexOf('\n') + 1;
  if (cut === 0) return;
  current.pending[stream] = buffered.slice(cut);
  const text = buffered.slice(0, cut);
  if (current.stdioLeft <= 0) return;
  const kept = text.length > current.stdioLeft ? text.slice(0, current.stdioLeft) : text;
  current.stdioLeft -= kept.length;
  post({ type: 'stdio', id: current.id, stream, text: kept, truncated: kept.length < text.length });
}

/**
 * What the guest engine (StarlingMonkey) prints before it traps when its event loop has nothing
 * left to run and the handler's promise is still pending: a promise nothing will ever settle.
 */
const EVENT_LOOP_RAN_DRY = 'event loop error, but no exception is pending';

const wasi = createMinimalWasi((stream, bytes) => {
  if (current === undefined) return;
  const text = decoders[stream].decode(bytes, { stream: true });
  if (stream === 'stderr' && text.includes('out of memory')) current.sawOutOfMemory = true;
  if (stream === 'stderr' && text.includes(EVENT_LOOP_RAN_DRY)) current.sawEventLoopRunDry = true;
  // Past the budget nothing is buffered either, so a chatty guest cannot grow worker memory.
  if (current.stdioLeft <= 0) {
    if (!current.truncated) {
      current.truncated = true;
      post({ type: 'stdio', id: current.id, stream, text: '', truncated: true });
    }
    return;
  }
  current.pending[stream] += text;
  flushStdio(stream, current.pending[stream].length >= current.stdioLeft);
});

function callHost(iface: string, fn: string, args: unknown[]): unknown {
  if (current === undefined) {
    throw Object.assign(new Error(`${iface}.${fn} called outside an invocation`), {
      payload: { tag: 'unavailable', val: 'host calls are only served while a request runs' },
    });
  }
  Atomics.store(flag, 0, 0);
  post({ type: 'call', id: current.id, iface, fn, args });
  // No timeout here: the trusted side terminates this worker when the deadline passes.
  Atomics.wait(flag, 0, 0);
  const received = receiveMessageOnPort(boot.replyPort);
  const result = received?.message as CallResult | undefined;
  if (result === undefined) {
    throw Object.assign(new Error(`${iface}.${fn}: no answer from the host`), {
      payload: { tag: 'unavailable', val: 'the host did not answer' },
    });
  }
  if ('err' in result) {
    throw Object.assign(new Error(`${iface}.${fn}: ${result.err.tag}: ${result.err.val}`), {
      payload: result.err,
    });
  }
  return result.ok;
}

function hostImports(): Record<string, Record<string, unknown>> {
  const imports: Record<string, Record<string, unknown>> = { ...wasi };
  for (const [iface, functions] of Object.entries(boot.interfaces)) {
    const table: Record<string, unknown> = {};
    for (const fn of functions) table[fn] = (...args: unknown[]) => callHost(iface, fn, args);
    imports[iface] = table;
  }
  return imports;
}

async function load(message: LoadMessage): Promise<Loaded> {
  return {
    glue: await loadGlue(message.glueUrl, boot.codeCacheDir, message.glueScript),
    modules: new Map(message.modules.map((entry) => [entry.name, entry.module])),
    images: new Map(
      message.modules.flatMap((entry) =>
        entry.image === undefined ? [] : [[entry.module, entry.image] as const],
      ),
    ),
    memoryBytes: message.memoryPages * 65_536,
  };
}

/**
 * Which evaluation of the glue an instance runs. An instance kept for many requests (`reuse`)
 * gets its own, so V8's type feedback stays its own and its warm calls stay fast. An instance
 * that serves one request (`fresh`) shares one: its first call then runs glue V8 has already
 * compiled and seen run, instead of taking a miss at every property access of a new evaluation
 * (0.2 ms of a first call in one thread; 60-90 µs of a `fresh` request through the runner).
 */
type Evaluation = 'own' | 'shared';

/** The evaluation for `programId`'s next instance: shared while its last one went to `fresh`. */
function evaluationFor(programId: string): Evaluation {
  return servingFresh.has(programId) ? 'shared' : 'own';
}

function evaluate(loaded: Loaded, evaluation: Evaluation): Instantiate {
  if (evaluation === 'own') return loaded.glue.next();
  loaded.shared ??= loaded.glue.next();
  return loaded.shared;
}

function instantiate(
  loaded: Loaded,
  installKey: string,
  programId: string,
  evaluation: Evaluation,
): GuestInstance {
  const exported: WebAssembly.Memory[] = [];
  const held: HeldMemory[] = [];
  const exports = evaluate(loaded, evaluation)(
    (name) => {
      const module = loaded.modules.get(name);
      if (module === undefined) throw new TypeError(`core module ${name} was not loaded`);
      return module;
    },
    hostImports(),
    (module, imports) => {
      const image = loaded.images.get(module);
      const supplied = image?.memory === undefined ? undefined : memories.take(image.memory, image);
      if (supplied !== undefined) held.push(supplied);
      const instance = new WebAssembly.Instance(
        module,
        linkClockDirectly(
          supplied === undefined
            ? imports
            : { ...imports, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: supplied.memory } },
        ),
      );
      if (image !== undefined && supplied === undefined) applyDataImage(instance, image);
      for (const value of Object.values(instance.exports)) {
        if (value instanceof WebAssembly.Memory) exported.push(value);
      }
      return instance;
    },
  );
  const handler = (exports.handler ?? exports['alga:extension/handler@1.0.0']) as
    | { handle?: unknown }
    | undefined;
  const handle = handler?.handle;
  if (typeof handle !== 'function')
    throw new TypeError('the component does not export alga:extension/handler');
  return {
    installKey,
    programId,
    handle: handle as GuestInstance['handle'],
    memory: () => exported.reduce((max, memory) => Math.max(max, memory.buffer.byteLength), 0),
    held,
    uses: 0,
  };
}

function remember(slot: string, instance: GuestInstance, maxInstances: number): void {
  instances.delete(slot);
  instances.set(slot, instance);
  while (instances.size > maxInstances) {
    const oldest = instances.keys().next();
    if (oldest.done === true) break;
    instances.delete(oldest.value);
  }
}

/** Makes a pristine instance of `programId` once the invocations queued so far are served. */
function preparePristine(programId: string): void {
  queue = queue.then(async () => {
    const loaded = programs.get(programId);
    if (pristine.has(programId) || loaded === undefined) return;
    try {
      pristine.set(programId, instantiate(await loaded, '', programId, evaluationFor(programId)));
    } catch {
      // Not kept: a request for the program instantiates itself and reports the error.
      return;
    }
    while (pristine.size > MAX_PRISTINE) {
      const oldest = pristine.entries().next();
      if (oldest.done === true) break;
      pristine.delete(oldest.value[0]);
      for (const memory of oldest.value[1].held) memories.retire(memory);
    }
  });
}

/**
 * Gives up another program's pristine instance (the least recently made first) for its memory
 * when no retired one fits an instance of `program`: the client waiting now comes before a guess
 * that the other program is asked for next.
 */
function reclaimPristineMemory(program: Loaded, programId: string): void {
  for (const image of program.images.values()) {
    if (image.memory === undefined) continue;
    const others = [...pristine].filter(([otherId]) => otherId !== programId);
    const givenUp = memories.reclaim(image.memory, others);
    if (givenUp !== undefined) pristine.delete(givenUp);
  }
}

/** Takes the pristine instance of `programId` for `installKey`, if there is one. */
function takePristine(
  programId: string,
  installKey: string,
  policy: InvokeMessage['policy'],
): GuestInstance | undefined {
  if (policy === 'fresh') servingFresh.add(programId);
  else servingFresh.delete(programId);
  const spare = pristine.get(programId);
  if (spare === undefined) return undefined;
  pristine.delete(programId);
  return { ...spare, installKey };
}

function responseBytes(response: WitOutgoingResponse): number {
  let bytes = response.body.byteLength;
  for (const header of response.headers) bytes += header.name.length + header.value.length + 4;
  return bytes;
}

/** When each install was last served here. */
const lastServed = new Map<string, number>();

/** Drops instances and records of installs not served for {@link IDLE_MS}. */
function sweep(now: number): void {
  for (const [key, at] of lastServed) {
    if (now - at < IDLE_MS) continue;
    lastServed.delete(key);
    for (const slot of [...instances.keys()]) {
      if (instances.get(slot)?.installKey === key) instances.delete(slot);
    }
  }
}

async function invoke(message: InvokeMessage): Promise<void> {
  const now = Date.now();
  sweep(now);
  lastServed.set(message.installKey, now);
  const loaded = programs.get(message.programId);
  const slot = `${message.policy}\u0000${message.installKey}`;
  const state: Current = {
    id: message.id,
    stdioLeft: message.maxStdioBytes,
    truncated: false,
    sawOutOfMemory: false,
    sawEventLoopRunDry: false,
    pending: { stdout: '', stderr: '' },
  };
  let instance: GuestInstance | undefined;
  let program: Loaded | undefined;
  let instantiateMs = 0;
  let outcome: InvokeOutcome;
  try {
    if (loaded === undefined) throw new TypeError(`program ${message.programId} was not loaded`);
    program = await loaded;
    markStarted(message.id);
    const held = instances.get(slot);
    instances.delete(slot);
    if (
      held !== undefined &&
      held.programId === message.programId &&
      held.installKey === message.installKey
    ) {
      instance = held;
    } else {
      instance = takePristine(message.programId, message.installKey, message.policy);
      if (instance === undefined) {
        const started = performance.now();
        reclaimPristineMemory(program, message.programId);
        const evaluation = evaluationFor(message.programId);
        instance = instantiate(program, message.installKey, message.programId, evaluation);
        instantiateMs = performance.now() - started;
      }
    }
    current = state;
    instance.uses++;
    // A failed grow either traps (SpiderMonkey prints "out of memory" and hits `unreachable`)
    // or surfaces in the guest as a caught "out of memory" exception; either way the linear
    // memory stands within a growth step of its cap.
    const guest = instance;
    const { memoryBytes: capBytes } = program;
    const exhausted = () => state.sawOutOfMemory || guest.memory() + EXHAUSTED_SLACK >= capBytes;
    try {
      const response = instance.handle(message.request);
      const bytes = responseBytes(response);
      outcome =
        bytes > message.maxResponseBytes
          ? { kind: 'too-large', bytes }
          : {
              kind: 'ok',
              response: { status: response.status, headers: response.headers, body: response.body },
              memoryExhausted: exhausted(),
            };
    } catch (error) {
      outcome = {
        kind: 'trap',
        message: error instanceof Error ? error.message : String(error),
        memoryLimit: exhausted(),
        neverSettled: state.sawEventLoopRunDry,
      };
    }
    flushStdio('stdout', true);
    flushStdio('stderr', true);
  } catch (error) {
    outcome = { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
  } finally {
    current = undefined;
  }
  const memoryBytes = instance?.memory() ?? 0;
  post({ type: 'done', id: message.id, outcome, memoryBytes, instantiateMs });
  // Whatever this request used, the program's next install or `fresh` request finds a pristine
  // instance ready (made after the requests already queued).
  if (loaded !== undefined && !pristine.has(message.programId)) preparePristine(message.programId);
  if (instance === undefined) return;
  const answered = outcome.kind === 'ok' || outcome.kind === 'too-large';
  // Once, after the queued requests: the cache then holds what serving a request compiles.
  if (answered && program !== undefined && !program.glue.hasCodeCache) {
    const { glue } = program;
    queue = queue.then(() => glue.saveCodeCache()).catch(() => {});
  }
  const kept =
    answered &&
    // An instance that hit its memory cap is not trusted with another request.
    !(outcome.kind === 'ok' && outcome.memoryExhausted) &&
    message.policy === 'reuse' &&
    instance.uses < message.maxRequestsPerInstance;
  if (kept) {
    remember(slot, instance, boot.maxInstances);
    return;
  }
  // `fresh`, trapped or done: nothing calls into this instance again, so its memory, zeroed,
  // serves the next instance (the pristine one made after this request).
  for (const memory of instance.held) memories.retire(memory);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'load') {
    if (!programs.has(message.programId)) {
      const loading = load(message);
      loading.catch((error: unknown) => {
        programs.delete(message.programId);
        post({
          type: 'load-failed',
          programId: message.programId,
          message: error instanceof Error ? error.message : String(error),
        });
      });
      programs.set(message.programId, loading);
      // After the messages already received: an invocation sent with its program goes first.
      setImmediate(() => preparePristine(message.programId));
    }
    return;
  }
  queue = queue.then(() => invoke(message));
});

post({ type: 'ready' });
