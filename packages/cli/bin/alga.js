#!/usr/bin/env node
// The `alga` command. A published @alga/cli runs its built dist/bin.js. A source checkout (this
// repository, or a project linked to it with file: dependencies) has no dist/: it runs the
// TypeScript sources through tsx and resolves workspace packages to their sources through the
// "@alga/source" export condition, so no build step is needed.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  const addSourceCondition = `export async function resolve(specifier, context, next) {
    return next(specifier, { ...context, conditions: [...context.conditions, '@alga/source'] });
  }`;
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(new URL('../src/bin.ts', import.meta.url).href);
}
