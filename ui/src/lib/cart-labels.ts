// Words for the codes the engine uses about carts: statuses, outcomes, timeline entry kinds and
// the reasons a message was not sent. Every code the engine is known to send has a key in the
// catalogs (tests/cart-labels.test.ts checks it); a code the UI has never heard of is shown as it
// came, so nothing is ever hidden.

import { t, tOr } from './i18n/index.svelte';
import type { CartActionResult } from './types';

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
  'spend_cap',
] as const;

/** Reasons the owner's own actions leave in the timeline (catalog: `carts.reason.*`). */
export const OWNER_REASON_CODES = ['stopped_by_owner', 'owner_send_now', 'owner_retry'] as const;

/** The owner's actions on a cart, in the order the panel shows them. */
export const CART_ACTIONS = ['send_now', 'retry', 'stop'] as const;

/** What a done action reports (catalog: `carts.action.done.*`). */
export const CART_ACTION_DONE = ['due_now', 'stopped', 'retry_now', 'retry_at_opening'] as const;

/** Why an action did nothing (catalog: `carts.action.refused.*`). */
export const CART_ACTION_REFUSALS = [
  'shop_closed',
  'no_business_hours',
  'holdout',
  'in_flight',
  'already_sent',
  'outcome_unknown',
  'not_planned',
  'nothing_to_retry',
  'already_planned',
  'accepted_then_failed',
  'marketing_cap',
  'nothing_to_stop',
  'purchased',
  'opted_out',
  'takeover',
  'no_phone',
  'paused',
  'no_whatsapp',
  'too_old',
  'spend_cap',
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
  return tOr(`cartReason.${plain}`, tOr(`carts.reason.${plain}`, code));
}

/**
 * What an owner's action did, or why it did nothing, in the owner's words. `when` formats the
 * instant the words mention (the due time, the next opening). An answer the UI has never heard
 * of falls back to the engine's own English words.
 */
export function actionResultText(result: CartActionResult, when: (iso: string | null) => string): string {
  const params = { when: when(result.at), message: result.message };
  if (result.done) {
    const text = tOr(`carts.action.done.${result.code}`, result.message, params);
    return result.inFlight ? `${text} ${t('carts.action.inFlight')}` : text;
  }
  return tOr(`carts.action.refused.${result.code}`, result.message, params);
}

/** "First message" for step 0, "Reminder n" for the follow-ups; null when not about a message. */
export function stepLabel(step: number | null): string | null {
  if (step === null || step === undefined || !Number.isFinite(step) || step < 0) return null;
  return step === 0 ? t('timeline.firstMessage') : t('timeline.followup', { n: step });
}

/**
 * The engine's phone problems (written for logs, in English) in the owner's language; anything
 * not recognised is shown as the engine wrote it.
 */
export function phoneProblemLabel(problem: string): string {
  const p = problem.trim();
  if (/^no phone number (in the checkout|was given)$/i.test(p)) return t('phoneProblem.missing');
  if (/^this is not a valid phone number$/i.test(p)) return t('phoneProblem.invalid');
  const landline = /^(.+) is a landline or service number/i.exec(p);
  if (landline) return t('phoneProblem.notMobile', { number: landline[1] });
  const region = /^"(.*)" is not a two-letter country code/i.exec(p);
  if (region) return t('phoneProblem.unknownRegion', { region: region[1] });
  return p;
}
