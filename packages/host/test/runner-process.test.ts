import type { DebugEvent } from '../src/observability/debug-stream';
import { createRunner } from '../src/runner/runner';
import { runnerContract } from './runner.contract';

runnerContract(
  'process',
  async ({ world, logger, sealer, storage, egressAllow, uiProxyRoutes }) => {
    const runner = createRunner({
      store: world.store,
      trust: world.trust,
      signatures: world.signatures,
      dataDir: world.dataDir,
      isolation: { mode: 'process', size: 2, spares: 1 },
      logger,
      secrets: { sealer },
      storage: { store: storage },
      http: { allow: egressAllow, allowHttp: true, allowPrivateNetworks: true },
      uiProxy: { routes: uiProxyRoutes },
      records: storage,
    });
    const events: DebugEvent[] = [];
    const subscription = runner.debug.subscribe({});
    void (async () => {
      for await (const event of subscription) events.push(event);
    })();
    return {
      runner,
      debugEvents: () => events,
      metricsText: () => runner.metrics.registry.metrics(),
      close: async () => {
        subscription.close();
        await runner.close();
      },
    };
  },
);
