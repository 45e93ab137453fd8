/**
 * `text` with every control character but tab written as an escape (`\n`, `\u001b`), so guest
 * output printed to an operator's terminal cannot move the cursor, recolour or retitle it, set
 * the clipboard (OSC 52), or start what looks like another event's line. C1 controls
 * (U+0080-U+009F) count too: some terminals act on them in UTF-8. Applied to a JSON line the
 * result is the same JSON, since these escapes are JSON's own.
 */
export function terminalSafe(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    const control = (code < 0x20 && char !== '\t') || (code >= 0x7f && code <= 0x9f);
    if (!control) out += char;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}
