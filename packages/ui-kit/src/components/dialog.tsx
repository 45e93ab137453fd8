import type { ReactNode } from 'react';
import { Dialog as AriaDialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { cx } from '../internal/cx';

/** Props of {@link Dialog}. */
export interface DialogProps {
  /** The heading, also the dialog's accessible name. */
  title: ReactNode;
  /** The body, or a function receiving `close`. */
  children: ReactNode | ((close: () => void) => ReactNode);
  /** Open state (controlled); omit inside a {@link DialogTrigger}. */
  isOpen?: boolean;
  /** Called when the dialog asks to open or close (Escape, outside click, `close()`). */
  onOpenChange?: (isOpen: boolean) => void;
  /** Close on a click outside (default true). */
  isDismissable?: boolean;
  /** `alertdialog` for confirmations that need an answer. */
  role?: 'dialog' | 'alertdialog';
  /** Extra class names. */
  className?: string;
}

/**
 * A modal dialog (React Aria `ModalOverlay` + `Dialog`): focus moves in and is trapped,
 * Escape closes, focus returns to the trigger, the page behind is hidden from screen readers.
 *
 * @example
 * ```tsx
 * <DialogTrigger>
 *   <Button>Delete…</Button>
 *   <Dialog title="Delete item?" role="alertdialog">
 *     {(close) => <Button variant="danger" onPress={() => { remove(); close(); }}>Delete</Button>}
 *   </Dialog>
 * </DialogTrigger>
 * ```
 */
export function Dialog({
  title,
  children,
  isOpen,
  onOpenChange,
  isDismissable = true,
  role = 'dialog',
  className,
}: DialogProps) {
  return (
    <ModalOverlay
      className="alga-modal-overlay"
      isDismissable={isDismissable}
      {...(isOpen !== undefined ? { isOpen } : {})}
      {...(onOpenChange ? { onOpenChange } : {})}
    >
      <Modal className="alga-modal">
        <AriaDialog className={cx('alga-dialog', className)} role={role}>
          {({ close }) => (
            <>
              <Heading slot="title" className="alga-dialog-title">
                {title}
              </Heading>
              {typeof children === 'function' ? children(close) : children}
            </>
          )}
        </AriaDialog>
      </Modal>
    </ModalOverlay>
  );
}
