// Capability call cost: secrets.get (cached), storage.get and http.fetch to a loopback server,
// called from inside a guest (timed in the guest, around the call alone) against the same
// operation done on the main thread (what the provider does, without the worker hop).
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { benchArgs, pick } from './lib/args';
import { createBenchHost } from './lib/fixtures';
import { Report } from './lib/report';
import { startChildServer } from './lib/servers';
import { createBenchStack } from './lib/stack';
import { sample, summarize } from './lib/stats';

const args = benchArgs();
const report = new Report('capability', 'Capability call cost (guest vs main thread)', args.quick);
const callsPerInvocation = pick(args, 200, 50);
const invocations = pick(args, 10, 3);

/** The port the caps fixture's manifest allows (`http.allow`): egress rules name ports. */
const UPSTREAM_PORT = 47821;
const upstream = await startChildServer('loopback upstream', 'child-baseline.ts', [
  String(UPSTREAM_PORT),
]);
const upstreamUrl = `${upstream.url}${upstream.paths.noop}`;
const host = await createBenchHost();
const caps = await host.publishAndInstall('caps', 'bench', {
  grants: ['cap:secrets.get', 'cap:storage.kv', 'cap:http.fetch'],
  egress: [`127.0.0.1:${UPSTREAM_PORT}`],
  secrets: { apiKey: 'bench-secret-value' },
});
const scope = { tenantId: 'bench', extensionId: caps.extensionId };
await host.store.kvPut(scope, 'bench-key', new TextEncoder().encode('v'.repeat(256)));
const stack = await createBenchStack({ policy: 'reuse' }, host);
await stack.runner.warm(caps.contentHash, caps);

/** Per-call times (ms) measured in the guest, over `invocations` requests of `n` calls each. */
async function inGuest(path: string, query: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= invocations; i++) {
    const response = await stack.gateway.fetch(
      stack.request(caps.extensionId, `${path}?n=${callsPerInvocation}${query}`),
    );
    const body = (await response.json()) as { times?: number[] };
    if (response.status !== 200 || body.times === undefined) {
      throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    // The first request warms the instance, the caches and the upstream connection.
    if (i > 0) times.push(...body.times);
  }
  return times;
}

const install = await host.registry.resolveInstall('bench', caps.extensionId);
const envelope = install.secretEnvelope;
const secretCache = new LRUCache<string, Promise<Readonly<Record<string, string>>>>({
  max: 1000,
  ttl: 30_000,
});
/** What the secrets provider does for a cached `get`: digest the envelope, hit the LRU. */
async function mainThreadSecret(): Promise<string | undefined> {
  const digest = createHash('sha256').update(JSON.stringify(envelope)).digest('hex');
  const key = `bench\u0000${install.installId}\u0000${install.secretsVersion}\u0000${digest}`;
  let opened = secretCache.get(key);
  if (opened === undefined && envelope !== undefined) {
    opened = host.sealer.open(envelope, {
      tenantId: 'bench',
      installId: install.installId,
      version: install.secretsVersion,
    });
    secretCache.set(key, opened);
  }
  return (await opened)?.apiKey;
}

const cases = [
  {
    id: 'secrets-get',
    label: 'secrets.get (cached)',
    guest: () => inGuest('/secret', ''),
    main: mainThreadSecret,
    baselineLabel: 'envelope digest + LRU get',
  },
  {
    id: 'storage-get',
    label: 'storage.get (SQLite registry store)',
    guest: () => inGuest('/storage', ''),
    main: () => host.store.kvGet(scope, 'bench-key'),
    baselineLabel: 'store.kvGet',
  },
  {
    id: 'http-fetch',
    label: 'http.fetch loopback GET',
    guest: () => inGuest('/fetch', `&url=${encodeURIComponent(upstreamUrl)}`),
    main: async () => (await fetch(upstreamUrl)).text(),
    baselineLabel: 'fetch() + text()',
  },
];
for (const { id, label, guest, main, baselineLabel } of cases) {
  const guestTimes = (await guest()).map((ms) => ms * 1000);
  const mainTimes = (
    await sample(main, { warmup: 20, samples: callsPerInvocation * invocations })
  ).map((ms) => ms * 1000);
  const subject = summarize(guestTimes);
  const baseline = summarize(mainTimes);
  report.compare({
    id: `capability.${id}`,
    label: `${label}, from the guest`,
    unit: 'us',
    subject,
    baseline: { label: baselineLabel, summary: baseline },
  });
}
const opens = await sample(
  () =>
    envelope === undefined
      ? undefined
      : host.sealer.open(envelope, {
          tenantId: 'bench',
          installId: install.installId,
          version: install.secretsVersion,
        }),
  { warmup: 10, samples: 200 },
);
report.add({
  id: 'capability.secrets-open',
  label: 'sealer.open (uncached secrets.get pays this once per TTL)',
  unit: 'us',
  subject: summarize(opens.map((ms) => ms * 1000)),
});

report.note(
  `Guest figures are timed with performance.now() inside the guest around each call (${callsPerInvocation} calls per request, ${invocations} requests after a warm-up request), so they hold the worker -> main thread hop (postMessage + Atomics.wait), argument checks, the grant check and the provider's work.`,
);
report.note(
  "The upstream is a node:http server in its own process; the main-thread fetch uses Node's global fetch (undici) to the same URL.",
);
await report.finish();
await stack.close();
await host.close();
await upstream.close();
