import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { z } from 'zod';
import { parseArgs } from './args';
import { type CapabilityProvider, type ProviderContext, ProviderError } from './registry';

/** Options of {@link createHttpProvider}: the operator's side of egress. */
export interface HttpProviderOptions {
  /**
   * The operator's allowlist: same patterns as the manifest's `http.allow` (`api.example.com`,
   * `*.example.org`, `host:8443`), or `*` for any host. A request must match both this and the
   * install's list. Default: empty, so nothing goes out until the operator says so.
   */
  readonly allow?: readonly string[];
  /** Allow `http:` URLs (default: `https:` only). */
  readonly allowHttp?: boolean;
  /** Allow private, loopback and link-local addresses (checked after DNS). Default false. */
  readonly allowPrivateNetworks?: boolean;
  /** Per-call timeout ceiling (the guest may ask for less). Default 10 s. */
  readonly timeoutMs?: number;
  /** Largest response body read. Default 5 MiB. */
  readonly maxResponseBytes?: number;
  /** Largest request body sent. Default 5 MiB. */
  readonly maxRequestBytes?: number;
  /** Redirects followed, each re-checked. Default 5. */
  readonly maxRedirects?: number;
}

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** True when `address` (an IP literal) is private, loopback, link-local or otherwise not public. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return NON_PUBLIC.check(mapped[1], 'ipv4');
  return NON_PUBLIC.check(address, 'ipv6');
}

/** Parsed egress pattern: host (or `*.` suffix), optional port. */
interface HostPattern {
  readonly any: boolean;
  readonly host: string;
  readonly wildcard: boolean;
  readonly port: number | undefined;
}

function parsePattern(pattern: string): HostPattern | undefined {
  const text = pattern.trim().toLowerCase();
  if (text === '*') return { any: true, host: '', wildcard: false, port: undefined };
  const match = /^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  if (match === null) return undefined;
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65_535)) return undefined;
  return { any: false, host: match[2] as string, wildcard: match[1] !== undefined, port };
}

/**
 * True when `host` and `port` of a URL (scheme default applied) match one of `patterns`.
 * A pattern without a port matches only the scheme's default port; `*.example.org` matches
 * the subdomains of `example.org`, not `example.org` itself.
 */
export function matchesEgress(patterns: readonly string[], url: URL): boolean {
  const host = url.hostname.toLowerCase();
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  return patterns.some((raw) => {
    const pattern = parsePattern(raw);
    if (pattern === undefined) return false;
    if (pattern.any) return true;
    if ((pattern.port ?? defaultPort) !== port) return false;
    return pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
  });
}

