import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createNodeListener } from '../src/gateway/adapters';
import { RemoteRunner } from '../src/server/remote-runner';
import { createRunnerService } from '../src/server/runner-service';
import { createLocalHarness } from './helpers/contract-runner';
import { runnerContract } from './runner.contract';

const TOKEN = 'remote-contract-token-0123456789';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

// The same contract as the in-process runners, through RemoteRunner -> HTTP on loopback ->
// the runner service -> a worker runner.
runnerContract('remote', async (options) => {
  const local = createLocalHarness('worker', options);
  const service = createRunnerService({ runner: local.runner, authToken: TOKEN });
  const server = createServer(createNodeListener(service.fetch));
  const baseUrl = await listen(server);
  const runner = new RemoteRunner({ baseUrl, authToken: TOKEN });
  return {
    runner,
    debugEvents: local.debugEvents,
    ...(local.metricsText ? { metricsText: local.metricsText } : {}),
    close: async () => {
      await runner.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await local.close();
    },
  };
});

describe('runner service and RemoteRunner edges', () => {
  const stub = {
    execute: async () => ({ status: 200, headers: [], body: new Uint8Array(0) }),
    warm: async () => undefined,
    stats: () => ({
      mode: 'worker' as const,
      pool: { size: 1, busy: 0, replaced: 0 },
      queueDepth: 0,
      programs: 0,
      invocations: { total: 0, failed: 0 },
    }),
  };
  const request = {
    context: {
      requestId: 'req-remote-1',
      tenantId: 't',
      extensionId: 'com.example.x',
      installId: 'i',
      version: '1.0.0',
      contentHash: `sha256:${'a'.repeat(64)}`,
    },
    http: {
      method: 'GET',
      path: '/',
      query: [],
      headers: [],
      body: new Uint8Array(0),
      kind: 'api' as const,
    },
    config: {},
    grants: [],
    egress: [],
  };

  it('refuses a wrong token in constant time and RemoteRunner reports it as CONFIG', async () => {
    const service = createRunnerService({ runner: stub, authToken: TOKEN });
    const bad = await service.fetch(
      new Request('http://runner/v1/execute', {
        method: 'POST',
        headers: { authorization: 'Bearer nope-nope-nope-nope' },
        body: '{}',
      }),
    );
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    const server = createServer(createNodeListener(service.fetch));
    const baseUrl = await listen(server);
    try {
      const wrong = new RemoteRunner({ baseUrl, authToken: 'another-token-0123456789' });
      const answer = await wrong.execute(request);
      expect(answer.error?.code).toBe('CONFIG');
      expect(answer.error?.message).toContain('RUNNER_AUTH_TOKEN');
      const right = new RemoteRunner({ baseUrl, authToken: TOKEN });
      expect((await right.execute(request)).status).toBe(200);
      expect(right.stats().pool.size).toBe(1);
      expect(right.stats().invocations).toEqual({ total: 1, failed: 0 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('answers 400 naming the field for a malformed execute request', async () => {
    const service = createRunnerService({ runner: stub, authToken: TOKEN });
    const response = await service.fetch(
      new Request('http://runner/v1/execute', {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ ...request, http: { ...request.http, bodyB64: '', kind: 'other' } }),
      }),
    );
    expect(response.status).toBe(400);
    const error = ((await response.json()) as { error: { message: string } }).error;
    expect(error.message).toContain('http.kind');
  });

  it('resolves an unreachable service as an error response, and refuses work once closed', async () => {
    const runner = new RemoteRunner({ baseUrl: 'http://127.0.0.1:1', authToken: TOKEN });
    const answer = await runner.execute(request);
    expect(answer.status).toBe(500);
    expect(answer.error?.code).toBe('WORKER_CRASHED');
    await runner.close();
    expect((await runner.execute(request)).error?.code).toBe('CLOSED');
    expect(() => new RemoteRunner({ baseUrl: 'ftp://x', authToken: TOKEN })).toThrow(
      /http: or https:/,
    );
  });

  it('refuses a token shorter than 16 characters', () => {
    expect(() => createRunnerService({ runner: stub, authToken: 'short' })).toThrow(/at least 16/);
  });
});
