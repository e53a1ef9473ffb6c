/** Lets the process exit while a background timer is pending (Node); a no-op where timers are numbers (jsdom tests). */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
