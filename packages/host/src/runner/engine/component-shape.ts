import { createHash } from 'node:crypto';
import { concatBytes } from '../../bytes';
import {
  COMPONENT_VERSION,
  CORE_MODULE_VERSION,
  CoreSection,
  framed,
  readSections,
  readU32,
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

/** The core module in `section` of `component` with its code made to trap and its data gone. */
function skeletonModule(
  component: Uint8Array,
  section: Section,
  slot: number,
): Uint8Array | undefined {
  const inner = readSections(component, CORE_MODULE_VERSION, section.start, section.end);
  if (inner === undefined) return undefined;
  const parts: Uint8Array[] = [component.subarray(section.start, section.start + 8)];
  for (const part of inner) {
    if (NOT_IN_SKELETON.has(part.id)) continue;
    if (part.id !== CoreSection.code) {
      parts.push(component.subarray(part.at, part.end));
      continue;
    }
    const functions = inner.find((candidate) => candidate.id === CoreSection.function);
    const count = functions === undefined ? 0 : readU32(component, functions.start)?.value;
    if (count === undefined) return undefined;
    const body: number[] = [];
    writeU32(count, body);
    for (let i = 0; i < count; i++) body.push(...TRAPPING_BODY);
    parts.push(...framed(CoreSection.code, Uint8Array.from(body)));
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
