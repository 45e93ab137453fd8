/** Longest value echoed back in a message: enough to recognise it, not enough to flood a log. */
const MAX_ECHO = 80;

/** `value` in single quotes for a message, shortened when long. */
export function quote(value: string): string {
  const shown = value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes.
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}

/** `'a', 'b' or 'c'`. */
export function listOf(values: readonly string[], conjunction = 'or'): string {
  const quoted = values.map((v) => `'${v}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted.at(-1)}`;
}
