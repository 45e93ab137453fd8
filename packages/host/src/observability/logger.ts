import { pino } from 'pino';

/** One log method: structured fields first, then the message (pino's argument order). */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * The logger the runner writes to: pino, or the host's own logger behind these four methods.
 * The runner never passes secret values to it.
 */
export interface RunnerLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/**
 * The default logger: pino writing JSON lines to stdout at `level`.
 *
 * @example
 * ```ts
 * const runner = createRunner({ ...options, logger: createPinoLogger('debug') });
 * ```
 */
export function createPinoLogger(
  level: 'debug' | 'info' | 'warn' | 'error' | 'silent' = 'info',
): RunnerLogger {
  return pino({ level, base: { component: 'alga-runner' } });
}
