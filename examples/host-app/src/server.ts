import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  createEmbeddedHost,
  createNodeListener,
  type EmbeddedHost,
  type EmbeddedHostOptions,
} from '@alga/host';
import { Hono } from 'hono';
import { pino } from 'pino';
import { HostAppError } from './errors';
import { bundlePage, type PageBundle } from './page-bundle';
import { type HostAppState, TENANT_HEADER } from './shared';
import { installsOf } from './state';

/** Options of {@link startHostApp}. */
export interface HostAppOptions {
  /** Port of the app (default 3000; 0 picks a free one). A taken port throws `PORT_IN_USE`. */
  port?: number;
  /** Name the page is served under (default `localhost`). */
  appHostname?: string;
  /** Name the extension iframes load from (default `127.0.0.1`): another origin on the same port. */
  uiHostname?: string;
  /** The embedded host's settings, except where it listens and what it frames, which the app sets. */
  host: Omit<EmbeddedHostOptions, 'port' | 'host' | 'publicBase' | 'frameAncestors' | 'logger'>;
  /** Where the embedded host's JSON log lines go (default `<dataDir>/host.log`). */
  logFile?: string;
  /** Cache folder of the page bundle. */
  pageCacheDir?: string;
  /** How long `close()` waits for requests in flight (default 10 000 ms). */
  shutdownTimeoutMs?: number;
}

/** A running host app. */
export interface HostApp {
  /** Where the page is, e.g. `http://localhost:3000`. */
  readonly appOrigin: string;
  /** Where extension iframes load from, e.g. `http://127.0.0.1:3000`. */
  readonly uiOrigin: string;
  /** The embedded Alga host the app forwards `/api/...` and `/ext-ui/...` to, in process. */
  readonly host: EmbeddedHost;
  /** The page bundle it serves. */
  readonly page: PageBundle;
  /** The JSON log file of the embedded host. */
  readonly logFile: string;
  /** The tenants whose operator the page acts for, with their gateway API keys (kept server-side). */
  setTenants(apiKeys: Readonly<Record<string, string>>): void;
  /** The whole app as a web-standard handler. */
  fetch(request: Request): Promise<Response>;
  /** Stops accepting, waits for requests in flight, then closes the embedded host. Idempotent. */
  close(): Promise<void>;
}

const DEBUG_STREAM = '/api/ext-debug/stream';
const SETTINGS_PATH = /^\/api\/v1\/installs\/[^/]+\/.+\/settings$/;

function text(status: number, body: string): Response {
  return new Response(`${body}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/**
 * A browser request from the page itself. Browsers send `sec-fetch-site` on every request and
 * scripts cannot forge it, so a request another site's page makes through the user's browser
 * never gets the operator's credentials added; tools like curl bring their own.
 */
function fromOwnPage(request: Request): boolean {
  return request.headers.get('sec-fetch-site') === 'same-origin';
}

function pageHtml(page: PageBundle, uiOrigin: string): Response {
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Alga demo host</title>
    <link rel="stylesheet" href="/assets/page.css?v=${page.etag}" />
  </head>
  <body>
    <div id="root"></div>
    <script src="/assets/page.js?v=${page.etag}"></script>
  </body>
</html>
`;
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        `frame-src ${uiOrigin}`,
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'x-content-type-options': 'nosniff',
    },
  });
}

function asset(body: string, type: string, etag: string, request: Request): Response {
  const headers = {
    'content-type': type,
    etag: `"${etag}"`,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  };
  if (request.headers.get('if-none-match') === `"${etag}"`) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, { headers });
}

async function listen(
  server: ReturnType<typeof createServer>,
  port: number,
  hostname: string,
): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, hostname, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new HostAppError(
        'PORT_IN_USE',
        `Port ${port} on ${hostname} is taken by another process; stop it or pick another port (--port <n> or PORT=<n>; 0 picks a free one).`,
        { cause },
      );
    }
    throw new HostAppError(
      'LISTEN_FAILED',
      `Cannot listen on ${hostname}:${port} (${code ?? 'error'}).`,
      {
        cause,
      },
    );
  }
  return (server.address() as AddressInfo).port;
}

/**
 * Starts the example host application: one port serving the host page on `appOrigin` and the
 * extension iframes on `uiOrigin` (two origins, so an extension's page can never script the
 * app's), with an embedded `@alga/host` behind it. The page's own requests are the operator's
 * session: the app adds the selected tenant's API key to `/api/ext*` calls and the admin token
 * to settings and debug-stream calls, on the server; the browser never holds either.
 *
 * @example
 * ```ts
 * const app = await startHostApp({ port: 3000, host: { dataDir: '.alga/demo/host', trust } });
 * app.setTenants({ acme: apiKey });
 * console.log(app.appOrigin); // http://localhost:3000
 * ```
 */
