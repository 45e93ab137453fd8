function joinInto<T extends Uint8Array>(out: T, parts: readonly Uint8Array[]): T {
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function totalLength(parts: readonly Uint8Array[]): number {
  return parts.reduce((total, part) => total + part.byteLength, 0);
}

/** The parts laid end to end in one new buffer (one copy; `Buffer.concat` would pool small ones). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  return joinInto(new Uint8Array(totalLength(parts)), parts);
}

/** {@link concatBytes} into shared memory, which other threads are sent without a copy. */
export function concatSharedBytes(parts: readonly Uint8Array[]): Uint8Array<SharedArrayBuffer> {
  return joinInto(new Uint8Array(new SharedArrayBuffer(totalLength(parts))), parts);
}
