/**
 * Drops `undefined` entries, so optional props can be forwarded under
 * `exactOptionalPropertyTypes` (where `{a: undefined}` is not the same as `{}`).
 */
export function optional<T extends Record<string, unknown>>(
  props: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) if (value !== undefined) out[key] = value;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
