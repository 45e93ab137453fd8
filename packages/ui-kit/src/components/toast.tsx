import {
  Button,
  Text,
  UNSTABLE_Toast as Toast,
  UNSTABLE_ToastContent as ToastContentSlot,
  UNSTABLE_ToastQueue as ToastQueueImpl,
  UNSTABLE_ToastRegion as ToastRegionImpl,
} from 'react-aria-components';
import { cx } from '../internal/cx';
import type { Tone } from './display';

/** What a toast shows. */
export interface ToastContent {
  /** The message. */
  title: string;
  /** A second line. */
  description?: string;
  /** Meaning (default `neutral`). */
  tone?: Tone;
}

/** A queue of toasts; `add(content, {timeout})` shows one, `close(key)` removes it. */
export type ToastQueue = ToastQueueImpl<ToastContent>;

/**
 * Creates the queue a {@link ToastRegion} shows. Keep one per app (e.g. in a module or context).
 *
 * @example
 * ```tsx
 * const toasts = createToastQueue();
 * toasts.add({ title: 'Saved', tone: 'success' }, { timeout: 5000 });
 * ```
 */
export function createToastQueue(options: { maxVisibleToasts?: number } = {}): ToastQueue {
  return new ToastQueueImpl<ToastContent>(options);
}

/** Props of {@link ToastRegion}. */
export interface ToastRegionProps {
  /** The queue to show. */
  queue: ToastQueue;
  /** Accessible name of the region (default "Notifications"). */
  label?: string;
  /** Extra class names. */
  className?: string;
}

/**
 * Shows a queue's toasts in a landmark region (React Aria's toast pattern, still marked
 * unstable upstream): F6 moves focus to it, each toast has a close button, timers pause
 * on hover and focus.
 */
export function ToastRegion({ queue, label = 'Notifications', className }: ToastRegionProps) {
  return (
    <ToastRegionImpl
      queue={queue}
      aria-label={label}
      className={cx('alga-toast-region', className)}
    >
      {({ toast }) => (
        <Toast toast={toast} className="alga-toast" data-tone={toast.content.tone ?? 'neutral'}>
          <ToastContentSlot className="alga-toast-content">
            <Text slot="title" className="alga-toast-title">
              {toast.content.title}
            </Text>
            {toast.content.description ? (
              <Text slot="description" className="alga-toast-description">
                {toast.content.description}
              </Text>
            ) : null}
          </ToastContentSlot>
          <Button slot="close" aria-label="Dismiss" className="alga-toast-close">
            ×
          </Button>
        </Toast>
      )}
    </ToastRegionImpl>
  );
}
