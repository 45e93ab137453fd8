import {
  type InitializeMessengerOptions,
  type Message,
  type MessageHandler,
  type Messenger,
  PenpalError,
} from 'penpal';
import { claimsOurChannel, penpalMessageSchema } from './protocol';

/** Why a message that claimed to be for us was dropped. */
export type IgnoredReason = 'source' | 'origin' | 'malformed' | 'transport';

/** Reported for each dropped message that claimed our channel. */
export interface IgnoredMessage {
  /** Why it was dropped. */
  reason: IgnoredReason;
  /** `event.origin` of the message (`'null'` for opaque origins). */
  origin: string;
}

/** How a {@link GuardedWindowMessenger} decides whom to talk to. */
export interface GuardOptions {
  /** The one window we accept messages from and send to (`iframe.contentWindow` or `window.parent`). */
  remoteWindow(): Window | null;
  /** True when `origin` is acceptable for a message from {@link remoteWindow}. */
  acceptOrigin(origin: string): boolean;
  /** `targetOrigin` for window-level posts; `'*'` only where the peer's origin is opaque or not yet known. */
  targetOrigin(kind: 'SYN' | 'ACK'): string;
  /** Called for each dropped message that claimed to be for our channel. */
  onIgnored(info: IgnoredMessage): void;
  /** Called with each SYN's participant id; return false to drop it (a new peer after the handshake). */
  onSyn(participantId: string, origin: string): boolean;
  /** The other side sent DESTROY. */
  onDestroy(): void;
}

/**
 * A penpal `Messenger` for window <-> iframe that checks `event.source` and `event.origin`
 * on every window message and zod-validates every message before penpal sees it.
 *
 * penpal's own `WindowMessenger` only knows an origin allowlist: with a sandboxed iframe
 * (opaque origin `'null'`) it needs `'*'`, which then accepts any origin. Here the origin
 * rule is a function, and `'*'` is used only as a *target* for an opaque peer while the
 * *accepted* origin stays exact. After the handshake, traffic moves to a private
 * `MessageChannel` port that only the validated peer received.
 */
export class GuardedWindowMessenger implements Messenger {
  #guard: GuardOptions;
  #handlers = new Set<MessageHandler>();
  #validate: ((data: unknown) => data is Message) | undefined;
  #port: MessagePort | undefined;
  #lastSynParticipant: string | undefined;
  #muted = false;

  constructor(guard: GuardOptions) {
    this.#guard = guard;
  }

  /** The participant id of the last SYN delivered: after the handshake, the peer. */
  get peerParticipantId(): string | undefined {
    return this.#lastSynParticipant;
  }

  initialize = ({ validateReceivedMessage }: InitializeMessengerOptions): void => {
    this.#validate = validateReceivedMessage;
    window.addEventListener('message', this.#onWindowMessage);
  };

  /** Drops everything sent from now on, so tearing down a replaced generation says nothing to the new peer. */
  mute(): void {
    this.#muted = true;
  }

  sendMessage = (message: Message, transferables?: Transferable[]): void => {
    if (this.#muted) return;
    const remote = this.#guard.remoteWindow();
    // No window yet (an iframe not in the document): the peer's own SYN starts the handshake.
    if (message.type === 'SYN' && !remote) return;
    if (message.type === 'SYN' || message.type === 'ACK1') {
      if (!remote) throw new PenpalError('TRANSMISSION_FAILED', 'The other window is gone');
      remote.postMessage(message, {
        targetOrigin: this.#guard.targetOrigin(message.type === 'SYN' ? 'SYN' : 'ACK'),
        transfer: transferables ?? [],
      });
      return;
    }
    if (message.type === 'ACK2') {
      if (!remote) throw new PenpalError('TRANSMISSION_FAILED', 'The other window is gone');
      const { port1, port2 } = new MessageChannel();
      this.#usePort(port1);
      remote.postMessage(message, {
        targetOrigin: this.#guard.targetOrigin('ACK'),
        transfer: [port2, ...(transferables ?? [])],
      });
      return;
    }
    if (!this.#port) {
      throw new PenpalError('TRANSMISSION_FAILED', 'Not connected: the handshake has not finished');
    }
    this.#port.postMessage(message, { transfer: transferables ?? [] });
  };

  addMessageHandler = (handler: MessageHandler): void => {
    this.#handlers.add(handler);
  };

  removeMessageHandler = (handler: MessageHandler): void => {
    this.#handlers.delete(handler);
  };

  destroy = (): void => {
    window.removeEventListener('message', this.#onWindowMessage);
    this.#closePort();
    this.#handlers.clear();
  };

  #usePort(port: MessagePort): void {
    this.#closePort();
    this.#port = port;
    port.addEventListener('message', this.#onPortMessage);
    port.start();
  }

  #closePort(): void {
    if (!this.#port) return;
    this.#port.removeEventListener('message', this.#onPortMessage);
    this.#port.close();
    this.#port = undefined;
  }

  #deliver(message: Message): void {
    if (!this.#validate?.(message)) return;
    for (const handler of [...this.#handlers]) handler(message);
  }

  #onWindowMessage = (event: MessageEvent): void => {
    const ours = claimsOurChannel(event.data);
    const remote = this.#guard.remoteWindow();
    if (remote === null || event.source !== remote) {
      if (ours) this.#guard.onIgnored({ reason: 'source', origin: event.origin });
      return;
    }
    if (!ours) return;
    if (!this.#guard.acceptOrigin(event.origin)) {
      this.#guard.onIgnored({ reason: 'origin', origin: event.origin });
      return;
    }
    const parsed = penpalMessageSchema.safeParse(event.data);
    if (!parsed.success) {
      this.#guard.onIgnored({ reason: 'malformed', origin: event.origin });
      return;
    }
    const message = parsed.data as Message;
    switch (message.type) {
      case 'SYN':
        if (!this.#guard.onSyn(message.participantId, event.origin)) return;
        this.#lastSynParticipant = message.participantId;
        // A SYN starts a new handshake: the old port (if any) belongs to a gone peer.
        this.#closePort();
        break;
      case 'ACK1':
        break;
      case 'ACK2': {
        const port = event.ports[0];
        if (!port) {
          this.#guard.onIgnored({ reason: 'malformed', origin: event.origin });
          return;
        }
        this.#usePort(port);
        break;
      }
      default:
        // Calls, replies and DESTROY only ever travel on the private port.
        this.#guard.onIgnored({ reason: 'transport', origin: event.origin });
        return;
    }
    this.#deliver(message);
  };

  #onPortMessage = (event: MessageEvent): void => {
    const parsed = penpalMessageSchema.safeParse(event.data);
    if (!parsed.success) return;
    const message = parsed.data as Message;
    if (message.type === 'DESTROY') this.#guard.onDestroy();
    this.#deliver(message);
  };
}
