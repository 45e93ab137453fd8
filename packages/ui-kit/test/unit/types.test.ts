import type { Manifest, SettingField } from '@alga/manifest';
import type { SettingsFieldSpec } from '@alga/ui-kit';
import { expectTypeOf, test } from 'vitest';

test("a manifest's settings can be passed to the form as they are", () => {
  expectTypeOf<SettingField>().toExtend<SettingsFieldSpec>();
  expectTypeOf<Manifest['settings']>().toExtend<readonly SettingsFieldSpec[]>();
});
