import { z } from 'zod';
import { parseArgs } from './args';
import type { CapabilityProvider } from './registry';

const emitArgs = z.tuple([
  z.enum(['debug', 'info', 'warn', 'error']),
  z.string(),
  z.array(z.object({ key: z.string(), valueJson: z.string() })),
]);

function decode(valueJson: string): unknown {
  try {
    return JSON.parse(valueJson) as unknown;
  } catch {
    return valueJson;
  }
}

/** `cap:log.emit`: guest log lines, correlated with the invocation and bounded by its log budget. */
export function createLogProvider(): CapabilityProvider {
  return {
    capability: 'cap:log.emit',
    functions: {
      emit: (args, context) => {
        const [level, message, fields] = parseArgs(emitArgs, args, 'log.emit');
        const record: Record<string, unknown> = {};
        for (const field of fields) record[field.key] = decode(field.valueJson);
        context.log(level, message, record);
        return undefined;
      },
    },
  };
}
