import type { Manifest, SettingValue } from './types.js';

/**
 * The defaults of the manifest's plain (non-secret) settings, keyed by setting key. Fields
 * without a default are absent. Secrets never have defaults.
 *
 * @example
 * ```ts
 * defaultSettings(manifest); // { greeting: 'Hello', limit: 10, enabled: true }
 * ```
 */
export function defaultSettings(
  manifest: Pick<Manifest, 'settings'>,
): Record<string, SettingValue> {
  const entries: [string, SettingValue][] = [];
  for (const field of manifest.settings) {
    if (field.kind !== 'secret' && field.default !== undefined)
      entries.push([field.key, field.default]);
  }
  return Object.fromEntries(entries);
}

/** The keys of the manifest's secret settings, in declaration order. */
export function secretSettingKeys(manifest: Pick<Manifest, 'settings'>): string[] {
  return manifest.settings.filter((field) => field.kind === 'secret').map((field) => field.key);
}
