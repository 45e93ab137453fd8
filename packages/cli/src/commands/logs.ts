import type { Command } from 'commander';
import { z } from 'zod';
import { readSse } from '../dev/sse';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';
import { terminalSafe } from '../internal/terminal';
import {
  type AdminTarget,
  adminFetch,
  adminTarget,
  parseJson,
  refusalOf,
  targetFlags,
  targetOptions,
} from './publish';

/** Which guest output to follow; every field narrows it, none follows every tenant's. */
export interface LogFilter {
  readonly tenant?: string;
  readonly extensionId?: string;
  readonly requestId?: string;
}

// Loose: `--json` passes each event on whole, fields this CLI does not read included.
const debugEventSchema = z.looseObject({
  /** Epoch milliseconds. */
  at: z.number(),
  requestId: z.string(),
  tenantId: z.string(),
  extensionId: z.string(),
  version: z.string(),
  stream: z.string(),
  level: z.string(),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

/** One line of guest output from a host's debug stream: stdout, stderr or a `ctx.log` entry. */
export type GuestLogEvent = z.infer<typeof debugEventSchema>;

/** What {@link followLogs} does with the stream. */
export interface FollowOptions {
  /** Called once the host has opened the stream, before any event. */
  readonly onReady?: () => void;
  /** Called for each line of guest output, in order. */
  readonly onEvent: (event: GuestLogEvent) => void;
  /** Stops following; `followLogs` then resolves. */
  readonly signal?: AbortSignal;
}

function streamPath(filter: LogFilter): string {
  const query = new URLSearchParams();
  if (filter.tenant !== undefined) query.set('tenant', filter.tenant);
  if (filter.extensionId !== undefined) query.set('extension', filter.extensionId);
  if (filter.requestId !== undefined) query.set('requestId', filter.requestId);
  const search = query.toString();
  return `/api/ext-debug/stream${search === '' ? '' : `?${search}`}`;
}

/**
 * Follows a running host's live guest output (`GET /api/ext-debug/stream`, admin token) until
 * `signal` aborts or the host ends the stream. Only what is written while following arrives:
 * the stream keeps no history.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * await followLogs({ tenant: 'acme' }, { host: 'http://127.0.0.1:3000', token: process.env.ALGA_ADMIN_TOKEN! },
 *   { onEvent: (event) => console.log(event.level, event.message), signal: stop.signal });
 * ```
 */
export async function followLogs(
  filter: LogFilter,
  target: AdminTarget,
  options: FollowOptions,
): Promise<void> {
  if (options.signal?.aborted === true) return;
  const stop = new AbortController();
  const abort = () => stop.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const response = await adminFetch(target, streamPath(filter), {
      method: 'GET',
      signal: stop.signal,
    });
    if (!response.ok) throw await refusalOf(target, response);
    if (response.body === null) {
      throw new CliError('REMOTE', `${target.host} answered the debug stream without a body`);
    }
    for await (const message of readSse(response.body, stop.signal)) {
      if (message.event === 'ready') options.onReady?.();
      if (message.event !== 'debug') continue;
      const parsed = debugEventSchema.safeParse(parseJson(message.data));
      if (!parsed.success) {
        throw new CliError('REMOTE', `${target.host} sent a debug event of an unexpected shape`);
      }
      options.onEvent(parsed.data);
    }
  } catch (error) {
    // Stopping aborts the request, which fails the fetch or the body read under way.
    if (!stop.signal.aborted) throw error;
  } finally {
    options.signal?.removeEventListener('abort', abort);
    stop.abort();
  }
}

/**
 * `at tenant extension@version requestId level-or-stream message {fields}`: one line per event,
 * with the guest's control characters escaped (a guest's newline cannot start a forged line).
 */
export function formatLogEvent(event: GuestLogEvent): string {
  const source = event.stream === 'log' ? event.level : event.stream;
  const fields = event.fields === undefined ? '' : ` ${JSON.stringify(event.fields)}`;
  return terminalSafe(
    `${new Date(event.at).toISOString()}  ${event.tenantId}  ${event.extensionId}@${event.version}  ${event.requestId}  ${source}  ${event.message}${fields}`,
  );
}

const logsFlags = z.strictObject({
  tenant: z.string().min(1).optional(),
  extension: z.string().min(1).optional(),
  requestId: z.string().min(1).optional(),
  json: z.boolean().optional(),
  ...targetFlags,
});

/** Registers `alga logs [--tenant <t>] [--extension <id>] [--request-id <id>]`. */
export function registerLogs(program: Command): void {
  targetOptions(
    program
      .command('logs')
      .description(
        "follow a running Alga host's live guest output (stdout, stderr, ctx.log) until Ctrl-C",
      )
      .option('--tenant <tenant>', "only this tenant's")
      .option('--extension <extensionId>', "only this extension's")
      .option('--request-id <requestId>', "only this request's")
      .option('--json', 'print each event as one line of JSON'),
  ).action(async (rawFlags: unknown) => {
    const flags = parseFlags(logsFlags, rawFlags, 'logs');
    const target = adminTarget(flags, 'logs');
    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      await followLogs(
        {
          ...(flags.tenant === undefined ? {} : { tenant: flags.tenant }),
          ...(flags.extension === undefined ? {} : { extensionId: flags.extension }),
          ...(flags.requestId === undefined ? {} : { requestId: flags.requestId }),
        },
        target,
        {
          signal: stop.signal,
          // On stderr: stdout carries only the events, for a pipe to grep or jq.
          onReady: () =>
            process.stderr.write(`alga logs: following ${target.host}; Ctrl-C stops\n`),
          onEvent: (event) =>
            process.stdout.write(
              `${flags.json === true ? terminalSafe(JSON.stringify(event)) : formatLogEvent(event)}\n`,
            ),
        },
      );
      if (!stop.signal.aborted)
        process.stderr.write(`alga logs: ${target.host} ended the stream\n`);
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  });
}
