import type { DebugEvent } from '../../src/observability/debug-stream';
import { createRunner } from '../../src/runner/runner';
import type { RunnerHarness, RunnerHarnessOptions } from '../runner.contract';

/**
 * An in-process runner of `mode` wired to the contract suite's dependencies, collecting the
 * guest debug events it streams. Every isolation mode's contract file starts from this, so
 * the modes differ only where they really do.
 */
export function createLocalHarness(
  mode: 'worker' | 'process',
  { world, logger, sealer, storage, egressAllow, uiProxyRoutes }: RunnerHarnessOptions,
): RunnerHarness & { readonly runner: ReturnType<typeof createRunner> } {
  const runner = createRunner({
    store: world.store,
    trust: world.trust,
    signatures: world.signatures,
    dataDir: world.dataDir,
    isolation: { mode, size: 2, spares: 1 },
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
}
