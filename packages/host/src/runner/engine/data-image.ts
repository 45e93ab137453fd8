import { concatBytes } from '../../bytes';
import {
  CORE_MODULE_VERSION,
  CoreSection,
  ExternalKind,
  framed,
  LIMITS_HAS_MAX,
  type Read,
  readExports,
  readImportKinds,
  readSections,
  readU32,
  readVector,
  type Section,
  writeName,
  writeU32,
} from './wasm-binary';

const I32_CONST = 0x41;
const END = 0x0b;

/** Where a module cut by {@link importMemory} imports its memory 0 from. */
export const MEMORY_IMPORT = { module: 'alga:engine', name: 'memory' } as const;

/** The limits, in pages, of a memory 0 the host supplies (see {@link importMemory}). */
export interface SuppliedMemory {
  readonly initial: number;
  readonly maximum: number;
}

/**
 * A module's active data segments, applied by the host instead of by instantiation, as runs of
 * nearby segments with the zeros between them. Kept as two buffers over shared memory, so every
 * isolate it is sent to reads the same bytes instead of a copy (3 MB per isolate for a
 * componentize-js build).
 */
export interface DataImage {
  /** The export under which the module's memory 0 is reachable on an instance. */
  readonly memoryExport: string;
  /** Every run's bytes, end to end, in segment order. */
  readonly bytes: Uint8Array;
  /** Per run: its offset in memory 0, then its length in `bytes`. */
  readonly layout: Uint32Array;
  /**
   * Set when the module imports its memory 0 ({@link MEMORY_IMPORT}) instead of defining it:
   * the host supplies one of these limits, with the image written into it.
   */
  readonly memory?: SuppliedMemory;
}

/** A core module cut in two: the code that compiles the same for every build, and its data. */
export interface SplitModule {
  /**
   * The module without its data and data count sections, as the pieces of the module's bytes
   * that make it up in order (joined only when it must be compiled).
   */
  readonly code: readonly Uint8Array[];
  readonly image: DataImage;
}

/** The signed LEB128 (32 bits) at `offset`, as an unsigned offset; `undefined` if malformed. */
function readI32(bytes: Uint8Array, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return undefined;
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) {
      const shift = 7 * (i + 1);
      const signed = shift < 32 && (byte & 0x40) !== 0 ? value | (-1 << shift) : value;
      return { value: signed >>> 0, next: offset + i + 1 };
    }
  }
  return undefined;
}

/** The export name of memory 0, if the module exports it. */
function memoryExportOf(bytes: Uint8Array, section: Section): string | undefined {
  const memory = readExports(bytes, section)?.find(
    (entry) => entry.kind === ExternalKind.memory && entry.index === 0,
  );
  return memory === undefined ? undefined : new TextDecoder().decode(memory.text);
}

/**
 * Segments at most this far apart are written as one run, with zeros between them: what memory
 * holds there anyway, since an image is only written over zeroed memory. A componentize-js build
 * has 10,000 segments (its snapshot's cap), nearly all a few bytes apart; written one by one they
 * took about 1.2 ms of every instantiation, as some 60 runs 0.08 ms, for 10% more image bytes.
 */
const RUN_GAP_BYTES = 1024;

