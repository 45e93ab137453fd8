import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPABILITIES, CAPABILITY_IDS } from '@alga/manifest';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { GENERATED_DIR, generateBindings, WIT_FILE } from '../scripts/generate-bindings.mjs';
import { CONTEXT_MEMBERS } from '../src/internal/capabilities';

const RUNTIME_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** `interface name {` blocks and the `extension` world's imports, read from the WIT source. */
async function readWit(): Promise<{
  interfaces: string[];
  worldImports: string[];
  worldExports: string[];
}> {
  const source = (await readFile(WIT_FILE, 'utf8')).replace(/\/\/.*$/gm, '');
  const interfaces = [...source.matchAll(/^interface ([a-z-]+) \{/gm)].map((m) => m[1] as string);
  const world = /world extension \{([^}]*)\}/.exec(source)?.[1] ?? '';
  const worldImports = [...world.matchAll(/import ([a-z-]+);/g)].map((m) => m[1] as string);
  const worldExports = [...world.matchAll(/export ([a-z-]+);/g)].map((m) => m[1] as string);
  return { interfaces, worldImports, worldExports };
}

describe('the WIT contract and the capability catalog', () => {
  it('every capability unlocks one distinct interface of alga:extension, and the world imports exactly those', async () => {
    const { interfaces, worldImports, worldExports } = await readWit();
    const unlocked = CAPABILITY_IDS.map((id) => CAPABILITIES[id].witInterface);
    expect(new Set(unlocked).size).toBe(unlocked.length);
    for (const qualified of unlocked) {
      expect(qualified).toMatch(/^alga:extension\/[a-z-]+$/);
      expect(interfaces).toContain(qualified.slice('alga:extension/'.length));
    }
    expect([...worldImports].sort()).toEqual(
      unlocked.map((q) => q.slice('alga:extension/'.length)).sort(),
    );
    expect(worldExports).toEqual(['handler']);
    expect(interfaces.filter((name) => !worldImports.includes(name)).sort()).toEqual([
      'handler',
      'types',
    ]);
  });

  it('each ctx member names the capability and interface the catalog pairs', () => {
    for (const { capability, witInterface } of Object.values(CONTEXT_MEMBERS)) {
      expect(CAPABILITIES[capability].witInterface).toBe(`alga:extension/${witInterface}`);
    }
    expect(
      Object.values(CONTEXT_MEMBERS)
        .map((m) => m.capability)
        .sort(),
    ).toEqual([...CAPABILITY_IDS].sort());
  });

  it("HandlerContext's @capability tags (read by alga build) match the ctx members", () => {
    const file = join(RUNTIME_DIR, 'src/internal/context.ts');
    const program = ts.createProgram([file], { noEmit: true, types: [], lib: ['lib.es2022.d.ts'] });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(file);
    const declaration = source?.statements.find(
      (node): node is ts.InterfaceDeclaration =>
        ts.isInterfaceDeclaration(node) && node.name.text === 'HandlerContext',
    );
    expect(declaration).toBeDefined();
    const type = checker.getTypeAtLocation(declaration as ts.InterfaceDeclaration);
    const tags = Object.fromEntries(
      type.getProperties().map((property) => {
        const tag = property.getJsDocTags(checker).find((t) => t.name === 'capability');
        return [
          property.getName(),
          tag === undefined ? undefined : ts.displayPartsToString(tag.text),
        ];
      }),
    );
    expect(tags).toEqual(
      Object.fromEntries(
        Object.entries(CONTEXT_MEMBERS).map(([member, m]) => [member, m.capability]),
      ),
    );
  });
});

describe('generated bindings', () => {
  it('src/generated is what jco generates from wit/ today (run `npm run generate -w @alga/runtime` when this fails)', async () => {
    const fresh = await generateBindings();
    const committed: Record<string, string> = {};
    for (const path of Object.keys(fresh)) {
      committed[path] = await readFile(join(GENERATED_DIR, path), 'utf8').catch(() => '<missing>');
    }
    expect(committed).toEqual(fresh);
    const { readdir } = await import('node:fs/promises');
    const onDisk = (await readdir(GENERATED_DIR, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(GENERATED_DIR, join(entry.parentPath, entry.name)))
      .sort();
    expect(onDisk).toEqual(Object.keys(fresh).sort());
  });
});
