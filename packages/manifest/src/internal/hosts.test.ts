import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  HOST_PATTERN,
  NON_PUBLIC_HOST_PATTERN,
  nonPublicRange,
  parseHostPattern,
} from './hosts.js';

const syntax = new RegExp(HOST_PATTERN, 'u');
const nonPublic = new RegExp(NON_PUBLIC_HOST_PATTERN, 'u');

describe('parseHostPattern', () => {
  it('parses names, wildcards, ports and IP literals', () => {
    expect(parseHostPattern('api.example.com')).toEqual({
      host: 'api.example.com',
      wildcard: false,
      port: undefined,
      kind: 'name',
    });
    expect(parseHostPattern('*.example.org:8443')).toEqual({
      host: 'example.org',
      wildcard: true,
      port: 8443,
      kind: 'name',
    });
    expect(parseHostPattern('8.8.8.8:53')).toEqual({
      host: '8.8.8.8',
      wildcard: false,
      port: 53,
      kind: 'ipv4',
    });
    expect(parseHostPattern('[2001:4860:4860::8888]:443')).toEqual({
      host: '[2001:4860:4860::8888]',
      wildcard: false,
      port: 443,
      kind: 'ipv6',
    });
  });

  it.each([
    ['010.0.0.1', 'is not a valid IPv4 address (four decimal numbers 0-255 without leading zeros)'],
    ['256.1.1.1', 'is not a valid IPv4 address (four decimal numbers 0-255 without leading zeros)'],
    ['2001:db8::1', 'IPv6 addresses must be in brackets, such as [2606:4700::6810:84e5]:443'],
    ['[2001:db8::1', "is missing the closing ']' of an IPv6 address"],
    ['[1::2::3]', 'is not a valid IPv6 address'],
    ['[fe80::1%eth0]', 'is not a valid IPv6 address'],
    ['*.1.2.3.4', 'wildcards are not allowed on IP addresses'],
    [
      '-bad.example.com',
      "is not a valid host name: each label is 1-63 of a-z, 0-9 and '-', not starting or ending with '-'",
    ],
    ['example.123', 'is not a valid host name: the last label must start with a letter'],
    ['api.example.com:0', 'port must be a number from 1 to 65535'],
    ['api.example.com:08', 'port must be a number from 1 to 65535'],
  ])('rejects %s', (entry, message) => {
    expect(parseHostPattern(entry)).toBe(message);
    expect(syntax.test(entry) && !entry.startsWith('[')).toBe(false);
  });
});

describe('the non-public ranges', () => {
  const addresses: string[] = [];
  for (let first = 0; first < 256; first++) {
    addresses.push(`${first}.0.0.0`, `${first}.255.255.255`);
  }
  for (const [a, b] of [
    [100, 63],
    [100, 64],
    [100, 127],
    [100, 128],
    [172, 15],
    [172, 16],
    [172, 31],
    [172, 32],
    [169, 253],
    [169, 254],
    [192, 167],
    [192, 168],
    [198, 17],
    [198, 18],
    [198, 19],
    [198, 20],
  ]) {
    addresses.push(`${a}.${b}.0.1`);
  }
  addresses.push('192.0.0.1', '192.0.1.1', '192.0.2.1', '192.0.3.1', '192.88.99.1', '192.88.98.1');
  addresses.push('198.51.100.7', '198.51.101.7', '203.0.113.9', '203.0.114.9');

  it('IPv4: the JSON Schema expression and the classifier agree on every boundary', () => {
    const disagreements = addresses.filter(
      (address) => nonPublic.test(address) !== (nonPublicRange(address) !== undefined),
    );
    expect(disagreements).toEqual([]);
  });

  const v6 = [
    '::',
    '::1',
    '::2',
    'fc00::',
    'fdff:ffff::1',
    'fe00::1',
    'fe80::1',
    'febf::1',
    'fec0::1',
    'feff::1',
    'ff02::1',
    'fbff::1',
    '2001:db8::1',
    '2001:db9::1',
    '2606:4700::6810:84e5',
    '2001:4860:4860::8888',
  ];

  it('IPv6: the JSON Schema expression and the classifier agree on canonical addresses', () => {
    const disagreements = v6.filter(
      (address) => nonPublic.test(`[${address}]`) !== (nonPublicRange(address) !== undefined),
    );
    expect(disagreements).toEqual([]);
    expect(v6.every((address) => ipaddr.IPv6.parse(address).toRFC5952String() === address)).toBe(
      true,
    );
  });

  it('names the range an address is in', () => {
    expect(nonPublicRange('172.20.1.1')).toEqual({
      cidr: '172.16.0.0/12',
      what: 'a private range',
    });
    expect(nonPublicRange('fd12::1')).toEqual({
      cidr: 'fc00::/7',
      what: 'the unique-local (private) range',
    });
    expect(nonPublicRange('1.1.1.1')).toBeUndefined();
  });
});
