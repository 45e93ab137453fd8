import { EventEmitter } from 'eventemitter3';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { RunnerError } from '../runner/errors';

/** One line of guest output: stdout, stderr, or a `log.emit` call. */
export interface DebugEvent {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly requestId: string;
  readonly tenantId: string;
  readonly extensionId: string;
  readonly installId: string;
  readonly version: string;
  readonly contentHash: string;
  readonly stream: 'stdout' | 'stderr' | 'log';
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  /** Structured fields of a `log.emit` call. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Which events a subscriber wants; absent fields match everything. */
export interface DebugFilter {
  readonly tenantId?: string;
  readonly extensionId?: string;
  readonly installId?: string;
  readonly requestId?: string;
}

/** Where debug events travel: in process, or through Redis Streams across runner replicas. */
export interface DebugStreamAdapter {
  publish(event: DebugEvent): void;
  /** Calls `listener` for every event published from now on; returns the unsubscribe function. */
  subscribe(listener: (event: DebugEvent) => void): () => void;
  close(): Promise<void>;
}

/** A live subscription: an async iterator of matching events, bounded (the oldest are dropped). */
export interface DebugSubscription extends AsyncIterableIterator<DebugEvent> {
  /** Events dropped because the consumer fell more than the buffer behind. */
  readonly dropped: number;
  close(): void;
}

const debugEventSchema = z.object({
  at: z.number(),
  requestId: z.string(),
  tenantId: z.string(),
  extensionId: z.string(),
  installId: z.string(),
  version: z.string(),
  contentHash: z.string(),
  stream: z.enum(['stdout', 'stderr', 'log']),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

function matches(filter: DebugFilter, event: DebugEvent): boolean {
  return (
    (filter.tenantId === undefined || filter.tenantId === event.tenantId) &&
    (filter.extensionId === undefined || filter.extensionId === event.extensionId) &&
    (filter.installId === undefined || filter.installId === event.installId) &&
    (filter.requestId === undefined || filter.requestId === event.requestId)
  );
}

/** The default adapter: events reach subscribers in this process only. */
export class InProcessDebugAdapter implements DebugStreamAdapter {
  readonly #emitter = new EventEmitter<{ event: [DebugEvent] }>();

  publish(event: DebugEvent): void {
    this.#emitter.emit('event', event);
  }

  subscribe(listener: (event: DebugEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}

/** Options of {@link RedisDebugAdapter}. */
export interface RedisDebugAdapterOptions {
  /** `redis://` URL. */
  readonly url: string;
  /** Key prefix; events go to the stream `<prefix>events`. Default `alga:runner:debug:`. */
  readonly streamPrefix?: string;
  /** Approximate stream length kept (`XADD MAXLEN ~`). Default 10000. */
  readonly maxLen?: number;
  /** Called when a publish or read fails (the stream is best effort, never on the request path). */
  readonly onError?: (error: Error) => void;
}

/**
 * Debug events through a Redis Stream, so a subscriber sees the output of every runner replica.
 * Publishing is fire-and-forget (`XADD MAXLEN ~`); each subscription reads with `XREAD BLOCK`
 * on its own connection, starting at the newest entry.
 */
export class RedisDebugAdapter implements DebugStreamAdapter {
  readonly #url: string;
  readonly #key: string;
  readonly #maxLen: number;
  readonly #onError: (error: Error) => void;
  readonly #publisher: Redis;
  readonly #readers = new Set<Redis>();

  constructor(options: RedisDebugAdapterOptions) {
    this.#url = options.url;
    this.#key = `${options.streamPrefix ?? 'alga:runner:debug:'}events`;
    this.#maxLen = options.maxLen ?? 10_000;
    this.#onError = options.onError ?? (() => {});
    this.#publisher = new Redis(this.#url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    this.#publisher.on('error', (error: Error) => this.#onError(error));
  }

  /** The stream key events are written to. */
  get key(): string {
    return this.#key;
  }

  publish(event: DebugEvent): void {
    this.#publisher
      .xadd(this.#key, 'MAXLEN', '~', String(this.#maxLen), '*', 'e', JSON.stringify(event))
      .catch((error: Error) => this.#onError(error));
  }

  subscribe(listener: (event: DebugEvent) => void): () => void {
    const reader = new Redis(this.#url, { maxRetriesPerRequest: null });
    reader.on('error', (error: Error) => this.#onError(error));
    this.#readers.add(reader);
    let open = true;
    const loop = async () => {
      let lastId = '$';
      while (open) {
        let reply: Array<[string, Array<[string, string[]]>]> | null;
        try {
          reply = (await reader.xread('BLOCK', 1000, 'STREAMS', this.#key, lastId)) as typeof reply;
        } catch (error) {
          if (open) this.#onError(error as Error);
          return;
        }
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const raw = fields[fields.indexOf('e') + 1];
            if (raw === undefined) continue;
            try {
              const parsed = debugEventSchema.safeParse(JSON.parse(raw));
              if (parsed.success) listener(parsed.data as DebugEvent);
            } catch {
              // An entry that is not ours (or corrupt) is skipped, not fatal to the stream.
            }
          }
        }
      }
    };
    void loop();
    return () => {
      open = false;
      this.#readers.delete(reader);
      reader.disconnect();
    };
  }

  async close(): Promise<void> {
    for (const reader of this.#readers) reader.disconnect();
    this.#readers.clear();
    await this.#publisher.quit().catch(() => this.#publisher.disconnect());
  }
}

/**
 * The adapter the environment asks for: {@link RedisDebugAdapter} when `RUNNER_DEBUG_REDIS_URL`
 * is set (with `RUNNER_DEBUG_STREAM_PREFIX` and `RUNNER_DEBUG_STREAM_MAXLEN`), otherwise in process.
 */
export function debugAdapterFromEnv(env: NodeJS.ProcessEnv = process.env): DebugStreamAdapter {
  const url = env.RUNNER_DEBUG_REDIS_URL;
  if (url === undefined || url === '') return new InProcessDebugAdapter();
  const maxLenRaw = env.RUNNER_DEBUG_STREAM_MAXLEN;
  const maxLen = maxLenRaw === undefined || maxLenRaw === '' ? undefined : Number(maxLenRaw);
  if (maxLen !== undefined && (!Number.isInteger(maxLen) || maxLen < 1)) {
    throw new RunnerError(
      'CONFIG',
      `RUNNER_DEBUG_STREAM_MAXLEN must be a positive integer, got ${maxLenRaw}`,
    );
  }
  const prefix = env.RUNNER_DEBUG_STREAM_PREFIX;
  return new RedisDebugAdapter({
    url,
    ...(prefix === undefined || prefix === '' ? {} : { streamPrefix: prefix }),
    ...(maxLen === undefined ? {} : { maxLen }),
  });
}

/**
 * The runner's live debug stream of guest stdout, stderr and `log.emit` lines.
 *
 * @example
 * ```ts
 * const subscription = runner.debug.subscribe({ tenantId: 't1', extensionId: 'com.example.hello' });
 * for await (const event of subscription) console.log(event.stream, event.message);
 * ```
 */
export class DebugStream {
  readonly #adapter: DebugStreamAdapter;
  readonly #bufferSize: number;

  constructor(
    adapter: DebugStreamAdapter = new InProcessDebugAdapter(),
    options: { bufferSize?: number } = {},
  ) {
    this.#adapter = adapter;
    this.#bufferSize = options.bufferSize ?? 1000;
  }

  /** Publishes one event (the runner does this for every guest line within the log budget). */
  publish(event: DebugEvent): void {
    this.#adapter.publish(event);
  }

  /** Subscribes to events matching `filter`, from now on. */
  subscribe(filter: DebugFilter = {}): DebugSubscription {
    const buffer: DebugEvent[] = [];
    const waiting: Array<(result: IteratorResult<DebugEvent>) => void> = [];
    let dropped = 0;
    let open = true;
    const unsubscribe = this.#adapter.subscribe((event) => {
      if (!open || !matches(filter, event)) return;
      const next = waiting.shift();
      if (next !== undefined) {
        next({ value: event, done: false });
        return;
      }
      buffer.push(event);
      if (buffer.length > this.#bufferSize) {
        buffer.shift();
        dropped++;
      }
    });
    const close = () => {
      if (!open) return;
      open = false;
      unsubscribe();
      for (const next of waiting.splice(0)) next({ value: undefined, done: true });
    };
    const subscription: DebugSubscription = {
      get dropped() {
        return dropped;
      },
      close,
      next: () => {
        const event = buffer.shift();
        if (event !== undefined) return Promise.resolve({ value: event, done: false });
        if (!open) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => waiting.push(resolve));
      },
      return: () => {
        close();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return subscription;
      },
    };
    return subscription;
  }

  /** Closes the adapter (and its connections). */
  close(): Promise<void> {
    return this.#adapter.close();
  }
}
