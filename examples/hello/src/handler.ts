import { createHandler, json } from '@alga/runtime';

export default createHandler((req, ctx) => {
  const { tenantId, requestId } = ctx.context;
  ctx.log.info('hello', { tenantId });
  const name = req.query.get('name') ?? 'world';
  return json({ message: `Hello, ${name}!`, tenantId, requestId });
});
