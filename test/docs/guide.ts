import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * Runs the shell blocks of a guide in order, like a reader pasting them into a terminal, and
 * checks the output shown after each. Directives are HTML comments on the line before a fence:
 *
 * - `<!-- doc-test: skip … -->`: an illustrative block, not run.
 * - `<!-- doc-test: background ready="text" -->`: a long-running command (a server); it keeps
 *   running while later blocks run, and is stopped with SIGINT at the end of the guide.
 * - `<!-- doc-test: background-output -->` on a text block: lines the background command prints
 *   (since the previous block started), waited for.
 * - `<!-- doc-test: free-ports 4000 4100 -->` (anywhere): these ports are replaced by free ones,
 *   so the test never collides with a server already running.
 *
 * `cd` and `export` carry over from block to block. A text block right after a shell block
 * holds lines its output must contain, in order, with `…` matching anything.
 */

/** One step of a guide. */
export interface Step {
  kind: 'run' | 'background' | 'background-output';
  /** Shell source, or for `background-output` the expected lines. */
  source: string;
  /** Expected output lines (may be empty). */
  expected: string[];
  /** Text a background command prints once it is ready. */
  ready?: string;
  /** Line in the guide, for messages. */
  line: number;
}

/** A parsed guide. */
export interface Guide {
  steps: Step[];
  ports: number[];
}

const FENCE = /^```(\w*)\s*$/;

/** Splits a guide into its steps. */
export function parseGuide(markdown: string): Guide {
  const lines = markdown.split('\n');
  const steps: Step[] = [];
  const ports = [...markdown.matchAll(/<!-- doc-test: free-ports ([\d ]+) -->/g)].flatMap((match) =>
    (match[1] ?? '').trim().split(/\s+/).map(Number),
  );
  let directive = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const comment = /^<!-- doc-test: (.*) -->$/.exec(line.trim());
    if (comment !== null) {
      directive = comment[1] ?? '';
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence === null) {
      if (line.trim() !== '') directive = '';
      continue;
    }
    const language = fence[1] ?? '';
    const body: string[] = [];
    const start = index + 1;
    for (index += 1; index < lines.length && !/^```\s*$/.test(lines[index] as string); index++) {
      body.push(lines[index] as string);
    }
    const current = directive;
    directive = '';
    if (current.startsWith('skip') || current.startsWith('free-ports')) continue;
    if (language === 'sh') {
      const ready = /ready="([^"]+)"/.exec(current)?.[1];
      steps.push({
        kind: current.startsWith('background') ? 'background' : 'run',
        source: body.join('\n'),
        expected: [],
        ...(ready === undefined ? {} : { ready }),
        line: start,
      });
    } else if (language === 'text') {
      const expected = body.map((text) => text.trim()).filter((text) => text !== '');
      if (current.startsWith('background-output')) {
        steps.push({
          kind: 'background-output',
          source: '',
          expected,
          line: start,
        });
      } else {
        const previous = steps.at(-1);
        if (
          previous !== undefined &&
          previous.kind !== 'background-output' &&
          previous.expected.length === 0
        ) {
          previous.expected = expected;
        }
      }
    }
  }
  return { steps, ports };
}

