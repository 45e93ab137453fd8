import { z } from 'zod';
import { parseArgs } from './args';
import type { CapabilityProvider } from './registry';

const keyArgs = z.tuple([z.string().max(256)]);

/** `cap:config.read`: the install's plain configuration, values JSON-encoded. */
export function createConfigProvider(): CapabilityProvider {
  return {
    capability: 'cap:config.read',
    functions: {
      get: (args, { config }) => {
        const [key] = parseArgs(keyArgs, args, 'config.get');
        if (!Object.hasOwn(config, key) || config[key] === undefined) return undefined;
        return JSON.stringify(config[key]);
      },
      entries: (_args, { config }) =>
        Object.entries(config)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => ({ key, valueJson: JSON.stringify(value) })),
    },
  };
}
