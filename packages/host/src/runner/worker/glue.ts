import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** Fetches a compiled core module by the name the glue asks for. */
type GetCoreModule = (name: string) => WebAssembly.Module;
/** Instantiates one core module (the runner's hook: data images, memory tracking). */
type InstantiateCore = (
  module: WebAssembly.Module,
  imports: WebAssembly.Imports,
) => WebAssembly.Instance;
/** jco's synchronous `instantiate` export. */
export type Instantiate = (
  getCoreModule: GetCoreModule,
  imports: Record<string, Record<string, unknown>>,
  instantiateCore: InstantiateCore,
) => Record<string, unknown>;

/** The only exports jco's sync glue has; anything else is imported as a module instead. */
const INSTANTIATE_EXPORT = /^export function instantiate\(/m;
const UTIL_EXPORT = /^export const _util =/m;
const MODULE_SYNTAX = /^\s*(?:export|import)[\s{*]/m;

/**
 * The glue as a script whose evaluation returns its `instantiate`, or `undefined` when the
 * source has module syntax other than jco's two exports.
 */
function asScript(source: string, filename: string): Script | undefined {
  if (!INSTANTIATE_EXPORT.test(source)) return undefined;
  const body = source
    .replace(INSTANTIATE_EXPORT, 'function instantiate(')
    .replace(UTIL_EXPORT, 'const _util =');
  if (MODULE_SYNTAX.test(body)) return undefined;
  return new Script(`(function () {\n${body}\nreturn instantiate;\n})()`, { filename });
}

/**
 * Loads a component's jco glue and returns a factory of its `instantiate`, one per guest
 * instance. jco writes an instance's whole runtime (classes, helpers) inside `instantiate`, so
 * instances made from one evaluation share V8's type feedback while each brings new classes:
 * after a few instances every glue function is megamorphic, and a warm call costs about twice
 * as much. Each call of the factory evaluates the glue again from a script compiled once, so the
 * bytecode is shared and the feedback is the instance's own. Glue that is not plain jco sync
 * output is imported as a module and shared.
 */
export async function loadGlue(url: string): Promise<() => Instantiate> {
  const path = fileURLToPath(url);
  const script = asScript(await readFile(path, 'utf8'), path);
  if (script !== undefined) return () => script.runInThisContext() as Instantiate;
  const glue = (await import(url)) as { instantiate: Instantiate };
  return () => glue.instantiate;
}