/** The expected lines that `output` does not contain in order, or `[]`. */
export function missingLines(expected: readonly string[], output: string): string[] {
  const actual = output.split('\n').map((text) => text.trim());
  let from = 0;
  const missing: string[] = [];
  for (const line of expected) {
    const pattern = new RegExp(
      `^${line
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    const at = actual.findIndex((text, position) => position >= from && pattern.test(text));
    if (at === -1) missing.push(line);
    else from = at + 1;
  }
  return missing;
}

/** Variables bash keeps itself (read-only or per process): never carried from block to block. */
const SHELL_OWN =
  'BASH*|COLUMNS|DIRSTACK|EUID|GROUPS|HIST*|HOSTNAME|HOSTTYPE|IFS|LINENO|LINES|MACHTYPE|OLDPWD|OPTERR|OPTIND|OSTYPE|PIPESTATUS|PPID|PS4|PWD|RANDOM|SECONDS|SHELL|SHELLOPTS|SHLVL|SRANDOM|UID|EPOCH*|FUNCNAME|_|__n';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

interface Background {
  child: ChildProcess;
  output: string;
  step: Step;
}

/** Options of {@link runGuide}. */
export interface RunGuideOptions {
  /** Folder the first block runs in. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Longest any block or readiness wait may take. */
  timeoutMs: number;
  /** Called with each block's output, for the test's log. */
  log?: (text: string) => void;
}

function problem(step: Step, what: string, output: string): Error {
  return new Error(
    `guide line ${step.line}: ${what}\n--- block ---\n${step.source}\n--- output ---\n${output}`,
  );
}

/** Runs a guide's steps; throws naming the first block whose run or output is not as written. */
export async function runGuide(guide: Guide, options: RunGuideOptions): Promise<void> {
  const ports = new Map<number, number>();
  for (const port of guide.ports) ports.set(port, await freePort());
  const swap = (text: string) =>
    [...ports].reduce((out, [from, to]) => out.replaceAll(String(from), String(to)), text);
  let cwd = options.cwd;
  const env: NodeJS.ProcessEnv = { ...options.env };
  const stateFile = join(options.cwd, `.doc-test-env-${process.pid}`);
  const backgrounds: Background[] = [];
  let mark = 0;

  const waitFor = async (check: () => boolean, step: Step, what: string, output: () => string) => {
    const deadline = Date.now() + options.timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw problem(step, `timed out waiting for ${what}`, output());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  try {
    for (const step of guide.steps) {
      const latest = backgrounds.at(-1);
      if (step.kind === 'background-output') {
        if (latest === undefined) throw problem(step, 'no background command to read', '');
        const expected = step.expected.map(swap);
        const since = () => latest.output.slice(mark);
        await waitFor(
          () => missingLines(expected, since()).length === 0,
          step,
          'the background output',
          since,
        );
        const missing = missingLines(expected, since());
        if (missing.length > 0)
          throw problem(step, `the background output lacks:\n${missing.join('\n')}`, since());
        continue;
      }
      mark = latest?.output.length ?? 0;
      const source = swap(step.source);
      if (step.kind === 'background') {
        const child = spawn(
          'bash',
          ['-c', `source '${stateFile}.vars' 2>/dev/null || true\n${source}`],
          {
            cwd,
            env,
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        const background: Background = { child, output: '', step };
        const collect = (chunk: Buffer) => {
          background.output += chunk.toString('utf8');
        };
        child.stdout?.on('data', collect);
        child.stderr?.on('data', collect);
        backgrounds.push(background);
        const ready = swap(step.ready ?? '');
        await waitFor(
          () => {
            if (child.exitCode !== null)
              throw problem(
                step,
                `exited with ${child.exitCode} before it was ready`,
                background.output,
              );
            return background.output.includes(ready);
          },
          step,
          `"${ready}"`,
          () => background.output,
        );
        // The ready marker can arrive before the rest of the lines the guide shows (a loaded
        // machine flushes stdout and stderr apart): give them a bounded while to follow.
        const expected = step.expected.map(swap);
        const settleBy = Date.now() + 15_000;
        while (missingLines(expected, background.output).length > 0 && Date.now() < settleBy) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        options.log?.(`$ ${source}\n${background.output}`);
        const missing = missingLines(expected, background.output);
        if (missing.length > 0)
          throw problem(step, `the output lacks:\n${missing.join('\n')}`, background.output);
        continue;
      }
      // Shell variables (exported or not) carry over like in one terminal: each block starts by
      // sourcing what the last one declared, and ends by writing its variables down.
      const script = [
        `source '${stateFile}.vars' 2>/dev/null || true`,
        'set -eo pipefail',
        source,
        'set +e',
        `printf '%s' "$PWD" > '${stateFile}.cwd'`,
        'for __n in $(compgen -v); do',
        `  case "$__n" in ${SHELL_OWN}) continue;; esac`,
        '  declare -p "$__n" 2>/dev/null',
        `done > '${stateFile}.vars'`,
      ].join('\n');
      const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
      const [code] = (await once(child, 'close')) as [number | null];
      clearTimeout(timer);
      options.log?.(`$ ${source}\n${output}`);
      if (code !== 0) throw problem(step, `exited with ${code}`, output);
      const missing = missingLines(step.expected.map(swap), output);
      if (missing.length > 0)
        throw problem(step, `the output lacks:\n${missing.join('\n')}`, output);
      cwd = await readFile(`${stateFile}.cwd`, 'utf8');
    }
  } finally {
    for (const background of backgrounds.reverse()) {
      if (background.child.exitCode !== null || background.child.pid === undefined) continue;
      // The whole process group: bash, npx and the server it started.
      process.kill(-background.child.pid, 'SIGINT');
      const exited = once(background.child, 'close');
      const timeout = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
      if ((await Promise.race([exited.then(() => 'exited'), timeout])) !== 'exited') {
        process.kill(-background.child.pid, 'SIGKILL');
      }
    }
    await rm(`${stateFile}.cwd`, { force: true });
    await rm(`${stateFile}.vars`, { force: true });
  }
}
