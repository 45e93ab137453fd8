import { BridgeError, BridgeErrorCode, isBridgeError } from '@alga/iframe-sdk';
import { PenpalError } from 'penpal';
import { describe, expect, test } from 'vitest';
import { fromRemoteRejection, routeSchema, toWireError } from '../../src/internal/protocol';

describe('BridgeError', () => {
  test('serialises to {code, message} only: no stack, no cause', () => {
    const error = new BridgeError(BridgeErrorCode.PROXY_ERROR, 'upstream said 502', {
      status: 502,
      cause: new Error('socket hang up at 10.0.0.7'),
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'PROXY_ERROR',
      message: 'upstream said 502',
      status: 502,
    });
    expect(toWireError(error)).toEqual({
      __algaBridgeError: 1,
      code: 'PROXY_ERROR',
      message: 'upstream said 502',
      status: 502,
    });
    expect(isBridgeError(error)).toBe(true);
    expect(isBridgeError(new Error('x'))).toBe(false);
  });

  test('a plain error thrown by a method crosses as REMOTE_ERROR with its message', () => {
    const wire = toWireError(new TypeError('items is not iterable'));
    const back = fromRemoteRejection(wire, 'app.list');
    expect(back.code).toBe('REMOTE_ERROR');
    expect(back.message).toBe('items is not iterable');
  });

  test('a BridgeError keeps its code across the wire; unknown codes become REMOTE_ERROR', () => {
    const back = fromRemoteRejection(toWireError(new BridgeError('TIMEOUT', 'slow upstream')), 'x');
    expect([back.code, back.message]).toEqual(['TIMEOUT', 'slow upstream']);
    const forged = fromRemoteRejection({ __algaBridgeError: 1, code: 'ROOT', message: 'hi' }, 'x');
    expect(forged.code).toBe('REMOTE_ERROR');
  });

  test.each([
    ['METHOD_CALL_TIMEOUT', 'TIMEOUT'],
    ['METHOD_NOT_FOUND', 'METHOD_NOT_FOUND'],
    ['CONNECTION_DESTROYED', 'CONNECTION_LOST'],
    ['CONNECTION_TIMEOUT', 'HANDSHAKE_FAILED'],
  ] as const)('penpal %s maps to %s', (penpalCode, code) => {
    expect(fromRemoteRejection(new PenpalError(penpalCode, 'x'), 'app.m').code).toBe(code);
  });

  test('a structured-clone failure is the caller’s INVALID_ARGUMENT, not a lost connection', () => {
    const error = new PenpalError(
      'TRANSMISSION_FAILED',
      "Failed to execute 'postMessage' on 'MessagePort': () => {} could not be cloned.",
    );
    expect(fromRemoteRejection(error, 'app.m').code).toBe('INVALID_ARGUMENT');
  });
});

describe('proxy routes', () => {
  test.each(['items', '/items/42', 'a/b-c_d.e~f', 'search:q'])('accepts %s', (route) => {
    expect(routeSchema.safeParse(route).success).toBe(true);
  });
  test.each(['', '../admin', 'a/../b', 'a/%2e%2e/b', 'a//b', 'a?x=1', 'a#f', 'a/%2F/b', 'a/%zz'])(
    'refuses %s',
    (route) => {
      expect(routeSchema.safeParse(route).success).toBe(false);
    },
  );
});
