import { getRandomValues } from 'node:crypto';

/** Receives what the guest writes to stdout and stderr. */
export type StdioSink = (stream: 'stdout' | 'stderr', bytes: Uint8Array) => void;

/** The WASI imports componentize-js guests link against, keyed as jco expects. */
export type WasiImports = Record<string, Record<string, unknown>>;

const MAX_RANDOM_BYTES = 1 << 20;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function wasiError(payload: unknown, message: string): Error {
  return Object.assign(new Error(message), { payload });
}

function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** A pollable that is ready at a monotonic instant (ns); streams use one that is always ready. */
// Resource classes use plain fields, not #private ones: jco's glue may rebuild a handle with
// Object.create(Class.prototype), and a brand check would then throw inside the guest's call.
class Pollable {
  readonly at: bigint;
  constructor(at: bigint) {
    this.at = at;
  }
  ready(): boolean {
    return nowNs() >= this.at;
  }
  block(): void {
    // The runner's deadline bounds any sleep: the worker is terminated when it passes.
    const remaining = this.at - nowNs();
    if (remaining > 0n) Atomics.wait(sleeper, 0, 0, Number(remaining / 1_000_000n) + 1);
  }
}

class OutputStream {
  readonly stream: 'stdout' | 'stderr';
  readonly sink: StdioSink;
  constructor(stream: 'stdout' | 'stderr', sink: StdioSink) {
    this.stream = stream;
    this.sink = sink;
  }
  checkWrite(): bigint {
    return 65_536n;
  }
  write(contents: Uint8Array): void {
    this.sink(this.stream, contents);
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.sink(this.stream, contents);
  }
  flush(): void {}
  blockingFlush(): void {}
  subscribe(): Pollable {
    return new Pollable(0n);
  }
}

class InputStream {
  read(): Uint8Array {
    throw wasiError({ tag: 'closed' }, 'stdin is closed');
  }
  blockingRead(): Uint8Array {
    throw wasiError({ tag: 'closed' }, 'stdin is closed');
  }
  subscribe(): Pollable {
    return new Pollable(0n);
  }
}

/** No descriptor is ever handed out (there are no preopens); every operation is refused. */
function refuse(): never {
  throw wasiError('access', 'the guest has no filesystem');
}

class Descriptor {
  readViaStream(): never {
    return refuse();
  }
  writeViaStream(): never {
    return refuse();
  }
  appendViaStream(): never {
    return refuse();
  }
  getFlags(): never {
    return refuse();
  }
  getType(): never {
    return refuse();
  }
  stat(): never {
    return refuse();
  }
}

class IoError {
  toDebugString(): string {
    return 'io error';
  }
}

class TerminalInput {}
class TerminalOutput {}

/**
 * Minimal WASI for guests: stdout and stderr go to `sink` (never to the host's streams), stdin
 * is closed, clocks and random work, and there is no filesystem, socket or environment.
 */
export function createMinimalWasi(sink: StdioSink): WasiImports {
  const stdout = new OutputStream('stdout', sink);
  const stderr = new OutputStream('stderr', sink);
  const stdin = new InputStream();
  return {
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/environment': {
      getEnvironment: () => [],
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit: () => {
        throw wasiError(undefined, 'the guest called exit');
      },
    },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: nowNs,
      resolution: () => 1n,
      subscribeInstant: (at: bigint) => new Pollable(at),
      subscribeDuration: (ns: bigint) => new Pollable(nowNs() + ns),
    },
    'wasi:clocks/wall-clock': {
      now: () => {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    'wasi:filesystem/preopens': { getDirectories: () => [] },
    'wasi:filesystem/types': { Descriptor, filesystemErrorCode: () => undefined },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': {
      Pollable,
      poll: (pollables: Pollable[]) => {
        if (pollables.length === 0) return new Uint32Array(0);
        let ready = pollables.flatMap((pollable, index) => (pollable.ready() ? [index] : []));
        if (ready.length === 0) {
          const earliest = pollables.reduce(
            (best, pollable, index) =>
              pollable.at < (pollables[best] as Pollable).at ? index : best,
            0,
          );
          (pollables[earliest] as Pollable).block();
          ready = [earliest];
        }
        return Uint32Array.from(ready);
      },
    },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:random/random': {
      getRandomBytes: (length: bigint) => {
        const size = Number(length > BigInt(MAX_RANDOM_BYTES) ? BigInt(MAX_RANDOM_BYTES) : length);
        const out = new Uint8Array(size);
        for (let offset = 0; offset < size; offset += 65_536) {
          getRandomValues(out.subarray(offset, Math.min(size, offset + 65_536)));
        }
        return out;
      },
      getRandomU64: () => getRandomValues(new BigUint64Array(1))[0] as bigint,
    },
  };
}

const MONOTONIC_CLOCK = /^wasi:clocks\/monotonic-clock@0\.2\.\d+$/;

/**
 * A core instance's imports with `monotonic-clock.now` linked straight to the host clock. jco
 * wraps every host import in its component-model task bookkeeping (a few microseconds a call),
 * and SpiderMonkey reads the clock seven or eight times per request (promise bookkeeping, its job
 * queue). `now` takes nothing, returns a u64 (a BigInt on both sides of the boundary) and
 * touches no guest memory: linked directly, it skips only that bookkeeping.
 */
export function linkClockDirectly(imports: WebAssembly.Imports): WebAssembly.Imports;
export function linkClockDirectly(
  imports: WebAssembly.Imports | undefined,
): WebAssembly.Imports | undefined;
export function linkClockDirectly(
  imports: WebAssembly.Imports | undefined,
): WebAssembly.Imports | undefined {
  if (imports === undefined) return undefined;
  let linked: WebAssembly.Imports | undefined;
  for (const [name, functions] of Object.entries(imports)) {
    if (!MONOTONIC_CLOCK.test(name) || typeof functions.now !== 'function') continue;
    linked ??= { ...imports };
    linked[name] = { ...functions, now: nowNs };
  }
  return linked ?? imports;
}
