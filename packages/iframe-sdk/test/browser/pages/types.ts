import type { ThemeInput } from '@alga/iframe-sdk';

/** Methods the test iframe page exposes to the host. */
export interface ChildMethods {
  add(a: number, b: number): number;
  fail(): never;
  crash(): never;
  slow(ms: number): Promise<string>;
}

/** Methods the test host page exposes to the iframe. */
export interface HostMethods {
  hostEcho(value: unknown): { echo: unknown };
  hostFail(): never;
}

/** Outcome of a call, in a form page.evaluate can return. */
export type Outcome =
  | { ok: unknown }
  | { error: { code: string; message: string; status?: number } };

/** One line of a page's event log. */
export type LogEntry = Record<string, unknown> & { type: string };

/** Options of the host harness's `mount`. */
export interface MountOptions {
  extOrigin: string;
  page?: string;
  allowSameOrigin?: boolean;
  theme?: ThemeInput;
  origin?: string;
  params?: Record<string, string>;
  handshakeTimeoutMs?: number;
  /** Append the iframe to the document only after bootstrapIframe ran. */
  appendLate?: boolean;
}

/** What the host test page puts on `window.harness`. */
export interface HostHarness {
  log: LogEntry[];
  mount(options: MountOptions): Promise<string>;
  tryMount(options: MountOptions): Outcome;
  call(method: string, ...args: unknown[]): Promise<Outcome>;
  invoke(method: string, args: unknown[], timeout: number): Promise<Outcome>;
  setTheme(theme: ThemeInput): Promise<Outcome>;
  connected(): boolean;
  frameHeight(): string;
  sandbox(): string | null;
  sessionsIssued(): number;
  destroy(): void;
  addFrame(src: string): void;
  postToFrame(data: unknown): void;
}

/** What the iframe test page puts on `window.child`. */
export interface ChildHarness {
  log: LogEntry[];
  ready: Promise<string>;
  call(method: string, ...args: unknown[]): Promise<Outcome>;
  navigate(to: string): Promise<Outcome>;
  resize(size: unknown): Promise<Outcome>;
  session(): Promise<Outcome>;
  callProxy(route: string, payload?: unknown, options?: unknown): Promise<Outcome>;
  extensionId(): string | undefined;
  connected(): boolean;
  grow(px: number): void;
}

/** Wraps a promise into an {@link Outcome}. */
export function outcome(promise: Promise<unknown>): Promise<Outcome> {
  return promise.then(
    (ok) => ({ ok }),
    (error: { code?: string; message?: string; status?: number }) => ({
      error: {
        code: String(error.code),
        message: String(error.message),
        ...(error.status === undefined ? {} : { status: error.status }),
      },
    }),
  );
}
