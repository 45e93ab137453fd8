import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';

/** Where a running Alga host's admin API is, and its admin token. */
export interface AdminTarget {
  /** Base URL of the host, e.g. `http://127.0.0.1:3000`. */
  readonly host: string;
  /** The host's admin token. */
  readonly token: string;
}

/** `--host` and `--token` as every admin API command takes them. */
export const targetFlags = {
  host: z.url({ protocol: /^https?$/ }).optional(),
  token: z.string().min(1).optional(),
};

/** Adds `--host` and `--token`, which every command that calls a host's admin API takes. */
export function targetOptions(command: Command): Command {
  return command
    .option('--host <url>', 'the host, e.g. http://127.0.0.1:3000 (default $ALGA_HOST_URL)')
    .option('--token <token>', 'the host admin token (default $ALGA_ADMIN_TOKEN)');
}

/** `--host`/`--token`, falling back to `ALGA_HOST_URL`/`ALGA_ADMIN_TOKEN`; `USAGE` when missing. */
export function adminTarget(
  flags: { host?: string | undefined; token?: string | undefined },
  command: string,
): AdminTarget {
  const host = flags.host ?? process.env.ALGA_HOST_URL;
  const token = flags.token ?? process.env.ALGA_ADMIN_TOKEN;
  if (host === undefined || host === '') {
    throw new CliError('USAGE', `alga ${command}: pass --host <url> or set ALGA_HOST_URL`);
  }
  if (token === undefined || token === '') {
    throw new CliError(
      'USAGE',
      `alga ${command}: pass --token <admin token> or set ALGA_ADMIN_TOKEN`,
    );
  }
  if (!/^https?:\/\/[^/]/.test(host)) {
    throw new CliError('USAGE', `alga ${command}: --host must be an http: or https: URL`);
  }
  return { host: host.replace(/\/+$/, ''), token };
}

/** The admin API path of a tenant's install, or of one of its parts (`settings`, `audit`). */
export function installPath(
  install: { readonly tenant: string; readonly extensionId: string },
  part?: 'settings' | 'audit',
): string {
  const path = `/api/v1/installs/${encodeURIComponent(install.tenant)}/${encodeURIComponent(install.extensionId)}`;
  return part === undefined ? path : `${path}/${part}`;
}

/** Sends one admin API request with the admin token; `REMOTE` when the host cannot be reached. */
export async function adminFetch(
  target: AdminTarget,
  path: string,
  init: { method: string; body?: BodyInit; json?: unknown; signal?: AbortSignal },
): Promise<Response> {
  try {
    return await fetch(`${target.host}${path}`, {
      method: init.method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.json === undefined
        ? init.body === undefined
          ? {}
          : { body: init.body }
        : { body: JSON.stringify(init.json) }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
  } catch (cause) {
    throw new CliError('REMOTE', `cannot reach ${target.host} (${(cause as Error).message})`, {
      cause,
    });
  }
}

/** `text` parsed as JSON, or `undefined` when it is not JSON (the caller's schema then refuses it). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The `REMOTE` error for a refused admin request: the host's status, code and message. */
function refusal(target: AdminTarget, status: number, json: unknown): CliError {
  const error = (
    json as { error?: { code?: string; message?: string; reason?: string } } | undefined
  )?.error;
  const code = error?.reason === undefined ? error?.code : `${error.code}/${error.reason}`;
  return new CliError(
    'REMOTE',
    `${target.host} answered ${status}${code === undefined ? '' : ` ${code}`}: ${
      error?.message ?? 'no error details'
    }`,
    { status },
  );
}

/**
 * Calls the admin API and returns its JSON; a refusal becomes a `REMOTE` error carrying the
 * host's status, code and message (`413 PAYLOAD_TOO_LARGE: ...`).
 */
export async function callAdmin(
  target: AdminTarget,
  path: string,
  init: { method: string; body?: BodyInit; json?: unknown },
): Promise<unknown> {
  const response = await adminFetch(target, path, init);
  const json = parseJson(await response.text());
  // 204 (an uninstall) has no body to parse.
  if (response.ok && (json !== undefined || response.status === 204)) return json;
  throw refusal(target, response.status, json);
}

/**
 * Reads a refused request's body into its `REMOTE` error (for calls that stream their answer,
 * so do not go through {@link callAdmin}).
 */
export async function refusalOf(target: AdminTarget, response: Response): Promise<CliError> {
  return refusal(target, response.status, parseJson(await response.text()));
}

/** Parses the admin API's `answer` to `what` with `schema`, or fails with `REMOTE`. */
export function answerOf<T>(
  schema: z.ZodType<T>,
  answer: unknown,
  target: AdminTarget,
  what: string,
): T {
  const parsed = schema.safeParse(answer);
  if (!parsed.success) {
    throw new CliError('REMOTE', `${target.host} answered ${what} with an unexpected body`);
  }
  return parsed.data;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new CliError(
      'IO',
      `cannot read ${what} ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause },
    );
  }
}

/** What the host answered to a publish. */
export interface PublishResult {
  readonly extensionId: string;
  readonly version: string;
  readonly contentHash: string;
  /** False when the host already had this exact version (publishing is idempotent). */
  readonly created: boolean;
}

const publishAnswer = z.object({
  extensionId: z.string(),
  version: z.string(),
  contentHash: z.string(),
  created: z.boolean(),
});

/**
 * Uploads a bundle and its detached signature to a host's admin API
 * (`POST /api/v1/extensions`, multipart `bundle` + `signature`). The host verifies both
 * against its trust bundle before it records the version.
 *
 * @example
 * ```ts
 * const result = await publishBundle('hello-1.0.0.algabundle', 'hello-1.0.0.algabundle.sig',
 *   { host: 'http://127.0.0.1:3000', token: process.env.ALGA_ADMIN_TOKEN! });
 * ```
 */
export async function publishBundle(
  bundlePath: string,
  sigPath: string,
  target: AdminTarget,
): Promise<PublishResult> {
  const bundle = await readInput(bundlePath, 'bundle');
  const signature = await readInput(sigPath, 'signature');
  const form = new FormData();
  form.set('bundle', new Blob([new Uint8Array(bundle)]), 'bundle.algabundle');
  form.set(
    'signature',
    new Blob([new Uint8Array(signature)], { type: 'application/json' }),
    'bundle.sig',
  );
  const answer = await callAdmin(target, '/api/v1/extensions', { method: 'POST', body: form });
  return answerOf(publishAnswer, answer, target, 'the publish');
}

const flagsSchema = z.strictObject({ sig: z.string().min(1).optional(), ...targetFlags });

/** Registers `alga publish <bundle> --sig <file> --host <url> --token <admin token>`. */
export function registerPublish(program: Command): void {
  targetOptions(
    program
      .command('publish <bundle>')
      .description('upload a signed bundle to a running Alga host (alga serve or your own)')
      .option('-s, --sig <file>', 'detached signature (default <bundle>.sig)'),
  ).action(async (bundle: string, rawFlags: unknown) => {
    const flags = parseFlags(flagsSchema, rawFlags, 'publish');
    const result = await publishBundle(
      bundle,
      flags.sig ?? `${bundle}.sig`,
      adminTarget(flags, 'publish'),
    );
    process.stdout.write(
      `${result.created ? 'published' : 'already published'} ${result.extensionId}@${result.version} ${result.contentHash}\n`,
    );
  });
}
