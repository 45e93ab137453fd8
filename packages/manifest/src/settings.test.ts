import { describe, expect, it } from 'vitest';
import { fullManifest } from '../test/fixtures.js';
import { parseManifest } from './parse.js';
import { defaultSettings, secretSettingKeys } from './settings.js';

describe('settings helpers', () => {
  const manifest = parseManifest(fullManifest);

  it('collects the defaults of plain settings only', () => {
    expect(defaultSettings(manifest)).toEqual({ greeting: 'Hello', limit: 10, enabled: true });
  });

  it('lists secret keys in declaration order', () => {
    const withTwo = parseManifest({
      ...fullManifest,
      settings: [
        ...fullManifest.settings,
        { key: 'webhookSecret', kind: 'secret', label: 'Webhook secret' },
      ],
    });
    expect(secretSettingKeys(withTwo)).toEqual(['apiKey', 'webhookSecret']);
    expect(secretSettingKeys({ settings: [] })).toEqual([]);
  });

  it('keeps a setting key such as constructor as an own property', () => {
    const odd = parseManifest({
      ...fullManifest,
      settings: [{ key: 'constructor', kind: 'text', label: 'C', default: 'x' }],
    });
    expect(Object.keys(defaultSettings(odd))).toEqual(['constructor']);
  });
});
