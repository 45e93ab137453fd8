import type { ReactNode } from 'react';
import { ProgressBar } from 'react-aria-components';
import { cx } from '../internal/cx';

/** Heading levels cards and empty states may use, to fit the page's outline. */
export type HeadingLevel = 2 | 3 | 4 | 5 | 6;

function H({
  level,
  className,
  children,
}: {
  level: HeadingLevel;
  className: string;
  children: ReactNode;
}) {
  const Tag = `h${level}` as const;
  return <Tag className={className}>{children}</Tag>;
}

/** Props of {@link Card}. */
export interface CardProps {
  /** Optional heading. */
  title?: ReactNode;
  /** Heading level of `title` (default 2). */
  headingLevel?: HeadingLevel;
  /** Buttons shown in the card's footer. */
  actions?: ReactNode;
  /** The body. */
  children?: ReactNode;
  /** Extra class names. */
  className?: string;
}

/** A surface grouping related content; a `section` named by its title. */
export function Card({ title, headingLevel = 2, actions, children, className }: CardProps) {
  return (
    <section className={cx('alga-card', className)}>
      {title ? (
        <H level={headingLevel} className="alga-card-title">
          {title}
        </H>
      ) : null}
      <div className="alga-card-body">{children}</div>
      {actions ? <div className="alga-card-actions">{actions}</div> : null}
    </section>
  );
}

/** Meaning of an alert, badge or toast. */
export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

/** Props of {@link Alert}. */
export interface AlertProps {
  /** Meaning (default `info`); `danger` and `warning` interrupt screen readers (`role="alert"`). */
  tone?: Exclude<Tone, 'neutral'>;
  /** Bold first line. */
  title?: ReactNode;
  /** The message. */
  children?: ReactNode;
  /** Extra class names. */
  className?: string;
}

/** An inline message: `role="alert"` for danger/warning, `role="status"` otherwise. */
export function Alert({ tone = 'info', title, children, className }: AlertProps) {
  const urgent = tone === 'danger' || tone === 'warning';
  return (
    <div
      role={urgent ? 'alert' : 'status'}
      className={cx('alga-alert', className)}
      data-tone={tone}
    >
      {title ? <div className="alga-alert-title">{title}</div> : null}
      {children ? <div className="alga-alert-body">{children}</div> : null}
    </div>
  );
}

/** Props of {@link Badge}. */
export interface BadgeProps {
  /** Meaning (default `neutral`). */
  tone?: Tone;
  /** The text. */
  children: ReactNode;
  /** Extra class names. */
  className?: string;
}

/** A short status label. */
export function Badge({ tone = 'neutral', children, className }: BadgeProps) {
  return (
    <span className={cx('alga-badge', className)} data-tone={tone}>
      {children}
    </span>
  );
}

/** Props of {@link Spinner}. */
export interface SpinnerProps {
  /** What is loading, for screen readers (default "Loading"). */
  label?: string;
  /** Diameter (default `md`). */
  size?: 'sm' | 'md' | 'lg';
  /** Extra class names. */
  className?: string;
}

/** An indeterminate progress indicator (`role="progressbar"` with a label). */
export function Spinner({ label = 'Loading', size = 'md', className }: SpinnerProps) {
  return (
    <ProgressBar
      isIndeterminate
      aria-label={label}
      className={cx('alga-spinner', className)}
      data-size={size}
    >
      <span className="alga-spinner-ring" aria-hidden="true" />
    </ProgressBar>
  );
}

/** Props of {@link EmptyState}. */
export interface EmptyStateProps {
  /** What is empty. */
  title: ReactNode;
  /** Heading level of `title` (default 3). */
  headingLevel?: HeadingLevel;
  /** What to do about it. */
  description?: ReactNode;
  /** A decorative icon (hidden from screen readers). */
  icon?: ReactNode;
  /** A call to action, usually a {@link Button}. */
  action?: ReactNode;
  /** Extra class names. */
  className?: string;
}

/** A placeholder for lists and pages with nothing to show yet. */
export function EmptyState({
  title,
  headingLevel = 3,
  description,
  icon,
  action,
  className,
}: EmptyStateProps) {
  return (
    <div className={cx('alga-empty', className)}>
      {icon ? (
        <div className="alga-empty-icon" aria-hidden="true">
          {icon}
        </div>
      ) : null}
      <H level={headingLevel} className="alga-empty-title">
        {title}
      </H>
      {description ? <p className="alga-empty-description">{description}</p> : null}
      {action ? <div className="alga-empty-action">{action}</div> : null}
    </div>
  );
}
