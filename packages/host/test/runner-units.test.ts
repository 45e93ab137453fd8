import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventEmitter } from 'eventemitter3';
import { describe, expect, it, vi } from 'vitest';
import { shapeSkeleton } from '../src/runner/engine/component-shape';
import { importMemory, splitDataImage, writeDataImage } from '../src/runner/engine/data-image';
import type { Program } from '../src/runner/engine/engine';
import { JcoCode, jcoCoreModulePaths } from '../src/runner/engine/jco-code';
import { capMemory, WASM_PAGE_BYTES } from '../src/runner/engine/memory-cap';
import { jcoToolchain } from '../src/runner/engine/transpile-cache';
import { CORE_MODULE_VERSION, readExports, readSections } from '../src/runner/engine/wasm-binary';
import { RunnerError } from '../src/runner/errors';
import { createLimitPolicy, DEFAULT_LIMITS, effectiveLimits } from '../src/runner/limits';
import type { Isolate, IsolateEvents } from '../src/runner/pool/isolate';
import { IsolatePool, type PoolJob } from '../src/runner/pool/pool';
import { Scheduler } from '../src/runner/pool/scheduler';
import { parseExecuteRequest } from '../src/runner/request';
import { ResponsePolicy } from '../src/runner/response-policy';
import { linkClockDirectly } from '../src/runner/wasi/minimal';
import { type Glue, glueScript, loadGlue } from '../src/runner/worker/glue';
import { LinearMemories } from '../src/runner/worker/memories';
import { coreModule, section } from './helpers/wasm';

/** A core module defining one memory (min pages, optional max) and exporting it as `memory`. */
function memoryModule(min: number, max?: number): Uint8Array<ArrayBuffer> {
  const limits = max === undefined ? [0x00, min] : [0x01, min, max];
  const memorySection = [0x01, ...limits];
  const exportSection = [0x01, 0x06, ...new TextEncoder().encode('memory'), 0x02, 0x00];
  return coreModule(section(0x05, memorySection), section(0x07, exportSection));
}

