// The guided first-run setup: its steps in order, and the owner's "skip for now", remembered in
// this webview's localStorage (nothing secret: only whether the guide was dismissed).

/** The steps of the guide, in order; `done` is the closing page that lands on Carts. */
export const ONBOARDING_STEPS = ['store', 'whatsapp', 'hours', 'webhook', 'test', 'done'] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

/** Set once the owner chose "skip for now" or finished the guide; the guide then waits to be asked. */
export const ONBOARDING_SKIPPED_KEY = 'recupero.onboarding.skipped';

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // Storage can be off (privacy settings): the guide then simply shows on every first run.
    return null;
  }
}

export function onboardingSkipped(): boolean {
  try {
    return storage()?.getItem(ONBOARDING_SKIPPED_KEY) != null;
  } catch {
    return false;
  }
}

/** `how`: 'skipped' (the owner said "later") or 'done' (they went through to the end). */
export function rememberOnboardingSkipped(how: 'skipped' | 'done'): void {
  try {
    storage()?.setItem(ONBOARDING_SKIPPED_KEY, how);
  } catch {
    // Not remembered: the guide shows again next time, which is harmless.
  }
}

/**
 * Whether the guide opens by itself: only when the engine answered, no demo runs, no store is
 * connected yet and the owner has not dismissed it. An unknown store list (an error) is not "none".
 */
export function needsOnboarding(demo: boolean | undefined, storeCount: number | null): boolean {
  return demo === false && storeCount === 0 && !onboardingSkipped();
}
