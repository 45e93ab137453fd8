import { BridgeError, buildExtUiSrc } from '@alga/iframe-sdk';
import { describe, expect, test } from 'vitest';

const hash = `sha256:${'ab'.repeat(32)}`;

describe('buildExtUiSrc', () => {
  test('builds /ext-ui/{id}/{hash}/{path}?{params} under an origin', () => {
    expect(
      buildExtUiSrc({
        publicBase: 'https://ext.example.com/',
        extensionId: 'com.acme.hello',
        contentHash: hash,
        path: 'pages/list view.html',
        params: { view: 'list', page: 2, compact: true },
      }),
    ).toBe(
      `https://ext.example.com/ext-ui/com.acme.hello/${hash}/pages/list%20view.html?view=list&page=2&compact=true`,
    );
  });

  test('defaults to index.html, same origin, and encodes scoped ids as one segment', () => {
    expect(buildExtUiSrc({ publicBase: '', extensionId: '@acme/hello', contentHash: hash })).toBe(
      `/ext-ui/%40acme%2Fhello/${hash}/index.html`,
    );
    expect(
      buildExtUiSrc({
        publicBase: '/app',
        extensionId: 'com.acme.hello',
        contentHash: hash,
        path: '/x.html',
      }),
    ).toBe(`/app/ext-ui/com.acme.hello/${hash}/x.html`);
  });

  test.each([
    [{ path: '../secret.html' }, /path "..\/secret.html"/],
    [{ path: 'a//b.html' }, /empty/],
    [{ path: 'a\\..\\b' }, /path/],
    [{ extensionId: 'bad id' }, /extensionId "bad id"/],
    [{ contentHash: 'sha256:XYZ' }, /contentHash "sha256:XYZ"/],
    [{ publicBase: 'javascript:alert(1)' }, /publicBase/],
    [{ publicBase: '//evil.example' }, /publicBase/],
  ])('rejects %o with INVALID_ARGUMENT', (override, message) => {
    const call = () =>
      buildExtUiSrc({
        publicBase: '',
        extensionId: 'com.acme.hello',
        contentHash: hash,
        ...override,
      });
    expect(call).toThrow(BridgeError);
    expect(call).toThrow(message);
    try {
      call();
    } catch (error) {
      expect((error as BridgeError).code).toBe('INVALID_ARGUMENT');
    }
  });
});
