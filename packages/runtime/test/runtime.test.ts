import type { HostInterfaces, IncomingRequest, OutgoingResponse } from '@alga/runtime';
import { CapabilityError, createHandler, error, HandlerError, json, text } from '@alga/runtime';
import { bindHandler } from '@alga/runtime/guest';
import { afterEach, describe, expect, it } from 'vitest';

type HostTag = 'denied' | 'not-found' | 'invalid' | 'unavailable' | 'limit' | 'conflict';

/** What a host import throws for `err(e)`, as the component model glue delivers it to the guest. */
function hostError(tag: HostTag, val: string): Error {
  return Object.assign(new Error(`${tag}: ${val}`), { payload: { tag, val } });
}

function request(overrides: Partial<IncomingRequest> = {}): IncomingRequest {
  return {
    method: 'GET',
    path: '/items/7',
    query: [],
    headers: [],
    body: new Uint8Array(),
    params: [],
    kind: 'api',
    ...overrides,
  };
}

const decoder = new TextDecoder();
const bodyJson = (res: OutgoingResponse): unknown => JSON.parse(decoder.decode(res.body));
const header = (res: OutgoingResponse, name: string) =>
  res.headers.find((h) => h.name === name)?.value;

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function logInterface(lines: LogLine[]): NonNullable<HostInterfaces['log']> {
  return {
    emit(level, message, fields) {
      lines.push({
        level,
        message,
        fields: Object.fromEntries(fields.map((f) => [f.key, JSON.parse(f.valueJson)])),
      });
    },
  };
}

describe('request', () => {
  it('exposes method, path, params, query, headers and body readers', async () => {
    let seen: unknown;
    const handler = createHandler(async (req) => {
      seen = {
        method: req.method,
        path: req.path,
        params: req.params,
        tags: req.query.getAll('tag'),
        q: req.query.get('q'),
        accept: req.headers.get('Accept'),
        handler: req.handler,
        kind: req.kind,
        text: await req.text(),
        json: await req.json(),
        bytes: [...(await req.bytes())],
      };
      return text('ok');
    });
    const res = await handler.handle(
      request({
        method: 'POST',
        query: [
          ['tag', 'a'],
          ['tag', 'b'],
          ['q', 'x y'],
        ],
        headers: [{ name: 'accept', value: 'application/json' }],
        body: new TextEncoder().encode('{"n":1}'),
        params: [['id', '7']],
        handler: 'getItem',
        kind: 'ui-proxy',
      }),
      {},
    );
    expect(res.status).toBe(200);
    expect(seen).toEqual({
      method: 'POST',
      path: '/items/7',
      params: { id: '7' },
      tags: ['a', 'b'],
      q: 'x y',
      accept: 'application/json',
      handler: 'getItem',
      kind: 'ui-proxy',
      text: '{"n":1}',
      json: { n: 1 },
      bytes: [...new TextEncoder().encode('{"n":1}')],
    });
  });

  it('builds params, query and headers once, on first read, and keeps them', async () => {
    let reads: boolean[] = [];
    const handler = createHandler((req) => {
      const { params, query, headers } = req;
      reads = [req.params === params, req.query === query, req.headers === headers];
      return json({ frozen: Object.isFrozen(params), id: params.id, q: query.get('q') });
    });
    const res = await handler.handle(
      request({ query: [['q', 'v']], params: [['id', '9']], headers: [{ name: 'a', value: 'b' }] }),
      {},
    );
    expect(reads).toEqual([true, true, true]);
    expect(bodyJson(res)).toEqual({ frozen: true, id: '9', q: 'v' });
  });

  it('answers 400 BAD_REQUEST when the handler reads a body that is not JSON', async () => {
    const handler = createHandler(async (req) => json(await req.json()));
    const res = await handler.handle(request({ body: new TextEncoder().encode('{nope') }), {});
    expect(res.status).toBe(400);
    expect(bodyJson(res)).toEqual({
      error: { code: 'BAD_REQUEST', message: 'the request body is not valid JSON' },
    });
  });
});

