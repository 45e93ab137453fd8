import { DemoError } from './errors';

/** What a step reports when it is done: a short summary for its line. */
export type StepResult<T> = { value: T; detail: string };

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Prints numbered steps with their timings: `[1/7] building extensions ... hello cached,
 * ui-demo 8.1 s (9.4 s)`. A failing step prints `failed` and rethrows as `STEP_FAILED` with
 * the step's name in front of the cause's message.
 */
export class Progress {
  readonly #total: number;
  readonly #write: (text: string) => void;
  readonly #started = performance.now();
  #index = 0;

  constructor(total: number, write: (text: string) => void) {
    this.#total = total;
    this.#write = write;
  }

  async step<T>(label: string, run: () => Promise<StepResult<T>>): Promise<T> {
    this.#index += 1;
    const started = performance.now();
    this.#write(`[${this.#index}/${this.#total}] ${label} ... `);
    try {
      const { value, detail } = await run();
      this.#write(`${detail} (${seconds(performance.now() - started)})\n`);
      return value;
    } catch (cause) {
      this.#write(`failed (${seconds(performance.now() - started)})\n`);
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new DemoError('STEP_FAILED', `${label}: ${message}`, { cause });
    }
  }

  /** Wall time since the first step, for the closing line. */
  elapsed(): string {
    return seconds(performance.now() - this.#started);
  }
}

export { seconds };