function exportedMemory(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Memory {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  return instance.exports.memory as WebAssembly.Memory;
}

describe('capMemory', () => {
  it('adds a maximum so growth fails exactly at the cap', () => {
    const capped = capMemory(memoryModule(1), 4);
    expect(capped).toMatchObject({ memories: 1, initialPages: 1 });
    const memory = exportedMemory(capped.bytes);
    expect(memory.grow(3)).toBe(1);
    expect(memory.buffer.byteLength).toBe(4 * WASM_PAGE_BYTES);
    expect(() => memory.grow(1)).toThrow(RangeError);
  });

  it('lowers a larger declared maximum and keeps a smaller one', () => {
    expect(() => exportedMemory(capMemory(memoryModule(1, 100), 2).bytes).grow(2)).toThrow(
      RangeError,
    );
    const smaller = exportedMemory(capMemory(memoryModule(1, 2), 50).bytes);
    expect(() => smaller.grow(2)).toThrow(RangeError);
  });

  it('refuses a module whose initial memory is over the cap, and bytes that are not wasm', () => {
    let error: unknown;
    try {
      capMemory(memoryModule(10), 4);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RunnerError);
    expect(error).toMatchObject({ code: 'MEMORY_LIMIT', limit: 'memory' });
    expect(() => capMemory(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 4)).toThrow(/bad magic/);
    expect(() => capMemory(memoryModule(1).subarray(0, 11), 4)).toThrow(/runs past the end/);
  });
});

/** The pieces `importMemory` takes: the header, then each whole section. */
function pieces(bytes: Uint8Array): Uint8Array[] {
  const sections = readSections(bytes, CORE_MODULE_VERSION) ?? [];
  return [bytes.subarray(0, 8), ...sections.map(({ at, end }) => bytes.subarray(at, end))];
}

const name = (text: string) => [text.length, ...new TextEncoder().encode(text)];

describe('shapeSkeleton', () => {
  const FUNC = 0x00;
  const header = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
  /** A component holding `module` as its one core module. */
  const componentOf = (module: Uint8Array) =>
    Uint8Array.from([...header, ...section(0x01, module)]);
  /**
   * Imports one function (index 0) and defines four (1-4): exports 3 twice and the import once,
   * starts with 2, and puts 1-4 in a table; `globals` are added as they are.
   */
  const engineLike = (...globals: number[][]) =>
    coreModule(
      section(0x01, [0x01, 0x60, 0x00, 0x00]),
      section(0x02, [0x01, ...name('env'), ...name('f'), FUNC, 0x00]),
      section(0x03, [0x04, 0x00, 0x00, 0x00, 0x00]),
      section(0x04, [0x01, 0x70, 0x00, 0x04]),
      section(0x05, [0x01, 0x00, 0x01]),
      ...globals,
      section(0x07, [
        0x04,
        ...name('memory'),
        0x02,
        0x00,
        ...name('g'),
        FUNC,
        0x03,
        ...name('f'),
        FUNC,
        0x00,
        ...name('h'),
        FUNC,
        0x03,
      ]),
      section(0x08, [0x02]),
      section(0x09, [0x01, 0x00, 0x41, 0x00, 0x0b, 0x04, 0x01, 0x02, 0x03, 0x04]),
      section(0x0a, [0x04, ...[0, 1, 2, 3].flatMap(() => [0x02, 0x00, 0x0b])]),
    );
  const sectionIds = (module: Uint8Array) =>
    (readSections(module, CORE_MODULE_VERSION) ?? []).map((part) => part.id);
  const definedFunctions = (module: Uint8Array) => {
    const functions = readSections(module, CORE_MODULE_VERSION)?.find((part) => part.id === 0x03);
    return functions === undefined ? 0 : module[functions.start];
  };

  it('keeps only the functions exports and start name, renumbered, and the same imports and exports', () => {
    const original = engineLike();
    const skeleton = shapeSkeleton(componentOf(original))?.slots[0];
    if (skeleton === undefined) throw new Error('no skeleton');
    expect(WebAssembly.validate(skeleton as Uint8Array<ArrayBuffer>)).toBe(true);
    const [before, after] = [original, skeleton].map(
      (bytes) => new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>),
    );
    expect(WebAssembly.Module.exports(after as WebAssembly.Module)).toEqual(
      WebAssembly.Module.exports(before as WebAssembly.Module),
    );
    expect(WebAssembly.Module.imports(after as WebAssembly.Module)).toEqual(
      WebAssembly.Module.imports(before as WebAssembly.Module),
    );
    expect(definedFunctions(skeleton)).toBe(2);
    expect(sectionIds(skeleton)).not.toContain(0x09);
    const exports = readSections(skeleton, CORE_MODULE_VERSION)?.find((part) => part.id === 0x07);
    if (exports === undefined) throw new Error('no exports');
    expect(
      readExports(skeleton, exports)?.map((entry) => [
        new TextDecoder().decode(entry.text),
        entry.index,
      ]),
    ).toEqual([
      ['memory', 0],
      ['g', 1],
      ['f', 0],
      ['h', 1],
    ]);
    const start = readSections(skeleton, CORE_MODULE_VERSION)?.find((part) => part.id === 0x08);
    expect(start === undefined ? undefined : skeleton[start.start]).toBe(2);
  });

  it('keeps every function and the table elements when a global may name a function', () => {
    const referencing = section(0x06, [0x01, 0x70, 0x00, 0xd2, 0x01, 0x0b]);
    const skeleton = shapeSkeleton(componentOf(engineLike(referencing)))?.slots[0];
    if (skeleton === undefined) throw new Error('no skeleton');
    expect(WebAssembly.validate(skeleton as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(definedFunctions(skeleton)).toBe(4);
    expect(sectionIds(skeleton)).toContain(0x09);
  });
});

describe('importMemory', () => {
  it("turns a module's one memory into an import of the same limits, after its other imports", () => {
    const bytes = coreModule(
      section(0x01, [0x01, 0x60, 0x00, 0x00]),
      section(0x02, [0x01, ...name('env'), ...name('f'), 0x00, 0x00]),
      section(0x05, [0x01, 0x01, 0x02, 0x05]),
      section(0x07, [0x01, ...name('memory'), 0x02, 0x00]),
    );
    const rewritten = importMemory(pieces(bytes));
    expect(rewritten?.memory).toEqual({ initial: 2, maximum: 5 });
    const module = new WebAssembly.Module(Buffer.concat(rewritten?.parts ?? []));
    expect(WebAssembly.Module.imports(module)).toEqual([
      { module: 'env', name: 'f', kind: 'function' },
      { module: 'alga:engine', name: 'memory', kind: 'memory' },
    ]);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 5 });
    const instance = new WebAssembly.Instance(module, {
      env: { f: () => {} },
      'alga:engine': { memory },
    });
    expect(instance.exports.memory).toBe(memory);
  });

  it('adds an import section after the types when the module has none', () => {
    const bytes = coreModule(
      section(0x01, [0x01, 0x60, 0x00, 0x00]),
      section(0x05, [0x01, 0x01, 0x01, 0x01]),
    );
    const module = new WebAssembly.Module(Buffer.concat(importMemory(pieces(bytes))?.parts ?? []));
    expect(WebAssembly.Module.imports(module)).toEqual([
      { module: 'alga:engine', name: 'memory', kind: 'memory' },
    ]);
  });

  it('leaves a module alone when it imports a memory, defines two, or has no maximum', () => {
    const importsOne = coreModule(
      section(0x02, [0x01, ...name('env'), ...name('m'), 0x02, 0x00, 0x01]),
      section(0x05, [0x01, 0x01, 0x01, 0x01]),
    );
    const definesTwo = coreModule(section(0x05, [0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01]));
    const unbounded = coreModule(section(0x05, [0x01, 0x00, 0x01]));
    for (const bytes of [importsOne, definesTwo, unbounded]) {
      expect(importMemory(pieces(bytes))).toBeUndefined();
    }
  });
});

