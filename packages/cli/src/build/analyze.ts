import { relative, sep } from 'node:path';
import { CAPABILITIES, type CapabilityId, isCapabilityId } from '@alga/manifest';
import type * as TS from 'typescript';
import { CliError } from '../internal/errors';
import type { Project } from './project';

/** One place the extension's code reaches a capability through `ctx` or a guest global. */
export interface CapabilityUse {
  readonly capability: CapabilityId;
  /** What the code reached, such as `ctx.secrets` or `fetch`. */
  readonly reached: string;
  /** `src/handler.ts:12:20`. */
  readonly at: string;
}

/**
 * Guest globals that need a capability, declared for the analysis only (it loads no DOM
 * library, so they would not resolve otherwise). `@alga/runtime` routes them to the host.
 */
const GUEST_GLOBALS_FILE = '/__alga__/guest-globals.d.ts';
const GUEST_GLOBALS = `/** @capability cap:http.fetch */
declare function fetch(input: unknown, init?: unknown): Promise<unknown>;
`;

/**
 * Every `ctx` member and guest global the project's own files touch, found with the TypeScript
 * checker: a member of `HandlerContext` carries a `@capability` tag in `@alga/runtime` (and so
 * do {@link GUEST_GLOBALS}), so property reads, element reads, destructuring and references
 * are all recognised, through helpers and aliases alike.
 */
function findUses(ts: typeof TS, program: TS.Program, project: Project): CapabilityUse[] {
  const checker = program.getTypeChecker();
  const uses: CapabilityUse[] = [];
  const ownFile = (fileName: string) => {
    const rel = relative(project.dir, fileName);
    return !rel.startsWith('..') && !rel.split(/[\\/]/).includes('node_modules');
  };
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || !ownFile(file.fileName)) continue;
    const record = (node: TS.Node, symbol: TS.Symbol | undefined) => {
      if (symbol === undefined) return;
      const tag = symbol.getJsDocTags(checker).find((candidate) => candidate.name === 'capability');
      const capability = tag === undefined ? undefined : ts.displayPartsToString(tag.text).trim();
      if (capability === undefined || !isCapabilityId(capability)) return;
      const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
      const at = `${relative(project.dir, file.fileName).split(sep).join('/')}:${line + 1}:${character + 1}`;
      const global = symbol.declarations?.[0]?.getSourceFile().fileName === GUEST_GLOBALS_FILE;
      uses.push({ capability, reached: global ? symbol.getName() : `ctx.${symbol.getName()}`, at });
    };
    const visit = (node: TS.Node): void => {
      if (ts.isPropertyAccessExpression(node)) {
        record(node.name, checker.getSymbolAtLocation(node.name));
      } else if (ts.isElementAccessExpression(node)) {
        record(node.argumentExpression, checker.getSymbolAtLocation(node.argumentExpression));
      } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        const name = node.propertyName ?? node.name;
        if (ts.isIdentifier(name) || ts.isStringLiteral(name)) {
          record(name, checker.getTypeAtLocation(node.parent).getProperty(name.text));
        }
      } else if (ts.isShorthandPropertyAssignment(node)) {
        record(node.name, checker.getShorthandAssignmentValueSymbol(node));
      } else if (
        ts.isIdentifier(node) &&
        !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)
      ) {
        record(node, checker.getSymbolAtLocation(node));
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return uses;
}

/** Throws `NO_HANDLER_EXPORT` unless the entry's default export has a `handle` method. */
function checkDefaultExport(ts: typeof TS, program: TS.Program, project: Project): void {
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(project.entry);
  const moduleSymbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
  const fix =
    'end it with `export default createHandler(async (req, ctx) => ...)` from @alga/runtime';
  if (file === undefined || moduleSymbol === undefined) {
    throw new CliError(
      'NO_HANDLER_EXPORT',
      `${project.entryLabel} is not a module with exports; ${fix}`,
    );
  }
  const exported = checker
    .getExportsOfModule(moduleSymbol)
    .find((symbol) => symbol.escapedName === 'default');
  if (exported === undefined) {
    throw new CliError('NO_HANDLER_EXPORT', `${project.entryLabel} has no default export; ${fix}`);
  }
  const type = checker.getTypeOfSymbolAtLocation(exported, file);
  // Untyped JavaScript gives `any`: nothing to check statically, the runtime checks on load.
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  const handle = type.getProperty('handle');
  if (
    handle === undefined ||
    checker.getTypeOfSymbolAtLocation(handle, file).getCallSignatures().length === 0
  ) {
    throw new CliError(
      'NO_HANDLER_EXPORT',
      `the default export of ${project.entryLabel} has no handle() method (its type is ${checker.typeToString(type)}); ${fix}`,
    );
  }
}

/**
 * Checks the project's TypeScript before componentizing: the entry must default-export a
 * handler, and every capability reached through `ctx` or a guest global must be declared in
 * the manifest.
 */
export async function analyzeProject(
  project: Project,
  sourceConditions: readonly string[],
): Promise<CapabilityUse[]> {
  const ts = (await import('typescript')).default;
  const options: TS.CompilerOptions = {
    allowJs: true,
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    customConditions: [...sourceConditions],
    // Only symbols matter here, not diagnostics: the ES library is enough and keeps this fast.
    lib: ['lib.es2022.d.ts'],
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, ...rest) =>
    fileName === GUEST_GLOBALS_FILE
      ? ts.createSourceFile(fileName, GUEST_GLOBALS, ts.ScriptTarget.ES2022)
      : getSourceFile.call(host, fileName, ...rest);
  host.fileExists = (fileName) =>
    fileName === GUEST_GLOBALS_FILE || fileExists.call(host, fileName);
  host.readFile = (fileName) =>
    fileName === GUEST_GLOBALS_FILE ? GUEST_GLOBALS : readFile.call(host, fileName);
  const program = ts.createProgram([project.entry, GUEST_GLOBALS_FILE], options, host);
  checkDefaultExport(ts, program, project);
  const uses = findUses(ts, program, project);
  const declared = new Set(project.manifest.capabilities);
  const missing = uses.filter((use) => !declared.has(use.capability));
  if (missing.length > 0) {
    const lines = missing.map(
      (use) =>
        `${use.at} uses ${use.reached}, which needs capability '${use.capability}' (${CAPABILITIES[use.capability].description}) — add it to manifest.json "capabilities"`,
    );
    throw new CliError('UNDECLARED_CAPABILITY', lines.join('\n'));
  }
  return uses;
}
