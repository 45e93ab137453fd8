import { PenpalError } from 'penpal';
import * as z from 'zod/mini';
import { BridgeError, BridgeErrorCode, isBridgeError } from '../errors';
import { describeIssues } from './issues';

/** Bumped on any incompatible change to the methods below or their payloads. */
export const PROTOCOL_VERSION = 1;

/** Penpal channel name, so other penpal users on the same page never cross wires with us. */
export const CHANNEL = 'alga-ui/1';

/** Method namespace of the SDK's own methods; applications' methods live under {@link APP}. */
export const SDK = 'alga';
/** Method namespace of application methods (`methods` options). */
export const APP = 'app';

const id = z.string().check(z.minLength(1), z.maxLength(128));

/**
 * Penpal 7 messages as they arrive by postMessage. Parsed before penpal sees them, so a
 * malformed or hostile message never reaches the handshake or the call handler.
 */
export const penpalMessageSchema = z.discriminatedUnion('type', [
  z.object({
    namespace: z.literal('penpal'),
    channel: z.literal(CHANNEL),
    type: z.literal('SYN'),
    participantId: id,
  }),
  z.object({
    namespace: z.literal('penpal'),
    channel: z.literal(CHANNEL),
    type: z.literal('ACK1'),
    methodPaths: z
      .array(z.array(z.string().check(z.maxLength(128))).check(z.maxLength(8)))
      .check(z.maxLength(1000)),
  }),
  z.object({
    namespace: z.literal('penpal'),
    channel: z.literal(CHANNEL),
    type: z.literal('ACK2'),
  }),
  z.object({
    namespace: z.literal('penpal'),
    channel: z.literal(CHANNEL),
    type: z.literal('CALL'),
    id,
    methodPath: z.array(z.string().check(z.maxLength(128))).check(z.minLength(1), z.maxLength(8)),
    args: z.array(z.unknown()),
  }),
  z.object({
    namespace: z.literal('penpal'),
    channel: z.literal(CHANNEL),
    type: z.literal('REPLY'),
    callId: id,
    value: z.unknown(),
    isError: z.optional(z.boolean()),
    isSerializedErrorInstance: z.optional(z.boolean()),
  }),
  z.object({
    namespace: z.literal('penpal'),
    channel: z.literal(CHANNEL),
    type: z.literal('DESTROY'),
  }),
]);

/** True for anything that claims to be for our channel (used to report what we drop). */
export function claimsOurChannel(data: unknown): boolean {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { namespace?: unknown }).namespace === 'penpal' &&
    (data as { channel?: unknown }).channel === CHANNEL
  );
}

/** What the iframe sends in `alga.hello`. */
export const helloRequestSchema = z.object({
  protocol: z.number(),
  sdkVersion: z.string().check(z.maxLength(64)),
});

/** What the host answers to `alga.hello`. */
export const helloResponseSchema = z.object({
  protocol: z.number(),
  extensionId: z.string().check(z.minLength(1), z.maxLength(214)),
  theme: z.unknown(),
});

/** A navigation target: an absolute path inside the host app, never a URL. */
export const navigateSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(2048),
    z.regex(
      /^\/(?![/\\])[^\s\\]*$/,
      'must be a path starting with a single "/" (no scheme, no host)',
    ),
  );

/** A size the iframe asks for. */
export const sizeSchema = z.strictObject({
  height: z.number().check(z.minimum(0), z.maximum(100_000)),
  width: z.optional(z.number().check(z.minimum(0), z.maximum(100_000))),
});

/** The proxy route: path segments under `/api/ext-proxy/{extensionId}/`. */
export const routeSchema = z.string().check(
  z.minLength(1),
  z.maxLength(1024),
  z.regex(/^\/?[A-Za-z0-9._~!$&'()*+,;=:@%/-]+$/, 'must be a URL path (no query, no fragment)'),
  z.refine(
    (route) =>
      route
        .replace(/^\//, '')
        .split('/')
        .every((segment) => {
          let decoded: string;
          try {
            decoded = decodeURIComponent(segment);
          } catch {
            return false;
          }
          return segment !== '' && decoded !== '.' && decoded !== '..' && !decoded.includes('/');
        }),
    { message: 'must not contain empty, "." or ".." segments (also percent-encoded)' },
  ),
);

/** Options of `callProxy` as they cross the bridge. */
export const proxyOptionsSchema = z.strictObject({
  method: z.optional(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])),
  timeout: z.optional(z.number().check(z.positive(), z.maximum(600_000))),
});

/** A session token as it crosses the bridge. */
export const sessionSchema = z.strictObject({
  token: z.string().check(z.minLength(1), z.maxLength(8192)),
  expiresAt: z.number(),
});

/** Parses an argument from the other side or throws `INVALID_ARGUMENT` naming the problem. */
export function parseArg<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new BridgeError(
      BridgeErrorCode.INVALID_ARGUMENT,
      `Invalid ${what}: ${describeIssues(result.error.issues)}`,
    );
  }
  return result.data;
}

