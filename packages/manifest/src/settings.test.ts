import { describe, expect, it } from 'vitest';
import { fullManifest } from '../test/fixtures.js';
import { parseManifest, safeParseManifest } from './parse.js';
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

  it.each(['toJSON', 'toString', 'valueOf', 'constructor'])(
    'refuses %s as a setting key, since it would shadow the redaction of a secret map',
    (key) => {
      const result = safeParseManifest({
        ...fullManifest,
        settings: [{ key, kind: 'secret', label: 'Reserved' }],
      });
      expect(result.success).toBe(false);
      expect(result.success ? [] : result.error.issues.map((issue) => issue.path)).toEqual([
        'settings[0].key',
      ]);
    },
  );
});
