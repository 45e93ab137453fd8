import { createHandler, error, json } from '@alga/runtime';

/**
 * The extension's request handler. Every `ctx` member needs the capability named in its docs,
 * declared in manifest.json "capabilities"; `alga build` rejects code that uses one it lacks.
 */
export default createHandler(async (req, ctx) => {
  if (req.path !== '/hello') return error(404, 'NOT_FOUND', `nothing at ${req.path}`);
  const greeting = (await ctx.config.get<string>('greeting')) ?? 'Hello';
  const name = req.query.get('name') ?? 'world';
  ctx.log.info('greeted', { name });
  return json({ message: `${greeting}, ${name}!`, tenantId: ctx.context.tenantId });
});
