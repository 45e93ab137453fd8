import { CapabilityError, createHandler, error, json } from '@alga/runtime';

const VISITS_KEY = 'visits';
const MAX_CAS_ATTEMPTS = 5;

/** What `GET /summary` answers; the iframe UI renders it. */
export interface Summary {
  greeting: string;
  accent: string;
  tenantId: string;
  /** Names of the secrets this install has set: the values never leave the host side. */
  secretsSet: string[];
  visits: number;
}

export default createHandler(async (req, ctx) => {
  switch (req.handler) {
    case 'summary': {
      const [greeting, accent, secretsSet, visits] = await Promise.all([
        ctx.config.get<string>('greeting'),
        ctx.config.get<string>('accent'),
        ctx.secrets.names(),
        ctx.storage.getJson<number>(VISITS_KEY),
      ]);
      const summary: Summary = {
        greeting: greeting ?? 'Hello',
        accent: accent ?? 'info',
        tenantId: ctx.context.tenantId,
        secretsSet: secretsSet.sort(),
        visits: visits?.value ?? 0,
      };
      ctx.log.info('summary served', { visits: summary.visits });
      return json(summary);
    }
    case 'visit': {
      // Compare-and-set: two tabs recording a visit at once must both count.
      for (let attempt = 1; ; attempt++) {
        const current = await ctx.storage.getJson<number>(VISITS_KEY);
        const visits = (current?.value ?? 0) + 1;
        try {
          await ctx.storage.putJson(VISITS_KEY, visits, {
            expectedRevision: current?.revision ?? 0,
          });
          ctx.log.info('visit recorded', { visits, attempt });
          return json({ visits });
        } catch (err) {
          const conflict = err instanceof CapabilityError && err.code === 'CONFLICT';
          if (!conflict || attempt === MAX_CAS_ATTEMPTS) throw err;
        }
      }
    }
    default:
      return error(404, 'NOT_FOUND', `no handler named ${req.handler ?? '(none)'}`);
  }
});
