import { createHash } from 'node:crypto';
import { concatBytes } from '../../bytes';
import {
  COMPONENT_VERSION,
  CORE_MODULE_VERSION,
  CoreSection,
  ExternalKind,
  framed,
  readExports,
  readImportKinds,
  readSections,
  readU32,
  readVector,
  type Section,
  writeName,
  writeU32,
} from './wasm-binary';

/** The component section that holds a core module. */
const CORE_MODULE_SECTION = 1;
/** Sections a skeleton module leaves out: custom sections (names, producers), data and its count. */
const NOT_IN_SKELETON = new Set<number>([
  CoreSection.custom,
  CoreSection.data,
  CoreSection.dataCount,
]);
/** A whole function body that does nothing but trap: no locals, `unreachable`, `end`. */
const TRAPPING_BODY = [0x03, 0x00, 0x00, 0x0b];
const SLOT_SECTION_NAME = 'alga-shape-slot';
/**
 * Sections of a core module that say how it links (types, imports, tables, memories,
 * exports); code, data, globals and names do not change what the glue does with it.
 */
const LINKING_SECTIONS = new Set([1, 2, 4, 5, 7]);

/**
 * A component's shape: everything jco's glue is generated from. Two components of one shape
 * differ only in the code and data of their top-level core modules, so jco writes the same glue
 * for both and each core module file verbatim from its section.
 */
export interface ComponentShape {
  /** Hex sha256 over the component with each top-level core module reduced to its linking sections. */
  readonly key: string;
  /** The top-level core modules, in order: `slots[i]` is the bytes of the i-th one. */
  readonly slots: readonly Uint8Array[];
}

/**
 * The shape of a component binary, or `undefined` when it is not one this reader understands
 * (jco then transpiles it and reports what is wrong).
 */
export function componentShape(component: Uint8Array): ComponentShape | undefined {
  const top = readSections(component, COMPONENT_VERSION);
  if (top === undefined) return undefined;
  const hash = createHash('sha256').update('alga-component-shape-1');
  const slots: Uint8Array[] = [];
  const frame = (id: number, length: number): void => {
    hash.update(new Uint8Array([id]));
    hash.update(String(length));
  };
  for (const section of top) {
    if (section.id !== CORE_MODULE_SECTION) {
      frame(section.id, section.end - section.start);
      hash.update(component.subarray(section.start, section.end));
      continue;
    }
    const inner = readSections(component, CORE_MODULE_VERSION, section.start, section.end);
    if (inner === undefined) return undefined;
    const linking = inner.filter((part) => LINKING_SECTIONS.has(part.id));
    frame(section.id, linking.length);
    for (const part of linking) {
      frame(part.id, part.end - part.start);
      hash.update(component.subarray(part.start, part.end));
    }
    slots.push(component.subarray(section.start, section.end));
  }
  return { key: hash.digest('hex'), slots };
}

/**
 * The component's top-level core modules, in order (the modules jco writes out, each verbatim),
 * or `undefined` when the binary is not one this reader understands.
 */
export function topLevelCoreModules(component: Uint8Array): Uint8Array[] | undefined {
  return readSections(component, COMPONENT_VERSION)
    ?.filter((section) => section.id === CORE_MODULE_SECTION)
    .map((section) => component.subarray(section.start, section.end));
}

/** A component of some shape whose core modules carry no code or data: see {@link shapeSkeleton}. */
export interface ShapeSkeleton {
  readonly bytes: Uint8Array;
  /** The skeleton's top-level core modules, in order, each unlike every other. */
  readonly slots: readonly Uint8Array[];
}

/** A code section's content of `count` bodies that only trap, written into one buffer (an engine has about 12,600). */
function trappingBodies(count: number): Uint8Array {
  const prefix: number[] = [];
  writeU32(count, prefix);
  const body = new Uint8Array(prefix.length + count * TRAPPING_BODY.length);
  body.set(prefix);
  body.set(TRAPPING_BODY, prefix.length);
  // Doubling copies: the first body is already written.
  for (let filled = TRAPPING_BODY.length; filled < count * TRAPPING_BODY.length; filled *= 2) {
    body.copyWithin(prefix.length + filled, prefix.length, prefix.length + filled);
  }
  return body;
}

/** A `ref.func` instruction: a constant expression that names a function. */
const REF_FUNC = 0xd2;

/** Sections a skeleton module writes anew, by id: their new content, or `undefined` to leave one out. */
type RewrittenSections = ReadonlyMap<number, Uint8Array | undefined>;

/** How many functions the import section `section` of `bytes` imports; `undefined` if malformed. */
function importedFunctions(bytes: Uint8Array, section: Section | undefined): number | undefined {
  if (section === undefined) return 0;
  return readImportKinds(bytes, section)?.filter((kind) => kind === ExternalKind.function).length;
}

/**
 * A module cut down to the functions its exports and start name, renumbered after the imported
 * ones, without the element segments that point at the others. jco's time grows with a module's
 * functions (about 1.3 µs each once warm, and an engine has 12,600 of them: a third of its
 * transpile of the skeleton), while the glue comes from the linking sections alone, which
 * keep every entry by name. `undefined` (every function kept) when the module defines none,
 * does not parse, or has a global or table whose initializer may name a function.
 */
