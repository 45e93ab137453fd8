// Throughput over real HTTP on loopback: autocannon (in this process) against servers each in
// their own process: a plain node:http baseline, the real `alga serve`, and a gateway wired by
// hand with the `reuse` policy. Rounds alternate between servers so all see the same noise.
import autocannon from 'autocannon';
import { benchArgs, pick } from './lib/args';
import { jsonPayload } from './lib/fixtures';
import { type Figure, Report } from './lib/report';
import { type BenchServer, startAlgaServe, startChildServer } from './lib/servers';
import { summarize } from './lib/stats';

const args = benchArgs();
const report = new Report('throughput', 'HTTP throughput on loopback (autocannon)', args.quick);
const duration = pick(args, 5, 1);
const rounds = pick(args, 3, 1);
const concurrencies = [1, 8, 64];
const payload = jsonPayload();

const servers: BenchServer[] = [
  await startChildServer('node:http', 'child-baseline.ts'),
  await startAlgaServe({ fixtures: ['noop', 'json'] }),
  await startAlgaServe({
    fixtures: ['noop', 'json'],
    name: 'alga serve reuse',
    flags: ['--instance-policy', 'reuse'],
  }),
  await startChildServer('gateway reuse', 'child-gateway.ts', ['reuse']),
];
const [baseline] = servers as [BenchServer, ...BenchServer[]];

interface Run {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function load(
  server: BenchServer,
  workload: 'noop' | 'json',
  connections: number,
  seconds: number,
): Promise<Run> {
  const result = await autocannon({
    url: `${server.url}${server.paths[workload]}`,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 30,
    headers: {
      ...server.headers,
      ...(workload === 'json' ? { 'content-type': 'application/json' } : {}),
    },
    ...(workload === 'json' ? { method: 'POST', body: payload } : { method: 'GET' }),
  });
  const failures = result.errors + result.timeouts + result.non2xx;
  if (failures > 0) {
    throw new Error(
      `${server.name} ${workload} c=${connections}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  return {
    perSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

// Warm-up: first requests load components, fill caches and let the JIT settle.
for (const server of servers) {
  for (const workload of ['noop', 'json'] as const) await load(server, workload, 8, 1);
}

const figures: Record<string, Figure> = {};
for (const workload of ['noop', 'json'] as const) {
  for (const connections of concurrencies) {
    const runs = new Map<string, Run[]>(servers.map((server) => [server.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const server of servers) {
        runs.get(server.name)?.push(await load(server, workload, connections, duration));
      }
    }
    const base = runs.get(baseline.name) ?? [];
    const baseRate = summarize(base.map((run) => run.perSecond));
    const baseP50 = summarize(base.map((run) => run.p50)).median;
    const baseP99 = summarize(base.map((run) => run.p99)).median;
    for (const server of servers) {
      const own = runs.get(server.name) ?? [];
      const rate = summarize(own.map((run) => run.perSecond));
      const p50 = summarize(own.map((run) => run.p50)).median;
      const p99 = summarize(own.map((run) => run.p99)).median;
      const id = `throughput.${server.name.replace(/[^a-z]+/g, '-')}.${workload}.c${connections}`;
      figures[id] = report.add({
        id,
        label: `${server.name} ${workload === 'noop' ? 'noop' : '10 KB JSON echo'}, ${connections} conn`,
        unit: 'req/s',
        subject: rate,
        ...(server === baseline
          ? {}
          : {
              baseline: { label: 'node:http', summary: baseRate },
              ratio: rate.median / baseRate.median,
            }),
        note:
          server === baseline
            ? `latency p50 ${p50} ms, p99 ${p99} ms`
            : `latency p50 ${p50} ms, p99 ${p99} ms (node:http ${baseP50} / ${baseP99} ms)`,
      });
    }
  }
}

const serveNoop = figures['throughput.alga-serve.noop.c64'];
if (serveNoop !== undefined) {
  report.target({
    id: 'throughput.serve.noop',
    description: 'alga serve noop requests/s vs node:http (64 connections)',
    value: serveNoop.ratio ?? 0,
    limit: 0.5,
    unit: 'x',
    op: '>=',
    ratio: `${Math.round(serveNoop.subject.median)} vs ${Math.round(serveNoop.baseline?.summary.median ?? 0)} req/s`,
  });
}
report.note(
  `Each cell: ${rounds} round(s) of ${duration} s per server, servers alternating within a round; min/median/p99 are over rounds; latency is autocannon's (1 ms resolution), median over rounds.`,
);
report.note(
  '`alga serve` runs with its defaults (fresh instance policy, pino info logs to /dev/null, rate limiter on with limits above the load); "alga serve reuse" adds `--instance-policy reuse`; "gateway reuse" is the same gateway and runner wired by hand on node:http with the reuse policy.',
);
report.note(
  'autocannon shares the 2 cores with the server under test: figures are what one machine does as client and server at once.',
);
await report.finish();
for (const server of servers) await server.close();
