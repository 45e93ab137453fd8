// Vitest globalSetup for the host suites: makes sure a Redis server listens where REDIS_URL
// points (default redis://127.0.0.1:6379), so the debug-stream (and rate-limit) suites run on a
// real Redis. When one already listens it does nothing; otherwise it starts Debian's
// redis-server on loopback (installing it first when missing and this is root with apt-get) and
// stops it after the run. When it cannot, it prints one line and the Redis suites skip loudly.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const host = url.hostname || '127.0.0.1';
const port = Number(url.port || 6379);

function listening(timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function serverBinary(): string | undefined {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (existsSync(candidate)) return candidate;
  }
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return undefined;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const installed = spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
    stdio: 'ignore',
    env,
  });
  return installed.status === 0 && existsSync('/usr/bin/redis-server')
    ? '/usr/bin/redis-server'
    : undefined;
}

/** Starts Redis when none listens; returns the teardown that stops the one it started. */
export default async function ensureRedis(): Promise<(() => void) | undefined> {
  if (await listening()) return undefined;
  if (host !== '127.0.0.1' && host !== 'localhost') {
    console.warn(`ensure-redis: nothing listens at ${url.host}; the Redis suites will skip`);
    return undefined;
  }
  const binary = serverBinary();
  if (binary === undefined) {
    console.warn('ensure-redis: no redis-server and cannot install it; the Redis suites will skip');
    return undefined;
  }
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await listening()) return () => child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  console.warn(
    `ensure-redis: redis-server did not start on port ${port}; the Redis suites will skip`,
  );
  return undefined;
}
