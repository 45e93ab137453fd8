import { CONTEXT_MEMBERS, type ContextMember } from './capabilities';
import { CapabilityError, type CapabilityErrorCode } from './errors';
import type { HostErrorPayload, HostInterfaces } from './host';

const CODE_OF_TAG = {
  denied: 'CAPABILITY_DENIED',
  'not-found': 'NOT_FOUND',
  invalid: 'INVALID_ARGUMENT',
  unavailable: 'UNAVAILABLE',
  limit: 'LIMIT_EXCEEDED',
  conflict: 'CONFLICT',
} as const satisfies Record<HostErrorPayload['tag'], CapabilityErrorCode>;

/**
 * The host interface behind `member`, or a `CAPABILITY_NOT_DECLARED` error when the component
 * was built without it (the manifest does not declare the capability).
 */
export function requireInterface<M extends ContextMember>(
  host: HostInterfaces,
  member: M,
  what: string,
): NonNullable<HostInterfaces[(typeof CONTEXT_MEMBERS)[M]['witInterface']]> {
  const { capability, witInterface } = CONTEXT_MEMBERS[member];
  const api = host[witInterface];
  if (api === undefined) {
    throw new CapabilityError(
      'CAPABILITY_NOT_DECLARED',
      capability,
      `${what} needs capability '${capability}', which manifest.json does not declare: add it to "capabilities" and rebuild`,
    );
  }
  return api as NonNullable<HostInterfaces[(typeof CONTEXT_MEMBERS)[M]['witInterface']]>;
}

/** The `types.error` a failed host call carries, when `thrown` is one. */
export function hostErrorOf(thrown: unknown): HostErrorPayload | undefined {
  if (typeof thrown !== 'object' || thrown === null || !('payload' in thrown)) return undefined;
  const payload: unknown = thrown.payload;
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { tag, val } = payload as { tag?: unknown; val?: unknown };
  if (typeof tag !== 'string' || !Object.hasOwn(CODE_OF_TAG, tag)) return undefined;
  return { tag, val: typeof val === 'string' ? val : '' } as HostErrorPayload;
}

/**
 * Runs one host import and turns its `err(e)` into a {@link CapabilityError}. Anything else
 * thrown (a trap) passes through untouched.
 */
export function hostCall<T>(member: ContextMember, what: string, call: () => T): T {
  try {
    return call();
  } catch (thrown) {
    const payload = hostErrorOf(thrown);
    if (payload === undefined) throw thrown;
    const { capability } = CONTEXT_MEMBERS[member];
    throw new CapabilityError(
      CODE_OF_TAG[payload.tag],
      capability,
      `${what} failed (${payload.tag}): ${payload.val}`,
      { cause: thrown },
    );
  }
}