describe('responses', () => {
  it('json, text and error set status, content type and body', async () => {
    const cases = [
      [
        json({ a: 1 }, { status: 201, headers: { 'X-Trace': 't1' } }),
        201,
        'application/json; charset=utf-8',
        '{"a":1}',
      ],
      [text('hi'), 200, 'text/plain; charset=utf-8', 'hi'],
      [
        error(404, 'NOPE', 'no item 7'),
        404,
        'application/json; charset=utf-8',
        '{"error":{"code":"NOPE","message":"no item 7"}}',
      ],
    ] as const;
    for (const [result, status, type, body] of cases) {
      const res = await createHandler(() => result).handle(request(), {});
      expect(res.status).toBe(status);
      expect(header(res, 'content-type')).toBe(type);
      expect(decoder.decode(res.body)).toBe(body);
    }
    const traced = await createHandler(() => cases[0][0]).handle(request(), {});
    expect(header(traced, 'x-trace')).toBe('t1');
  });

  it('accepts a web Response and a plain { status, headers, body }', async () => {
    const fromResponse = await createHandler(
      () => new Response('made', { status: 202, headers: { 'x-kind': 'web' } }),
    ).handle(request(), {});
    expect([
      fromResponse.status,
      header(fromResponse, 'x-kind'),
      decoder.decode(fromResponse.body),
    ]).toEqual([202, 'web', 'made']);
    const plain = await createHandler(() => ({
      status: 204,
      headers: [['x-a', '1']] as const,
    })).handle(request(), {});
    expect([plain.status, plain.headers, plain.body.length]).toEqual([
      204,
      [{ name: 'x-a', value: '1' }],
      0,
    ]);
  });

  it('answers a synchronous handler synchronously (the component skips its event loop)', async () => {
    const sync = createHandler(() => text('now')).handle(request(), {});
    expect(sync).not.toBeInstanceOf(Promise);
    expect(decoder.decode((sync as OutgoingResponse).body)).toBe('now');
    const failing = createHandler(() => {
      throw new Error('boom');
    }).handle(request(), {});
    expect(failing).not.toBeInstanceOf(Promise);
    expect((failing as OutgoingResponse).status).toBe(500);
    const later = createHandler(async () => text('later')).handle(request(), {});
    expect(later).toBeInstanceOf(Promise);
    expect(decoder.decode((await later).body)).toBe('later');
    const rejected = createHandler(async () => {
      throw new HandlerError('BAD_REQUEST', 'no');
    }).handle(request(), {});
    expect((await rejected).status).toBe(400);
  });

  it('sends byte arrays made in another realm (the guest request body) as they are', async () => {
    const { runInNewContext } = await import('node:vm');
    const foreign = runInNewContext('new Uint8Array([104, 105])') as Uint8Array;
    expect(foreign instanceof Uint8Array).toBe(false);
    const res = await createHandler(() => ({ body: foreign })).handle(request(), {});
    expect([res.status, decoder.decode(res.body)]).toEqual([200, 'hi']);
  });

  it('turns a value that is not a response into a 500 and logs why', async () => {
    const lines: LogLine[] = [];
    const res = await createHandler(() => ({ hello: 'world' }) as never).handle(request(), {
      log: logInterface(lines),
    });
    expect(res.status).toBe(500);
    expect(bodyJson(res)).toEqual({
      error: { code: 'INTERNAL', message: 'The extension failed to handle the request.' },
    });
    expect(lines[0]?.fields['error.code']).toBe('INVALID_RESPONSE');
    expect(lines[0]?.message).toContain('key "hello"');
  });

  it('rejects a status outside 200-599', async () => {
    const lines: LogLine[] = [];
    const res = await createHandler(() => ({ status: 99 })).handle(request(), {
      log: logInterface(lines),
    });
    expect(res.status).toBe(500);
    expect(lines[0]?.message).toContain('from 200 to 599, got 99');
  });
});