describe('splitDataImage', () => {
  const text = (value: string) => [...new TextEncoder().encode(value)];
  /** An active segment on memory 0 at `offset` (an `i32.const` as signed LEB128 bytes). */
  const segment = (offset: number[], bytes: number[]) => [
    0x00,
    0x41,
    ...offset,
    0x0b,
    bytes.length,
    ...bytes,
  ];
  const module = (...segments: number[][]) =>
    coreModule(
      section(0x05, [0x01, 0x00, 0x01]),
      section(0x07, [0x01, ...name('memory'), 0x02, 0x00]),
      section(0x0b, [segments.length, ...segments.flat()]),
    );

  it('joins nearby segments into runs and keeps order where a segment overlaps, as instantiation writes them', () => {
    const bytes = module(
      segment([0x10], text('abc')),
      segment([0x14], text('de')),
      segment([0x12], text('X')),
      segment([0xc8, 0x17], text('z')),
    );
    const split = splitDataImage(bytes);
    if (split === undefined) throw new Error('not split');
    expect([...split.image.layout]).toEqual([16, 6, 18, 1, 3016, 1]);
    expect([...split.image.bytes]).toEqual([
      ...text('abc'),
      0,
      ...text('de'),
      ...text('X'),
      ...text('z'),
    ]);

    const memory = new WebAssembly.Memory({ initial: 1 });
    writeDataImage(memory, split.image);
    const instantiated = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.memory;
    if (!(instantiated instanceof WebAssembly.Memory)) throw new Error('no memory export');
    expect(Buffer.from(memory.buffer).equals(Buffer.from(instantiated.buffer))).toBe(true);
    expect([...new Uint8Array(memory.buffer, 16, 6)]).toEqual([...text('abX'), 0, ...text('de')]);
  });

  it('never lets the zeros of a run cover what an earlier run wrote', () => {
    const bytes = module(
      segment([0xe4, 0x00], text('a')),
      segment([0x32], text('d')),
      segment([0xe9, 0x00], text('e')),
    );
    const split = splitDataImage(bytes);
    if (split === undefined) throw new Error('not split');
    expect([...split.image.layout]).toEqual([100, 1, 50, 1, 105, 1]);
    const memory = new WebAssembly.Memory({ initial: 1 });
    writeDataImage(memory, split.image);
    const instantiated = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.memory;
    if (!(instantiated instanceof WebAssembly.Memory)) throw new Error('no memory export');
    expect(Buffer.from(memory.buffer).equals(Buffer.from(instantiated.buffer))).toBe(true);
    expect(new Uint8Array(memory.buffer)[100]).toBe(0x61);
  });

  it('refuses to write a run past the end of memory, naming where it starts and its length', () => {
    const split = splitDataImage(
      module(segment([0x10], text('a')), segment([0xff, 0xff, 0x03], text('bc'))),
    );
    if (split === undefined) throw new Error('not split');
    expect(() => writeDataImage(new WebAssembly.Memory({ initial: 1 }), split.image)).toThrow(
      /data at 65535 \(2 bytes\) is out of bounds of memory 0/,
    );
  });
});

