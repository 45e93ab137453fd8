import { CapabilityError, createHandler, error, json } from '@alga/runtime';

interface Quote {
  price: number;
}

export default createHandler(async (req, ctx) => {
  const symbol = (req.params.symbol ?? '').toUpperCase();
  if (!/^[A-Z]{1,8}$/.test(symbol)) return error(400, 'BAD_SYMBOL', 'a symbol is 1 to 8 letters');

  const apiKey = await ctx.secrets.get('apiKey');
  if (apiKey === undefined) {
    return error(412, 'NOT_CONFIGURED', 'set the API key in the extension settings');
  }
  const base = (await ctx.config.get<string>('apiBase')) ?? 'https://api.quotes.example';
  const currency = (await ctx.config.get<string>('currency')) ?? 'USD';

  const upstream = await ctx.http.fetch(`${base}/v1/quotes/${symbol}?currency=${currency}`, {
    headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
    timeoutMs: 5000,
  });
  if (!upstream.ok) {
    ctx.log.warn('quote service failed', { status: upstream.status, symbol });
    return error(502, 'UPSTREAM_FAILED', `the quote service answered ${upstream.status}`);
  }
  const { price } = await upstream.json<Quote>();

  // Count lookups with compare-and-set, so concurrent requests never lose an increment.
  const key = `lookups/${symbol}`;
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.storage.getJson<number>(key);
    const lookups = (current?.value ?? 0) + 1;
    try {
      await ctx.storage.putJson(key, lookups, { expectedRevision: current?.revision ?? 0 });
      return json({ symbol, price, currency, lookups });
    } catch (err) {
      if (!(err instanceof CapabilityError && err.code === 'CONFLICT') || attempt === 5) throw err;
    }
  }
});