function keptFunctions(
  bytes: Uint8Array,
  inner: readonly Section[],
): RewrittenSections | undefined {
  const find = (id: number) => inner.find((candidate) => candidate.id === id);
  const functions = find(CoreSection.function);
  if (functions === undefined) return undefined;
  for (const id of [CoreSection.global, CoreSection.table]) {
    const initializers = find(id);
    if (
      initializers !== undefined &&
      bytes.subarray(initializers.start, initializers.end).includes(REF_FUNC)
    )
      return undefined;
  }
  const imported = importedFunctions(bytes, find(CoreSection.import));
  const types = readVector(bytes, functions, (offset) => readU32(bytes, offset));
  const exportSection = find(CoreSection.export);
  const exports = exportSection === undefined ? [] : readExports(bytes, exportSection);
  const startSection = find(CoreSection.start);
  const start = startSection === undefined ? undefined : readU32(bytes, startSection.start);
  if (imported === undefined || types === undefined || exports === undefined) return undefined;
  if (startSection !== undefined && start === undefined) return undefined;

  const renumbered = new Map<number, number>();
  const keptTypes: number[] = [];
  const renumber = (index: number): number | undefined => {
    if (index < imported) return index;
    const known = renumbered.get(index);
    if (known !== undefined) return known;
    const type = types[index - imported];
    if (type === undefined) return undefined;
    const kept = imported + keptTypes.length;
    renumbered.set(index, kept);
    keptTypes.push(type);
    return kept;
  };

  const exported: number[] = [];
  writeU32(exports.length, exported);
  for (const entry of exports) {
    const index = entry.kind === ExternalKind.function ? renumber(entry.index) : entry.index;
    if (index === undefined) return undefined;
    exported.push(...entry.name, entry.kind);
    writeU32(index, exported);
  }
  const startIndex = start === undefined ? undefined : renumber(start.value);
  if (start !== undefined && startIndex === undefined) return undefined;

  const functionSection: number[] = [];
  writeU32(keptTypes.length, functionSection);
  for (const type of keptTypes) writeU32(type, functionSection);
  const startContent: number[] = [];
  if (startIndex !== undefined) writeU32(startIndex, startContent);
  return new Map([
    [CoreSection.function, Uint8Array.from(functionSection)],
    [CoreSection.export, Uint8Array.from(exported)],
    [CoreSection.start, Uint8Array.from(startContent)],
    [CoreSection.element, undefined],
    [CoreSection.code, trappingBodies(keptTypes.length)],
  ]);
}

/** The core module in `section` of `component` with its code made to trap and its data gone. */
function skeletonModule(
  component: Uint8Array,
  section: Section,
  slot: number,
): Uint8Array | undefined {
  const inner = readSections(component, CORE_MODULE_VERSION, section.start, section.end);
  if (inner === undefined) return undefined;
  const parts: Uint8Array[] = [component.subarray(section.start, section.start + 8)];
  const rewritten = keptFunctions(component, inner);
  for (const part of inner) {
    if (NOT_IN_SKELETON.has(part.id)) continue;
    if (rewritten?.has(part.id)) {
      const content = rewritten.get(part.id);
      if (content !== undefined) parts.push(...framed(part.id, content));
      continue;
    }
    if (part.id !== CoreSection.code) {
      parts.push(component.subarray(part.at, part.end));
      continue;
    }
    const functions = inner.find((candidate) => candidate.id === CoreSection.function);
    const count = functions === undefined ? 0 : readU32(component, functions.start)?.value;
    if (count === undefined) return undefined;
    parts.push(...framed(CoreSection.code, trappingBodies(count)));
  }
  // Names the slot, so no two skeleton modules are alike even when their linking is.
  const content: number[] = [];
  writeName(SLOT_SECTION_NAME, content);
  content.push(...new TextEncoder().encode(String(slot)));
  parts.push(...framed(CoreSection.custom, Uint8Array.from(content)));
  return concatBytes(parts);
}

/**
 * A component of `component`'s shape that jco transpiles in a fraction of the time: each
 * top-level core module keeps its linking sections, its functions only trap, and its data and
 * custom sections are gone. jco writes the same glue for it as for `component` (the glue comes
 * from the shape alone), and each module file it writes is one of {@link ShapeSkeleton.slots}
 * verbatim, which says which of `component`'s core modules that file stands for. `undefined`
 * when the binary is not one this reader understands.
 */
export function shapeSkeleton(component: Uint8Array): ShapeSkeleton | undefined {
  const top = readSections(component, COMPONENT_VERSION);
  if (top === undefined) return undefined;
  const parts: Uint8Array[] = [component.subarray(0, 8)];
  const slots: Uint8Array[] = [];
  for (const section of top) {
    if (section.id !== CORE_MODULE_SECTION) {
      parts.push(component.subarray(section.at, section.end));
      continue;
    }
    const module = skeletonModule(component, section, slots.length);
    if (module === undefined) return undefined;
    slots.push(module);
    parts.push(...framed(CORE_MODULE_SECTION, module));
  }
  return { bytes: concatBytes(parts), slots };
}
