import { describe, expect, it } from 'vitest';
import { matchEndpoint } from './endpoints.js';
import { parseManifest } from './parse.js';

const manifest = parseManifest({
  name: 'com.example.routes',
  publisher: 'example',
  version: '1.0.0',
  runtime: 'wasm-js@1',
  api: {
    endpoints: [
      { method: 'GET', path: '/', handler: 'root' },
      { method: 'GET', path: '/items/:id', handler: 'getItem' },
      { method: 'GET', path: '/items/new', handler: 'newItemForm' },
      { method: 'GET', path: '/items/:id/parts/:part', handler: 'getPart' },
      { method: 'GET', path: '/items/*', handler: 'anyItem' },
      { method: 'POST', path: '/items', handler: 'createItem' },
      { method: 'GET', path: '/files/*', handler: 'getFile' },
      { method: 'GET', path: '/files', handler: 'listFiles' },
      { method: 'GET', path: '/a/:x/c', handler: 'paramFirst' },
      { method: 'GET', path: '/a/b/:y', handler: 'staticFirst' },
      { method: 'HEAD', path: '/head-only', handler: 'explicitHead' },
      { method: 'GET', path: '/head-only', handler: 'getForHead' },
    ],
  },
});

function handlerOf(method: string, path: string) {
  const match = matchEndpoint(manifest, method, path);
  return match === null ? null : { handler: match.endpoint.handler, params: match.params };
}

describe('matchEndpoint', () => {
  it('captures URL-decoded parameters', () => {
    expect(handlerOf('GET', '/items/a%20b%2Fc')).toEqual({
      handler: 'getItem',
      params: { id: 'a b/c' },
    });
    expect(handlerOf('GET', '/items/42/parts/%C3%A9')).toEqual({
      handler: 'getPart',
      params: { id: '42', part: 'é' },
    });
  });

  it('prefers a static segment over a parameter, and a parameter over the wildcard', () => {
    expect(handlerOf('GET', '/items/new')).toEqual({ handler: 'newItemForm', params: {} });
    expect(handlerOf('GET', '/items/7')).toEqual({ handler: 'getItem', params: { id: '7' } });
    expect(handlerOf('GET', '/items/7/other/x')).toEqual({
      handler: 'anyItem',
      params: { '*': '7/other/x' },
    });
  });

  it('decides by the earliest more specific segment', () => {
    expect(handlerOf('GET', '/a/b/c')).toEqual({ handler: 'staticFirst', params: { y: 'c' } });
    expect(handlerOf('GET', '/a/z/c')).toEqual({ handler: 'paramFirst', params: { x: 'z' } });
  });

  it('lets the wildcard capture the rest, or nothing, with the exact route winning', () => {
    expect(handlerOf('GET', '/files/docs/a%20b.txt')).toEqual({
      handler: 'getFile',
      params: { '*': 'docs/a b.txt' },
    });
    expect(handlerOf('GET', '/files')).toEqual({ handler: 'listFiles', params: {} });
    expect(handlerOf('GET', '/files/')).toEqual({ handler: 'listFiles', params: {} });
  });

  it('tolerates a trailing slash and ignores the query string', () => {
    expect(handlerOf('GET', '/items/7/')).toEqual({ handler: 'getItem', params: { id: '7' } });
    expect(handlerOf('GET', '/items/7?x=1#top')).toEqual({
      handler: 'getItem',
      params: { id: '7' },
    });
    expect(handlerOf('GET', '')).toEqual({ handler: 'root', params: {} });
    expect(handlerOf('GET', '/')).toEqual({ handler: 'root', params: {} });
  });

  it('matches methods exactly, case-insensitively, with HEAD falling back to GET', () => {
    expect(handlerOf('POST', '/items')).toEqual({ handler: 'createItem', params: {} });
    expect(handlerOf('post', '/items')).toEqual({ handler: 'createItem', params: {} });
    expect(handlerOf('DELETE', '/items/7')).toBeNull();
    expect(handlerOf('HEAD', '/items/7')).toEqual({ handler: 'getItem', params: { id: '7' } });
    expect(handlerOf('HEAD', '/head-only')).toEqual({ handler: 'explicitHead', params: {} });
    expect(handlerOf('PUT', '/items')).toBeNull();
    expect(handlerOf('GET', '/items')).toEqual({ handler: 'anyItem', params: { '*': '' } });
  });

  it('never matches empty, dot or malformed segments', () => {
    expect(handlerOf('GET', '/items//7')).toBeNull();
    expect(handlerOf('GET', '/items/..')).toBeNull();
    expect(handlerOf('GET', '/items/%2e%2e')).toBeNull();
    expect(handlerOf('GET', '/items/%E0%A4%A')).toBeNull();
    expect(handlerOf('GET', 'items/7')).toBeNull();
    expect(handlerOf('GET', '/nothing/here')).toBeNull();
  });

  it('follows an endpoint whose path was edited after an earlier match', () => {
    const editable = parseManifest({
      name: 'com.example.editable',
      publisher: 'example',
      version: '1.0.0',
      runtime: 'wasm-js@1',
      api: { endpoints: [{ method: 'GET', path: '/old/:id' }] },
    });
    expect(matchEndpoint(editable, 'GET', '/old/1')?.params).toEqual({ id: '1' });
    editable.api.endpoints[0]!.path = '/new/:key';
    expect(matchEndpoint(editable, 'GET', '/old/1')).toBeNull();
    expect(matchEndpoint(editable, 'GET', '/new/1')?.params).toEqual({ key: '1' });
  });

  it('keeps parameter names that look like prototype keys as plain own properties', () => {
    const tricky = parseManifest({
      name: 'com.example.tricky',
      publisher: 'example',
      version: '1.0.0',
      runtime: 'wasm-js@1',
      api: { endpoints: [{ method: 'GET', path: '/:constructor/:toString' }] },
    });
    const match = matchEndpoint(tricky, 'GET', '/a/b');
    expect(match?.params).toEqual({ constructor: 'a', toString: 'b' });
    expect(Object.keys(match?.params ?? {})).toEqual(['constructor', 'toString']);
  });
});
