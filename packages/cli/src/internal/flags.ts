import type { z } from 'zod';
import { CliError } from './errors';

/** Parses a command's flags with `schema`; the first problem becomes `USAGE` (`alga <command>: ...`). */
export function parseFlags<T>(schema: z.ZodType<T>, raw: unknown, command: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new CliError(
      'USAGE',
      `alga ${command}: ${parsed.error.issues[0]?.message ?? 'invalid flags'}`,
    );
  }
  return parsed.data;
}
