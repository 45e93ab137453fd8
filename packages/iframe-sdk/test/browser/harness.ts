import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';

/**
 * Shared by the iframe-sdk and ui-kit browser suites: real Chromium (Debian's, installed by
 * scripts/ensure-chromium.mjs), pages served over loopback HTTP, scripts bundled by esbuild
 * from the TypeScript sources at test time.
 */
export const CHROMIUM_PATH = process.env.ALGA_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launch flags every browser suite uses. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts headless Chromium; share one per test file. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true });
}

/** What a route answers. */
export interface Reply {
  status?: number;
  type: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

/** A request handler; `undefined` means 404. */
export type Handler = (
  request: IncomingMessage,
  url: URL,
  body: Buffer,
) => Reply | undefined | Promise<Reply | undefined>;

/** A running loopback server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  port: number;
  /** Every request seen, newest last. */
  requests: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 on a free port. */
export async function serve(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(request.url ?? '/', 'http://test');
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname + url.search,
      headers: request.headers,
      body: body.toString('utf8'),
    });
    try {
      const reply = await handler(request, url, body);
      if (!reply) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      response
        .writeHead(reply.status ?? 200, {
          'content-type': reply.type,
          'cache-control': 'no-store',
          ...reply.headers,
        })
        .end(reply.body);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A handler serving fixed files by the last path segment (so any `/ext-ui/.../x.html` works). */
export function filesByName(files: Record<string, Reply>): Handler {
  return (_request, url) => files[decodeURIComponent(url.pathname.split('/').pop() ?? '')];
}

/** An HTML reply. */
export const html = (body: string, headers?: Record<string, string>): Reply => ({
  type: 'text/html; charset=utf-8',
  body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>test</title></head><body>${body}</body></html>`,
  ...(headers ? { headers } : {}),
});

/** A JavaScript reply. */
export const js = (body: string): Reply => ({ type: 'text/javascript; charset=utf-8', body });

/** Bundles a browser entry (TypeScript/TSX) into one IIFE script, workspace packages from source. */
export async function bundle(
  entry: string | URL,
  options: { globalName?: string; minify?: boolean } = {},
): Promise<string> {
  const result = await build({
    entryPoints: [typeof entry === 'string' ? entry : fileURLToPath(entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@alga/source'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: options.minify ?? false,
    logLevel: 'silent',
    ...(options.globalName ? { globalName: options.globalName } : {}),
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${String(entry)}`);
  return file.text;
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`,
  );
}
