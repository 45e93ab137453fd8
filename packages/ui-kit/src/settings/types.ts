/** Fields every settings field has (a subset of `@alga/manifest`'s `SettingField`). */
interface FieldBase {
  /** The config or secret key. */
  key: string;
  /** Form label. */
  label: string;
  /** Help text under the field. */
  description?: string | undefined;
  /** The install cannot be saved without a value. */
  required?: boolean | undefined;
}

/**
 * One field of a manifest's `settings`, as the form renders it. `@alga/manifest`'s
 * `SettingField` is assignable to this, so `manifest.settings` can be passed as is.
 */
export type SettingsFieldSpec =
  | (FieldBase & {
      kind: 'text';
      default?: string | undefined;
      placeholder?: string | undefined;
      multiline?: boolean | undefined;
    })
  | (FieldBase & {
      kind: 'number';
      default?: number | undefined;
      min?: number | undefined;
      max?: number | undefined;
      step?: number | undefined;
      placeholder?: string | undefined;
    })
  | (FieldBase & { kind: 'boolean'; default?: boolean | undefined })
  | (FieldBase & {
      kind: 'select';
      options: readonly { value: string; label: string }[];
      default?: string | undefined;
    })
  | (FieldBase & { kind: 'secret'; placeholder?: string | undefined });

/** What the settings page knows about one secret: never its value. */
export interface SecretState {
  /** Whether a value is stored. */
  set: boolean;
  /** The secrets version it was last set at (null when unset). */
  version: number | null;
  /** When it was last set, ISO 8601 (null when unset). */
  updatedAt: string | null;
}

/** The settings of an install as the API returns them. */
export interface SettingsView {
  /** Plain values merged over the manifest defaults. */
  config: Record<string, unknown>;
  /** Per secret field, only whether it is set. */
  secrets: Record<string, SecretState>;
}

/** A save: every plain value, and per secret a new value, `null` to clear, or omitted to keep. */
export interface SettingsSaveInput {
  /** Plain values (`null` unsets one, back to its default). */
  config: Record<string, unknown>;
  /** New secret values; an empty string or an omitted key keeps the stored value, `null` clears it. */
  secrets: Record<string, string | null>;
}

/**
 * What {@link ExtensionSettingsForm} calls. Rejections with an `issues: {field, message}[]`
 * property show each message beside its field (`field` is the key, optionally prefixed with
 * `settings.`, `config.` or `secrets.`).
 */
export interface SettingsClient {
  /** Loads the current settings. */
  get(): Promise<SettingsView>;
  /** Saves config and secrets together. */
  save(input: SettingsSaveInput): Promise<SettingsView>;
  /** Restores the manifest defaults and clears every secret. */
  reset(): Promise<SettingsView>;
}

/** A field-level problem reported by the server. */
export interface SettingsIssue {
  /** The setting (`settings.limit`, or just `limit`). */
  field: string;
  /** Why. */
  message: string;
}
