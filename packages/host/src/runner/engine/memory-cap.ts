import { concatBytes } from '../../bytes';
import { RunnerError } from '../errors';
import {
  CoreSection,
  framed,
  LIMITS_HAS_MAX,
  readU32 as readLeb128U32,
  writeU32,
} from './wasm-binary';

/** Bytes in one WebAssembly page. */
export const WASM_PAGE_BYTES = 65_536;

const MEMORY64 = 0x04;

function loadFailed(message: string): RunnerError {
  return new RunnerError(
    'LOAD_FAILED',
    `core module: ${message}; rebuild the component with alga build`,
  );
}

function readU32(bytes: Uint8Array, offset: number): [value: number, next: number] {
  const read = readLeb128U32(bytes, offset);
  if (read !== undefined) return [read.value, read.next];
  throw loadFailed(
    offset + 5 > bytes.length
      ? `LEB128 runs past the end at byte ${offset}`
      : `LEB128 longer than 5 bytes or over 32 bits at byte ${offset}`,
  );
}

/** What {@link capMemory} found and did. */
export interface MemoryCapResult {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Memories defined (not imported) by the module, now all bounded. */
  readonly memories: number;
  /** The largest initial size among them, in pages. */
  readonly initialPages: number;
}

/**
 * Rewrites the memory section of a core module so every memory it defines has a maximum of at
 * most `maxPages`: growth past it fails inside the guest and traps exactly at the cap. Worker
 * `resourceLimits` do not bound Wasm memory, so this is the enforcement. Other sections are
 * copied unchanged. Throws `MEMORY_LIMIT` when a memory's initial size is already over the cap.
 */
export function capMemory(bytes: Uint8Array, maxPages: number): MemoryCapResult {
  if (
    bytes.length < 8 ||
    bytes[0] !== 0 ||
    bytes[1] !== 0x61 ||
    bytes[2] !== 0x73 ||
    bytes[3] !== 0x6d
  ) {
    throw loadFailed('not a WebAssembly core module (bad magic)');
  }
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let memories = 0;
  let initialPages = 0;
  let position = 8;
  while (position < bytes.length) {
    const id = bytes[position] as number;
    const [size, bodyStart] = readU32(bytes, position + 1);
    const end = bodyStart + size;
    if (end > bytes.length) throw loadFailed(`section ${id} at byte ${position} runs past the end`);
    if (id !== CoreSection.memory) {
      parts.push(bytes.subarray(position, end));
      position = end;
      continue;
    }
    let [count, cursor] = readU32(bytes, bodyStart);
    const body: number[] = [];
    writeU32(count, body);
    for (let index = 0; index < count; index++) {
      const flags = bytes[cursor++];
      if (flags === undefined) throw loadFailed('memory section truncated');
      if ((flags & MEMORY64) !== 0) throw loadFailed('64-bit memories are not supported');
      let min: number;
      let max: number | undefined;
      [min, cursor] = readU32(bytes, cursor);
      if ((flags & LIMITS_HAS_MAX) !== 0) [max, cursor] = readU32(bytes, cursor);
      if (min > maxPages) {
        throw new RunnerError(
          'MEMORY_LIMIT',
          `the component needs ${min * WASM_PAGE_BYTES} bytes of linear memory at start, over the cap of ${maxPages * WASM_PAGE_BYTES}; raise limits.memoryBytes`,
          { limit: 'memory' },
        );
      }
      body.push(flags | LIMITS_HAS_MAX);
      writeU32(min, body);
      writeU32(Math.min(max ?? maxPages, maxPages), body);
      memories++;
      initialPages = Math.max(initialPages, min);
    }
    if (cursor !== end) throw loadFailed('memory section has trailing bytes');
    parts.push(...framed(CoreSection.memory, Uint8Array.from(body)));
    position = end;
  }
  return { bytes: concatBytes(parts), memories, initialPages };
}
