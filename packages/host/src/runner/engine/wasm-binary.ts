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
  memory: 5,
  export: 7,
  start: 8,
  code: 10,
  data: 11,
  dataCount: 12,
} as const;

/** The flag of a limits entry that says a maximum follows the minimum. */
export const LIMITS_HAS_MAX = 0x01;

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
