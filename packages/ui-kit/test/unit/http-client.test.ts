import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSettingsHttpClient, SettingsError } from '@alga/ui-kit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };
const seen: Seen[] = [];
let reply: (res: ServerResponse) => void = () => undefined;
let origin = '';
const server = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
  reply(res);
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const view = {
  config: { greeting: 'Hi', limit: 5 },
  secrets: { apiKey: { set: true, version: 3, updatedAt: '2030-01-01T00:00:00.000Z' } },
  tenantId: 'acme',
};
const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

async function failure(promise: Promise<unknown>): Promise<SettingsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

describe('createSettingsHttpClient', () => {
  const client = () =>
    createSettingsHttpClient({
      baseUrl: `${origin}/`,
      tenantId: 'acme corp',
      extensionId: '@acme/hello',
      headers: () => ({ 'x-csrf': 'token-1' }),
    });

  test('GET, PUT and DELETE the install settings and return only {config, secrets}', async () => {
    reply = json(200, view);
    seen.length = 0;
    const c = client();
    expect(await c.get()).toEqual({ config: view.config, secrets: view.secrets });
    await c.save({ config: { greeting: 'Yo' }, secrets: { apiKey: 'new', webhookToken: null } });
    await c.reset();
    const path = '/api/v1/installs/acme%20corp/%40acme%2Fhello/settings';
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ['GET', path],
      ['PUT', path],
      ['DELETE', path],
    ]);
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({
      config: { greeting: 'Yo' },
      secrets: { apiKey: 'new', webhookToken: null },
    });
    expect(seen[1]?.headers['content-type']).toBe('application/json');
    expect(seen.every((s) => s.headers['x-csrf'] === 'token-1')).toBe(true);
  });

  test('field issues become VALIDATION_FAILED with the issues', async () => {
    reply = json(422, {
      error: {
        code: 'CONFIG_INVALID',
        message: 'settings are invalid',
        issues: [{ field: 'settings.limit', message: 'must be at most 100' }],
      },
    });
    const error = await failure(client().save({ config: { limit: 500 }, secrets: {} }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(422);
    expect(error.issues).toEqual([{ field: 'settings.limit', message: 'must be at most 100' }]);
    expect(error.message).toBe('PUT settings answered 422: settings are invalid');
  });

  test.each([
    [404, 'NOT_FOUND'],
    [403, 'FORBIDDEN'],
    [409, 'CONFLICT'],
    [500, 'HTTP_ERROR'],
  ])('status %i becomes %s', async (status, code) => {
    reply = json(status, { error: { code: 'X', message: 'no' } });
    const error = await failure(client().get());
    expect([error.code, error.status]).toEqual([code, status]);
  });

  test('a 200 that is not a settings view is INVALID_RESPONSE', async () => {
    reply = json(200, { config: { a: 1 }, secrets: { apiKey: 'plaintext?!' } });
    expect((await failure(client().get())).code).toBe('INVALID_RESPONSE');
  });

  test('no server is NETWORK_ERROR', async () => {
    const dead = createSettingsHttpClient({
      baseUrl: 'http://127.0.0.1:9',
      tenantId: 't',
      extensionId: 'com.acme.x',
    });
    expect((await failure(dead.get())).code).toBe('NETWORK_ERROR');
  });
});
