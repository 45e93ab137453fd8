import * as z from 'zod/mini';
import { BridgeError, BridgeErrorCode } from './errors';
import { describeIssues } from './internal/issues';

/** Light or dark; also sets `color-scheme` so native controls and scrollbars follow. */
export type ThemeMode = 'light' | 'dark';

/** Colour tokens, applied as `--alga-color-<kebab-key>` (`primaryForeground` -> `--alga-color-primary-foreground`). */
export interface ThemeColors {
  /** Page background. */
  background: string;
  /** Cards, dialogs, popovers. */
  surface: string;
  /** Body text. */
  foreground: string;
  /** Subtle fills (table header, disabled fields). */
  muted: string;
  /** Secondary text; keep at least 4.5:1 against `background` and `surface`. */
  mutedForeground: string;
  /** Borders and dividers. */
  border: string;
  /** Primary actions, selected states, links. */
  primary: string;
  /** Text on `primary`. */
  primaryForeground: string;
  /** Destructive actions and errors. */
  danger: string;
  /** Text on `danger`. */
  dangerForeground: string;
  /** Success states. */
  success: string;
  /** Text on `success`. */
  successForeground: string;
  /** Warnings. */
  warning: string;
  /** Text on `warning`. */
  warningForeground: string;
  /** Keyboard focus ring. */
  focusRing: string;
  /** Backdrop behind modal dialogs. */
  overlay: string;
  /** Extra brand colours an extension may use (same naming rule). */
  [custom: string]: string;
}

/** Corner radii, applied as `--alga-radius-<key>`. */
export interface ThemeRadii {
  /** Small controls (checkbox, badge). */
  sm: string;
  /** Buttons and fields. */
  md: string;
  /** Cards and dialogs. */
  lg: string;
  /** Pills. */
  full: string;
  /** Extra radii. */
  [custom: string]: string;
}

/** Font stacks, applied as `--alga-font-<key>`. */
export interface ThemeFonts {
  /** Body text. */
  body: string;
  /** Headings. */
  heading: string;
  /** Code and numbers in tables. */
  mono: string;
  /** Extra stacks. */
  [custom: string]: string;
}

/** Font sizes, applied as `--alga-font-size-<key>`. */
export interface ThemeFontSizes {
  /** Secondary text, badges. */
  sm: string;
  /** Body text. */
  md: string;
  /** Headings in cards and dialogs. */
  lg: string;
  /** Extra sizes. */
  [custom: string]: string;
}

/** Spacing scale, applied as `--alga-space-<key>`. */
export interface ThemeSpacing {
  /** Tight gaps (icon to label). */
  xs: string;
  /** Control padding. */
  sm: string;
  /** Gaps between fields. */
  md: string;
  /** Card padding. */
  lg: string;
  /** Section gaps. */
  xl: string;
  /** Extra steps. */
  [custom: string]: string;
}

/** A complete set of theme tokens, as the iframe receives it. */
export interface Theme {
  /** Light or dark. */
  mode: ThemeMode;
  /** Colour tokens. */
  colors: ThemeColors;
  /** Corner radii. */
  radii: ThemeRadii;
  /** Font stacks. */
  fonts: ThemeFonts;
  /** Font sizes. */
  fontSizes: ThemeFontSizes;
  /** Spacing scale. */
  spacing: ThemeSpacing;
}

/** What a host passes: any subset, filled from the defaults of its `mode` by {@link resolveTheme}. */
export interface ThemeInput {
  /** Light or dark (default light). */
  mode?: ThemeMode;
  /** Colour overrides. */
  colors?: Partial<ThemeColors>;
  /** Radius overrides. */
  radii?: Partial<ThemeRadii>;
  /** Font overrides. */
  fonts?: Partial<ThemeFonts>;
  /** Font-size overrides. */
  fontSizes?: Partial<ThemeFontSizes>;
  /** Spacing overrides. */
  spacing?: Partial<ThemeSpacing>;
}

const shared = () => ({
  radii: { sm: '4px', md: '6px', lg: '10px', full: '9999px' },
  fonts: {
    body: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    heading: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    mono: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  },
  fontSizes: { sm: '0.875rem', md: '1rem', lg: '1.25rem' },
  spacing: { xs: '4px', sm: '8px', md: '12px', lg: '16px', xl: '24px' },
});

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  }
  return Object.freeze(value);
}