export async function startHostApp(options: HostAppOptions): Promise<HostApp> {
  const appHostname = options.appHostname ?? 'localhost';
  const uiHostname = options.uiHostname ?? '127.0.0.1';
  const pageBuild = bundlePage(
    options.pageCacheDir === undefined ? {} : { cacheDir: options.pageCacheDir },
  );
  let tenantKeys = new Map<string, string>();
  let host: EmbeddedHost | undefined;
  let page: PageBundle | undefined;
  let inFlight = 0;
  let closing = false;
  const drained: Array<() => void> = [];

  const app = new Hono();
  const forward = (request: Request, authorization?: string): Promise<Response> => {
    const headers = new Headers(request.headers);
    headers.delete(TENANT_HEADER);
    if (authorization !== undefined) headers.set('authorization', `Bearer ${authorization}`);
    return (host as EmbeddedHost).fetch(new Request(request, { headers }));
  };
  /** Which credential the app adds to a page request without one, if any. */
  const credentialFor = (request: Request, path: string): string | undefined => {
    if (request.headers.has('authorization') || !fromOwnPage(request)) return undefined;
    if (path.startsWith('/api/ext/') || path.startsWith('/api/ext-proxy/')) {
      return tenantKeys.get(request.headers.get(TENANT_HEADER) ?? '');
    }
    const operatorCall =
      (path === DEBUG_STREAM && request.method === 'GET') ||
      (SETTINGS_PATH.test(path) && ['GET', 'PUT', 'DELETE'].includes(request.method));
    return operatorCall ? host?.adminToken : undefined;
  };

  app.use('*', async (c, next) => {
    if (host === undefined || page === undefined) return text(503, 'The host app is starting.');
    const authority = c.req.header('host') ?? '';
    const hostname = authority.replace(/:\d+$/, '');
    // Anything but the two names (DNS rebinding, a LAN address) is refused outright.
    if (hostname !== appHostname && hostname !== uiHostname) {
      return text(421, `Unknown host ${authority}; open ${appOrigin}/`);
    }
    const path = c.req.path;
    if (hostname === uiHostname) {
      const uiRequest = path.startsWith('/ext-ui/') && ['GET', 'HEAD'].includes(c.req.method);
      return uiRequest ? forward(c.req.raw) : text(404, `Only /ext-ui/ is served on ${uiOrigin}.`);
    }
    if (path.startsWith('/ext-ui/')) {
      return text(404, `Extension UIs are served on ${uiOrigin}, never on the app's origin.`);
    }
    return next();
  });
  app.get('/', () => pageHtml(page as PageBundle, uiOrigin));
  app.get('/assets/page.js', (c) => {
    const bundle = page as PageBundle;
    return asset(bundle.js, 'text/javascript; charset=utf-8', bundle.etag, c.req.raw);
  });
  app.get('/assets/page.css', (c) => {
    const bundle = page as PageBundle;
    return asset(bundle.css, 'text/css; charset=utf-8', bundle.etag, c.req.raw);
  });
  app.get('/demo/api/state', async (c) => {
    if (!fromOwnPage(c.req.raw)) return text(403, 'Only the host page reads its state.');
    const running = host as EmbeddedHost;
    const tenants = await Promise.all(
      [...tenantKeys.keys()]
        .sort()
        .map(async (id) => ({ id, installs: await installsOf(running, id) })),
    );
    const state: HostAppState = { uiOrigin, tenants };
    return c.json(state, 200, { 'cache-control': 'no-store' });
  });
  app.on(['GET', 'HEAD'], ['/healthz', '/readyz', '/metrics'], (c) => forward(c.req.raw));
  app.all('/api/*', (c) => forward(c.req.raw, credentialFor(c.req.raw, c.req.path)));
  app.notFound(() => text(404, 'Nothing is served at this path.'));

  const fetch = async (request: Request): Promise<Response> => {
    if (closing) return text(503, 'The host app is shutting down.');
    return app.fetch(request);
  };
  const server = createServer();
  const listener = createNodeListener(fetch);
  server.on('request', (incoming, outgoing) => {
    // The debug stream stays open until the host closes it, so it does not hold up a drain.
    const counted = !(incoming.url ?? '').startsWith(DEBUG_STREAM);
    if (counted) inFlight += 1;
    outgoing.once('close', () => {
      if (!counted) return;
      inFlight -= 1;
      if (inFlight === 0) for (const done of drained.splice(0)) done();
    });
    void listener(incoming, outgoing);
  });
  const port = await listen(server, options.port ?? 3000, '127.0.0.1');
  const appOrigin = `http://${appHostname}:${port}`;
  const uiOrigin = `http://${uiHostname}:${port}`;

  const logFile = options.logFile ?? join(options.host.dataDir ?? './.alga', 'host.log');
  const logger = pino(
    { level: 'info', base: { component: 'alga-host' } },
    pino.destination({ dest: logFile, mkdir: true, sync: true }),
  );
  try {
    [page, host] = await Promise.all([
      pageBuild,
      createEmbeddedHost({
        ...options.host,
        port: 0,
        host: '127.0.0.1',
        publicBase: uiOrigin,
        frameAncestors: [appOrigin],
        logger,
      }),
    ]);
  } catch (error) {
    server.close();
    await pageBuild.catch(() => undefined);
    throw error;
  }
  const running = host;
  const bundle = page;

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((done) => drained.push(done)),
          new Promise<void>((done) =>
            setTimeout(done, options.shutdownTimeoutMs ?? 10_000).unref(),
          ),
        ]);
      }
      // Closing the host ends its debug streams, so the last open responses finish.
      await running.close();
      server.closeAllConnections();
      await stopped;
    })();
    return closed;
  };

  return {
    appOrigin,
    uiOrigin,
    host: running,
    page: bundle,
    logFile,
    setTenants(apiKeys) {
      tenantKeys = new Map(Object.entries(apiKeys));
    },
    fetch,
    close,
  };
}
