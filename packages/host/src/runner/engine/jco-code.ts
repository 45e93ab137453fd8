import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How long jco's compiled code stays held after a transpile worker stops. */
const HOLD_MS = 30 * 60_000;

/**
 * The core modules jco runs on (its bindings generator and wasm-tools, Rust compiled to Wasm),
 * as the files of `@bytecodealliance/jco-transpile` that jco compiles when it loads. Empty when
 * they cannot be found (another jco layout): keeping them is only a speed-up.
 */
export async function jcoCoreModulePaths(jcoUrl: string): Promise<string[]> {
  try {
    const entry = createRequire(fileURLToPath(jcoUrl)).resolve('@bytecodealliance/jco-transpile');
    const vendor = join(dirname(entry), '..', 'vendor');
    const names = (await readdir(vendor)).filter((name) => name.endsWith('.wasm')).sort();
    return names.map((name) => join(vendor, name));
  } catch {
    return [];
  }
}

/**
 * jco's own core modules, compiled in this thread and held for a while once a transpile worker
 * stops. V8 shares a compiled module, with the code it has optimised since, between the isolates
 * of a process that compile the same bytes while one of them holds it. So the next transpile
 * worker runs its first job on the code earlier workers tiered up, instead of compiling jco again
 * and running it unoptimised: a shape's skeleton in 80-110 ms instead of 250-370 ms, for 7-20 MB
 * held (a transpile worker kept alive holds about 60 MB).
 */
export class JcoCode {
  readonly #keepMs: number;
  #held: Promise<WebAssembly.Module[]> | undefined;
  #drop: ReturnType<typeof setTimeout> | undefined;

  constructor(options: { readonly keepMs?: number } = {}) {
    this.#keepMs = options.keepMs ?? HOLD_MS;
  }

  /**
   * Holds jco's core modules for the keep time from now, compiling them here unless held
   * already. Resolves once they are held (or could not be: this is only a speed-up). Call it
   * before a worker that loaded jco stops, so that its tiered code is what gets held.
   */
  async hold(jcoUrl: string): Promise<void> {
    clearTimeout(this.#drop);
    if (this.#held === undefined) {
      const held = jcoCoreModulePaths(jcoUrl).then((paths) =>
        Promise.all(paths.map(async (path) => WebAssembly.compile(await readFile(path)))),
      );
      held.catch(() => {
        if (this.#held === held) this.#held = undefined;
      });
      this.#held = held;
    }
    this.#drop = setTimeout(() => {
      this.#held = undefined;
    }, this.#keepMs);
    this.#drop.unref();
    await this.#held.catch(() => undefined);
  }

  /** The modules held now: none before {@link hold}, or once the keep time has passed. */
  async held(): Promise<readonly WebAssembly.Module[]> {
    return (await this.#held?.catch(() => undefined)) ?? [];
  }
}
