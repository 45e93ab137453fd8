import { EventEmitter } from 'eventemitter3';
import { CallOptions, type Connection, connect, type RemoteProxy } from 'penpal';
import { BridgeError, BridgeErrorCode } from '../errors';
import { GuardedWindowMessenger, type GuardOptions, type IgnoredMessage } from './messenger';
import { CHANNEL, fromRemoteRejection } from './protocol';

/** Why a connection went away. */
export type DisconnectReason =
  /** The other side started over (the iframe reloaded, or the host re-bootstrapped it). */
  | 'reload'
  /** The iframe navigated away and did not answer a liveness ping. */
  | 'navigated'
  /** The other side destroyed its end. */
  | 'remote-destroyed';

/** Payload of the `connect` event. */
export interface ConnectEvent {
  /** True from the second connection on (after a reload). */
  reconnect: boolean;
}

/** Payload of the `disconnect` event. */
export interface DisconnectEvent {
  /** Why the connection went away. */
  reason: DisconnectReason;
}

/** Events a connection emits. */
export interface LinkEvents {
  /** The handshake (including the SDK's hello) finished. */
  connect: [ConnectEvent];
  /** The connection went away; calls in flight were rejected with `CONNECTION_LOST`. */
  disconnect: [DisconnectEvent];
  /** A handshake failed (timeout or protocol mismatch); the connection keeps listening. */
  error: [BridgeError];
}

/** Everything a {@link Link} needs from its side (host or iframe). */
export interface LinkOptions {
  guard: Pick<GuardOptions, 'remoteWindow' | 'acceptOrigin' | 'targetOrigin'>;
  onIgnored: ((info: IgnoredMessage) => void) | undefined;
  /** The local method tree, already wrapped for the wire. */
  methods: Record<string, unknown>;
  /** Runs after penpal's handshake (the SDK's hello); the connection counts as up once it resolves. */
  establish(remote: RemoteProxy, generation: number): Promise<void>;
  /** How long `ready` waits for the first connection before rejecting with `HANDSHAKE_FAILED`. */
  handshakeTimeoutMs: number;
  /** Default deadline of {@link Link.invoke}. */
  callTimeoutMs: number;
}

type Waiter = { resolve(remote: RemoteProxy): void; reject(error: BridgeError): void };

/**
 * One logical connection over penpal that survives the other side starting over.
 *
 * penpal 7 does the handshake, call ids, per-call timeouts and error replies. What it does
 * not do is notice that the peer was replaced: after an iframe reload it quietly
 * re-handshakes at the transport level, calls in flight never settle and nobody is told.
 * So each penpal `connect()` here is one *generation*: a SYN from a new participant after
 * the handshake ends the generation (calls in flight fail with `CONNECTION_LOST`, a
 * `disconnect` event fires) and a fresh `connect()` starts, which fires `connect` again.
 */
