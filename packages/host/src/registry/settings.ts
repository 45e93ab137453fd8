import type { Manifest, SettingField, SettingValue } from '@alga/manifest';
import { defaultSettings } from '@alga/manifest';
import { Secret } from '../secrets/redact.js';
import { RegistryError, RegistryErrorCode, type RegistryIssue } from './errors.js';
import type { InstallRecord } from './types.js';

/** A config change: a value sets the setting, `null` unsets it (back to the manifest default). */
export type ConfigInput = Readonly<Record<string, SettingValue | null>>;

/**
 * A secrets change, per secret setting: a string (or {@link Secret}) sets it, an empty string
 * keeps the stored value (a form field left blank), `null` clears it.
 */
export type SecretsInput = Readonly<Record<string, string | Secret | null>>;

/** What the settings page shows for one secret: whether it is set, never its value. */
export interface SecretStatus {
  readonly set: boolean;
  /** The install's secrets version when this secret was last set; null when unset. */
  readonly version: number | null;
  readonly updatedAt: string | null;
}

/** The settings of one install, as the Extension Settings page needs them. */
export interface InstallSettings {
  readonly tenantId: string;
  readonly extensionId: string;
  readonly installId: string;
  readonly version: string;
  /** The manifest's settings fields, in order, for rendering the form. */
  readonly fields: readonly SettingField[];
  /** Stored values merged over the manifest defaults (plain settings only). */
  readonly config: Readonly<Record<string, SettingValue>>;
  readonly configVersion: number;
  readonly configUpdatedAt: string;
  /** One entry per secret setting of the manifest. */
  readonly secrets: Readonly<Record<string, SecretStatus>>;
  readonly secretsVersion: number;
  /** Required settings (plain or secret) that have no value yet. */
  readonly missing: readonly string[];
}