/** One active segment: where it goes in memory 0, and its bytes. */
interface Segment {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** The segments of a data section, if every one is active on memory 0 at an `i32.const` offset. */
function activeSegments(bytes: Uint8Array, section: Section): Segment[] | undefined {
  const segments = readVector(bytes, section, (cursor): Read<Segment> => {
    // Flag 0: active, memory 0, then the offset expression. Passive segments (1) and explicit
    // memories (2) stay with the module.
    if (bytes[cursor] !== 0 || bytes[cursor + 1] !== I32_CONST) return undefined;
    const offset = readI32(bytes, cursor + 2);
    if (offset === undefined || bytes[offset.next] !== END) return undefined;
    const length = readU32(bytes, offset.next + 1);
    if (length === undefined) return undefined;
    const next = length.next + length.value;
    return { value: { offset: offset.value, bytes: bytes.subarray(length.next, next) }, next };
  });
  return segments !== undefined && segments.length > 0 ? segments : undefined;
}

/**
 * `segments` as runs in the same order: each segment joins the run before it when it starts at
 * or after that run's end, at most {@link RUN_GAP_BYTES} later, and that run reaches higher than
 * any segment before it (so its zeros cover nothing written earlier). Any other segment starts a
 * new run, so a later segment still overwrites an earlier one, as instantiation does, and a run
 * out of bounds is one whose last segment is.
 */
function runsOf(segments: readonly Segment[]): Pick<DataImage, 'bytes' | 'layout'> {
  const runs: { offset: number; end: number; segments: Segment[] }[] = [];
  let highest = 0;
  for (const segment of segments) {
    const run = runs.at(-1);
    const end = segment.offset + segment.bytes.byteLength;
    if (
      run !== undefined &&
      run.end === highest &&
      segment.offset >= run.end &&
      segment.offset - run.end <= RUN_GAP_BYTES
    ) {
      run.segments.push(segment);
      run.end = end;
    } else runs.push({ offset: segment.offset, end, segments: [segment] });
    highest = Math.max(highest, end);
  }
  const layout = new Uint32Array(new SharedArrayBuffer(runs.length * 2 * 4));
  const total = runs.reduce((sum, run) => sum + run.end - run.offset, 0);
  const image = new Uint8Array(new SharedArrayBuffer(total));
  let at = 0;
  runs.forEach((run, index) => {
    layout[2 * index] = run.offset;
    layout[2 * index + 1] = run.end - run.offset;
    for (const segment of run.segments) image.set(segment.bytes, at + segment.offset - run.offset);
    at += run.end - run.offset;
  });
  return { bytes: image, layout };
}

/**
 * Cuts a core module's active data segments out of it. A componentize-js build's main module is
 * the JavaScript engine (9 MB of code, the same in every build for one world) plus a snapshot of
 * its memory after loading the extension's script (the data): without the data, every build of
 * that world compiles to the same module, which V8 compiles once and whose lazily compiled
 * functions every build then shares. `undefined` when the module cannot be cut safely: no data,
 * a start function (it would run before the data is written), data that is not all active on
 * memory 0 at constant offsets, or memory 0 not exported.
 */
export function splitDataImage(bytes: Uint8Array): SplitModule | undefined {
  const sections = readSections(bytes, CORE_MODULE_VERSION);
  if (sections === undefined) return undefined;
  const data = sections.find((section) => section.id === CoreSection.data);
  const exports = sections.find((section) => section.id === CoreSection.export);
  if (data === undefined || exports === undefined) return undefined;
  if (sections.some((section) => section.id === CoreSection.start)) return undefined;
  const memoryExport = memoryExportOf(bytes, exports);
  const segments = activeSegments(bytes, data);
  if (memoryExport === undefined || segments === undefined) return undefined;
  const kept = sections
    .filter((section) => section.id !== CoreSection.data && section.id !== CoreSection.dataCount)
    .map((section) => bytes.subarray(section.at, section.end));
  return { code: [bytes.subarray(0, 8), ...kept], image: { memoryExport, ...runsOf(segments) } };
}

/** `parts[index]` (a whole section): its bytes, and where its content starts and ends. */
function sectionAt(parts: readonly Uint8Array[], index: number) {
  const part = parts[index] as Uint8Array;
  return { part, start: readU32(part, 1)?.next, end: part.byteLength };
}

/** The 32-bit limits of the one memory `section` defines with a maximum, if that is what it holds. */
function soleMemory(section: ReturnType<typeof sectionAt>): SuppliedMemory | undefined {
  if (section.start === undefined) return undefined;
  const count = readU32(section.part, section.start);
  if (count?.value !== 1 || section.part[count.next] !== LIMITS_HAS_MAX) return undefined;
  const initial = readU32(section.part, count.next + 1);
  const maximum = initial === undefined ? undefined : readU32(section.part, initial.next);
  if (initial === undefined || maximum === undefined || maximum.next !== section.end) {
    return undefined;
  }
  return { initial: initial.value, maximum: maximum.value };
}

/** The entries of an import section without their count, if none of them is a memory. */
function importsWithoutMemory(
  section: ReturnType<typeof sectionAt>,
): { count: number; entries: Uint8Array } | undefined {
  const { part, start, end } = section;
  if (start === undefined) return undefined;
  const kinds = readImportKinds(part, { start, end });
  const count = readU32(part, start);
  if (kinds === undefined || kinds.includes(ExternalKind.memory) || count === undefined)
    return undefined;
  return { count: count.value, entries: part.subarray(count.next) };
}

/**
 * Rewrites the pieces of a capped, data-less module (its header, then whole sections) so that
 * its one memory is imported ({@link MEMORY_IMPORT}) instead of defined, with the same limits.
 * The host can then give a new instance the memory of a retired one, zeroed, instead of a new
 * memory whose every page faults in on first touch (about 10 ms for the 3 MB a componentize-js
 * build writes at start, on this project's machines). `undefined` unless the module defines
 * exactly one memory, with a maximum, and imports none.
 */
export function importMemory(
  parts: readonly Uint8Array[],
): { parts: Uint8Array[]; memory: SuppliedMemory } | undefined {
  const indexOf = (id: number) => parts.findIndex((part, index) => index > 0 && part[0] === id);
  const memoryIndex = indexOf(CoreSection.memory);
  const memory = memoryIndex < 0 ? undefined : soleMemory(sectionAt(parts, memoryIndex));
  if (memory === undefined) return undefined;
  const importIndex = indexOf(CoreSection.import);
  const existing =
    importIndex < 0
      ? { count: 0, entries: new Uint8Array() }
      : importsWithoutMemory(sectionAt(parts, importIndex));
  if (existing === undefined) return undefined;

  const body: number[] = [];
  writeU32(existing.count + 1, body);
  const entry: number[] = [];
  writeName(MEMORY_IMPORT.module, entry);
  writeName(MEMORY_IMPORT.name, entry);
  entry.push(ExternalKind.memory, LIMITS_HAS_MAX);
  writeU32(memory.initial, entry);
  writeU32(memory.maximum, entry);
  const imports = concatBytes(
    framed(
      CoreSection.import,
      concatBytes([Uint8Array.from(body), existing.entries, Uint8Array.from(entry)]),
    ),
  );

  const out = parts.flatMap((part, index) =>
    index === memoryIndex ? [] : index === importIndex ? [imports] : [part],
  );
  if (importIndex < 0) {
    // Sections go in order: the imports right after the types, or first when there are none.
    const types = out.findIndex((part, index) => index > 0 && part[0] === CoreSection.type);
    out.splice(types < 0 ? 1 : types + 1, 0, imports);
  }
  return { parts: out, memory };
}

/**
 * Writes `image` into `memory`, in segment order, as instantiation would have. Throws a
 * `RangeError` where instantiation would have trapped (a segment out of bounds).
 */
export function writeDataImage(memory: WebAssembly.Memory, image: DataImage): void {
  const view = new Uint8Array(memory.buffer);
  let from = 0;
  for (let i = 0; i < image.layout.length; i += 2) {
    const offset = image.layout[i] as number;
    const length = image.layout[i + 1] as number;
    if (offset + length > view.byteLength) {
      throw new RangeError(`data at ${offset} (${length} bytes) is out of bounds of memory 0`);
    }
    view.set(image.bytes.subarray(from, from + length), offset);
    from += length;
  }
}

/** Writes `image` into a new instance's memory 0, which the instance defines and exports. */
export function applyDataImage(instance: WebAssembly.Instance, image: DataImage): void {
  const memory = instance.exports[image.memoryExport];
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new TypeError(`export ${image.memoryExport} is not a memory`);
  }
  writeDataImage(memory, image);
}
