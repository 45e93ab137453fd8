// What a user of the published packages does, run against the tarballs `npm pack` made: the
// tarballs are unpacked into a node_modules/ outside this checkout (their third-party
// dependencies linked from this checkout's install, in npm's layout, so nothing is downloaded),
// then the `alga` binary of that install scaffolds an extension, builds it, runs its test, keys,
// packs and signs it, serves it with `alga serve`, publishes, creates a tenant, installs and calls
// it over loopback. A file a flow needs but the tarball lacks (a template, the WIT, a worker entry)
// fails here, where the per-package checks only see the declared entries.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ADMIN_TOKEN = 'consumer-check-admin-token-0123456789';
/** What the basic template's manifest asks for. */
const TEMPLATE_GRANTS = ['cap:context.read', 'cap:log.emit', 'cap:config.read'];
/** Generous: a cold `alga build` takes 4-12 s on a 2-core machine, more under a loaded CI run. */
const STEP_TIMEOUT_MS = 180_000;

/** Links every package of `from` (a node_modules folder) into `to`, but the ones in `except`. */
function linkModules(from, to, except = new Set()) {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry.startsWith('.') || except.has(entry)) continue;
    symlinkSync(join(from, entry), join(to, entry), 'junction');
  }
}

/** Runs `node <args>` in `cwd` and returns its stdout; a failure names the step and its stderr. */
function node(args, cwd, step) {
  try {
    return execFileSync(process.execPath, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: STEP_TIMEOUT_MS,
      env: { ...process.env, NO_COLOR: '1' },
    });
  } catch (error) {
    const output = `${error.stderr ?? ''}${error.stdout ?? ''}`.trim().split('\n').slice(-8);
    throw new Error(`${step} failed:\n    ${output.join('\n    ')}`);
  }
}

/** Starts `alga serve` on a free loopback port and resolves with its URL once it listens. */
function serve(alga, cwd, trust) {
  const child = spawn(
    process.execPath,
    [alga, 'serve', '--data', join(cwd, '.alga', 'serve'), '--port', '0', '--trust', trust],
    {
      cwd,
      env: { ...process.env, ALGA_ADMIN_TOKEN: ADMIN_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`alga serve did not start:\n${output}`)),
      STEP_TIMEOUT_MS,
    );
    const read = (chunk) => {
      output += chunk;
      const listening = /listening on (http:\/\/\S+)/.exec(output);
      if (listening !== null) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`alga serve exited with ${code}:\n${output}`));
    });
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGINT');
    });
  return { url, stop };
}

/**
 * Installs the `packed` tarballs (`{dir, manifest, tarball}` of each package) as a user would,
 * and runs an extension's whole life through them. Returns the problems found (empty when none).
 */
export async function checkConsumer(root, packed) {
  const work = mkdtempSync(join(tmpdir(), 'alga-consumer-'));
  try {
    const modules = join(work, 'node_modules');
    for (const { dir, manifest, tarball } of packed) {
      const target = join(modules, manifest.name);
      mkdirSync(target, { recursive: true });
      execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
      // Dependencies npm could not hoist (another version at the root) stay beside the package.
      linkModules(join(dir, 'node_modules'), join(target, 'node_modules'));
    }
    linkModules(join(root, 'node_modules'), modules, new Set(['@alga']));

    const alga = join(modules, '@alga', 'cli', 'bin', 'alga.js');
    node([alga, 'new', 'my-ext'], work, 'alga new');
    const project = join(work, 'my-ext');
    node([alga, 'build'], project, 'alga build');
    node([join(modules, 'vitest', 'vitest.mjs'), 'run'], project, "the new project's test");
    node(
      [alga, 'keygen', '--out', 'keys/example', '--publisher', 'example'],
      project,
      'alga keygen',
    );
    node([alga, 'pack', '-o', 'my-ext.algabundle'], project, 'alga pack');
    node([alga, 'sign', 'my-ext.algabundle', '--key', 'keys/example.key'], project, 'alga sign');

    const host = serve(alga, project, 'keys/example.pub.pem');
    let stopped;
    try {
      const url = await host.url;
      const target = ['--host', url, '--token', ADMIN_TOKEN];
      node([alga, 'publish', 'my-ext.algabundle', ...target], project, 'alga publish');
      const apiKey = node(
        [alga, 'tenants', 'create', 'acme', ...target],
        project,
        'alga tenants create',
      ).trim();
      node(
        [
          alga,
          'install',
          'com.example.my-ext',
          '--tenant',
          'acme',
          ...TEMPLATE_GRANTS.flatMap((grant) => ['--grant', grant]),
          '--config',
          'greeting=Hi',
          ...target,
        ],
        project,
        'alga install',
      );
      const answer = await fetch(`${url}/api/ext/com.example.my-ext/hello?name=Ada`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const body = await answer.text();
      if (answer.status !== 200 || JSON.parse(body).message !== 'Hi, Ada!') {
        throw new Error(`the installed extension answered ${answer.status}: ${body}`);
      }
    } finally {
      stopped = await host.stop();
    }
    if (stopped !== 0) throw new Error(`alga serve stopped with exit code ${stopped}`);
    return [];
  } catch (error) {
    return [`installed from the tarballs: ${error.message}`];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
