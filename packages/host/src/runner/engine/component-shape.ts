import { createHash } from 'node:crypto';
import { COMPONENT_VERSION, CORE_MODULE_VERSION, readSections } from './wasm-binary';

const CORE_MODULE_SECTION = 1;
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