describe('uncaught errors', () => {
  it('answer 500 with a safe body and send the stack to log.emit only', async () => {
    const lines: LogLine[] = [];
    const handler = createHandler(() => {
      throw new Error('database password is hunter2');
    });
    const res = await handler.handle(request(), { log: logInterface(lines) });
    expect(res.status).toBe(500);
    const raw = decoder.decode(res.body);
    expect(raw).toBe(
      '{"error":{"code":"INTERNAL","message":"The extension failed to handle the request."}}',
    );
    expect(raw).not.toContain('hunter2');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('error');
    expect(lines[0]?.fields['error.stack']).toMatch(/^Error: database password is hunter2\n\s+at /);
  });

  it('answer 403 CAPABILITY_DENIED when a denial is not caught', async () => {
    const handler = createHandler(async (_req, ctx) =>
      text((await ctx.secrets.get('apiKey')) ?? ''),
    );
    const res = await handler.handle(request(), {
      log: logInterface([]),
      secrets: {
        get: () => {
          throw hostError('denied', 'cap:secrets.get is not granted to this install');
        },
        listNames: () => [],
      },
    });
    expect(res.status).toBe(403);
    expect(bodyJson(res)).toEqual({
      error: {
        code: 'CAPABILITY_DENIED',
        message:
          'ctx.secrets.get("apiKey") failed (denied): cap:secrets.get is not granted to this install',
      },
    });
  });

  it('map limit to 429 and unavailable to 503 without the host detail', async () => {
    const failing = (tag: HostTag) =>
      createHandler(async (_req, ctx) => {
        await ctx.storage.get('k');
        return text('unreachable');
      }).handle(request(), {
        log: logInterface([]),
        storage: {
          get: () => {
            throw hostError(
              tag,
              tag === 'limit' ? 'storage.bytes 1048576' : 'redis at 10.0.0.5 timed out',
            );
          },
          put: () => 0n,
          delete: () => false,
          listKeys: () => ({ keys: [] }),
        },
      });
    const limited = await failing('limit');
    expect([limited.status, (bodyJson(limited) as { error: { code: string } }).error.code]).toEqual(
      [429, 'LIMIT_EXCEEDED'],
    );
    const down = await failing('unavailable');
    expect(down.status).toBe(503);
    expect(decoder.decode(down.body)).not.toContain('10.0.0.5');
  });
});

