import type { DataImage } from '../engine/data-image';
import type { CoreModuleFile } from '../engine/transpile-cache';
import type { InstancePolicy } from '../types';
import type { GlueScript } from './glue';

/**
 * The isolate protocol: messages between the runner (trusted side) and an isolate (a worker
 * thread, or a child process relaying to its own worker thread). The guest's host calls are
 * synchronous: the worker posts a `call`, blocks in `Atomics.wait` on `flag`, and takes the
 * answer from `replyPort` with `receiveMessageOnPort` once the trusted side notifies.
 */

/** A host error as the WIT `error` variant. */
export interface HostErrorPayload {
  readonly tag: 'denied' | 'not-found' | 'invalid' | 'unavailable' | 'limit' | 'conflict';
  readonly val: string;
}

/** The answer to one host call. */
export type CallResult = { readonly ok: unknown } | { readonly err: HostErrorPayload };

/** The WIT `incoming-request` as jco lifts it (camelCase, `option` as `undefined`). */
export interface WitIncomingRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Array<[string, string]>;
  readonly headers: Array<{ name: string; value: string }>;
  readonly body: Uint8Array;
  readonly params: Array<[string, string]>;
  readonly handler: string | undefined;
  readonly kind: 'api' | 'ui-proxy';
}

/** The WIT `outgoing-response`. */
export interface WitOutgoingResponse {
  readonly status: number;
  readonly headers: Array<{ name: string; value: string }>;
  readonly body: Uint8Array;
}

/** Bytes of the shared state every worker gets ({@link WorkerBoot.flag}). */
export const SHARED_STATE_BYTES = 16;
/** `Int32Array` index of the id of the invocation whose handler started last. */
export const STARTED_ID_INDEX = 1;
/** `Float64Array` index of when it started, in epoch ms (`performance.timeOrigin + now()`). */
export const STARTED_AT_INDEX = 1;

/** Data every worker starts with. */
export interface WorkerBoot {
  /**
   * Shared state ({@link SHARED_STATE_BYTES}). `Int32Array` index 0: 0 while a host call is
   * pending, 1 once its answer was posted; index {@link STARTED_ID_INDEX} and `Float64Array`
   * index {@link STARTED_AT_INDEX}: the invocation whose handler started last and when. The
   * trusted side reads the start there when its deadline timer fires, so a request costs no
   * `started` message.
   */
  readonly flag: SharedArrayBuffer;
  /** Also post `started` (a child process enforces deadlines itself, from the message). */
  readonly postStarted?: boolean;
  readonly replyPort: MessagePort;
  /** Host interfaces and their functions, as the provider registry serves them. */
  readonly interfaces: Readonly<Record<string, readonly string[]>>;
  /** Instances a worker keeps (warm `reuse` instances plus `fresh` spares), least recent dropped. */
  readonly maxInstances: number;
}

/** Loads a program into a worker thread (compiled modules are shared, not recompiled). */
export interface LoadMessage {
  readonly type: 'load';
  readonly programId: string;
  readonly glueUrl: string;
  /** The glue at `glueUrl` as a script, when it is one: the worker then reads nothing. */
  readonly glueScript?: GlueScript;
  /** Each module with the data it was compiled without, if any (written into every instance). */
  readonly modules: ReadonlyArray<{
    readonly name: string;
    readonly module: WebAssembly.Module;
    readonly image?: DataImage;
  }>;
  readonly memoryPages: number;
}

/** Loads a program into a child process, which compiles the cached files itself. */
export interface ProcessLoadMessage {
  readonly type: 'load';
  readonly programId: string;
  readonly glueUrl: string;
  readonly files: readonly CoreModuleFile[];
  readonly memoryPages: number;
}

/** Runs one request. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly programId: string;
  /** `<tenant>\u0000<install>`: an instance only ever serves this key. */
  readonly installKey: string;
  readonly policy: InstancePolicy;
  readonly maxRequestsPerInstance: number;
  readonly maxResponseBytes: number;
  /** Bytes of stdout/stderr the worker forwards for this invocation. */
  readonly maxStdioBytes: number;
  /** The handler's deadline, counted from `started` (a child process enforces it itself). */
  readonly timeoutMs: number;
  readonly request: WitIncomingRequest;
}

/** Main -> worker. */
export type ToWorker = LoadMessage | InvokeMessage;

/** Parent -> child process. */
export type ToProcess =
  | ProcessLoadMessage
  | InvokeMessage
  | { readonly type: 'reply'; readonly result: CallResult };

/** How an invocation ended inside the isolate. */
export type InvokeOutcome =
  | {
      readonly kind: 'ok';
      readonly response: WitOutgoingResponse;
      /** The guest reached its memory cap during the call (and may have answered an error for it). */
      readonly memoryExhausted: boolean;
    }
  | {
      readonly kind: 'trap';
      readonly message: string;
      readonly memoryLimit: boolean;
      /** The guest's event loop ran dry with the handler's promise still pending. */
      readonly neverSettled: boolean;
    }
  | { readonly kind: 'too-large'; readonly bytes: number }
  | { readonly kind: 'failed'; readonly message: string };

/** Worker -> main (and child process -> parent). */
export type FromWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'call';
      readonly id: number;
      readonly iface: string;
      readonly fn: string;
      readonly args: unknown[];
    }
  /**
   * The program is loaded: the deadline starts now (instantiating counts, loading does not).
   * Posted only to a child process's entry ({@link WorkerBoot.postStarted}).
   */
  | {
      readonly type: 'started';
      readonly id: number;
      /** When, in epoch ms (`performance.timeOrigin + performance.now()`): the deadline counts from here. */
      readonly at: number;
    }
  | {
      readonly type: 'stdio';
      readonly id: number;
      readonly stream: 'stdout' | 'stderr';
      readonly text: string;
      /** Output past the invocation's log budget was dropped. */
      readonly truncated: boolean;
    }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly outcome: InvokeOutcome;
      /** Linear memory of the instance after the call (the high-water mark: it never shrinks). */
      readonly memoryBytes: number;
      /** Time spent instantiating for this call (0 when a warm instance or spare served it). */
      readonly instantiateMs: number;
    }
  | { readonly type: 'load-failed'; readonly programId: string; readonly message: string }
  /** A child process stopped its worker at the deadline (it exits right after). */
  | { readonly type: 'timeout'; readonly id: number };
