// The WhatsApp connection's codes and their words: template statuses, what the recovery template
// needs next, the link prefix the template's button takes, and the
// "last webhook received" time.

import type { MessageKey } from './i18n/index.svelte';
import type { TemplateRow } from './types';

/** The WhatsApp settings the connection panel edits (Settings leaves them out of its groups). */
export const WHATSAPP_MAIN_KEYS = ['whatsapp_phone_number_id', 'whatsapp_waba_id'] as const;
export const WHATSAPP_ADVANCED_KEYS = [
  'whatsapp_base_url',
  'whatsapp_api_version',
  'whatsapp_auth_header',
  'template_name',
  'reminder_image_template',
] as const;
/** The settings the webhook panel edits (how long raw deliveries are kept). */
export const WEBHOOK_PANEL_KEYS = ['webhook_body_retention_days'] as const;
export const WHATSAPP_SETTING_KEYS: readonly string[] = [
  ...WHATSAPP_MAIN_KEYS,
  ...WHATSAPP_ADVANCED_KEYS,
  ...WEBHOOK_PANEL_KEYS,
  // Set by "Register with WhatsApp" (and by Recupero when WhatsApp accepts an address).
  'webhook_public_url',
  'webhook_registered_url',
  // The tunnel Recupero runs (TunnelPanel, inside the webhook panel).
  'tunnel_mode',
  'tunnel_name',
  'tunnel_hostname',
  'cloudflared_path',
  // The picture variant's switch lives in the Message card (MessagePreview).
  'reminder_image',
];

/** Meta's Graph API, the default API address. */
export const META_URL = 'https://graph.facebook.com';

/** Meta's template statuses we have words for; any other is shown as it came. */
export const TEMPLATE_STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL'] as const;
export type KnownTemplateStatus = (typeof TEMPLATE_STATUSES)[number];

/** The languages whatsapp_create_template submits the recovery template in. */
export const RECOVERY_LANGUAGES = ['es', 'pt_BR', 'en'] as const;

export function templateStatusKey(status: string): MessageKey | null {
  const upper = status.toUpperCase();
  return (TEMPLATE_STATUSES as readonly string[]).includes(upper)
    ? (`wa.status.${upper}` as MessageKey)
    : null;
}

/** A badge tone for a status: ok, waiting, bad, or neutral for codes we do not know. */
export function templateTone(status: string): 'ok' | 'wait' | 'bad' | 'neutral' {
  switch (status.toUpperCase()) {
    case 'APPROVED':
      return 'ok';
    case 'PENDING':
    case 'IN_APPEAL':
      return 'wait';
    case 'REJECTED':
    case 'PAUSED':
    case 'DISABLED':
      return 'bad';
    default:
      return 'neutral';
  }
}

export type RecoveryState =
  /** Approved in every language it exists in, and it exists in all three. */
  | 'approved'
  /** At least one language waits for Meta's review (and none needs creating). */
  | 'pending'
  /** Missing in some language, or not usable in any: offer to create it. */
  | 'create';

/**
 * What the recovery template needs: create it when it is missing in one of the languages Recupero
 * writes in, or when no language is approved or in review (rejected, paused, disabled); otherwise
 * say it is in review while any language is, else it is ready.
 */
export function recoveryState(templates: TemplateRow[], templateName: string): RecoveryState {
  const rows = templates.filter((t) => t.name === templateName);
  const languages = new Set(rows.map((r) => r.language));
  const missing = RECOVERY_LANGUAGES.some((l) => !languages.has(l));
  const usable = rows.filter((r) => ['APPROVED', 'PENDING', 'IN_APPEAL'].includes(r.status.toUpperCase()));
  if (missing || usable.length === 0) return 'create';
  if (usable.some((r) => r.status.toUpperCase() !== 'APPROVED')) return 'pending';
  return 'approved';
}

/** The link prefix for the template's button: an http(s) address; null when fine. */
export function buttonUrlProblem(value: string): MessageKey | null {
  const v = value.trim();
  if (v === '') return 'wa.create.empty';
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'wa.create.invalid';
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    return 'wa.create.invalid';
  }
  return null;
}

/**
 * How long ago `iso` was, in the UI language ("hace 2 min", "há 3 h"); under a minute is
 * `justNow`. Null when `iso` is missing or not a date.
 */
export function timeAgo(iso: string | null | undefined, nowMs: number, lang: string, justNow: string): string | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return null;
  const seconds = Math.max(0, Math.floor((nowMs - at) / 1000));
  if (seconds < 60) return justNow;
  const rtf = new Intl.RelativeTimeFormat(lang, { style: 'short', numeric: 'always' });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return rtf.format(-minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return rtf.format(-hours, 'hour');
  return rtf.format(-Math.floor(hours / 24), 'day');
}

/** The later of two RFC 3339 times (either may be missing). */
export function latest(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