describe('LinearMemories', () => {
  const image = () => {
    const split = splitDataImage(
      coreModule(
        section(0x05, [0x01, 0x01, 0x01, 0x02]),
        section(0x07, [0x01, ...name('memory'), 0x02, 0x00]),
        section(0x0b, [0x01, 0x00, 0x41, 0x10, 0x0b, 0x03, 0x61, 0x62, 0x63]),
      ),
    );
    if (split === undefined) throw new Error('not split');
    return split.image;
  };
  const limits = { initial: 1, maximum: 2 };

  it('hands a retired memory out again zeroed, with the image written, and a new one otherwise', () => {
    const memories = new LinearMemories(2);
    const first = memories.take(limits, image());
    const bytes = new Uint8Array(first.memory.buffer);
    expect([...bytes.subarray(16, 19)]).toEqual([0x61, 0x62, 0x63]);
    bytes.fill(0x5a);
    memories.retire(first);
    expect(memories.size).toBe(1);
    const second = memories.take(limits, image());
    expect(second.memory).toBe(first.memory);
    expect(memories.size).toBe(0);
    const expected = new Uint8Array(WASM_PAGE_BYTES);
    expected.set([0x61, 0x62, 0x63], 16);
    expect(Buffer.from(second.memory.buffer).equals(expected)).toBe(true);
    expect(memories.take(limits, image()).memory).not.toBe(first.memory);
  });

  it('keeps no memory that grew, none twice, and no more than its capacity', () => {
    const memories = new LinearMemories(1);
    const grown = memories.take(limits, image());
    grown.memory.grow(1);
    memories.retire(grown);
    expect(memories.size).toBe(0);
    const [a, b] = [memories.take(limits, image()), memories.take(limits, image())];
    memories.retire(a);
    memories.retire(a);
    memories.retire(b);
    expect(memories.size).toBe(1);
    expect(memories.take({ initial: 1, maximum: 3 }, image()).memory).not.toBe(a.memory);
    expect(memories.take(limits, image()).memory).toBe(a.memory);
  });

  it('reclaims the memory of the first spare instance holding one that fits, only when none is kept', () => {
    const memories = new LinearMemories(2);
    const other = { initial: 1, maximum: 3 };
    const spares = new Map([
      ['of-other-limits', { held: [memories.take(other, image())] }],
      ['older', { held: [memories.take(limits, image())] }],
      ['newer', { held: [memories.take(limits, image())] }],
    ]);
    const older = spares.get('older')?.held[0];
    expect(memories.reclaim(limits, spares)).toBe('older');
    expect(memories.size).toBe(1);
    expect(memories.reclaim(limits, spares)).toBeUndefined();
    expect(memories.take(limits, image()).memory).toBe(older?.memory);
    expect(memories.reclaim({ initial: 1, maximum: 4 }, spares)).toBeUndefined();
    expect(memories.size).toBe(0);
  });
});

describe('limits', () => {
  it('applies install overrides capped at the operator maximum', () => {
    const policy = createLimitPolicy({
      defaults: { timeoutMs: 2_000 },
      max: { timeoutMs: 10_000 },
    });
    expect(effectiveLimits(policy, undefined).timeoutMs).toBe(2_000);
    expect(effectiveLimits(policy, { timeoutMs: 5_000 }).timeoutMs).toBe(5_000);
    expect(effectiveLimits(policy, { timeoutMs: 60_000 }).timeoutMs).toBe(10_000);
    expect(effectiveLimits(policy, {}).memoryBytes).toBe(DEFAULT_LIMITS.memoryBytes);
  });

  it('refuses a default over its maximum and malformed values, naming the field', () => {
    expect(() =>
      createLimitPolicy({ defaults: { timeoutMs: 20_000 }, max: { timeoutMs: 10_000 } }),
    ).toThrow('limits.defaults.timeoutMs (20000) is over limits.max.timeoutMs (10000)');
    expect(() => createLimitPolicy({ max: { memoryBytes: -1 } })).toThrow(
      /limits\.max\.memoryBytes/,
    );
  });
});

