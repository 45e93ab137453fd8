import type { SettingField } from '@alga/manifest';
import { z } from 'zod';
import type { HostAppState } from '../shared';

// The registry validated each field against the manifest schema before it got here; the page
// checks only the shape it relies on.
const settingSchema = z.custom<SettingField>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { key?: unknown }).key === 'string' &&
    typeof (value as { kind?: unknown }).kind === 'string',
);
const stateSchema = z.object({
  uiOrigin: z.string(),
  tenants: z.array(
    z.object({
      id: z.string(),
      installs: z.array(
        z.object({
          extensionId: z.string(),
          displayName: z.string(),
          description: z.string(),
          version: z.string(),
          contentHash: z.string(),
          enabled: z.boolean(),
          grants: z.array(z.string()),
          uiPath: z.string().nullable(),
          settings: z.array(settingSchema),
          endpoints: z.array(
            z.object({ method: z.string(), path: z.string(), description: z.string().nullable() }),
          ),
        }),
      ),
    }),
  ),
});

/** Reads the tenants and their installs from the host app, validated before use. */
export async function loadState(): Promise<HostAppState> {
  const response = await fetch('/demo/api/state', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET /demo/api/state answered ${response.status}`);
  const parsed = stateSchema.safeParse(await response.json());
  if (!parsed.success) throw new Error('GET /demo/api/state answered an unexpected shape');
  return parsed.data;
}

const debugEventSchema = z.object({
  at: z.number(),
  requestId: z.string(),
  tenantId: z.string(),
  extensionId: z.string(),
  stream: z.enum(['stdout', 'stderr', 'log']),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

/** One line of the debug stream, as the page shows it. */
export type DebugLine = z.infer<typeof debugEventSchema>;

/** Parses one `debug` SSE event; `undefined` for anything malformed. */
export function parseDebugEvent(data: string): DebugLine | undefined {
  try {
    const parsed = debugEventSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