export class Link {
  readonly events = new EventEmitter<LinkEvents>();
  readonly ready: Promise<void>;
  #options: LinkOptions;
  #state: 'idle' | 'connecting' | 'connected' | 'destroyed' = 'idle';
  #generation = 0;
  #connection: Connection | undefined;
  #messenger: GuardedWindowMessenger | undefined;
  #remote: RemoteProxy | undefined;
  #handshaken = false;
  #peer: string | undefined;
  #everConnected = false;
  #inFlight = new Set<(error: BridgeError) => void>();
  #waiters = new Set<Waiter>();
  #settleReady: { resolve(): void; reject(error: BridgeError): void } | undefined;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LinkOptions) {
    this.#options = options;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = { resolve, reject };
    });
    // Callers that never await `ready` must not see an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** True between a finished handshake and the next disconnect. */
  get connected(): boolean {
    return this.#state === 'connected';
  }

  /** The current generation (changes on every reconnect). */
  get generation(): number {
    return this.#generation;
  }

  /** Starts listening and sends the first SYN. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#readyTimer = setTimeout(() => {
      this.#rejectReady(
        new BridgeError(
          BridgeErrorCode.HANDSHAKE_FAILED,
          `No handshake within ${this.#options.handshakeTimeoutMs} ms: is the other side using @alga/iframe-sdk, and are the origins right?`,
        ),
      );
    }, this.#options.handshakeTimeoutMs);
    this.#open();
  }

  /** Ends the current generation and starts a new one. */
  restart(reason: DisconnectReason): void {
    if (this.#state === 'destroyed' || this.#state === 'idle') return;
    const wasConnected = this.#state === 'connected';
    this.#teardown(
      new BridgeError(
        BridgeErrorCode.CONNECTION_LOST,
        `The connection was lost (${reason}) before the call was answered`,
      ),
    );
    if (wasConnected) this.events.emit('disconnect', { reason });
    this.#open();
  }

  /** Calls `path` on the other side, waiting for a connection first; one deadline covers both. */
  invoke(path: readonly string[], args: readonly unknown[], timeoutMs?: number): Promise<unknown> {
    const name = path.join('.');
    if (this.#state === 'destroyed') {
      return Promise.reject(
        new BridgeError(BridgeErrorCode.DESTROYED, `${name}(): the connection was destroyed`),
      );
    }
    const timeout = timeoutMs ?? this.#options.callTimeoutMs;
    const deadline = Date.now() + timeout;
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const [connected, stopWaiting] = this.#whenConnected();
      const finish = (error: BridgeError | undefined, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stopWaiting();
        this.#inFlight.delete(fail);
        if (error) reject(error);
        else resolve(value);
      };
      const fail = (error: BridgeError) => finish(error);
      const timer = setTimeout(
        () =>
          finish(
            new BridgeError(
              BridgeErrorCode.TIMEOUT,
              `${name}() got no answer within ${timeout} ms`,
            ),
          ),
        timeout,
      );
      connected
        .then((remote) => {
          if (settled) return undefined;
          this.#inFlight.add(fail);
          let target: unknown = remote;
          for (const segment of path) target = (target as Record<string, unknown>)[segment];
          const remaining = Math.max(1, deadline - Date.now());
          return (target as (...a: unknown[]) => Promise<unknown>)(
            ...args,
            new CallOptions({ timeout: remaining }),
          );
        })
        .then(
          (value) => finish(undefined, value),
          (error: unknown) => finish(fromRemoteRejection(error, name)),
        );
    });
  }

  /** Pings the other side; a peer that does not answer is treated as gone and reconnected. */
  probe(path: readonly string[], timeoutMs: number): void {
    if (this.#state !== 'connected') return;
    const generation = this.#generation;
    this.invoke(path, [], timeoutMs).catch(() => {
      if (generation === this.#generation && this.#state === 'connected') this.restart('navigated');
    });
  }

  /** Ends the connection for good; calls fail with `DESTROYED`, `ready` (if pending) with `reason`. */
  destroy(reason?: BridgeError): void {
    if (this.#state === 'destroyed') return;
    const error = new BridgeError(BridgeErrorCode.DESTROYED, 'The connection was destroyed');
    this.#connection?.destroy();
    this.#connection = undefined;
    this.#messenger = undefined;
    this.#remote = undefined;
    this.#state = 'destroyed';
    for (const fail of [...this.#inFlight]) fail(error);
    for (const waiter of [...this.#waiters]) waiter.reject(error);
    this.#waiters.clear();
    this.#rejectReady(reason ?? error);
    this.events.removeAllListeners();
  }

  #open(): void {
    const generation = ++this.#generation;
    this.#state = 'connecting';
    this.#handshaken = false;
    this.#peer = undefined;
    const messenger = new GuardedWindowMessenger({
      ...this.#options.guard,
      onIgnored: (info) => this.#options.onIgnored?.(info),
      onSyn: (participantId) => this.#onSyn(participantId, generation),
      onDestroy: () => {
        if (generation !== this.#generation) return;
        // penpal tears its side down in the same dispatch; start over once it has.
        queueMicrotask(() => {
          if (generation === this.#generation) this.restart('remote-destroyed');
        });
      },
    });
    this.#messenger = messenger;
    const connection = connect({
      messenger,
      methods: this.#options.methods as never,
      channel: CHANNEL,
    });
    this.#connection = connection;
    connection.promise
      .then(async (remote) => {
        if (generation !== this.#generation) return;
        this.#handshaken = true;
        this.#peer = messenger.peerParticipantId;
        await this.#options.establish(remote, generation);
        if (generation !== this.#generation || this.#state === 'destroyed') return;
        this.#remote = remote;
        this.#state = 'connected';
        clearTimeout(this.#readyTimer);
        for (const waiter of [...this.#waiters]) waiter.resolve(remote);
        this.#waiters.clear();
        this.events.emit('connect', { reconnect: this.#everConnected });
        this.#everConnected = true;
        this.#settleReady?.resolve();
        this.#settleReady = undefined;
      })
      .catch((error: unknown) => {
        if (generation !== this.#generation || this.#state === 'destroyed') return;
        const bridgeError = fromRemoteRejection(error, 'handshake');
        const failure =
          bridgeError.code === BridgeErrorCode.HANDSHAKE_FAILED
            ? bridgeError
            : new BridgeError(BridgeErrorCode.HANDSHAKE_FAILED, bridgeError.message, {
                cause: bridgeError,
              });
        // Keep listening: a new peer (a reloaded iframe) starts a new generation.
        this.#rejectReady(failure);
        this.events.emit('error', failure);
      });
  }

  #onSyn(participantId: string, generation: number): boolean {
    if (generation !== this.#generation) return false;
    if (!this.#handshaken || participantId === this.#peer) return true;
    queueMicrotask(() => {
      if (generation === this.#generation) this.restart('reload');
    });
    return false;
  }

  #teardown(error: BridgeError): void {
    this.#messenger?.mute();
    this.#connection?.destroy();
    this.#connection = undefined;
    this.#messenger = undefined;
    this.#remote = undefined;
    for (const fail of [...this.#inFlight]) fail(error);
  }

  /** The remote once connected, and a function that stops waiting (so timed-out calls leave nothing behind). */
  #whenConnected(): [Promise<RemoteProxy>, () => void] {
    if (this.#state === 'connected' && this.#remote) {
      return [Promise.resolve(this.#remote), () => undefined];
    }
    let waiter: Waiter | undefined;
    const promise = new Promise<RemoteProxy>((resolve, reject) => {
      waiter = { resolve, reject };
      this.#waiters.add(waiter);
    });
    return [promise, () => waiter && this.#waiters.delete(waiter)];
  }

  #rejectReady(error: BridgeError): void {
    clearTimeout(this.#readyTimer);
    this.#settleReady?.reject(error);
    this.#settleReady = undefined;
  }
}