const MAX_TEXT_LENGTH = 10_000;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Checks one plain value against its field; undefined when valid, else why not. */
function checkValue(field: SettingField, value: unknown): string | undefined {
  switch (field.kind) {
    case 'text':
      if (typeof value !== 'string') return `must be a string, got ${describeValue(value)}`;
      if (value.length > MAX_TEXT_LENGTH) {
        return `must be at most ${MAX_TEXT_LENGTH} characters, got ${value.length}`;
      }
      return undefined;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return `must be a finite number, got ${describeValue(value)}`;
      }
      if (field.min !== undefined && value < field.min) return `must be at least ${field.min}`;
      if (field.max !== undefined && value > field.max) return `must be at most ${field.max}`;
      if (field.step !== undefined) {
        const steps = (value - (field.min ?? 0)) / field.step;
        if (Math.abs(steps - Math.round(steps)) > 1e-9) {
          return `must be a multiple of ${field.step}${field.min ? ` from ${field.min}` : ''}`;
        }
      }
      return undefined;
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : `must be true or false, got ${describeValue(value)}`;
    case 'select': {
      const values = field.options.map((option) => option.value);
      if (typeof value === 'string' && values.includes(value)) return undefined;
      return `must be one of ${values.map((v) => `'${v}'`).join(', ')}`;
    }
    case 'secret':
      return 'is a secret: pass it in secrets, not config';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldsByKey(manifest: Manifest): Map<string, SettingField> {
  return new Map(manifest.settings.map((field) => [field.key, field]));
}

/** Stored plain values merged over the manifest defaults, for fields the manifest still has. */
export function effectiveConfig(
  manifest: Manifest,
  stored: Readonly<Record<string, unknown>>,
): Record<string, SettingValue> {
  const merged: Record<string, SettingValue> = defaultSettings(manifest);
  for (const field of manifest.settings) {
    const value = stored[field.key];
    if (field.kind !== 'secret' && value !== undefined && checkValue(field, value) === undefined) {
      merged[field.key] = value as SettingValue;
    }
  }
  return merged;
}

function isMissing(value: SettingValue | undefined): boolean {
  return value === undefined || value === '';
}

/**
 * Applies a config change to stored values, checking each against the manifest `settings`
 * (types, select options, min/max/step). Keys the manifest no longer has are dropped. Issues
 * name the field (`settings.limit`) and why; throws `CONFIG_INVALID` with all of them.
 */
export function applyConfig(
  manifest: Manifest,
  stored: Readonly<Record<string, unknown>>,
  input: unknown,
  issues: RegistryIssue[],
): Record<string, SettingValue> {
  const fields = fieldsByKey(manifest);
  const next: Record<string, SettingValue> = {};
  for (const [key, value] of Object.entries(stored)) {
    const field = fields.get(key);
    if (field && field.kind !== 'secret' && checkValue(field, value) === undefined) {
      next[key] = value as SettingValue;
    }
  }
  if (input === undefined) return next;
  if (!isPlainObject(input)) {
    issues.push({
      field: 'config',
      message: `must be an object of setting key -> value, got ${describeValue(input)}`,
    });
    return next;
  }
  for (const [key, value] of Object.entries(input)) {
    const field = fields.get(key);
    if (!field) {
      issues.push({ field: `settings.${key}`, message: `is not a setting of ${manifest.name}` });
      continue;
    }
    if (value === null) {
      delete next[key];
      continue;
    }
    const problem = checkValue(field, value);
    if (problem) issues.push({ field: `settings.${key}`, message: problem });
    else next[key] = value as SettingValue;
  }
  return next;
}

/** Adds an issue for every required plain setting without a value after defaults. */
export function checkRequiredConfig(
  manifest: Manifest,
  config: Readonly<Record<string, unknown>>,
  issues: RegistryIssue[],
): void {
  const merged = effectiveConfig(manifest, config);
  for (const field of manifest.settings) {
    if (field.kind !== 'secret' && field.required && isMissing(merged[field.key])) {
      issues.push({ field: `settings.${field.key}`, message: 'is required' });
    }
  }
}

/** A checked secrets change: names to set (with values) and names to clear. */
export interface SecretsChange {
  readonly set: ReadonlyMap<string, string>;
  readonly clear: ReadonlySet<string>;
}

/** Checks a secrets change against the manifest's secret settings; values never enter issues. */
export function parseSecretsInput(
  manifest: Manifest,
  input: unknown,
  issues: RegistryIssue[],
): SecretsChange {
  const set = new Map<string, string>();
  const clear = new Set<string>();
  if (input === undefined) return { set, clear };
  if (!isPlainObject(input)) {
    issues.push({
      field: 'secrets',
      message: `must be an object of secret key -> string | null, got ${describeValue(input)}`,
    });
    return { set, clear };
  }
  const fields = fieldsByKey(manifest);
  for (const [key, value] of Object.entries(input)) {
    const field = fields.get(key);
    if (!field) {
      issues.push({ field: `settings.${key}`, message: `is not a setting of ${manifest.name}` });
    } else if (field.kind !== 'secret') {
      issues.push({ field: `settings.${key}`, message: 'is not a secret: pass it in config' });
    } else if (value === null) {
      clear.add(key);
    } else if (value instanceof Secret || typeof value === 'string') {
      const plain = value instanceof Secret ? value.reveal() : value;
      if (plain !== '') set.set(key, plain);
    } else if (value !== undefined) {
      issues.push({
        field: `settings.${key}`,
        message: `must be a string or null, got ${describeValue(value)}`,
      });
    }
  }
  return { set, clear };
}

/** Throws `CONFIG_INVALID` when there are issues. */
export function throwIfIssues(issues: readonly RegistryIssue[], where: string): void {
  if (issues.length === 0) return;
  throw new RegistryError(
    RegistryErrorCode.CONFIG_INVALID,
    `${where}: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}.`,
    { issues },
  );
}

/** The settings page view of an install. */
export function settingsView(manifest: Manifest, install: InstallRecord): InstallSettings {
  const config = effectiveConfig(manifest, install.config);
  const secrets: Record<string, SecretStatus> = {};
  const missing: string[] = [];
  for (const field of manifest.settings) {
    if (field.kind === 'secret') {
      const meta = install.secretFields[field.key];
      secrets[field.key] = meta
        ? { set: true, version: meta.version, updatedAt: meta.updatedAt }
        : { set: false, version: null, updatedAt: null };
      if (field.required && !meta) missing.push(field.key);
    } else if (field.required && isMissing(config[field.key])) {
      missing.push(field.key);
    }
  }
  return {
    tenantId: install.tenantId,
    extensionId: install.extensionId,
    installId: install.installId,
    version: install.version,
    fields: manifest.settings,
    config,
    configVersion: install.configVersion,
    configUpdatedAt: install.configUpdatedAt,
    secrets,
    secretsVersion: install.secretsVersion,
    missing,
  };
}
