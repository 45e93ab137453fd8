// The worker thread of the testing harness: it instantiates the transpiled component with a
// minimal WASI (captured stdio, clocks, random; no filesystem, sockets or environment) and
// forwards every alga:extension import to the calling thread, blocking on a SharedArrayBuffer
// until the answer arrives, so guests see synchronous host functions like on the real host.
// Plain JavaScript because a worker thread cannot load TypeScript sources.
import { getRandomValues } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

const { dir, port, signal } = workerData;
const flag = new Int32Array(signal);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepNs(ns) {
  if (ns > 0n) Atomics.wait(sleeper, 0, 0, Number(ns / 1_000_000n) + 1);
}

/** A call to a host import, answered by the calling thread. */
function hostCall(iface, fn, args) {
  Atomics.store(flag, 0, 0);
  port.postMessage({ iface, fn, args });
  Atomics.wait(flag, 0, 0);
  const reply = receiveMessageOnPort(port)?.message;
  if (reply === undefined) throw new Error(`alga testing: no answer to ${iface}.${fn}`);
  if ('ok' in reply) return reply.ok;
  if ('err' in reply)
    throw Object.assign(new Error(`${iface}.${fn}: ${reply.err.tag}`), { payload: reply.err });
  throw new Error(reply.trap);
}

function algaInterface(iface) {
  return new Proxy(
    {},
    {
      get:
        (_target, fn) =>
        (...args) =>
          hostCall(iface, String(fn), args),
    },
  );
}

function createWasi(stdout, stderr) {
  class IoError {
    toDebugString() {
      return 'io error';
    }
  }
  class Pollable {
    constructor(deadline) {
      this.deadline = deadline;
    }
    ready() {
      return this.deadline === undefined || process.hrtime.bigint() >= this.deadline;
    }
    block() {
      if (this.deadline !== undefined) sleepNs(this.deadline - process.hrtime.bigint());
    }
  }
  class InputStream {
    read() {
      throw { tag: 'closed' };
    }
    blockingRead() {
      throw { tag: 'closed' };
    }
    skip() {
      throw { tag: 'closed' };
    }
    blockingSkip() {
      throw { tag: 'closed' };
    }
    subscribe() {
      return new Pollable(undefined);
    }
  }
  class OutputStream {
    constructor(sink) {
      this.sink = sink;
    }
    checkWrite() {
      return 1_048_576n;
    }
    write(contents) {
      this.sink.push(new Uint8Array(contents));
    }
    blockingWriteAndFlush(contents) {
      this.sink.push(new Uint8Array(contents));
    }
    flush() {}
    blockingFlush() {}
    writeZeroes(len) {
      this.sink.push(new Uint8Array(Number(len)));
    }
    blockingWriteZeroesAndFlush(len) {
      this.sink.push(new Uint8Array(Number(len)));
    }
    subscribe() {
      return new Pollable(undefined);
    }
  }
  class Descriptor {}
  class TerminalInput {}
  class TerminalOutput {}
  const stdoutStream = new OutputStream(stdout);
  const stderrStream = new OutputStream(stderr);
  const stdinStream = new InputStream();
  const started = process.hrtime.bigint();
  const u64 = () => new DataView(getRandomValues(new Uint8Array(8)).buffer).getBigUint64(0);
  return {
    'wasi:cli/environment': {
      getEnvironment: () => [],
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit: (status) => {
        throw new Error(`the component called exit (${status.tag})`);
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdinStream },
    'wasi:cli/stdout': { getStdout: () => stdoutStream },
    'wasi:cli/stderr': { getStderr: () => stderrStream },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: () => process.hrtime.bigint() - started,
      resolution: () => 1n,
      subscribeInstant: (instant) => new Pollable(started + instant),
      subscribeDuration: (duration) => new Pollable(process.hrtime.bigint() + duration),
    },
    'wasi:clocks/wall-clock': {
      now: () => {
        const ms = BigInt(Date.now());
        return { seconds: ms / 1000n, nanoseconds: Number(ms % 1000n) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    'wasi:filesystem/preopens': { getDirectories: () => [] },
    'wasi:filesystem/types': { Descriptor, filesystemErrorCode: () => undefined },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': {
      Pollable,
      poll: (list) => {
        const pending = list.filter((p) => !p.ready());
        if (pending.length === list.length && pending.length > 0) {
          const next = pending.reduce((a, b) => (a.deadline < b.deadline ? a : b));
          next.block();
        }
        return new Uint32Array(list.flatMap((p, index) => (p.ready() ? [index] : [])));
      },
    },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:random/random': {
      getRandomBytes: (len) => getRandomValues(new Uint8Array(Number(len))),
      getRandomU64: u64,
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len) => getRandomValues(new Uint8Array(Number(len))),
      getInsecureRandomU64: u64,
    },
    'wasi:random/insecure-seed': { insecureSeed: () => [u64(), u64()] },
  };
}

const { instantiate } = await import(pathToFileURL(join(dir, 'component.js')).href);
const modules = new Map();
async function coreModule(name) {
  let compiled = modules.get(name);
  if (compiled === undefined) {
    compiled = WebAssembly.compile(await readFile(join(dir, name)));
    modules.set(name, compiled);
  }
  return compiled;
}

const decoder = new TextDecoder();
const joined = (chunks) => decoder.decode(Buffer.concat(chunks));

parentPort.on('message', async ({ id, request, interfaces }) => {
  const stdout = [];
  const stderr = [];
  try {
    const imports = createWasi(stdout, stderr);
    for (const iface of interfaces) imports[iface] = algaInterface(iface);
    const instance = await instantiate(coreModule, imports);
    const response = instance.handler.handle(request);
    parentPort.postMessage({ id, response, stdout: joined(stdout), stderr: joined(stderr) });
  } catch (error) {
    const message =
      error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
    parentPort.postMessage({ id, trap: message, stdout: joined(stdout), stderr: joined(stderr) });
  }
});
parentPort.postMessage({ ready: true });
