// The UI's one clock, for what changes with time on screen (the 24-hour window countdown). It is
// reactive, ticks on an interval while something shows it, and its source can be replaced so
// tests control time without faking the whole timer machinery.

const state = $state({ now: Date.now() });
let source: () => number = () => Date.now();
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** How often the clock re-reads its source: often enough that a minute countdown is never late. */
export const CLOCK_TICK_MS = 15_000;

/** Milliseconds since the epoch, as of the last tick; reading it makes a template live. */
export function now(): number {
  return state.now;
}

/** Re-read the source now. */
export function tickClock(): void {
  state.now = source();
}

/** Replace where the time comes from (tests); `null` goes back to the computer's clock. */
export function setClockSource(fn: (() => number) | null): void {
  source = fn ?? (() => Date.now());
  tickClock();
}

/**
 * Keep the clock ticking while the caller shows it; returns the function that stops it. Meant
 * for `$effect(() => useClock())`, so the interval lives exactly as long as the component.
 */
export function useClock(): () => void {
  users++;
  tickClock();
  if (timer === undefined) timer = setInterval(tickClock, CLOCK_TICK_MS);
  return () => {
    users--;
    if (users <= 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
      users = 0;
    }
  };
}
