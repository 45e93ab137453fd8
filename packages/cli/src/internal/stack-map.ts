import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import { BUNDLED_MODULE, bundleMapPath } from '../build/bundle';

/** Rewrites the guest's `component.js:line:col` positions in a text to source positions. */
export type StackMapper = (text: string) => string;

const POSITION = new RegExp(`\\b${BUNDLED_MODULE.replace('.', '\\.')}:(\\d+):(\\d+)`, 'g');

/**
 * The mapper for the component built at `componentPath` (from the source map `alga build`
 * wrote beside it), naming sources relative to `projectDir`. Without a readable map, texts pass
 * through unchanged: mapping only helps people read a stack, so it never fails a run.
 */
export async function loadStackMapper(
  componentPath: string,
  projectDir: string,
): Promise<StackMapper> {
  const mapPath = bundleMapPath(componentPath);
  const json = await readFile(mapPath, 'utf8').catch(() => undefined);
  return json === undefined ? (text) => text : stackMapper(json, dirname(mapPath), projectDir);
}

/**
 * The mapper for a source map in hand (`json`, whose sources are relative to `mapDir`), naming
 * sources relative to `projectDir`; an unreadable map maps nothing.
 */
export function stackMapper(json: string, mapDir: string, projectDir: string): StackMapper {
  let map: TraceMap;
  try {
    map = new TraceMap(json);
  } catch {
    return (text) => text;
  }
  return (text) =>
    text.replace(POSITION, (whole, line: string, column: string) => {
      const original = originalPositionFor(map, { line: Number(line), column: Number(column) - 1 });
      if (original.source === null || original.line === null || original.column === null) {
        return whole;
      }
      const source = relative(projectDir, resolve(mapDir, original.source)).split(sep).join('/');
      return `${source}:${original.line}:${original.column + 1}`;
    });
}
