import type { CapabilityId } from '@alga/manifest';
import { EventEmitter } from 'eventemitter3';
import type { LimitName, RunnerErrorCode } from '../runner/errors';
import type { InstancePolicy, InvocationContext, IsolationMode } from '../runner/types';

/** An invocation was admitted and is about to run. */
export interface InvocationStartEvent {
  readonly context: InvocationContext;
  readonly method: string;
  readonly path: string;
  readonly kind: 'api' | 'ui-proxy';
}

/** An invocation ended, successfully or not. */
export interface InvocationEndEvent {
  readonly context: InvocationContext;
  /** `ok`, or the runner error code it ended with. */
  readonly outcome: 'ok' | RunnerErrorCode;
  /** HTTP status returned. */
  readonly status: number;
  readonly durationMs: number;
  /** Guest linear memory after the call (its high-water mark); 0 when it never ran. */
  readonly memoryBytes: number;
  /** Bytes the guest's HTTP calls sent and received. */
  readonly egress: { readonly sent: number; readonly received: number };
  /** Time spent instantiating for this call (0 when a warm instance or spare served it). */
  readonly instantiateMs: number;
  readonly policy: InstancePolicy;
  readonly mode: IsolationMode;
}

/** A limit fired. */
export interface LimitEvent {
  readonly context: InvocationContext;
  readonly limit: LimitName;
  readonly message: string;
}

/** A host call was refused because the install lacks the capability. */
export interface DeniedEvent {
  readonly context: InvocationContext;
  readonly capability: CapabilityId;
}

/** The guest trapped; its instance was discarded. */
export interface TrapEvent {
  readonly context: InvocationContext;
  readonly message: string;
  readonly memoryLimit: boolean;
}

/** An isolate was replaced (killed at a deadline or crashed). */
export interface IsolateReplacedEvent {
  readonly mode: IsolationMode;
  readonly reason: string;
}

/**
 * A bundle became a program the isolates can instantiate: read and verified, its glue found or
 * made, its core modules compiled. Once per content hash and memory cap while the program stays
 * cached; a cold start's first request waits for it.
 */
export interface ProgramLoadedEvent {
  readonly contentHash: string;
  readonly extensionId: string;
  readonly version: string;
  /**
   * Where the glue came from: `jco` ran (on the shape's skeleton, or on the whole component),
   * `shape` is a recorded shape's glue (a new build of a known shape), `disk` is this
   * component's transpile read back (a restart, or a version that kept its component).
   */
  readonly origin: 'jco' | 'shape' | 'disk';
  /** Reading the bundle from the store and verifying it. */
  readonly verifyMs: number;
  /** Finding or making the glue once the component was verified. */
  readonly transpileMs: number;
  /** Waiting for the core modules' compile once the glue was there (it starts with the transpile). */
  readonly compileWaitMs: number;
  readonly totalMs: number;
}

/** Events of a runner, for host applications. */
export interface RunnerEventMap {
  'invocation:start': [event: InvocationStartEvent];
  'invocation:end': [event: InvocationEndEvent];
  limit: [event: LimitEvent];
  denied: [event: DeniedEvent];
  trap: [event: TrapEvent];
  'isolate:replaced': [event: IsolateReplacedEvent];
  'program:loaded': [event: ProgramLoadedEvent];
}

/**
 * Typed runner events (eventemitter3).
 *
 * @example
 * ```ts
 * runner.events.on('invocation:end', (event) => {
 *   console.log(event.context.extensionId, event.outcome, event.durationMs);
 * });
 * ```
 */
export class RunnerEvents extends EventEmitter<RunnerEventMap> {}