const WIRE_TAG = '__algaBridgeError';
const CODES = new Set<string>(Object.values(BridgeErrorCode));

/** The plain object a thrown error becomes on the wire: `{code, message}` and nothing else. */
export interface WireError {
  [WIRE_TAG]: 1;
  code: BridgeErrorCode;
  message: string;
  status?: number;
}

/**
 * Turns whatever a local method threw into a {@link WireError}. Only `code` and `message`
 * cross, never a stack or `cause`: those could carry the host's internals into the iframe.
 */
export function toWireError(error: unknown): WireError {
  if (isBridgeError(error)) {
    const wire: WireError = { [WIRE_TAG]: 1, code: error.code, message: error.message };
    if (error.status !== undefined) wire.status = error.status;
    return wire;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { [WIRE_TAG]: 1, code: BridgeErrorCode.REMOTE_ERROR, message };
}

/** Wraps every function of a method tree so what it throws crosses as a {@link WireError}. */
export function wrapMethods(methods: Record<string, unknown>): Record<string, unknown> {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(methods)) {
    if (typeof value === 'function') {
      wrapped[name] = async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => unknown)(...args);
        } catch (error) {
          throw toWireError(error);
        }
      };
    } else if (typeof value === 'object' && value !== null) {
      wrapped[name] = wrapMethods(value as Record<string, unknown>);
    }
  }
  return wrapped;
}

/** Maps a rejection from a remote call (penpal or a {@link WireError}) to a {@link BridgeError}. */
export function fromRemoteRejection(reason: unknown, method: string): BridgeError {
  if (isBridgeError(reason)) return reason;
  if (typeof reason === 'object' && reason !== null && WIRE_TAG in reason) {
    const { code, message, status } = reason as Partial<WireError>;
    const known = typeof code === 'string' && CODES.has(code);
    return new BridgeError(
      known ? code : BridgeErrorCode.REMOTE_ERROR,
      typeof message === 'string' ? message : `${method}() failed on the other side`,
      typeof status === 'number' ? { status } : {},
    );
  }
  if (reason instanceof PenpalError || (reason instanceof Error && reason.name === 'PenpalError')) {
    const code = (reason as PenpalError).code;
    switch (code) {
      case 'METHOD_CALL_TIMEOUT':
        return new BridgeError(BridgeErrorCode.TIMEOUT, reason.message, { cause: reason });
      case 'METHOD_NOT_FOUND':
        return new BridgeError(
          BridgeErrorCode.METHOD_NOT_FOUND,
          `The other side exposes no method "${method}"`,
          { cause: reason },
        );
      case 'TRANSMISSION_FAILED':
        // penpal reports a structured-clone failure of the arguments this way too.
        if (/could not be cloned/i.test(reason.message)) {
          return new BridgeError(
            BridgeErrorCode.INVALID_ARGUMENT,
            `${method}(): arguments cannot be sent by postMessage (${reason.message})`,
            { cause: reason },
          );
        }
        return new BridgeError(BridgeErrorCode.CONNECTION_LOST, reason.message, { cause: reason });
      case 'CONNECTION_DESTROYED':
        return new BridgeError(BridgeErrorCode.CONNECTION_LOST, reason.message, { cause: reason });
      case 'CONNECTION_TIMEOUT':
        return new BridgeError(BridgeErrorCode.HANDSHAKE_FAILED, reason.message, { cause: reason });
      case 'INVALID_ARGUMENT':
        return new BridgeError(BridgeErrorCode.INVALID_ARGUMENT, reason.message, { cause: reason });
    }
  }
  if (reason instanceof Error && reason.name === 'DataCloneError') {
    return new BridgeError(
      BridgeErrorCode.INVALID_ARGUMENT,
      `${method}(): arguments or result cannot be sent by postMessage (${reason.message})`,
      { cause: reason },
    );
  }
  return new BridgeError(
    BridgeErrorCode.REMOTE_ERROR,
    reason instanceof Error ? reason.message : `${method}() failed on the other side`,
    { cause: reason },
  );
}
