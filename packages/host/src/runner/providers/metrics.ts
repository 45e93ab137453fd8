import { Counter, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import { parseArgs } from './args';
import { type CapabilityProvider, ProviderError } from './registry';

/** Options of {@link createMetricsProvider}. */
export interface MetricsProviderOptions {
  /** Registry guest metrics are added to (the runner's, by default). */
  readonly registry: Registry;
  /** Distinct (metric, labels) series one extension may create. Default 200. */
  readonly maxSeriesPerExtension?: number;
  /** Distinct metric names across all extensions. Default 500. */
  readonly maxMetrics?: number;
}

const NAME = /^[a-z_][a-z0-9_]{0,63}$/;
const metricArgs = z.tuple([
  z.string().regex(NAME, 'must be a lower-case metric name (a-z, 0-9, _; at most 64)'),
  z.number().finite(),
  z
    .array(
      z.object({
        key: z.string().regex(NAME, 'must be a lower-case label name'),
        value: z.string().max(128),
      }),
    )
    .max(5),
]);

/**
 * `cap:metrics.emit`: guest counters and histograms as Prometheus metrics named
 * `alga_ext_<name>` with an `extension` label. Cardinality is bounded: at most five labels,
 * a fixed label set per metric, a series budget per extension and a cap on metric names.
 */
export function createMetricsProvider(options: MetricsProviderOptions): CapabilityProvider {
  const maxSeries = options.maxSeriesPerExtension ?? 200;
  const maxMetrics = options.maxMetrics ?? 500;
  const metrics = new Map<
    string,
    { kind: 'counter' | 'histogram'; labels: string; metric: Counter<string> | Histogram<string> }
  >();
  const series = new Map<string, Set<string>>();

  function record(
    kind: 'counter' | 'histogram',
    args: readonly unknown[],
    extensionId: string,
  ): void {
    const [name, value, labels] = parseArgs(metricArgs, args, `metrics.${kind}`);
    if (kind === 'counter' && value < 0)
      throw new ProviderError('invalid', `counter ${name} cannot go down (got ${value})`);
    const keys = labels.map((label) => label.key);
    if (keys.includes('extension') || new Set(keys).size !== keys.length) {
      throw new ProviderError('invalid', 'labels must be distinct and not named "extension"');
    }
    const sorted = [...labels].sort((a, b) => (a.key < b.key ? -1 : 1));
    const labelNames = sorted.map((label) => label.key).join(',');
    const fullName = `alga_ext_${name}`;
    let entry = metrics.get(fullName);
    if (entry === undefined) {
      if (metrics.size >= maxMetrics) {
        throw new ProviderError('limit', `the host already has ${maxMetrics} extension metrics`, {
          limit: 'metrics-series',
        });
      }
      const config = {
        name: fullName,
        help: `Extension metric ${name}.`,
        labelNames: ['extension', ...sorted.map((label) => label.key)],
        registers: [options.registry],
      };
      entry = {
        kind,
        labels: labelNames,
        metric: kind === 'counter' ? new Counter(config) : new Histogram(config),
      };
      metrics.set(fullName, entry);
    }
    if (entry.kind !== kind)
      throw new ProviderError('invalid', `metric ${name} is a ${entry.kind}, not a ${kind}`);
    if (entry.labels !== labelNames) {
      throw new ProviderError(
        'invalid',
        `metric ${name} has labels [${entry.labels}], not [${labelNames}]`,
      );
    }
    const values: Record<string, string> = { extension: extensionId };
    for (const label of sorted) values[label.key] = label.value;
    const seriesKey = `${fullName}\u0000${JSON.stringify(values)}`;
    let owned = series.get(extensionId);
    if (owned === undefined) {
      owned = new Set();
      series.set(extensionId, owned);
    }
    if (!owned.has(seriesKey)) {
      if (owned.size >= maxSeries) {
        throw new ProviderError('limit', `extension already has ${maxSeries} metric series`, {
          limit: 'metrics-series',
        });
      }
      owned.add(seriesKey);
    }
    if (entry.metric instanceof Counter) entry.metric.inc(values, value);
    else entry.metric.observe(values, value);
  }

  return {
    capability: 'cap:metrics.emit',
    functions: {
      counter: (args, context) => record('counter', args, context.invocation.extensionId),
      histogram: (args, context) => record('histogram', args, context.invocation.extensionId),
    },
  };
}
