/**
 * `@alga/manifest`: Manifest v2 of Alga extensions, the contract between an extension, its
 * publisher and every host. A zod schema with people-friendly issues, the JSON Schema
 * generated from it, the capability catalog, and endpoint matching.
 *
 * @packageDocumentation
 */

export type { CapabilityId, CapabilityInfo } from './capabilities.js';
export {
  CAPABILITIES,
  CAPABILITY_IDS,
  DEFAULT_GRANTS,
  isCapabilityId,
} from './capabilities.js';
export type { EndpointMatch } from './endpoints.js';
export { matchEndpoint } from './endpoints.js';
export type { ManifestErrorOptions } from './errors.js';
export { ManifestError, ManifestErrorCode } from './errors.js';
export type { ManifestIssue } from './internal/issues.js';
export type { JsonSchema } from './json-schema.js';
export { manifestJsonSchema } from './json-schema.js';
export type { ParseManifestOptions, SafeParseManifestResult } from './parse.js';
export { DEFAULT_MAX_MANIFEST_BYTES, parseManifest, safeParseManifest } from './parse.js';
export { defaultSettings, secretSettingKeys } from './settings.js';
export type {
  AppMenuHook,
  BooleanSettingField,
  Endpoint,
  HttpMethod,
  IframeSizes,
  IframeUi,
  Manifest,
  ManifestHttp,
  ManifestUi,
  NumberSettingField,
  PlaceholderHook,
  Precompiled,
  PrecompiledPart,
  Runtime,
  SecretSettingField,
  SelectOption,
  SelectSettingField,
  SettingField,
  SettingKind,
  SettingValue,
  TabHook,
  TextSettingField,
  UiHook,
} from './types.js';
export { HTTP_METHODS, RUNTIMES, SETTING_KINDS } from './types.js';
