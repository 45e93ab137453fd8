// An existing Express app embedding @alga/host: the gateway and the extension UI assets are
// mounted next to the app's own routes, the tenant comes from the app's own session, and the
// settings routes the ui-kit form calls map onto the registry. docs/host-integration.md shows
// this file; test/docs runs it.

import {
  type Actor,
  AesGcmSealer,
  createGateway,
  createRegistry,
  createRunner,
  createTrustSource,
  createUiAssetServer,
  FsBundleStore,
  KeyProvider,
  RegistryError,
  SqliteRegistryStore,
  signaturesFromRegistry,
  toExpressHandler,
} from '@alga/host';
import express, { type NextFunction, type Request, type Response } from 'express';

const dataDir = process.env.ALGA_DATA_DIR ?? './data';

// Publisher keys this host accepts. Edit the file to add, rotate or revoke a key: it is
// reloaded without a restart, and a broken edit keeps the previous keys.
const trust = createTrustSource({ path: process.env.SIGNING_TRUST_BUNDLE ?? './trust.json' });
// Registry, installs, settings and the extensions' KV storage (PostgresRegistryStore scales out).
const store = new SqliteRegistryStore({ dataDir });
await store.open();
// Signed bundles by content hash (S3BundleStore scales out).
const bundles = new FsBundleStore({ root: `${dataDir}/bundles` });
// Install secrets are sealed with AES-256-GCM under ALGA_SECRETS_KEY (`kid:base64key`, newest first).
const sealer = new AesGcmSealer(KeyProvider.fromEnv('ALGA_SECRETS_KEY'));
const registry = createRegistry({ store, bundles, trust, sealer });
const runner = createRunner({
  store: bundles,
  trust,
  signatures: signaturesFromRegistry(store),
  dataDir: `${dataDir}/runner`,
  isolation: { mode: 'worker' }, // or 'process'; or new RemoteRunner({...}) for a runner service
  secrets: { sealer },
  storage: { store },
  http: { allow: [] }, // the operator's egress allowlist, on top of each install's
  records: store,
});

/** The app's own session. Stand-in: a table from `ALGA_EXAMPLE_SESSIONS` (JSON); use yours. */
interface Session {
  tenantId: string;
  userId: string;
  admin: boolean;
}
const sessions = new Map<string, Session>(
  Object.entries(JSON.parse(process.env.ALGA_EXAMPLE_SESSIONS ?? '{}') as Record<string, Session>),
);
function sessionOf(cookie: string | null | undefined): Session | undefined {
  const id = /(?:^|;\s*)sid=([^;]+)/.exec(cookie ?? '')?.[1];
  return id === undefined ? undefined : sessions.get(id);
}

const gateway = createGateway({
  registry,
  store,
  runner,
  // The identity hook: who is calling, from the app's session. No session: 401. The cookie and
  // authorization headers are stripped before the extension sees the request.
  resolveIdentity: (request) => {
    const session = sessionOf(request.headers.get('cookie'));
    return session === undefined
      ? undefined
      : { tenantId: session.tenantId, actorId: session.userId };
  },
});
const assets = createUiAssetServer({ store, bundles, trust, frameAncestors: ["'self'"] });

const app = express();
// Before any body parser: the gateway reads the request body itself, under its byte cap.
app.use(['/api/ext', '/api/ext-proxy'], toExpressHandler(gateway.fetch));
app.use('/ext-ui', toExpressHandler(assets.fetch));
app.use(express.json({ limit: '256kb' }));

/** The ui-kit settings form's API, for the signed-in tenant's admins only. */
const settings = express.Router({ mergeParams: true });
settings.use((req: Request, res: Response, next: NextFunction) => {
  const session = sessionOf(req.headers.cookie);
  if (session === undefined || !session.admin || session.tenantId !== req.params.tenant) {
    res.status(403).json({ error: { code: 'FORBIDDEN', message: 'Only this tenant’s admins.' } });
    return;
  }
  res.locals.actor = { id: session.userId, roles: ['admin'] } satisfies Actor;
  next();
});
const answer =
  (work: (req: Request, actor: Actor) => Promise<unknown>) =>
  async (req: Request, res: Response) => {
    try {
      res.json(await work(req, res.locals.actor as Actor));
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      const status =
        error.code === 'CONFIG_INVALID' ? 422 : error.code === 'NOT_INSTALLED' ? 404 : 400;
      res
        .status(status)
        .json({ error: { code: error.code, message: error.message, issues: error.issues } });
    }
  };
settings.get(
  '/',
  answer((req, actor) =>
    registry.getSettings(String(req.params.tenant), String(req.params.extensionId), { actor }),
  ),
);
settings.put(
  '/',
  answer((req, actor) =>
    registry.saveSettings(String(req.params.tenant), String(req.params.extensionId), {
      actor,
      ...req.body,
    }),
  ),
);
settings.delete(
  '/',
  answer((req, actor) =>
    registry.resetSettings(String(req.params.tenant), String(req.params.extensionId), { actor }),
  ),
);
app.use('/api/v1/installs/:tenant/:extensionId/settings', settings);

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', (error?: Error) => {
  if (error !== undefined) throw error;
  const address = server.address();
  process.stdout.write(
    `listening on http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : ''}\n`,
  );
});

// Finish requests in flight, then stop the workers and close the stores.
const shutdown = () => {
  server.close(async () => {
    await runner.close();
    trust.close();
    await store.close();
  });
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
