/** Where one section's content lies in a WebAssembly binary (a component or a core module). */
export interface Section {
  readonly id: number;
  /** Offset of the section's id byte. */
  readonly at: number;
  /** Offsets of its content, after the id and the size. */
  readonly start: number;
  readonly end: number;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** Version 0x0d, layer 1: a component. */
export const COMPONENT_VERSION: readonly number[] = [0x0d, 0x00, 0x01, 0x00];
/** Version 1, layer 0: a core module. */
export const CORE_MODULE_VERSION: readonly number[] = [0x01, 0x00, 0x00, 0x00];

/** Section ids of a core module. */
export const CoreSection = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
} as const;

/** The flag of a limits entry that says a maximum follows the minimum. */
export const LIMITS_HAS_MAX = 0x01;

/** The kind byte of a core module's import or export entry. */
export const ExternalKind = {
  function: 0,
  table: 1,
  memory: 2,
  global: 3,
  tag: 4,
} as const;

/** The unsigned LEB128 (at most 32 bits) at `offset` and the offset after it; `undefined` if malformed. */
export function readU32(
  bytes: Uint8Array,
  offset: number,
): { readonly value: number; readonly next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0)
      return value > 0xffff_ffff ? undefined : { value, next: offset + i + 1 };
  }
  return undefined;
}

/** Appends `value` to `out` as unsigned LEB128. */
export function writeU32(value: number, out: number[]): void {
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
}

/**
 * The sections of the binary in `bytes[start, end)` whose header carries `version`, in order;
 * `undefined` when the header or a section size is malformed.
 */
export function readSections(
  bytes: Uint8Array,
  version: readonly number[],
  start = 0,
  end = bytes.byteLength,
): Section[] | undefined {
  const header = [...MAGIC, ...version];
  if (!header.every((byte, i) => bytes[start + i] === byte)) return undefined;
  const found: Section[] = [];
  let offset = start + header.length;
  while (offset < end) {
    const id = bytes[offset] as number;
    const size = readU32(bytes, offset + 1);
    if (size === undefined || size.next + size.value > end) return undefined;
    found.push({ id, at: offset, start: size.next, end: size.next + size.value });
    offset = size.next + size.value;
  }
  return found;
}

/** A section with id `id` and content `body`, as its header (id, size) and the body. */
export function framed(id: number, body: Uint8Array): Uint8Array[] {
  const header = [id];
  writeU32(body.byteLength, header);
  return [Uint8Array.from(header), body];
}

/** Appends `text` to `out` as a WebAssembly name: its UTF-8 length, then its bytes. */
export function writeName(text: string, out: number[]): void {
  const encoded = new TextEncoder().encode(text);
  writeU32(encoded.byteLength, out);
  out.push(...encoded);
}

/** An entry read at some offset, and the offset after it. */
export type Read<T> = { readonly value: T; readonly next: number } | undefined;

/**
 * The entries of the vector in `bytes[start, end)` (a count, then the entries), each read by
 * `read` at its offset; `undefined` when an entry is malformed or the last does not end at `end`.
 */
export function readVector<T>(
  bytes: Uint8Array,
  { start, end }: { readonly start: number; readonly end: number },
  read: (offset: number) => Read<T>,
): T[] | undefined {
  const count = readU32(bytes, start);
  if (count === undefined) return undefined;
  const entries: T[] = [];
  let cursor = count.next;
  for (let i = 0; i < count.value; i++) {
    const entry = read(cursor);
    if (entry === undefined || entry.next > end) return undefined;
    entries.push(entry.value);
    cursor = entry.next;
  }
  return cursor === end ? entries : undefined;
}

/** The offset after the limits at `offset`, if they are 32-bit limits. */
function skipLimits(bytes: Uint8Array, offset: number): number | undefined {
  const flags = bytes[offset];
  if (flags === undefined || (flags & ~LIMITS_HAS_MAX) !== 0) return undefined;
  const min = readU32(bytes, offset + 1);
  if (min === undefined) return undefined;
  return (flags & LIMITS_HAS_MAX) === 0 ? min.next : readU32(bytes, min.next)?.next;
}

/** The offset after the import entry at `offset`, and its kind; `undefined` if malformed. */
function skipImport(bytes: Uint8Array, offset: number): { kind: number; next: number } | undefined {
  const module = readU32(bytes, offset);
  if (module === undefined) return undefined;
  const name = readU32(bytes, module.next + module.value);
  if (name === undefined) return undefined;
  const kindAt = name.next + name.value;
  const kind = bytes[kindAt];
  let next: number | undefined;
  if (kind === ExternalKind.function) next = readU32(bytes, kindAt + 1)?.next;
  else if (kind === ExternalKind.table) next = skipLimits(bytes, kindAt + 2);
  else if (kind === ExternalKind.memory) next = skipLimits(bytes, kindAt + 1);
  else if (kind === ExternalKind.global) next = kindAt + 3;
  else if (kind === ExternalKind.tag) next = readU32(bytes, kindAt + 2)?.next;
  return kind === undefined || next === undefined ? undefined : { kind, next };
}

/** The kind of each entry of the import section in `bytes[start, end)`; `undefined` if malformed. */
export function readImportKinds(
  bytes: Uint8Array,
  section: { readonly start: number; readonly end: number },
): number[] | undefined {
  return readVector(bytes, section, (offset) => {
    const entry = skipImport(bytes, offset);
    return entry === undefined ? undefined : { value: entry.kind, next: entry.next };
  });
}

/** One entry of a core module's export section. */
export interface ExportEntry {
  /** The name with its length prefix, as it stands in the section. */
  readonly name: Uint8Array;
  /** The name's UTF-8 bytes. */
  readonly text: Uint8Array;
  readonly kind: number;
  readonly index: number;
}

/** The entries of `section`, an export section of `bytes`; `undefined` if malformed. */
export function readExports(bytes: Uint8Array, section: Section): ExportEntry[] | undefined {
  return readVector(bytes, section, (offset): Read<ExportEntry> => {
    const length = readU32(bytes, offset);
    if (length === undefined) return undefined;
    const nameEnd = length.next + length.value;
    const kind = bytes[nameEnd];
    const index = readU32(bytes, nameEnd + 1);
    if (kind === undefined || index === undefined) return undefined;
    const name = bytes.subarray(offset, nameEnd);
    const text = bytes.subarray(length.next, nameEnd);
    return { value: { name, text, kind, index: index.value }, next: index.next };
  });
}
