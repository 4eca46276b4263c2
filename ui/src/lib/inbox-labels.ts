// Words for the codes the engine uses about conversations: why a conversation escalated, who
// wrote a message, its delivery status and WhatsApp's failure codes (the inbox commands' errors
// are worded by ErrorMessage.svelte). A code the UI has never heard of is shown as it came (a
// WhatsApp code with its number), so nothing is ever hidden.

import { t, tOr } from './i18n/index.svelte';

/** Why the engine handed a conversation to the owner. */
export const ESCALATION_REASONS = [
  'asked_for_person',
  'complaint',
  'payment_problem',
  'fraud',
  'delivery_problem',
  'insult',
  'owner_keyword',
  'assistant_unsure',
  'assistant_failed',
  'unanswered_question',
] as const;

/** Who wrote a message. */
export const MESSAGE_ORIGINS = ['customer', 'automation', 'app', 'phone', 'assistant'] as const;

/** The delivery statuses of a message, in the order they happen. */
export const MESSAGE_STATUSES = [
  'received',
  'sending',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
  'unknown',
] as const;

/** WhatsApp error codes the owner meets most, explained in plain words. */
export const WHATSAPP_ERRORS = ['131026', '131047', '131049', '131050', '130429', '131056'] as const;

export function escalationLabel(reason: string | null | undefined): string {
  if (!reason) return t('inbox.escalated');
  return tOr(`escalationReason.${reason}`, reason.replaceAll('_', ' '));
}

export function originLabel(origin: string): string {
  return tOr(`messageOrigin.${origin}`, origin);
}

export function messageStatusLabel(status: string): string {
  return tOr(`messageStatus.${status}`, status);
}

/** The tick shown beside an outgoing message: ✓ sent, ✓✓ delivered, blue ✓✓ read. */
export function statusTicks(status: string | null): string {
  switch (status) {
    case 'sending':
    case 'accepted':
      return '🕓';
    case 'sent':
      return '✓';
    case 'delivered':
    case 'read':
      return '✓✓';
    case 'failed':
      return '!';
    case 'unknown':
      return '?';
    default:
      return '';
  }
}

/** Why WhatsApp did not deliver a message, in the owner's words; unknown codes keep their number. */
export function whatsappErrorLabel(code: string | null | undefined): string {
  const plain = (code ?? '').trim();
  if (plain === '') return t('whatsappError.none');
  return tOr(`whatsappError.${plain}`, t('whatsappError.other', { code: plain }));
}

/** "es" → "Español", "pt_BR" → "Português (Brasil)"; anything else as it came. */
export function templateLanguageLabel(code: string): string {
  return tOr(`templateLanguage.${code}`, code);
}
