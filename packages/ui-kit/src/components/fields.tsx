import type { ReactNode } from 'react';
import {
  Checkbox as AriaCheckbox,
  type CheckboxProps as AriaCheckboxProps,
  NumberField as AriaNumberField,
  type NumberFieldProps as AriaNumberFieldProps,
  Select as AriaSelect,
  type SelectProps as AriaSelectProps,
  Switch as AriaSwitch,
  type SwitchProps as AriaSwitchProps,
  TextField as AriaTextField,
  type TextFieldProps as AriaTextFieldProps,
  Button,
  FieldError,
  Group,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  SelectValue,
  Text,
  TextArea,
} from 'react-aria-components';
import { cx } from '../internal/cx';
import { optional } from '../internal/optional';

/** Label, help text and error shared by every field. */
export interface FieldChrome {
  /** The visible label (also the accessible name). */
  label: ReactNode;
  /** Help text under the field, linked by `aria-describedby`. */
  description?: ReactNode;
  /** An error to show beside the field; when set the field is marked `aria-invalid`. */
  errorMessage?: string | undefined;
  /** Extra class names. */
  className?: string;
}

function Help({ description, errorMessage }: Pick<FieldChrome, 'description' | 'errorMessage'>) {
  return (
    <>
      {description ? (
        <Text slot="description" className="alga-field-description">
          {description}
        </Text>
      ) : null}
      <FieldError className="alga-field-error">{errorMessage}</FieldError>
    </>
  );
}

/** Props of {@link TextField}. */
export interface TextFieldProps
  extends FieldChrome,
    Omit<AriaTextFieldProps, 'className' | 'children' | 'isInvalid'> {
  /** Placeholder of the input. */
  placeholder?: string;
  /** Render a multi-line text area. */
  multiline?: boolean;
}

/**
 * A labelled text input (React Aria `TextField`).
 *
 * @example
 * ```tsx
 * <TextField label="Greeting" value={greeting} onChange={setGreeting} errorMessage={error} />
 * ```
 */
export function TextField({
  label,
  description,
  errorMessage,
  className,
  placeholder,
  multiline = false,
  ...props
}: TextFieldProps) {
  return (
    <AriaTextField
      {...props}
      isInvalid={errorMessage !== undefined}
      className={cx('alga-field', className)}
    >
      <Label className="alga-label">{label}</Label>
      {multiline ? (
        <TextArea className="alga-input" rows={3} {...optional({ placeholder })} />
      ) : (
        <Input className="alga-input" {...optional({ placeholder })} />
      )}
      <Help description={description} errorMessage={errorMessage} />
    </AriaTextField>
  );
}

/** Props of {@link NumberField}. */
export interface NumberFieldProps
  extends FieldChrome,
    Omit<AriaNumberFieldProps, 'className' | 'children' | 'isInvalid'> {
  /** Placeholder of the input. */
  placeholder?: string;
}

/** A labelled number input with stepper buttons; arrow keys step, `minValue`/`maxValue` clamp. */
export function NumberField({
  label,
  description,
  errorMessage,
  className,
  placeholder,
  ...props
}: NumberFieldProps) {
  return (
    <AriaNumberField
      {...props}
      isInvalid={errorMessage !== undefined}
      className={cx('alga-field', className)}
    >
      <Label className="alga-label">{label}</Label>
      <Group className="alga-number-group">
        <Button slot="decrement" className="alga-step">
          −
        </Button>
        <Input className="alga-input" {...optional({ placeholder })} />
        <Button slot="increment" className="alga-step">
          +
        </Button>
      </Group>
      <Help description={description} errorMessage={errorMessage} />
    </AriaNumberField>
  );
}

/** One choice of a {@link Select}. */
export interface SelectOption {
  /** The value reported by `onChange`. */
  value: string;
  /** What the user sees. */
  label: string;
}

/** Props of {@link Select}. */
export interface SelectProps
  extends FieldChrome,
    Omit<
      AriaSelectProps<SelectOption>,
      'className' | 'children' | 'isInvalid' | 'value' | 'defaultValue' | 'onChange' | 'items'
    > {
  /** The choices. */
  options: readonly SelectOption[];
  /** The selected value (controlled). */
  value?: string | null;
  /** The initially selected value (uncontrolled). */
  defaultValue?: string | null;
  /** Called with the newly selected value. */
  onChange?: (value: string | null) => void;
  /** Shown while nothing is selected. */
  placeholder?: string;
}

/** A labelled single-choice list box (React Aria `Select`): type-ahead, arrow keys, Escape. */
export function Select({
  label,
  description,
  errorMessage,
  className,
  options,
  value,
  defaultValue,
  onChange,
  placeholder,
  ...props
}: SelectProps) {
  return (
    <AriaSelect<SelectOption>
      {...props}
      {...(value !== undefined ? { value } : {})}
      {...(defaultValue !== undefined ? { defaultValue } : {})}
      {...(onChange ? { onChange: (key) => onChange(key === null ? null : String(key)) } : {})}
      {...optional({ placeholder })}
      isInvalid={errorMessage !== undefined}
      className={cx('alga-field', className)}
    >
      <Label className="alga-label">{label}</Label>
      <Button className="alga-input alga-select-button">
        <SelectValue className="alga-select-value" />
        <span aria-hidden="true" className="alga-select-arrow">
          ▾
        </span>
      </Button>
      <Help description={description} errorMessage={errorMessage} />
      <Popover className="alga-popover">
        <ListBox className="alga-listbox" items={options}>
          {(option) => (
            <ListBoxItem id={option.value} className="alga-option" textValue={option.label}>
              {option.label}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </AriaSelect>
  );
}

/** Props of {@link Switch}. */
export interface SwitchProps extends Omit<AriaSwitchProps, 'className' | 'children'> {
  /** The label. */
  children: ReactNode;
  /** Extra class names. */
  className?: string;
}

/** An on/off switch (`role="switch"`); Space toggles it. */
export function Switch({ children, className, ...props }: SwitchProps) {
  return (
    <AriaSwitch {...props} className={cx('alga-switch', className)}>
      <span className="alga-switch-track" aria-hidden="true">
        <span className="alga-switch-thumb" />
      </span>
      {children}
    </AriaSwitch>
  );
}

/** Props of {@link Checkbox}. */
export interface CheckboxProps extends Omit<AriaCheckboxProps, 'className' | 'children'> {
  /** The label. */
  children: ReactNode;
  /** Extra class names. */
  className?: string;
}

/** A checkbox with a visible box, checked and indeterminate marks. */
export function Checkbox({ children, className, ...props }: CheckboxProps) {
  return (
    <AriaCheckbox {...props} className={cx('alga-checkbox', className)}>
      {({ isSelected, isIndeterminate }) => (
        <>
          <span className="alga-checkbox-box" aria-hidden="true">
            {isIndeterminate ? '–' : isSelected ? '✓' : ''}
          </span>
          {children}
        </>
      )}
    </AriaCheckbox>
  );
}
