// Focus going back where it came from when a panel closes. Not from a timer: a busy browser runs
// input before timers, so a late `setTimeout(focus)` took focus from where the desk had gone since
// (the keyboard room move's arrows landed on "New booking"). A layout effect runs in the same task
// as the render that removed the panel, before the next key.
import { useLayoutEffect, useRef } from 'preact/hooks';

/** Where focus goes back to, looked up after the render (the element may only exist then). */
export type FocusTarget = () => HTMLElement | null | undefined;

/** Focus is nowhere: on the body, as when the focused element went with its panel. */
export const focusLost = (doc: Document = document): boolean => !doc.activeElement || doc.activeElement === doc.body;

/**
 * `returnFocus(target)`, called with the state change that closes a panel: once that render is
 * done, focus goes to `target()` if the panel left it nowhere (never away from where it is).
 */
export function useReturnFocus(): (target: FocusTarget) => void {
  const pending = useRef<FocusTarget | undefined>();
  useLayoutEffect(() => {
    const target = pending.current;
    pending.current = undefined;
    if (target && focusLost()) target()?.focus();
  });
  return (target) => {
    pending.current = target;
  };
}
