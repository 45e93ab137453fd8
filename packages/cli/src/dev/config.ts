import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CliError } from '../internal/errors';

/** `.alga/dev.json`: the local install `alga dev` runs the extension as. */
export interface DevConfig {
  /** Tenant id of the local install (default `dev`). */
  readonly tenant: string;
  /** Plain settings (`manifest.json` `settings`); unset ones take their defaults. */
  readonly config: Readonly<Record<string, string | number | boolean | null>>;
  /** Secret settings in plain text; the dev host seals them like a real one. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Granted capabilities (default: everything the manifest asks for). */
  readonly grants?: readonly string[];
  /** Egress hosts (default: the manifest's `http.allow`). */
  readonly egress?: readonly string[];
}

const schema = z.strictObject({
  $schema: z.string().optional(),
  tenant: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 of a-z, 0-9, _ and -, starting alphanumeric')
    .default('dev'),
  config: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .default({}),
  secrets: z.record(z.string(), z.string({ error: 'must be a string' })).default({}),
  grants: z.array(z.string()).optional(),
  egress: z.array(z.string()).optional(),
});

/** What `alga dev` writes when the file is missing: every key, empty, to fill in. */
export const DEV_CONFIG_TEMPLATE = `${JSON.stringify({ tenant: 'dev', config: {}, secrets: {} }, null, 2)}\n`;

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(root)';
}

/**
 * Reads and validates `.alga/dev.json`. Errors are `USAGE` and name the file and the field
 * (`.alga/dev.json: secrets.apiKey: must be a string`), never a value.
 */
export async function readDevConfig(path: string, label: string): Promise<DevConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    const reason =
      cause instanceof SyntaxError
        ? 'is not valid JSON'
        : `cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new CliError('USAGE', `${label} ${reason}`, { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? `${issue.keys.join(', ')}: unknown field (use tenant, config, secrets, grants, egress)`
        : `${fieldPath(issue.path)}: ${issue.message}`,
    );
    throw new CliError('USAGE', `${label}: ${problems.join('; ')}`);
  }
  const { $schema: _schema, grants, egress, ...rest } = parsed.data;
  return {
    ...rest,
    ...(grants === undefined ? {} : { grants }),
    ...(egress === undefined ? {} : { egress }),
  };
}
