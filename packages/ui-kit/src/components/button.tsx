import type { ReactNode } from 'react';
import { Button as AriaButton, type ButtonProps as AriaButtonProps } from 'react-aria-components';
import { cx } from '../internal/cx';

/** Visual weight of a button. */
export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';

/** Props of {@link Button}: React Aria's button props plus a variant and size. */
export interface ButtonProps extends Omit<AriaButtonProps, 'className' | 'children'> {
  /** Visual weight (default `primary`). */
  variant?: ButtonVariant;
  /** `sm` or `md` (default). */
  size?: 'sm' | 'md';
  /** Extra class names. */
  className?: string;
  /** The label. */
  children?: ReactNode;
}

/**
 * A button (React Aria `Button`): press events that work for mouse, touch and keyboard,
 * `isDisabled`, `isPending`, and a visible focus ring for keyboard users.
 *
 * @example
 * ```tsx
 * <Button variant="danger" onPress={remove}>Delete</Button>
 * ```
 */
export function Button({ variant = 'primary', size = 'md', className, ...props }: ButtonProps) {
  return (
    <AriaButton
      {...props}
      className={cx('alga-button', className)}
      data-variant={variant}
      data-size={size}
    />
  );
}

/** Props of {@link IconButton}. */
export interface IconButtonProps extends Omit<ButtonProps, 'children' | 'aria-label'> {
  /** What the button does, read by screen readers (the icon is hidden from them). */
  label: string;
  /** The icon (an inline SVG or a glyph). */
  icon: ReactNode;
}

/** A square button showing only an icon; `label` becomes its accessible name. */
export function IconButton({
  label,
  icon,
  variant = 'ghost',
  className,
  ...props
}: IconButtonProps) {
  return (
    <Button
      {...props}
      variant={variant}
      aria-label={label}
      className={cx('alga-icon-button', className)}
    >
      <span aria-hidden="true" className="alga-icon">
        {icon}
      </span>
    </Button>
  );
}