const headerList = z.array(z.object({ name: z.string(), value: z.string() })).max(100);
const fetchArgs = z.tuple([
  z.object({
    method: z.string().regex(/^[A-Z]{1,16}$/, 'must be an upper-case HTTP method'),
    url: z.string().max(8192),
    headers: headerList,
    body: z.instanceof(Uint8Array).optional(),
    timeoutMs: z.number().int().nonnegative().optional(),
  }),
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const STRIPPED_REQUEST_HEADERS = new Set([
  'connection',
  'content-length',
  'host',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const CROSS_ORIGIN_STRIPPED = new Set(['authorization', 'cookie']);

/**
 * `cap:http.fetch`: outbound HTTP on the trusted side. A URL must match the install's and the
 * operator's allowlists; `https:` only unless allowed; after DNS resolution private, loopback
 * and link-local addresses are refused unless allowed (the check is in the socket's `lookup`,
 * so the address connected to is the address checked); redirects are followed by hand and
 * every hop is checked again; the response is capped in size and time; bytes are counted.
 *
 * Built on `node:http(s)` rather than `fetch`: the built-in `fetch` takes no `lookup` hook, and
 * the connect-time address check is what stops DNS rebinding.
 */
export function createHttpProvider(options: HttpProviderOptions = {}): CapabilityProvider {
  const operatorAllow = options.allow ?? [];
  const allowHttp = options.allowHttp ?? false;
  const allowPrivate = options.allowPrivateNetworks ?? false;
  const ceilingMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 5 * 1_048_576;
  const maxRequestBytes = options.maxRequestBytes ?? 5 * 1_048_576;
  const maxRedirects = options.maxRedirects ?? 5;
  const agents = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };

  const checkedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', 4);
        return;
      }
      const usable = allowPrivate
        ? addresses
        : addresses.filter((entry) => !isNonPublicAddress(entry.address));
      const first = usable[0];
      if (first === undefined) {
        callback(
          Object.assign(new Error(`${hostname} resolves only to non-public addresses`), {
            code: 'EALGA_BLOCKED',
          }),
          '',
          4,
        );
        return;
      }
      if ((lookupOptions as { all?: boolean }).all === true) {
        (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, usable);
      } else callback(null, first.address, first.family);
    });
  };

  function check(url: URL, context: ProviderContext): void {
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp)) {
      throw new ProviderError('denied', `${url.protocol} URLs are not allowed; use https:`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new ProviderError(
        'invalid',
        'URLs with credentials are not allowed; send an authorization header',
      );
    }
    if (!matchesEgress(context.egress, url)) {
      throw new ProviderError('denied', `${url.host} is not on this install's egress allowlist`);
    }
    if (!matchesEgress(operatorAllow, url)) {
      throw new ProviderError('denied', `${url.host} is not on the operator's egress allowlist`);
    }
    const literal = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (!allowPrivate && isIP(literal) !== 0 && isNonPublicAddress(literal)) {
      throw new ProviderError('denied', `${url.hostname} is a non-public address`);
    }
  }

  function send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<{ response: IncomingMessage; body: Uint8Array }> {
    return new Promise((resolve, reject) => {
      const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = requestFn(url, {
        method,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { 'content-length': String(body.byteLength) }),
        },
        lookup: checkedLookup,
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        signal,
        timeout: timeoutMs,
      });
      const timer = setTimeout(
        () => request.destroy(Object.assign(new Error('timed out'), { code: 'EALGA_TIMEOUT' })),
        timeoutMs,
      );
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error('timed out'), { code: 'EALGA_TIMEOUT' })),
      );
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxResponseBytes) {
            response.destroy(Object.assign(new Error('too large'), { code: 'EALGA_TOO_LARGE' }));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ response, body: new Uint8Array(Buffer.concat(chunks)) });
        });
      });
      request.end(
        body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      );
    });
  }

  return {
    capability: 'cap:http.fetch',
    functions: {
      fetch: async (args, context) => {
        const [outbound] = parseArgs(fetchArgs, args, 'http.fetch');
        let url: URL;
        try {
          url = new URL(outbound.url);
        } catch {
          throw new ProviderError(
            'invalid',
            `${JSON.stringify(outbound.url.slice(0, 200))} is not an absolute URL`,
          );
        }
        const body = outbound.body;
        if (body !== undefined && body.byteLength > maxRequestBytes) {
          throw new ProviderError(
            'limit',
            `request body of ${body.byteLength} bytes is over the cap of ${maxRequestBytes}`,
          );
        }
        let headers: Record<string, string> = { 'user-agent': 'alga-extension-runner' };
        for (const { name, value } of outbound.headers) {
          const lower = name.toLowerCase();
          if (!TOKEN.test(lower) || /[\r\n\0]/.test(value)) {
            throw new ProviderError(
              'invalid',
              `header ${JSON.stringify(name.slice(0, 100))} is malformed`,
            );
          }
          if (!STRIPPED_REQUEST_HEADERS.has(lower)) headers[lower] = value;
        }
        let method = outbound.method;
        let payload = body;
        const origin = url.origin;
        for (let hop = 0; ; hop++) {
          check(url, context);
          const remaining = context.deadline - Date.now();
          const timeoutMs = Math.max(
            1,
            Math.min(outbound.timeoutMs ?? ceilingMs, ceilingMs, remaining),
          );
          let answer: { response: IncomingMessage; body: Uint8Array };
          try {
            answer = await send(url, method, headers, payload, timeoutMs, context.signal);
          } catch (error) {
            const code = (error as { code?: string }).code;
            if (code === 'EALGA_BLOCKED')
              throw new ProviderError(
                'denied',
                `${url.hostname} resolves only to non-public addresses`,
              );
            if (code === 'EALGA_TOO_LARGE') {
              throw new ProviderError(
                'limit',
                `the response from ${url.host} is over the cap of ${maxResponseBytes} bytes`,
                {
                  limit: 'http-response-size',
                },
              );
            }
            if (code === 'EALGA_TIMEOUT')
              throw new ProviderError(
                'unavailable',
                `${url.host} did not answer within ${timeoutMs} ms`,
              );
            throw new ProviderError(
              'unavailable',
              `request to ${url.host} failed (${code ?? 'network error'})`,
              { cause: error },
            );
          } finally {
            context.countEgress((payload?.byteLength ?? 0) + JSON.stringify(headers).length, 0);
          }
          context.countEgress(0, answer.body.byteLength);
          const status = answer.response.statusCode ?? 502;
          const location = answer.response.headers.location;
          if ([301, 302, 303, 307, 308].includes(status) && typeof location === 'string') {
            if (hop >= maxRedirects)
              throw new ProviderError(
                'unavailable',
                `more than ${maxRedirects} redirects from ${origin}`,
              );
            const next = new URL(location, url);
            if (next.origin !== url.origin) {
              headers = Object.fromEntries(
                Object.entries(headers).filter(([name]) => !CROSS_ORIGIN_STRIPPED.has(name)),
              );
            }
            if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
              method = method === 'HEAD' ? 'HEAD' : 'GET';
              payload = undefined;
            }
            url = next;
            continue;
          }
          const responseHeaders: Array<{ name: string; value: string }> = [];
          const raw = answer.response.rawHeaders;
          for (let index = 0; index + 1 < raw.length; index += 2) {
            responseHeaders.push({
              name: (raw[index] as string).toLowerCase(),
              value: raw[index + 1] as string,
            });
          }
          return { status, headers: responseHeaders, body: answer.body };
        }
      },
    },
  };
}
