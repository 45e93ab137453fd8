import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the calling thread's scheduling priority to `niceness` (0 or absent: left as it is).
 * On Linux niceness belongs to the thread, so a worker thread can lower only its own; elsewhere
 * it belongs to the process, so only a whole child process (`wholeProcess`) is reniced there.
 * A refusal (a sandbox without `setpriority`) leaves the priority as it was.
 */
export function lowerPriority(niceness: number | undefined, wholeProcess = true): void {
  if (niceness === undefined || niceness === 0) return;
  if (!wholeProcess && process.platform !== 'linux') return;
  try {
    // Never raises it: a host already running nicer keeps its guests at least as nice.
    setPriority(Math.max(getPriority(), niceness));
  } catch {
    // A sandbox without setpriority: the guests keep the host's priority.
  }
}
