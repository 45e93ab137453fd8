import { createHash } from 'node:crypto';

/** Where one top-level section's content lies in a component or module binary. */
interface Section {
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** Version 0x0d, layer 1: a component (a core module has version 1, layer 0). */
const COMPONENT_VERSION = [0x0d, 0x00, 0x01, 0x00];
const CORE_MODULE_VERSION = [0x01, 0x00, 0x00, 0x00];
const CORE_MODULE_SECTION = 1;
/**
 * Sections of a core module that say how it links (types, imports, tables, memories,
 * exports); code, data, globals and names do not change what the glue does with it.
 */
const LINKING_SECTIONS = new Set([1, 2, 4, 5, 7]);

function readU32(bytes: Uint8Array, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, next: offset + i + 1 };
  }
  return undefined;
}

function startsWith(bytes: Uint8Array, offset: number, expected: readonly number[]): boolean {
  return expected.every((byte, i) => bytes[offset + i] === byte);
}

/** The top-level sections of a binary with the given version bytes; `undefined` if malformed. */
function sections(
  bytes: Uint8Array,
  version: readonly number[],
  start = 0,
  end = bytes.byteLength,
): Section[] | undefined {
  if (!startsWith(bytes, start, MAGIC) || !startsWith(bytes, start + 4, version)) return undefined;
  const found: Section[] = [];
  let offset = start + 8;
  while (offset < end) {
    const id = bytes[offset] as number;
    const size = readU32(bytes, offset + 1);
    if (size === undefined || size.next + size.value > end) return undefined;
    found.push({ id, start: size.next, end: size.next + size.value });
    offset = size.next + size.value;
  }
  return found;
}

/**
 * A component's shape: everything jco's glue is generated from. Two components of one shape
 * differ only in the code and data of their top-level core modules, so jco writes the same glue
 * for both and each core module file verbatim from its section.
 */
export interface ComponentShape {
  /** Hex sha256 over the component with each top-level core module reduced to its linking sections. */
  readonly key: string;
  /** The top-level core modules, in order: `slots[i]` is the bytes of the i-th one. */
  readonly slots: readonly Uint8Array[];
}

/**
 * The shape of a component binary, or `undefined` when it is not one this reader understands
 * (jco then transpiles it and reports what is wrong).
 */
export function componentShape(component: Uint8Array): ComponentShape | undefined {
  const top = sections(component, COMPONENT_VERSION);
  if (top === undefined) return undefined;
  const hash = createHash('sha256').update('alga-component-shape-1');
  const slots: Uint8Array[] = [];
  const frame = (id: number, length: number): void => {
    hash.update(new Uint8Array([id]));
    hash.update(String(length));
  };
  for (const section of top) {
    if (section.id !== CORE_MODULE_SECTION) {
      frame(section.id, section.end - section.start);
      hash.update(component.subarray(section.start, section.end));
      continue;
    }
    const inner = sections(component, CORE_MODULE_VERSION, section.start, section.end);
    if (inner === undefined) return undefined;
    const linking = inner.filter((part) => LINKING_SECTIONS.has(part.id));
    frame(section.id, linking.length);
    for (const part of linking) {
      frame(part.id, part.end - part.start);
      hash.update(component.subarray(part.start, part.end));
    }
    slots.push(component.subarray(section.start, section.end));
  }
  return { key: hash.digest('hex'), slots };
}
