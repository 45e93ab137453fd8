import { readFile } from 'node:fs/promises';
import { manifestJsonSchema, parseManifest } from '@alga/manifest';
import { describe, expect, it } from 'vitest';
import { MANIFEST_DOC, renderManifestDoc } from '../../scripts/docs-manifest';

describe('docs/manifest.md', () => {
  it('is what the generator writes from the current schema (run npm run docs:manifest)', async () => {
    const written = await readFile(MANIFEST_DOC, 'utf8');
    expect(
      written === renderManifestDoc(),
      'docs/manifest.md is stale: run npm run docs:manifest',
    ).toBe(true);
  });

  it('has a row for every top-level field and every capability', () => {
    const doc = renderManifestDoc();
    for (const field of Object.keys(manifestJsonSchema.properties ?? {}).filter(
      (name) => name !== '$schema',
    )) {
      expect(doc).toContain(`| \`${field}\` |`);
    }
    expect(doc).toContain('| `cap:ui_proxy` | `alga:extension/ui-proxy` | no |');
  });

  it('shows an example that parseManifest accepts', () => {
    const example = /```json\n([\s\S]*?)\n```/.exec(renderManifestDoc())?.[1] ?? '';
    expect(parseManifest(JSON.parse(example)).name).toBe('com.example.hello');
  });
});
