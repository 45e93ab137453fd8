/** New buffers are rounded up to this, so the next build of a bundle, a little larger, still fits. */
const BUFFER_STEP = 1024 * 1024;

/** One read into a buffer of {@link ReadBuffers}; see `BundleReadOptions.allocate`. */
export interface ReadBufferLease {
  /** The buffer for a bundle of `byteLength` bytes: the kept one when it fits, else a new one. */
  readonly allocate: (byteLength: number) => Uint8Array<ArrayBuffer>;
  /** Nothing reads the bundle any more: its buffer may serve the next read. */
  readonly release: () => void;
}

/**
 * The buffer a reader of bundles reads into, reused from one read to the next: a new 12 MB buffer
 * faults its pages in one by one (30-50 ms on a VM), where one already touched is refilled at
 * copying speed. One buffer is kept between reads; reads that overlap each get their own.
 */
export class ReadBuffers {
  #idle: Uint8Array<ArrayBuffer> | undefined;

  /** A lease for one read: the buffer is taken when the store asks for it, kept again on release. */
  lease(): ReadBufferLease {
    let taken: Uint8Array<ArrayBuffer> | undefined;
    return {
      allocate: (byteLength) => {
        const idle = this.#idle;
        if (idle !== undefined && idle.byteLength >= byteLength) {
          this.#idle = undefined;
          taken = idle;
        } else taken = new Uint8Array(Math.ceil(byteLength / BUFFER_STEP) * BUFFER_STEP);
        return taken;
      },
      release: () => {
        if (taken !== undefined && taken.byteLength > (this.#idle?.byteLength ?? -1)) {
          this.#idle = taken;
        }
        taken = undefined;
      },
    };
  }
}
