/**
 * `@alga/ui-kit`: accessible React components for Alga extension UIs (built on React Aria
 * Components), styled only by the `--alga-*` CSS variables the host's theme tokens set, plus
 * the Extension Settings form. Import the styles once: `import '@alga/ui-kit/styles.css'`.
 *
 * @packageDocumentation
 */

export type { ButtonProps, ButtonVariant, IconButtonProps } from './components/button';
export { Button, IconButton } from './components/button';
export type { DialogProps } from './components/dialog';
export { Dialog } from './components/dialog';
export type { DialogTriggerProps } from './components/dialog-trigger';
export { DialogTrigger } from './components/dialog-trigger';
export type {
  AlertProps,
  BadgeProps,
  CardProps,
  EmptyStateProps,
  HeadingLevel,
  SpinnerProps,
  Tone,
} from './components/display';
export { Alert, Badge, Card, EmptyState, Spinner } from './components/display';
export type {
  CheckboxProps,
  FieldChrome,
  NumberFieldProps,
  SelectOption,
  SelectProps,
  SwitchProps,
  TextFieldProps,
} from './components/fields';
export { Checkbox, NumberField, Select, Switch, TextField } from './components/fields';
export type { TableColumn, TableProps, TableSort } from './components/table';
export { Table } from './components/table';
export type { TabItem, TabsProps } from './components/tabs';
export { Tabs } from './components/tabs';
export type { ToastContent, ToastQueue, ToastRegionProps } from './components/toast';
export { createToastQueue, ToastRegion } from './components/toast';
export { SettingsError, SettingsErrorCode } from './settings/errors';
export type { ExtensionSettingsFormProps } from './settings/form';
export { ExtensionSettingsForm } from './settings/form';
export type { SettingsHttpClientOptions } from './settings/http-client';
export { createSettingsHttpClient } from './settings/http-client';
export type {
  SecretState,
  SettingsClient,
  SettingsFieldSpec,
  SettingsIssue,
  SettingsSaveInput,
  SettingsView,
} from './settings/types';
export type { ThemeProviderProps, ThemeSource } from './theme';
export { ThemeProvider, useTheme } from './theme';
