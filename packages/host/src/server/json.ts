import { readBodyCapped } from '../gateway/body';
import { GatewayError, GatewayErrorCode } from '../gateway/errors';

/** The first zod issue as `path: message`, never the offending value. */
export function summarizeZod(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues;
  const first = issues?.[0];
  if (first === undefined) return 'malformed';
  const path = first.path.map(String).join('.');
  return path === '' ? first.message : `${path}: ${first.message}`;
}

/**
 * Reads a JSON body of at most `maxBytes` (413 past it, `setting` named) and hands it to
 * `decode` (a zod `parse`); malformed JSON or a failed decode is a 400 naming the first bad field.
 */
export async function readJsonBody<T>(
  request: Request,
  maxBytes: number,
  setting: string,
  decode: (json: unknown) => T,
): Promise<T> {
  const bytes = await readBodyCapped(request, maxBytes, setting);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new GatewayError(GatewayErrorCode.BAD_REQUEST, 'The body is not valid JSON.', { cause });
  }
  try {
    return decode(json);
  } catch (cause) {
    throw new GatewayError(
      GatewayErrorCode.BAD_REQUEST,
      `The body is invalid: ${summarizeZod(cause)}.`,
      { cause },
    );
  }
}
