import type { CapabilityId } from './capabilities.js';

/** Execution runtimes a manifest may name. `wasm-js@1` is a componentize-js component. */
export const RUNTIMES = ['wasm-js@1'] as const;

/** An execution runtime id, such as `wasm-js@1`. */
export type Runtime = (typeof RUNTIMES)[number];

/** HTTP methods an endpoint may declare. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** An upper-case HTTP method an endpoint may declare. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Kinds of settings fields, in the order a form usually offers them. */
export const SETTING_KINDS = ['text', 'number', 'boolean', 'select', 'secret'] as const;

/** The kind of a settings field. */
export type SettingKind = (typeof SETTING_KINDS)[number];

/** One declared API endpoint, served at `/api/ext/{extensionId}{path}`. */
export interface Endpoint {
  /** Upper-case method; a `GET` endpoint also answers `HEAD`. */
  method: HttpMethod;
  /** Path pattern: static segments, `:param` segments and an optional final `*`. */
  path: string;
  /** Name of the handler to run, passed to the guest as `handler`. */
  handler?: string | undefined;
  /** What the endpoint does, for API docs. */
  description?: string | undefined;
}

/** A host menu entry that opens the extension's UI as a full page. */
export interface AppMenuHook {
  type: 'appMenu';
  /** Menu label. */
  label: string;
  /** Route inside the extension's UI to open, such as `/`. */
  path: string;
}

/** A tab the host adds to its own pages, showing the extension's UI. */
export interface TabHook {
  type: 'tab';
  /** Tab label. */
  label: string;
  /** Route inside the extension's UI to show, such as `/tab`. */
  path: string;
}

/** The extension's UI embedded in a named slot of a host page, such as `ticket.sidebar`. */
export interface PlaceholderHook {
  type: 'placeholder';
  /** The host-defined slot name (dot-separated, such as `ticket.sidebar`). */
  slot: string;
  /** Heading or accessible name shown for the embedded UI. */
  label: string;
  /** Route inside the extension's UI to show. */
  path: string;
}

/** A host integration point for the extension's iframe UI. */
export type UiHook = AppMenuHook | TabHook | PlaceholderHook;

/** Suggested iframe dimensions in CSS pixels; the UI may still resize itself within bounds. */
export interface IframeSizes {
  width?: number | undefined;
  height?: number | undefined;
  minHeight?: number | undefined;
  maxHeight?: number | undefined;
}

/** The extension's iframe UI. */
export interface IframeUi {
  /** The HTML entry inside the bundle, such as `ui/index.html`. */
  entry: string;
  /** Title of the iframe, for assistive technology. */
  title?: string | undefined;
  /** Suggested dimensions. */
  sizes?: IframeSizes | undefined;
}

/** The extension's UI: an iframe and the places the host shows it. */
export interface ManifestUi {
  iframe?: IframeUi | undefined;
  hooks: UiHook[];
}

/** Fields every settings field has. */
interface SettingFieldBase {
  /** The config (or secret) key, an identifier such as `apiKey`. */
  key: string;
  /** Form label. */
  label: string;
  /** Help text under the field. */
  description?: string | undefined;
  /** The install cannot be saved without a value. */
  required: boolean;
}

/** A free-text setting. */
export interface TextSettingField extends SettingFieldBase {
  kind: 'text';
  default?: string | undefined;
  placeholder?: string | undefined;
  /** Render a multi-line input. */
  multiline: boolean;
}

/** A numeric setting, optionally bounded. */
export interface NumberSettingField extends SettingFieldBase {
  kind: 'number';
  default?: number | undefined;
  min?: number | undefined;
  max?: number | undefined;
  /** Granularity of accepted values, such as `1` for whole numbers. */
  step?: number | undefined;
  placeholder?: string | undefined;
}

/** An on/off setting. */
export interface BooleanSettingField extends SettingFieldBase {
  kind: 'boolean';
  default?: boolean | undefined;
}

/** One option of a select setting. */
export interface SelectOption {
  value: string;
  label: string;
}

/** A choice among fixed options. */
export interface SelectSettingField extends SettingFieldBase {
  kind: 'select';
  options: SelectOption[];
  /** One of the options' values. */
  default?: string | undefined;
}

/**
 * A secret (API key, token). Stored sealed per install, never returned to a browser, and
 * readable by the guest only with `cap:secrets.get`. Secrets have no default.
 */
export interface SecretSettingField extends SettingFieldBase {
  kind: 'secret';
  placeholder?: string | undefined;
  /** Always absent: a secret's value is set per install. */
  default?: undefined;
}

/** One field of the settings form, discriminated by `kind`. */
export type SettingField =
  | TextSettingField
  | NumberSettingField
  | BooleanSettingField
  | SelectSettingField
  | SecretSettingField;

/** A plain (non-secret) setting value. */
export type SettingValue = string | number | boolean;

/** Egress the extension needs. */
export interface ManifestHttp {
  /** Host patterns the extension may reach: `api.example.com`, `*.example.org`, `host:8443`. */
  allow: string[];
  /** Allow private, loopback and link-local addresses in `allow` (for on-premises services). */
  allowPrivateNetworks: boolean;
}

/** A `sha256:<hex>` digest and byte size of a bundle part. */
export interface PrecompiledPart {
  /** `sha256:` and 64 lower-case hex digits. */
  digest: string;
  /** Size in bytes. */
  size: number;
}

/** What the pack step records about the built artefacts. */
export interface Precompiled {
  /** The component at `entry`. */
  component: PrecompiledPart;
  /** The UI assets: file count and total bytes. */
  ui?: { files: number; size: number } | undefined;
  /** Tool versions that built the component, such as `{"componentize-js": "0.23.0"}`. */
  toolchain?: Record<string, string> | undefined;
}

/** A parsed, valid extension manifest (v2), with defaults applied. */
export interface Manifest {
  /** Editor hint pointing at the JSON Schema; ignored by hosts. */
  $schema?: string | undefined;
  /** Extension id: reverse-DNS (`com.acme.hello`) or scoped (`@acme/hello`). */
  name: string;
  /** Publisher id; a bundle's signing key must belong to this publisher. */
  publisher: string;
  /** Semver version of this release. */
  version: string;
  displayName?: string | undefined;
  description?: string | undefined;
  /** Icon path inside the bundle (`.svg`, `.png` or `.webp`). */
  icon?: string | undefined;
  /** `https://` (or `http://`) URL of the extension's home page. */
  homepage?: string | undefined;
  /** SPDX license expression, such as `MIT`. */
  license?: string | undefined;
  runtime: Runtime;
  /** Component path inside the bundle; defaults to `dist/component.wasm`. */
  entry: string;
  /** Capabilities the extension asks for; an operator grants a subset per install. */
  capabilities: CapabilityId[];
  http: ManifestHttp;
  api: { endpoints: Endpoint[] };
  ui?: ManifestUi | undefined;
  settings: SettingField[];
  /** Asset folders inside the bundle; `ui` holds the iframe's files. */
  assets?: { ui?: string | undefined } | undefined;
  precompiled?: Precompiled | undefined;
}