describe('ctx', () => {
  it('throws CAPABILITY_NOT_DECLARED for an interface the component was built without', async () => {
    let caught: unknown;
    await createHandler(async (_req, ctx) => {
      try {
        await ctx.secrets.get('apiKey');
      } catch (err) {
        caught = err;
      }
      return text('');
    }).handle(request(), {});
    expect(caught).toBeInstanceOf(CapabilityError);
    expect(caught).toMatchObject({
      code: 'CAPABILITY_NOT_DECLARED',
      capability: 'cap:secrets.get',
    });
    expect((caught as Error).message).toBe(
      `ctx.secrets.get("apiKey") needs capability 'cap:secrets.get', which manifest.json does not declare: add it to "capabilities" and rebuild`,
    );
  });

  it('reads context, config and secrets; an unset secret is undefined', async () => {
    const handler = createHandler(async (_req, ctx) =>
      json({
        tenant: ctx.context.tenantId,
        greeting: await ctx.config.get<string>('greeting'),
        unset: (await ctx.config.get('nope')) ?? null,
        all: await ctx.config.all(),
        key: await ctx.secrets.get('apiKey'),
        missing: (await ctx.secrets.get('other')) ?? null,
        names: await ctx.secrets.names(),
      }),
    );
    const res = await handler.handle(request(), {
      context: {
        get: () => ({
          requestId: 'r1',
          tenantId: 't1',
          extensionId: 'com.example.x',
          installId: 'i1',
          version: '1.0.0',
          contentHash: 'sha256:00',
        }),
      },
      config: {
        get: (key) => (key === 'greeting' ? '"hi"' : undefined),
        entries: () => [
          { key: 'greeting', valueJson: '"hi"' },
          { key: 'limit', valueJson: '10' },
        ],
      },
      secrets: {
        get: (key) => {
          if (key === 'apiKey') return 's3cret';
          throw hostError('not-found', `secret ${key} is not set`);
        },
        listNames: () => ['apiKey'],
      },
    });
    expect(bodyJson(res)).toEqual({
      tenant: 't1',
      greeting: 'hi',
      unset: null,
      all: { greeting: 'hi', limit: 10 },
      key: 's3cret',
      missing: null,
      names: ['apiKey'],
    });
  });

  it('fetches through the host and returns a Response-like answer', async () => {
    const sent: unknown[] = [];
    const handler = createHandler(async (_req, ctx) => {
      const res = await ctx.http.fetch('https://api.example.com/v1', {
        method: 'post',
        headers: { 'Content-Type': 'application/json' },
        body: '{"q":1}',
        timeoutMs: 500,
      });
      return json({
        status: res.status,
        ok: res.ok,
        etag: res.headers.get('ETag'),
        data: await res.json(),
      });
    });
    const res = await handler.handle(request(), {
      http: {
        fetch: (req) => {
          sent.push({ ...req, body: decoder.decode(req.body) });
          return {
            status: 201,
            headers: [{ name: 'etag', value: '"v1"' }],
            body: new TextEncoder().encode('{"r":2}'),
          };
        },
      },
    });
    expect(sent).toEqual([
      {
        method: 'POST',
        url: 'https://api.example.com/v1',
        headers: [{ name: 'content-type', value: 'application/json' }],
        body: '{"q":1}',
        timeoutMs: 500,
      },
    ]);
    expect(bodyJson(res)).toEqual({ status: 201, ok: true, etag: '"v1"', data: { r: 2 } });
  });

  it('maps storage revisions, compare-and-set conflicts and pages', async () => {
    const calls: unknown[] = [];
    const results: unknown[] = [];
    await createHandler(async (_req, ctx) => {
      results.push(await ctx.storage.putJson('count', 1, { expectedRevision: 0 }));
      results.push(await ctx.storage.getJson('count'));
      try {
        await ctx.storage.put('count', '2', { expectedRevision: 5 });
      } catch (err) {
        results.push([(err as CapabilityError).code, (err as CapabilityError).capability]);
      }
      results.push(await ctx.storage.delete('count'));
      results.push(await ctx.storage.list({ prefix: 'c', limit: 2 }));
      return text('');
    }).handle(request(), {
      storage: {
        get: (key) => ({ key, value: new TextEncoder().encode('1'), revision: 1n }),
        put: (key, value, expected) => {
          calls.push(['put', key, decoder.decode(value), expected]);
          if (expected === 5n) throw hostError('conflict', 'count is at revision 1');
          return 1n;
        },
        delete: (key, expected) => {
          calls.push(['delete', key, expected]);
          return true;
        },
        listKeys: (prefix, cursor, limit) => {
          calls.push(['list', prefix, cursor, limit]);
          return { keys: ['count'], nextCursor: 'c2' };
        },
      },
    });
    expect(calls).toEqual([
      ['put', 'count', '1', 0n],
      ['put', 'count', '2', 5n],
      ['delete', 'count', undefined],
      ['list', 'c', undefined, 2],
    ]);
    expect(results).toEqual([
      1,
      { key: 'count', value: 1, revision: 1 },
      ['CONFLICT', 'cap:storage.kv'],
      true,
      { keys: ['count'], nextCursor: 'c2' },
    ]);
  });

  it('logs and counts, and drops lines the host refuses', async () => {
    const lines: LogLine[] = [];
    const samples: unknown[] = [];
    const res = await createHandler((_req, ctx) => {
      ctx.log.info('hello', { n: 1, tags: ['a'] });
      ctx.metrics.counter('calls_total', undefined, { route: 'items' });
      ctx.metrics.histogram('latency_ms', 12.5);
      return text('ok');
    }).handle(request(), {
      log: logInterface(lines),
      metrics: {
        counter: (name, value, labels) => {
          samples.push(['counter', name, value, labels]);
          throw hostError('limit', 'metrics.series 100');
        },
        histogram: (name, value, labels) => {
          samples.push(['histogram', name, value, labels]);
        },
      },
    });
    expect(res.status).toBe(200);
    expect(lines).toEqual([{ level: 'info', message: 'hello', fields: { n: 1, tags: ['a'] } }]);
    expect(samples).toEqual([
      ['counter', 'calls_total', 1, [{ key: 'route', value: 'items' }]],
      ['histogram', 'latency_ms', 12.5, []],
    ]);
  });

  it('calls UI proxy routes with JSON', async () => {
    const res = await createHandler(async (_req, ctx) =>
      json(await ctx.uiProxy.call('tickets.list', { page: 2 })),
    ).handle(request(), {
      'ui-proxy': {
        call: (route, payload) =>
          new TextEncoder().encode(
            JSON.stringify({ route, got: JSON.parse(decoder.decode(payload)) }),
          ),
      },
    });
    expect(bodyJson(res)).toEqual({ route: 'tickets.list', got: { page: 2 } });
  });
});

describe('createHandler and bindHandler', () => {
  it('reject what is not a handler with INVALID_HANDLER', () => {
    expect(() => createHandler('nope' as never)).toThrow(HandlerError);
    expect(() => bindHandler({ default: { hello: true } }, {})).toThrowError(
      expect.objectContaining({ code: 'INVALID_HANDLER' }),
    );
  });

  it('bindHandler links the entry default export to the host interfaces', async () => {
    const exported = bindHandler(
      { default: createHandler((_req, ctx) => text(ctx.context.tenantId)) },
      {
        context: {
          get: () => ({
            requestId: 'r',
            tenantId: 'tenant-9',
            extensionId: 'e',
            installId: 'i',
            version: '1.0.0',
            contentHash: 'sha256:0',
          }),
        },
      },
    );
    expect(decoder.decode((await exported.handle(request())).body)).toBe('tenant-9');
  });
});