/** Default light tokens (every text/background pair meets WCAG AA). */
export const LIGHT_THEME: Theme = deepFreeze({
  mode: 'light',
  colors: {
    background: '#ffffff',
    surface: '#f8fafc',
    foreground: '#0f172a',
    muted: '#f1f5f9',
    mutedForeground: '#475569',
    border: '#94a3b8',
    primary: '#1d4ed8',
    primaryForeground: '#ffffff',
    danger: '#b91c1c',
    dangerForeground: '#ffffff',
    success: '#15803d',
    successForeground: '#ffffff',
    warning: '#92400e',
    warningForeground: '#ffffff',
    focusRing: '#2563eb',
    overlay: 'rgba(15, 23, 42, 0.55)',
  },
  ...shared(),
});

/** Default dark tokens (every text/background pair meets WCAG AA). */
export const DARK_THEME: Theme = deepFreeze({
  mode: 'dark',
  colors: {
    background: '#0f172a',
    surface: '#1e293b',
    foreground: '#f1f5f9',
    muted: '#334155',
    mutedForeground: '#cbd5e1',
    border: '#64748b',
    primary: '#93c5fd',
    primaryForeground: '#0f172a',
    danger: '#fca5a5',
    dangerForeground: '#450a0a',
    success: '#86efac',
    successForeground: '#052e16',
    warning: '#fcd34d',
    warningForeground: '#422006',
    focusRing: '#93c5fd',
    overlay: 'rgba(2, 6, 23, 0.7)',
  },
  ...shared(),
});

// Token values end up in `style.setProperty`, so keep them to what a colour, length or
// font stack needs: no `url(`, which would let a theme make network requests, and none
// of the characters that could end a declaration.
const tokenValue = z.string().check(
  z.minLength(1),
  z.maxLength(200),
  z.regex(/^[\w\s#(),.%'"/+*-]+$/, 'must be a CSS colour, length or font stack'),
  z.refine((value) => !/(?:url|image|image-set|expression)\s*\(/i.test(value), {
    message: 'must not load resources (url(), image() are refused)',
  }),
);
const tokenKey = z.string().check(z.regex(/^[a-z][a-zA-Z0-9]{0,39}$/, 'must be a camelCase name'));
const group = z.optional(z.record(tokenKey, tokenValue));

/** zod schema of {@link ThemeInput}: the boundary check on tokens from the host. */
export const themeInputSchema = z.strictObject({
  mode: z.optional(z.enum(['light', 'dark'])),
  colors: group,
  radii: group,
  fonts: group,
  fontSizes: group,
  spacing: group,
});

/**
 * Validates a theme from outside and fills what it leaves out from the defaults of its mode.
 * Throws {@link BridgeError} `INVALID_ARGUMENT` naming each bad token.
 */
export function resolveTheme(input: unknown = {}): Theme {
  const parsed = themeInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new BridgeError(
      BridgeErrorCode.INVALID_ARGUMENT,
      `Invalid theme tokens: ${describeIssues(parsed.error.issues)}`,
    );
  }
  const value = parsed.data;
  const base = value.mode === 'dark' ? DARK_THEME : LIGHT_THEME;
  return {
    mode: base.mode,
    colors: { ...base.colors, ...value.colors },
    radii: { ...base.radii, ...value.radii },
    fonts: { ...base.fonts, ...value.fonts },
    fontSizes: { ...base.fontSizes, ...value.fontSizes },
    spacing: { ...base.spacing, ...value.spacing },
  };
}

const prefixes = {
  colors: '--alga-color-',
  radii: '--alga-radius-',
  fonts: '--alga-font-',
  fontSizes: '--alga-font-size-',
  spacing: '--alga-space-',
} as const;

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The CSS custom properties for a theme, e.g. `{'--alga-color-primary': '#1d4ed8', ...}`.
 *
 * @example
 * ```ts
 * themeToCssVariables(LIGHT_THEME)['--alga-radius-md']; // '6px'
 * ```
 */
export function themeToCssVariables(theme: Theme): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [group, prefix] of Object.entries(prefixes) as [keyof typeof prefixes, string][]) {
    for (const [key, value] of Object.entries(theme[group])) vars[`${prefix}${kebab(key)}`] = value;
  }
  return vars;
}

const applied = new WeakMap<HTMLElement, Set<string>>();

/**
 * Sets a theme's CSS variables, `color-scheme` and `data-alga-theme` on an element
 * (default `<html>`), removing variables an earlier theme set that this one lacks.
 */
export function applyTheme(theme: Theme, target: HTMLElement = document.documentElement): void {
  const vars = themeToCssVariables(theme);
  const previous = applied.get(target);
  if (previous) {
    for (const name of previous) if (!(name in vars)) target.style.removeProperty(name);
  }
  for (const [name, value] of Object.entries(vars)) target.style.setProperty(name, value);
  target.style.setProperty('color-scheme', theme.mode);
  target.dataset.algaTheme = theme.mode;
  applied.set(target, new Set(Object.keys(vars)));
}
