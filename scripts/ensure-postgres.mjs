// Vitest globalSetup for the host suites: makes sure a PostgreSQL server listens on loopback so
// the registry contract suite runs on PostgreSQL too. Quick and idempotent: when something
// already listens it does nothing; otherwise it starts the installed Debian cluster, and only
// installs Debian's `postgresql` when none is installed. When it cannot (not root, no apt-get),
// it prints one line and the PostgreSQL suites skip themselves loudly.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';

/** The URL the host suites use; `DATABASE_URL` overrides it. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function listening(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    ...options,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `ensure-postgres: \`${command} ${args.join(' ')}\` exited with ${result.status}`,
    );
  }
}

const clusterVersions = () =>
  existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : [];

/**
 * A cluster this script installed has peer/password auth; the suites connect as `postgres`
 * without a password on loopback only, so trust exactly 127.0.0.1 for a fresh cluster.
 */
function trustLoopback(version) {
  const hba = `/etc/postgresql/${version}/main/pg_hba.conf`;
  const text = readFileSync(hba, 'utf8');
  const line = 'host all all 127.0.0.1/32 trust';
  if (!text.includes(line)) writeFileSync(hba, `${line}\n${text}`);
}

async function waitFor(host, port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await listening(host, port)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Start (or install and start) PostgreSQL on loopback when nothing listens; never throws. */
export async function ensurePostgres() {
  const url = new URL(DATABASE_URL);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 5432);
  if (await listening(host, port)) return true;
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const canStart = existsSync('/usr/bin/pg_ctlcluster');
  const canInstall = existsSync('/usr/bin/apt-get');
  if (!loopback || !isRoot || (!canStart && !canInstall)) {
    console.warn(
      `ensure-postgres: nothing listens on ${host}:${port} and this process cannot start PostgreSQL ` +
        `(${!loopback ? 'DATABASE_URL is not loopback' : !isRoot ? 'not root' : 'no pg_ctlcluster or apt-get'}).`,
    );
    return false;
  }
  try {
    let fresh = false;
    if (clusterVersions().length === 0) {
      console.log('ensure-postgres: installing Debian postgresql (about a minute)');
      run('apt-get', ['update', '-q']);
      run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'postgresql']);
      fresh = true;
    }
    const version = clusterVersions().at(-1);
    if (version === undefined) throw new Error('ensure-postgres: no cluster under /etc/postgresql');
    if (fresh) trustLoopback(version);
    run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
    if (!(await waitFor(host, port, 15_000))) {
      throw new Error(
        `ensure-postgres: cluster ${version}/main started but ${port} is not listening`,
      );
    }
    const database = url.pathname.slice(1) || 'postgres';
    if (!/^[A-Za-z0-9_]+$/.test(database))
      throw new Error(`ensure-postgres: odd database name ${database}`);
    const exists = spawnSync(
      'su',
      ['postgres', '-c', `psql -tAc "select 1 from pg_database where datname = '${database}'"`],
      {
        encoding: 'utf8',
      },
    );
    if (exists.stdout.trim() !== '1') run('su', ['postgres', '-c', `createdb ${database}`]);
    console.log(`ensure-postgres: started PostgreSQL ${version} on ${host}:${port}`);
    return true;
  } catch (error) {
    console.warn(`ensure-postgres: could not start PostgreSQL: ${error.message}`);
    return false;
  }
}

/** Vitest `globalSetup` entry: runs once per test run before the host suites start. */
export default async function setup() {
  await ensurePostgres();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await ensurePostgres();