describe('parseExecuteRequest', () => {
  const valid = {
    context: {
      requestId: 'r1',
      tenantId: 't1',
      extensionId: 'com.example.hello',
      installId: 'i1',
      version: '1.0.0',
      contentHash: `sha256:${'a'.repeat(64)}`,
    },
    http: { method: 'GET', path: '/', query: [], headers: [], body: new Uint8Array(), kind: 'api' },
    config: {},
    grants: ['cap:context.read'],
    egress: [],
  };

  it('accepts a well-formed request', () => {
    expect(parseExecuteRequest(valid).context.tenantId).toBe('t1');
  });

  it.each([
    ['grants.0', { ...valid, grants: ['cap:root'] }],
    ['context.contentHash', { ...valid, context: { ...valid.context, contentHash: 'md5:x' } }],
    ['http.headers.0.0', { ...valid, http: { ...valid.http, headers: [['X-Upper', 'v']] } }],
    ['http.headers.0.1', { ...valid, http: { ...valid.http, headers: [['x-a', 'v\r\nx-b: y']] } }],
    ['limits.timeoutMs', { ...valid, limits: { timeoutMs: 0 } }],
  ])('refuses a bad %s, naming it', (path, input) => {
    expect(() => parseExecuteRequest(input)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST' }),
    );
    expect(() => parseExecuteRequest(input)).toThrow(`execute request ${path}:`);
  });
});

describe('ResponsePolicy', () => {
  it('keeps allowlisted and x-ext-* headers, drops set-cookie and the rest', () => {
    const policy = new ResponsePolicy();
    const applied = policy.apply({
      status: 201,
      headers: [
        { name: 'Content-Type', value: 'application/json' },
        { name: 'set-cookie', value: 'a=b' },
        { name: 'x-ext-trace', value: 't' },
        { name: 'server', value: 'guest' },
        { name: 'location', value: 'bad\r\nvalue' },
      ],
      body: new Uint8Array([1]),
    });
    expect(applied.status).toBe(201);
    expect(applied.headers).toEqual([
      ['content-type', 'application/json'],
      ['x-ext-trace', 't'],
    ]);
  });

  it('refuses to allow set-cookie and refuses out-of-range statuses', () => {
    expect(() => new ResponsePolicy(['Set-Cookie'])).toThrow(
      expect.objectContaining({ code: 'CONFIG' }),
    );
    expect(() =>
      new ResponsePolicy().apply({ status: 99, headers: [], body: new Uint8Array() }),
    ).toThrow(expect.objectContaining({ code: 'TRAP' }));
  });
});

/** An isolate the test drives by hand: ready at once, answers only when told. */
class ScriptedIsolate extends EventEmitter<IsolateEvents> implements Isolate {
  readonly ready: Promise<void>;
  /** Makes an isolate created with `startsReady: false` ready. */
  readonly start: () => void;
  readonly deadlineGraceMs = 0;
  alive = true;
  readonly invoked: number[] = [];
  #startedAt = 0;
  constructor(startsReady: boolean) {
    super();
    let start = () => {};
    this.ready = startsReady ? Promise.resolve() : new Promise((resolve) => (start = resolve));
    this.start = start;
  }
  load(): void {}
  invoke(message: { id: number }): void {
    this.invoked.push(message.id);
    this.#startedAt = performance.timeOrigin + performance.now();
  }
  reply(): void {}
  startedAt(): number {
    return this.#startedAt;
  }
  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    this.emit('exit', 'terminated');
  }
  /** Ends the invocation it is running, as its worker would. */
  answer(): void {
    const id = this.invoked.at(-1) ?? 0;
    this.emit('message', {
      type: 'done',
      id,
      outcome: { kind: 'ok' },
      memoryBytes: 0,
      instantiateMs: 0,
    } as never);
  }
}

