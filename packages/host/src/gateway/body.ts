import { concatBytes } from '../bytes';
import { GatewayError, GatewayErrorCode } from './errors';

/**
 * Reads the body of `message` (a request, or a response from a peer), at most `maxBytes` of
 * it. A `content-length` above the cap is refused before a byte is read; a body that grows
 * past the cap while streaming is cancelled there, so a peer can never make the host buffer
 * more than `maxBytes`. `setting` names the cap in the 413 message.
 */
export async function readBodyCapped(
  message: Request | Response,
  maxBytes: number,
  setting = 'limits.maxRequestBodyBytes',
): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new GatewayError(
      GatewayErrorCode.PAYLOAD_TOO_LARGE,
      `The body is ${size}; at most ${maxBytes} bytes are accepted (${setting}).`,
    );
  const declared = message.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared)) {
      throw new GatewayError(
        GatewayErrorCode.BAD_REQUEST,
        'The content-length header is not a decimal byte count.',
      );
    }
    if (Number(declared) > maxBytes) throw tooLarge(`${declared} bytes`);
  }
  if (message.body === null) return new Uint8Array(0);
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  return concatBytes(chunks);
}
