import type { CapabilityProvider } from './registry';

/** `cap:context.read`: the ids of the current invocation. */
export function createContextProvider(): CapabilityProvider {
  return {
    capability: 'cap:context.read',
    functions: {
      get: (_args, { invocation }) => ({
        requestId: invocation.requestId,
        tenantId: invocation.tenantId,
        extensionId: invocation.extensionId,
        installId: invocation.installId,
        version: invocation.version,
        contentHash: invocation.contentHash,
      }),
    },
  };
}
