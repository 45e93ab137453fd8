import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from '../internal/errors';
import { parseFlags } from '../internal/flags';
import {
  type AdminTarget,
  adminTarget,
  answerOf,
  callAdmin,
  targetFlags,
  targetOptions,
} from './publish';

const tenantListSchema = z.object({ tenants: z.array(z.string()) });

const issuedSchema = z.looseObject({ tenant: z.string(), apiKey: z.string().min(1) });

/** A tenant and its new API key: the only time the key is ever visible (the host keeps its hash). */
export type IssuedTenantKey = z.infer<typeof issuedSchema>;

/** Lists a host's tenants, sorted, through its admin API (`GET /api/v1/tenants`). */
export async function listTenants(target: AdminTarget): Promise<string[]> {
  const answer = await callAdmin(target, '/api/v1/tenants', { method: 'GET' });
  return answerOf(tenantListSchema, answer, target, 'the tenant listing').tenants;
}

/**
 * Creates a tenant with a new API key, or gives an existing one a new key (its old key stops
 * working at once), through a host's admin API (`POST /api/v1/tenants`). With `expect: 'new'`
 * the host refuses an existing tenant (409), with `expect: 'existing'` an unknown one (404),
 * as one step with the write.
 *
 * @example
 * ```ts
 * const { apiKey } = await issueTenantKey('acme',
 *   { host: 'http://127.0.0.1:3000', token: process.env.ALGA_ADMIN_TOKEN! }, { expect: 'new' });
 * ```
 */
export async function issueTenantKey(
  tenant: string,
  target: AdminTarget,
  options: { expect?: 'new' | 'existing' } = {},
): Promise<IssuedTenantKey> {
  const answer = await callAdmin(target, '/api/v1/tenants', {
    method: 'POST',
    json: { tenant, ...options },
  });
  return answerOf(issuedSchema, answer, target, 'the tenant key');
}

const listFlags = z.strictObject({ json: z.boolean().optional(), ...targetFlags });

/**
 * Prints a new key alone on stdout, so `API_KEY=$(alga tenants create acme)` captures it, and
 * what happened on stderr, where a person reads it and a capture does not take it.
 */
function printIssued(issued: IssuedTenantKey, json: boolean, note: string): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(issued, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${issued.apiKey}\n`);
  process.stderr.write(`${note}\n`);
}

/**
 * Issues a key for `tenant`, telling the host whether it must exist: `create` must not silently
 * take the key of a tenant already serving traffic, and `rotate-key` must not make a typo a
 * tenant. The host checks it with the write, so two operators cannot both create one tenant.
 */
async function issueChecked(
  tenant: string,
  rawFlags: unknown,
  command: 'create' | 'rotate-key',
): Promise<void> {
  const name = `tenants ${command}`;
  const flags = parseFlags(listFlags, rawFlags, name);
  const target = adminTarget(flags, name);
  let issued: IssuedTenantKey;
  try {
    issued = await issueTenantKey(tenant, target, {
      expect: command === 'create' ? 'new' : 'existing',
    });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    if (command === 'create' && error.status === 409) {
      throw new CliError(
        'USAGE',
        `alga ${name}: tenant ${tenant} exists; alga tenants rotate-key ${tenant} gives it a new key`,
      );
    }
    if (command === 'rotate-key' && error.status === 404) {
      throw new CliError(
        'USAGE',
        `alga ${name}: ${target.host} has no tenant ${tenant}; alga tenants create ${tenant} creates it`,
      );
    }
    throw error;
  }
  printIssued(
    issued,
    flags.json === true,
    command === 'create'
      ? `created tenant ${issued.tenant}: its API key is shown this once (the host keeps only its hash)`
      : `rotated the API key of ${issued.tenant}: the old key no longer works`,
  );
}

/** Registers `alga tenants [list]`, `alga tenants create <tenant>` and `alga tenants rotate-key <tenant>`. */
export function registerTenants(program: Command): void {
  const tenants = program
    .command('tenants')
    .description("list, create and re-key a running Alga host's tenants");

  targetOptions(
    tenants
      .command('list', { isDefault: true })
      .description('list the tenants, one id per line')
      .option('--json', 'print the tenants as JSON'),
  ).action(async (rawFlags: unknown) => {
    const flags = parseFlags(listFlags, rawFlags, 'tenants');
    const ids = await listTenants(adminTarget(flags, 'tenants'));
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(ids, null, 2)}\n`);
      return;
    }
    process.stdout.write(ids.length === 0 ? 'no tenants\n' : `${ids.join('\n')}\n`);
  });

  targetOptions(
    tenants
      .command('create <tenant>')
      .description(
        'create a tenant and print its API key (alone on stdout, shown this once); an existing tenant is refused',
      )
      .option('--json', 'print {tenant, apiKey} as JSON'),
  ).action((tenant: string, rawFlags: unknown) => issueChecked(tenant, rawFlags, 'create'));

  targetOptions(
    tenants
      .command('rotate-key <tenant>')
      .description(
        'give an existing tenant a new API key (printed alone on stdout); the old one stops working at once',
      )
      .option('--json', 'print {tenant, apiKey} as JSON'),
  ).action((tenant: string, rawFlags: unknown) => issueChecked(tenant, rawFlags, 'rotate-key'));
}
