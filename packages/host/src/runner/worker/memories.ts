import { type DataImage, type SuppliedMemory, writeDataImage } from '../engine/data-image';
import { WASM_PAGE_BYTES } from '../engine/memory-cap';

/** A memory handed to an instance, with the limits it was made for. */
export interface HeldMemory {
  readonly memory: WebAssembly.Memory;
  readonly limits: SuppliedMemory;
}

/**
 * The linear memories this isolate hands to new instances of modules that import their memory
 * (`importMemory`). A retired instance's memory is kept and, zeroed, given to the next instance
 * of the same limits: its pages are already mapped, where a new memory's fault in one by one on
 * first touch, which made most of a new instance's cost. Only memories still at their initial
 * size are kept, so an instance always starts from what instantiation would give it.
 */
export class LinearMemories {
  readonly #spare = new Map<string, WebAssembly.Memory[]>();
  readonly #capacity: number;

  /** Keeps at most `capacity` retired memories (each holds its initial size in resident pages). */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** A memory for a new instance: a retired one zeroed, or a new one; `image` written into it. */
  take(limits: SuppliedMemory, image: DataImage): HeldMemory {
    const retired = this.#spare.get(keyOf(limits))?.pop();
    if (retired !== undefined) new Uint8Array(retired.buffer).fill(0);
    const memory =
      retired ?? new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum });
    writeDataImage(memory, image);
    return { memory, limits };
  }

  /**
   * When no retired memory fits `limits`, retires the memories of the first of `spares` (instances
   * never run, that nothing will call once given up) holding one that does, and returns its key
   * for the caller to drop it. A memory already used is zeroed and written in about a
   * millisecond, where a new one faults its pages in on first touch (10-20 ms on a VM).
   */
  reclaim<K>(
    limits: SuppliedMemory,
    spares: Iterable<readonly [K, { readonly held: readonly HeldMemory[] }]>,
  ): K | undefined {
    const key = keyOf(limits);
    if ((this.#spare.get(key)?.length ?? 0) > 0) return undefined;
    for (const [spareKey, spare] of spares) {
      if (!spare.held.some((held) => keyOf(held.limits) === key)) continue;
      for (const held of spare.held) this.retire(held);
      return spareKey;
    }
    return undefined;
  }

  /**
   * Takes back the memory of an instance that will never run again (nothing may call into it
   * after this), to hand out zeroed.
   */
  retire(held: HeldMemory): void {
    if (this.size >= this.#capacity) return;
    if (held.memory.buffer.byteLength !== held.limits.initial * WASM_PAGE_BYTES) return;
    const key = keyOf(held.limits);
    const spare = this.#spare.get(key) ?? [];
    if (spare.includes(held.memory)) return;
    spare.push(held.memory);
    this.#spare.set(key, spare);
  }

  /** Retired memories kept now. */
  get size(): number {
    let kept = 0;
    for (const spare of this.#spare.values()) kept += spare.length;
    return kept;
  }
}

function keyOf(limits: SuppliedMemory): string {
  return `${limits.initial}/${limits.maximum}`;
}