describe('IsolatePool standbys', () => {
  const job = (installKey: string, timeoutMs: number): PoolJob => ({
    program: { id: 'program' } as Program,
    message: { installKey } as PoolJob['message'],
    timeoutMs,
    onCall: async () => ({ ok: undefined }) as never,
    onStdio: () => {},
  });
  const scriptedPool = (size: number, standbysStartReady = true) => {
    const isolates: ScriptedIsolate[] = [];
    const pool = new IsolatePool({
      factory: () => {
        const isolate = new ScriptedIsolate(isolates.length < size || standbysStartReady);
        isolates.push(isolate);
        return isolate;
      },
      boot: { interfaces: {}, maxInstances: 1 },
      size,
      spares: 0,
      // Half a 1 s deadline ahead: wide margins on either side of the standby, even under load.
      replaceAheadMs: 500,
    });
    return { pool, isolates };
  };

  it('gives up the next idle isolate when the standby is busy as the invocation ends in time', async () => {
    const { pool, isolates } = scriptedPool(1);
    try {
      const first = pool.run(job('a', 1_000));
      // At 500 ms the standby starts; once ready it takes another install's request.
      await vi.waitFor(() => expect(isolates).toHaveLength(2));
      const [doomed, standby] = isolates as [ScriptedIsolate, ScriptedIsolate];
      await vi.waitFor(() => expect(pool.size).toBe(2));
      const second = pool.run(job('b', 5_000));
      await vi.waitFor(() => expect(standby.invoked).toHaveLength(1));
      doomed.answer();
      expect((await first).kind).toBe('done');
      // The surplus went with the isolate that just finished: the busy standby stays.
      expect(doomed.alive).toBe(false);
      expect(standby.alive).toBe(true);
      expect(pool.size).toBe(1);
      expect(pool.replaced).toBe(0);
      standby.answer();
      expect((await second).kind).toBe('done');
      expect(pool.size).toBe(1);
      expect(isolates).toHaveLength(2);
    } finally {
      await pool.close();
    }
  });

  it('stops a standby still starting when the invocation ends in time, and keeps the warm isolate', async () => {
    const { pool, isolates } = scriptedPool(1, false);
    try {
      const first = pool.run(job('a', 1_000));
      await vi.waitFor(() => expect(isolates).toHaveLength(2));
      const [ended, standby] = isolates as [ScriptedIsolate, ScriptedIsolate];
      ended.answer();
      expect((await first).kind).toBe('done');
      expect(standby.alive).toBe(false);
      expect(ended.alive).toBe(true);
      expect(pool.size).toBe(1);
      expect(pool.replaced).toBe(0);
      const next = pool.run(job('a', 5_000));
      await vi.waitFor(() => expect(ended.invoked).toHaveLength(2));
      ended.answer();
      expect((await next).kind).toBe('done');
    } finally {
      await pool.close();
    }
  });

  it('starts one standby at a time', async () => {
    const { pool, isolates } = scriptedPool(2);
    try {
      const runs = [pool.run(job('a', 1_000)), pool.run(job('b', 1_000))];
      await vi.waitFor(() => expect(isolates).toHaveLength(2));
      await new Promise((resolve) => setTimeout(resolve, 750));
      // Two invocations near their deadline, one standby.
      expect(isolates).toHaveLength(3);
      const outcomes = await Promise.all(runs);
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(['timeout', 'timeout']);
      // The standby replaced one killed isolate; the other was replaced at its kill.
      await vi.waitFor(() => expect(pool.size).toBe(2));
      expect(isolates).toHaveLength(4);
      expect(pool.replaced).toBe(2);
    } finally {
      await pool.close();
    }
  });
});

