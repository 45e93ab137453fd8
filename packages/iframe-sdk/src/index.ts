/**
 * `@alga/iframe-sdk`: the postMessage bridge between a host page and a sandboxed Alga
 * extension iframe. Host side: {@link buildExtUiSrc}, {@link bootstrapIframe}. Iframe side:
 * {@link createBridge}. Both: theme tokens and {@link BridgeError}.
 *
 * @packageDocumentation
 */

export type { BridgeErrorOptions, SerializedBridgeError } from './errors';
export { BridgeError, BridgeErrorCode, isBridgeError } from './errors';
export type {
  AnyMethods,
  BootstrapOptions,
  ConnectionEvents,
  ExtUiSrcOptions,
  FrameSize,
  IframeConnection,
  MethodMap,
  ProxyOptions,
  SessionGrant,
  SessionToken,
} from './host';
export { bootstrapIframe, buildExtUiSrc } from './host';
export type { Bridge, BridgeOptions, CallProxyOptions } from './iframe';
export { createBridge } from './iframe';
export type { ConnectEvent, DisconnectEvent, DisconnectReason } from './internal/link';
export type { IgnoredMessage, IgnoredReason } from './internal/messenger';
export type {
  Theme,
  ThemeColors,
  ThemeFontSizes,
  ThemeFonts,
  ThemeInput,
  ThemeMode,
  ThemeRadii,
  ThemeSpacing,
} from './theme';
export { applyTheme, DARK_THEME, LIGHT_THEME, resolveTheme, themeToCssVariables } from './theme';
export { SDK_VERSION } from './version';
