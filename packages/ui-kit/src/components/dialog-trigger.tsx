import { DialogTrigger as AriaDialogTrigger, type DialogTriggerProps } from 'react-aria-components';

/**
 * Opens the {@link Dialog} it wraps when its first child (a `Button`) is pressed, and
 * returns focus to that button when the dialog closes (React Aria `DialogTrigger`).
 */
export function DialogTrigger(props: DialogTriggerProps) {
  return <AriaDialogTrigger {...props} />;
}

export type { DialogTriggerProps };