describe('Scheduler', () => {
  const keys = (
    tenantId: string,
    extensionId = 'ext',
    caps: Partial<{ tenant: number; ext: number; queued: number }> = {},
  ) => ({
    tenantId,
    extensionId,
    maxConcurrencyPerTenant: caps.tenant ?? 1,
    maxConcurrencyPerExtension: caps.ext ?? 10,
    maxQueuedPerKey: caps.queued ?? 1,
  });

  it('queues past a tenant cap, rejects past its queue, and does not block other tenants', async () => {
    const scheduler = new Scheduler({ slots: 4, maxQueue: 10, maxWaitMs: 1_000 });
    const first = await scheduler.acquire(keys('t1'));
    const queued = scheduler.acquire(keys('t1'));
    await expect(scheduler.acquire(keys('t1'))).rejects.toMatchObject({
      code: 'CONCURRENCY_LIMIT',
      limit: 'concurrency-tenant',
    });
    const other = await scheduler.acquire(keys('t2'));
    expect(scheduler.depth).toBe(1);
    first();
    const second = await queued;
    expect(scheduler.depth).toBe(0);
    second();
    other();
  });

  it('caps an extension across tenants', async () => {
    const scheduler = new Scheduler({ slots: 4, maxQueue: 10, maxWaitMs: 1_000 });
    const release = await scheduler.acquire(keys('t1', 'ext', { ext: 1, queued: 0 }));
    await expect(scheduler.acquire(keys('t2', 'ext', { ext: 1, queued: 0 }))).rejects.toMatchObject(
      {
        code: 'CONCURRENCY_LIMIT',
        limit: 'concurrency-extension',
      },
    );
    release();
  });

  it('rejects when the global queue is full and times out waiters', async () => {
    const scheduler = new Scheduler({ slots: 1, maxQueue: 1, maxWaitMs: 50 });
    const release = await scheduler.acquire(keys('a', 'x', { tenant: 5, queued: 5 }));
    const waiting = scheduler.acquire(keys('b', 'y', { tenant: 5, queued: 5 }));
    await expect(scheduler.acquire(keys('c', 'z', { tenant: 5, queued: 5 }))).rejects.toMatchObject(
      {
        code: 'QUEUE_FULL',
        limit: 'queue',
      },
    );
    await expect(waiting).rejects.toMatchObject({ code: 'QUEUE_TIMEOUT', limit: 'queue-wait' });
    release();
    scheduler.close();
    await expect(scheduler.acquire(keys('a'))).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('linkClockDirectly', () => {
  it("links every monotonic-clock version's now to the host clock and leaves the rest as jco gave it", () => {
    const viaGlue = () => 0n;
    const subscribe = () => undefined;
    const poll = { poll: () => [] };
    const imports = {
      'wasi:clocks/monotonic-clock@0.2.10': { now: viaGlue, 'subscribe-duration': subscribe },
      'wasi:clocks/monotonic-clock@0.2.12': { now: viaGlue },
      'wasi:clocks/wall-clock@0.2.12': { now: viaGlue },
      'wasi:io/poll@0.2.10': poll,
    };
    const linked = linkClockDirectly(imports);
    const older = linked['wasi:clocks/monotonic-clock@0.2.10'] as Record<string, () => unknown>;
    const newer = linked['wasi:clocks/monotonic-clock@0.2.12'] as Record<string, () => unknown>;
    const first = older.now?.() as bigint;
    const second = newer.now?.() as bigint;
    expect(typeof first).toBe('bigint');
    expect(second).toBeGreaterThanOrEqual(first);
    expect(first).toBeGreaterThan(0n);
    expect(older['subscribe-duration']).toBe(subscribe);
    expect(linked['wasi:clocks/wall-clock@0.2.12']?.now).toBe(viaGlue);
    expect(linked['wasi:io/poll@0.2.10']).toBe(poll);
    expect(imports['wasi:clocks/monotonic-clock@0.2.12'].now).toBe(viaGlue);
  });

  it('returns imports without a monotonic clock unchanged, and no imports as none', () => {
    const imports = { 'wasi:io/poll@0.2.10': { poll: () => [] } };
    expect(linkClockDirectly(imports)).toBe(imports);
    expect(linkClockDirectly(undefined)).toBeUndefined();
  });
});

describe('loadGlue', () => {
  const glue = (header: string) => `${header}"use components";
let evaluations = 0;
export function instantiate(getCoreModule, imports) {
  evaluations++;
  class Task {}
  return { evaluations, Task, imports };
}
export const _util = {};
`;
  async function withGlue<T>(source: string, use: (url: string, dir: string) => Promise<T>) {
    const dir = await mkdtemp(join(tmpdir(), 'alga-glue-'));
    try {
      const path = join(dir, 'component.mjs');
      await writeFile(path, source);
      return await use(pathToFileURL(path).href, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const call = (instantiate: ReturnType<Glue['next']>) =>
    instantiate(
      () => new WebAssembly.Module(new Uint8Array()),
      {},
      () => {
        throw new Error('no core modules here');
      },
    ) as { evaluations: number; Task: unknown };

  it("evaluates jco's sync glue once per instance, so instances share no state or classes", async () => {
    await withGlue(glue(''), async (url) => {
      const loaded = await loadGlue(url);
      const first = call(loaded.next());
      const second = call(loaded.next());
      expect(first.evaluations).toBe(1);
      expect(second.evaluations).toBe(1);
      expect(first.Task).not.toBe(second.Task);
    });
  });

  it('evaluates a script it is given without reading the file, and makes none of glue that needs a module', async () => {
    const script = glueScript(glue(''));
    const missing = pathToFileURL(join(tmpdir(), 'alga-no-such-glue', 'component.mjs')).href;
    const loaded = await loadGlue(missing, undefined, script);
    expect(call(loaded.next()).evaluations).toBe(1);
    expect(script?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(glueScript(glue("import { strict } from 'node:assert';\n"))).toBeUndefined();
    await expect(loadGlue(missing)).rejects.toThrow(/ENOENT/);
  });

  it('imports glue that needs module features (import(), import.meta) as a module', async () => {
    for (const header of [
      'const load = () => import("node:fs");\n',
      'const here = import.meta.url;\n',
    ]) {
      await withGlue(glue(header), async (url) => {
        const loaded = await loadGlue(url);
        expect(loaded.next()).toBe(loaded.next());
      });
    }
  });

  it('imports glue with other module syntax once and shares it', async () => {
    await withGlue(glue("import { strict } from 'node:assert';\nvoid strict;\n"), async (url) => {
      const loaded = await loadGlue(url);
      expect(loaded.next()).toBe(loaded.next());
      expect(call(loaded.next()).evaluations).toBe(1);
      expect(call(loaded.next()).evaluations).toBe(2);
    });
  });

  it("writes V8's code cache once, named by the script's digest, and loads past a broken one", async () => {
    await withGlue(glue(''), async (url, dir) => {
      const cacheDir = join(dir, 'code-cache');
      expect((await loadGlue(url)).hasCodeCache).toBe(true);
      const first = await loadGlue(url, cacheDir);
      call(first.next());
      expect(first.hasCodeCache).toBe(false);
      await first.saveCodeCache();
      expect(first.hasCodeCache).toBe(true);
      const [name] = await readdir(cacheDir);
      expect(name).toMatch(/^[0-9a-f]{64}\.bin$/);
      const path = join(cacheDir, name as string);
      expect((await readFile(path)).byteLength).toBeGreaterThan(0);
      await writeFile(path, 'written once');
      await first.saveCodeCache();
      expect(await readFile(path, 'utf8')).toBe('written once');

      const second = await loadGlue(url, cacheDir);
      expect(call(second.next()).evaluations).toBe(1);
      expect(await readdir(cacheDir)).toEqual([name]);
    });
  });
});

describe('JcoCode', () => {
  it("finds the core module files jco's bindings generator and wasm-tools compile when jco loads", async () => {
    const paths = await jcoCoreModulePaths(jcoToolchain().url);
    expect(paths.length).toBeGreaterThanOrEqual(2);
    for (const path of paths) {
      const loaders = (await readdir(dirname(path))).filter((name) => name.endsWith('.js'));
      const sources = await Promise.all(
        loaders.map((name) => readFile(join(dirname(path), name), 'utf8')),
      );
      expect(sources.some((source) => source.includes(`new URL('./${basename(path)}'`))).toBe(true);
    }
  });

  it('holds them compiled for the keep time from its last hold, then lets them go', async () => {
    const { url } = jcoToolchain();
    const code = new JcoCode({ keepMs: 1_000 });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    expect(await code.held()).toEqual([]);
    await code.hold(url);
    const held = await code.held();
    expect(held).toHaveLength((await jcoCoreModulePaths(url)).length);
    for (const module of held) expect(module).toBeInstanceOf(WebAssembly.Module);
    await sleep(600);
    await code.hold(url);
    await sleep(600);
    expect(await code.held()).toEqual(held);
    await sleep(500);
    expect(await code.held()).toEqual([]);
  });

  it('holds nothing, and does not fail, where jco has no core module files', async () => {
    const code = new JcoCode();
    await code.hold(pathToFileURL(join(tmpdir(), 'no-jco', 'jco.js')).href);
    expect(await code.held()).toEqual([]);
  });
});
