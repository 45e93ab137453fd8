import ipaddr from 'ipaddr.js';

/**
 * Egress host patterns (`api.example.com`, `*.example.org`, `api.example.com:8443`,
 * `93.184.215.14`, `[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443`).
 *
 * The zod checks explain what is wrong; the JSON Schema patterns below accept and reject the
 * same strings, except for the IPv6 details noted on {@link HOST_PATTERN}.
 */

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** The last label starts with a letter, so a host name is never mistaken for an IPv4 address. */
const TOP_LABEL = '[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = `(?:${LABEL}\\.)+${TOP_LABEL}`;
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const PORT =
  '(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?';

/**
 * JSON Schema pattern of one `http.allow` entry. IPv6 literals are only checked for their
 * alphabet here (lower-case hex and ':'); that they parse and are in canonical form is a zod
 * refinement JSON Schema cannot express.
 */
export const HOST_PATTERN = `^(?:(?:\\*\\.)?${HOST_NAME}|localhost|${IPV4}|\\[[0-9a-f:]+\\])${PORT}$`;

/**
 * JSON Schema pattern matching the entries that reach non-public networks: exactly the
 * {@link nonPublicRange} list, written for canonical IPv4 and IPv6 forms.
 */
export const NON_PUBLIC_HOST_PATTERN = [
  '^(?:',
  [
    '(?:[^:]*\\.)?localhost',
    '0\\.[0-9.]+',
    '10\\.[0-9.]+',
    '100\\.(?:6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.[0-9.]+',
    '127\\.[0-9.]+',
    '169\\.254\\.[0-9.]+',
    '172\\.(?:1[6-9]|2[0-9]|3[01])\\.[0-9.]+',
    '192\\.0\\.0\\.[0-9]+',
    '192\\.0\\.2\\.[0-9]+',
    '192\\.88\\.99\\.[0-9]+',
    '192\\.168\\.[0-9.]+',
    '198\\.1[89]\\.[0-9.]+',
    '198\\.51\\.100\\.[0-9]+',
    '203\\.0\\.113\\.[0-9]+',
    '(?:22[4-9]|2[3-5][0-9])\\.[0-9.]+',
    '\\[::1?\\]',
    '\\[f[cd][0-9a-f]{2}:[0-9a-f:]*\\]',
    '\\[fe[89a-f][0-9a-f]:[0-9a-f:]*\\]',
    '\\[ff[0-9a-f]{2}:[0-9a-f:]*\\]',
    '\\[2001:db8:[0-9a-f:]*\\]',
  ].join('|'),
  `)${PORT}$`,
].join('');

/** Longest entry: a 253-character name, `*.` and `:65535`. */
export const MAX_HOST_PATTERN_LENGTH = 261;

/** Address ranges an extension may reach only with `http.allowPrivateNetworks: true`. */
const NON_PUBLIC_RANGES: ReadonlyArray<readonly [cidr: string, what: string]> = [
  ['0.0.0.0/8', 'the unspecified range'],
  ['10.0.0.0/8', 'a private range'],
  ['100.64.0.0/10', 'the carrier-grade NAT range'],
  ['127.0.0.0/8', 'the loopback range'],
  ['169.254.0.0/16', 'the link-local range'],
  ['172.16.0.0/12', 'a private range'],
  ['192.0.0.0/24', 'a reserved range'],
  ['192.0.2.0/24', 'a documentation range'],
  ['192.88.99.0/24', 'a reserved range'],
  ['192.168.0.0/16', 'a private range'],
  ['198.18.0.0/15', 'the benchmarking range'],
  ['198.51.100.0/24', 'a documentation range'],
  ['203.0.113.0/24', 'a documentation range'],
  ['224.0.0.0/4', 'the multicast range'],
  ['240.0.0.0/4', 'a reserved range'],
  ['::/128', 'the unspecified address'],
  ['::1/128', 'the loopback address'],
  ['fc00::/7', 'the unique-local (private) range'],
  ['fe80::/10', 'the link-local range'],
  ['fec0::/10', 'the deprecated site-local range'],
  ['ff00::/8', 'the multicast range'],
  ['2001:db8::/32', 'a documentation range'],
];

const PARSED_RANGES = NON_PUBLIC_RANGES.map(([cidr, what]) => ({
  cidr,
  what,
  range: ipaddr.parseCIDR(cidr),
}));

/** A parsed `http.allow` entry. */
export interface HostPattern {
  /** Lower-case host name, IPv4 address or bracketed IPv6 address, without `*.`. */
  readonly host: string;
  readonly wildcard: boolean;
  readonly port: number | undefined;
  readonly kind: 'name' | 'ipv4' | 'ipv6';
}

