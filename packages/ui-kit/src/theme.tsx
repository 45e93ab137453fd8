import {
  applyTheme,
  type Bridge,
  LIGHT_THEME,
  resolveTheme,
  type Theme,
  type ThemeInput,
} from '@alga/iframe-sdk';
import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useLayoutEffect,
  useMemo,
  useState,
} from 'react';

const ThemeContext = createContext<Theme>(LIGHT_THEME);

/** The part of an `@alga/iframe-sdk` bridge the {@link ThemeProvider} uses. */
export type ThemeSource = Pick<Bridge, 'theme' | 'onThemeChange'>;

/** Props of {@link ThemeProvider}. */
export interface ThemeProviderProps {
  /** Follow the host's tokens through this bridge (inside an extension iframe). */
  bridge?: ThemeSource;
  /** Tokens to use without a bridge, or until the bridge has connected (default: light defaults). */
  theme?: ThemeInput;
  /**
   * Where the `--alga-*` CSS variables go (default `<html>`, so dialogs and popovers, which
   * render at the end of `<body>`, get them too). The names are prefixed, so a host page can
   * set them globally without touching its own styles.
   */
  target?: HTMLElement;
  /** The app. */
  children?: ReactNode;
}

const useIsomorphicLayoutEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Applies theme tokens as CSS variables and keeps them current: from the host through a
 * bridge (live, as the host changes them), or from `theme`.
 *
 * @example
 * ```tsx
 * const bridge = createBridge();
 * createRoot(root).render(
 *   <ThemeProvider bridge={bridge}><App /></ThemeProvider>,
 * );
 * ```
 */
export function ThemeProvider({ bridge, theme, target, children }: ThemeProviderProps) {
  const fallback = useMemo(() => resolveTheme(theme ?? {}), [theme]);
  const [bridged, setBridged] = useState<Theme | undefined>(() => bridge?.theme);
  useEffect(() => {
    if (!bridge) return undefined;
    setBridged(bridge.theme);
    return bridge.onThemeChange(setBridged);
  }, [bridge]);
  const current = (bridge && bridged) || fallback;
  useIsomorphicLayoutEffect(() => {
    applyTheme(current, target ?? document.documentElement);
  }, [current, target]);
  return (
    <ThemeContext.Provider value={current}>
      <div className="alga-root" data-alga-theme={current.mode}>
        {children}
      </div>
    </ThemeContext.Provider>
  );
}

/** The theme in effect (inside a {@link ThemeProvider}; the light defaults outside one). */
export function useTheme(): Theme {
  return useContext(ThemeContext);
}
