// `npm run demo`: builds the example extensions, signs and publishes them to an embedded Alga
// host, installs them for two tenants and serves a host page (scripts/demo/main.ts). Like the
// `alga` bin in a source checkout, it runs the TypeScript sources through tsx, with workspace
// packages resolved to their sources by the "@alga/source" export condition: no build needed.
import { register } from 'node:module';

const addSourceCondition = `export async function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, '@alga/source'] });
}`;
register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
const { register: registerTsx } = await import('tsx/esm/api');
registerTsx();

const { main } = await import('./demo/main.ts');
const { DemoError } = await import('./demo/errors.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof DemoError || (error instanceof Error && 'code' in error))) throw error;
  process.stderr.write(`alga demo: ${error.message} [${error.code}]\n`);
  process.exitCode = 1;
}
// Timers of libraries (pools, SSE keep-alives) must not keep a finished demo alive.
if (process.exitCode !== undefined) setTimeout(() => process.exit(), 200).unref();
