/** The unsigned LEB128 of `value`. */
function leb128(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return out;
}

/** One section of a core module: its id, its size and `body`. */
export function section(id: number, body: readonly number[] | Uint8Array): number[] {
  return [id, ...leb128(body.length), ...body];
}

/** A core module (magic and version 1) made of `sections`, written with {@link section}. */
export function coreModule(...sections: number[][]): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}
