import type { z } from 'zod';
import { ProviderError } from './registry';

/** Checks the lifted arguments of a host call against `schema` (a tuple), at the trust boundary. */
export function parseArgs<T extends z.ZodType>(
  schema: T,
  args: readonly unknown[],
  where: string,
): z.output<T> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProviderError(
      'invalid',
      `${where}: argument ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is malformed'}`,
    );
  }
  return parsed.data;
}