/** The non-public range (`10.0.0.0/8`, 'a private range') an address lies in, if any. */
export function nonPublicRange(address: string): { cidr: string; what: string } | undefined {
  const parsed = ipaddr.parse(address);
  for (const { cidr, what, range } of PARSED_RANGES) {
    if (parsed.kind() === range[0].kind() && parsed.match(range)) return { cidr, what };
  }
  return undefined;
}

/** Splits `host[:port]` or `[v6][:port]`; a string explains what is wrong. */
function splitPort(entry: string): { host: string; port: string | undefined } | string {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close === -1) return "is missing the closing ']' of an IPv6 address";
    const rest = entry.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return "must have only ':port' after an IPv6 address";
    return { host: entry.slice(0, close + 1), port: rest === '' ? undefined : rest.slice(1) };
  }
  const colon = entry.indexOf(':');
  if (colon === -1) return { host: entry, port: undefined };
  if (entry.indexOf(':', colon + 1) !== -1) {
    return 'IPv6 addresses must be in brackets, such as [2606:4700::6810:84e5]:443';
  }
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
}

const LABEL_RE = new RegExp(`^${LABEL}$`);
const TOP_LABEL_RE = new RegExp(`^${TOP_LABEL}$`);
const IPV4_RE = new RegExp(`^${IPV4}$`);

/**
 * Parses one `http.allow` entry. A string result says what is wrong with it. Whether the
 * address is public is checked separately, because `http.allowPrivateNetworks` decides that.
 */
export function parseHostPattern(entry: string): HostPattern | string {
  if (entry.length === 0) return 'must not be empty';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
    return `must be a host, not a URL: drop the scheme ('${entry
      .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
      .split('/')[0]
      ?.slice(0, 60)}')`;
  }
  if (entry.includes('@')) return 'must not contain user info (user@host)';
  if (entry.includes('/') || entry.includes('?') || entry.includes('#')) {
    return 'must be a host with an optional port, without a path, query or fragment';
  }
  if (entry !== entry.toLowerCase())
    return `must be lower-case ('${entry.toLowerCase().slice(0, 60)}')`;
  const split = splitPort(entry);
  if (typeof split === 'string') return split;
  let port: number | undefined;
  if (split.port !== undefined) {
    port = /^[1-9][0-9]{0,4}$/.test(split.port) ? Number(split.port) : Number.NaN;
    if (!(port >= 1 && port <= 65535)) return 'port must be a number from 1 to 65535';
  }
  const { host } = split;
  if (host.startsWith('[')) {
    const inner = host.slice(1, -1);
    if (!ipaddr.IPv6.isValid(inner) || inner.includes('%')) return 'is not a valid IPv6 address';
    const parsed = ipaddr.IPv6.parse(inner);
    if (parsed.isIPv4MappedAddress()) {
      return `is an IPv4-mapped IPv6 address: write the IPv4 address '${parsed.toIPv4Address().toString()}' instead`;
    }
    const canonical = parsed.toRFC5952String();
    if (canonical !== inner) return `IPv6 addresses must be in canonical form: '[${canonical}]'`;
    return { host, wildcard: false, port, kind: 'ipv6' };
  }
  if (/^[0-9.]+$/.test(host)) {
    if (!IPV4_RE.test(host))
      return 'is not a valid IPv4 address (four decimal numbers 0-255 without leading zeros)';
    return { host, wildcard: false, port, kind: 'ipv4' };
  }
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;
  if (name.includes('*'))
    return "'*' is only allowed as the whole left-most label, such as *.example.com";
  if (wildcard && IPV4_RE.test(name)) return 'wildcards are not allowed on IP addresses';
  if (name.length > 253) return 'host name must be at most 253 characters';
  const labels = name.split('.');
  if (labels.some((label) => !LABEL_RE.test(label))) {
    return "is not a valid host name: each label is 1-63 of a-z, 0-9 and '-', not starting or ending with '-'";
  }
  if (!TOP_LABEL_RE.test(labels.at(-1)!))
    return 'is not a valid host name: the last label must start with a letter';
  if (wildcard && labels.length < 2) {
    return 'a wildcard must cover a domain of at least two labels, such as *.example.com';
  }
  if (name !== 'localhost' && labels.length < 2) {
    return 'must be a fully-qualified host name such as api.example.com';
  }
  return { host: name, wildcard, port, kind: 'name' };
}

/** Why a parsed entry reaches a non-public network, or undefined when it does not. */
export function nonPublicReason(pattern: HostPattern): string | undefined {
  if (pattern.kind === 'name') {
    return pattern.host === 'localhost' || pattern.host.endsWith('.localhost')
      ? 'is a loopback host name'
      : undefined;
  }
  const address = pattern.kind === 'ipv6' ? pattern.host.slice(1, -1) : pattern.host;
  const range = nonPublicRange(address);
  return range === undefined ? undefined : `is in ${range.what} (${range.cidr})`;
}
