// Words for the codes the engine uses about carts: statuses, outcomes, timeline entry kinds and
// the reasons a message was not sent. Every code the engine is known to send has a key in the
// catalogs (tests/cart-labels.test.ts checks it); a code the UI has never heard of is shown as it
// came, so nothing is ever hidden.

import { t, tOr } from './i18n/index.svelte';

/** The statuses a cart can have (storage/carts.rs and the send plan), in lifecycle order. */
export const CART_STATUSES = [
  'waiting',
  'detected',
  'planned',
  'sent',
  'recovered',
  'completed',
  'not_sent',
  'holdout',
  'no_phone',
  'expired',
] as const;

/** How a cart ended, as the results count it. */
export const CART_OUTCOMES = [
  'recovered',
  'bought_before_message',
  'bought_after_optout',
  'holdout_converted',
  'bought_late',
] as const;

/** What a timeline entry says happened. */
export const TIMELINE_KINDS = [
  'detected',
  'planned',
  'replanned',
  'held',
  'sending',
  'sent',
  'skipped',
  'failed',
  'unknown',
  'completed',
  'recovered',
  'opted_out',
  'replied',
  'note',
] as const;

/** Why a message was held, re-planned, skipped or failed, and why a cart was never messaged. */
export const REASON_CODES = [
  'purchased',
  'opted_out',
  'takeover',
  'replied',
  'customer_cap',
  'marketing_cap',
  'no_consent',
  'too_old',
  'holdout',
  'checkout_gone',
  'template_not_approved',
  'no_business_hours',
  'store_unreachable',
  'closed',
  'customer_active',
  'paused',
  'no_whatsapp',
  'deadline_passed',
  'send_failed',
] as const;

/** Kinds of entry that mean something went wrong or did not happen. */
const PROBLEM_KINDS: ReadonlySet<string> = new Set(['skipped', 'failed', 'unknown']);

export function isProblemKind(kind: string): boolean {
  return PROBLEM_KINDS.has(kind);
}

export function statusLabel(status: string): string {
  return tOr(`cartStatus.${status}`, status.replaceAll('_', ' '));
}

export function outcomeLabel(outcome: string): string {
  return tOr(`cartOutcome.${outcome}`, outcome.replaceAll('_', ' '));
}

export function kindLabel(kind: string): string {
  return tOr(`timelineKind.${kind}`, kind.replaceAll('_', ' '));
}

/**
 * A reason in the owner's words. A WhatsApp error code (digits only) is named as one, with its
 * number; any other unknown code is shown exactly as the engine sent it.
 */
export function reasonLabel(code: string): string {
  const plain = code.trim();
  if (/^\d+$/.test(plain)) return t('timeline.whatsappError', { code: plain });
  return tOr(`cartReason.${plain}`, code);
}

/** "First message" for step 0, "Reminder n" for the follow-ups; null when not about a message. */
export function stepLabel(step: number | null): string | null {
  if (step === null || step === undefined || !Number.isFinite(step) || step < 0) return null;
  return step === 0 ? t('timeline.firstMessage') : t('timeline.followup', { n: step });
}