describe('the global fetch', () => {
  type HostHttp = NonNullable<HostInterfaces['http']>;
  type Sent = Parameters<HostHttp['fetch']>[0];
  const engineFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = engineFetch;
  });

  /** Binds a handler that runs `call` with the global fetch bindHandler installs. */
  async function viaGlobalFetch(
    http: HostHttp | undefined,
    call: () => Promise<unknown>,
  ): Promise<unknown> {
    let outcome: unknown;
    const exported = bindHandler(
      {
        default: createHandler(async () => {
          outcome = await call().catch((thrown: unknown) => ({ thrown }));
          return text('done');
        }),
      },
      http === undefined ? {} : { http },
    );
    await exported.handle(request());
    return outcome;
  }

  function recordingHost(answer: ReturnType<HostHttp['fetch']>) {
    const sent: Sent[] = [];
    const http: HostHttp = {
      fetch: (req) => {
        sent.push(req);
        return answer;
      },
    };
    return { http, sent };
  }

  it('sends a standard request through the host interface and answers a standard Response', async () => {
    const { http, sent } = recordingHost({
      status: 201,
      headers: [
        { name: 'content-type', value: 'application/json' },
        { name: 'etag', value: '"v1"' },
      ],
      body: new TextEncoder().encode('{"r":2}'),
    });
    const outcome = await viaGlobalFetch(http, async () => {
      const res = await fetch('https://api.example.com/v1?x=1', {
        method: 'purge',
        headers: { 'X-Trace': 't-1' },
        body: new URLSearchParams({ a: '1' }),
      });
      return {
        isResponse: res instanceof Response,
        status: res.status,
        ok: res.ok,
        etag: res.headers.get('ETag'),
        data: await res.json(),
      };
    });
    expect(outcome).toEqual({
      isResponse: true,
      status: 201,
      ok: true,
      etag: '"v1"',
      data: { r: 2 },
    });
    expect(sent).toHaveLength(1);
    const [first] = sent;
    expect(first?.method).toBe('PURGE');
    expect(first?.url).toBe('https://api.example.com/v1?x=1');
    expect(first?.headers).toEqual(
      expect.arrayContaining([
        { name: 'x-trace', value: 't-1' },
        { name: 'content-type', value: 'application/x-www-form-urlencoded;charset=UTF-8' },
      ]),
    );
    expect(decoder.decode(first?.body)).toBe('a=1');
    expect(first?.timeoutMs).toBeUndefined();
  });

  it('takes a Request as input and answers a null body for HEAD and 204', async () => {
    const { http, sent } = recordingHost({
      status: 204,
      headers: [],
      body: new TextEncoder().encode('ignored'),
    });
    const outcome = await viaGlobalFetch(http, async () => {
      const res = await fetch(new Request('https://api.example.com/items/7', { method: 'DELETE' }));
      return { status: res.status, body: res.body };
    });
    expect(outcome).toEqual({ status: 204, body: null });
    expect(sent.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: 'DELETE', url: 'https://api.example.com/items/7', body: undefined },
    ]);
  });

  it('fails like ctx.http.fetch: undeclared, denied by the host, refused options', async () => {
    const undeclared = await viaGlobalFetch(undefined, () => fetch('https://api.example.com/'));
    expect(undeclared).toEqual({
      thrown: expect.objectContaining({
        name: 'CapabilityError',
        code: 'CAPABILITY_NOT_DECLARED',
        capability: 'cap:http.fetch',
        message: expect.stringContaining('fetch(GET https://api.example.com/)'),
      }),
    });

    const denying: HostHttp = {
      fetch: () => {
        throw hostError('denied', "api.example.com is not on this install's egress allowlist");
      },
    };
    const denied = await viaGlobalFetch(denying, () => fetch('https://api.example.com/'));
    expect(denied).toEqual({
      thrown: expect.objectContaining({ code: 'CAPABILITY_DENIED', capability: 'cap:http.fetch' }),
    });

    const { http, sent } = recordingHost({ status: 200, headers: [], body: new Uint8Array() });
    const manual = await viaGlobalFetch(http, () =>
      fetch('https://api.example.com/', { redirect: 'manual' }),
    );
    expect(manual).toEqual({
      thrown: expect.objectContaining({
        name: 'TypeError',
        message: expect.stringContaining('redirect "manual" is not supported'),
      }),
    });
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    const aborted = await viaGlobalFetch(http, () =>
      fetch('https://api.example.com/', { signal: controller.signal }),
    );
    expect(aborted).toEqual({ thrown: new Error('caller gave up') });
    expect(sent).toEqual([]);
  });
});
