// The one place that knows Tauri command names. Every wrapper resolves with typed data or
// rejects with an ApiError `{ code, message, error? }` — never with anything else.

import { invoke } from '@tauri-apps/api/core';
import type {
  ApiError,
  AppStatus,
  CartActionResult,
  CartFilters,
  CartTimeline,
  Conversation,
  ConversationDetail,
  Message,
  MessagePreview,
  Metrics,
  RateRow,
  RateTable,
  SecretName,
  SecretState,
  Setting,
  StoreCheckReport,
  StoreInput,
  StoreRow,
  TemplateRow,
  WebhookInfo,
  WhatsAppCheck,
  Route,
} from './types';

import type { BackupInfo, BackupsOverview } from './generated';
import type { QuarantinedDeliveries, WebhookRegistration } from './generated';
import type { CartPage, StartupFailure } from './generated';
import type { UpdateStatus } from './generated';
import type { CoexistenceHealth } from './generated';
import type { ReplyCost, SpendCapStatus } from './generated';

export type { ApiError } from './types';
import { isUiError } from './ui-error';
export type { CartPage, StartupFailure } from './generated';

/** True when running inside the Tauri webview (the IPC bridge is injected before our code). */
export function hasBackend(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === 'string' &&
    typeof (value as Record<string, unknown>).message === 'string'
  );
}

/** Normalise whatever `invoke` rejected with into `{ code, message }` (and the worded `error`). */
export function toApiError(err: unknown): ApiError {
  if (isApiError(err)) {
    const worded = (err as { error?: unknown }).error;
    return isUiError(worded)
      ? { code: err.code, message: err.message, error: worded }
      : { code: err.code, message: err.message };
  }
  if (typeof err === 'string') return { code: 'error', message: err };
  if (err instanceof Error) return { code: 'error', message: err.message };
  if (typeof err === 'object' && err !== null) {
    const o = err as Record<string, unknown>;
    const message = typeof o.message === 'string' ? o.message : JSON.stringify(err);
    const code = typeof o.code === 'string' ? o.code : 'error';
    return { code, message };
  }
  return { code: 'error', message: String(err) };
}

export const NO_BACKEND: ApiError = {
  code: 'no_backend',
  message: 'Not running inside the Recupero desktop app: there is no backend to talk to.',
  error: { code: 'no_backend', params: {}, detail: '' },
};

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  if (!hasBackend()) throw { ...NO_BACKEND };
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toApiError(err);
  }
}

export const api = {
  appStatus: () => call<AppStatus>('app_status'),
  setPaused: (paused: boolean) => call<AppStatus>('set_paused', { paused }),
  settingsShow: () => call<Setting[]>('settings_show'),
  settingsSet: (key: string, value: string) => call<Setting[]>('settings_set', { key, value }),
  /** The recovery message on a sample cart, in `language` (es, pt_BR, en; null = the app's). */
  messagePreview: (language: string | null) => call<MessagePreview>('message_preview', { language }),
  previewPicture: (language: string | null) => call<string | null>('preview_picture', { language }),
  /**
   * One page of carts with the filter's total. Filters left null are not sent at all (the
   * command takes every filter as optional); no `page` is the first page of 500 (the server's).
   */
  listCarts: (
    status: string | null,
    search: string | null,
    filters: Partial<CartFilters> = {},
    page: { offset?: number; limit?: number } = {},
  ) =>
    call<CartPage>('list_carts', {
      status,
      search,
      ...Object.fromEntries(
        Object.entries({ ...filters, ...page }).filter(
          ([, value]) => value !== null && value !== undefined && value !== '',
        ),
      ),
    }),
  /** The stores whose carts the list shows (the demo's while it runs), for the store filter. */
  cartStores: () => call<StoreRow[]>('cart_stores'),
  /** The cart's planned first message goes out now, inside hours; a refusal says why. */
  cartSendNow: (cartId: number) => call<CartActionResult>('cart_send_now', { cartId }),
  /** Nothing more goes out for the cart (a message already on its way is said so). */
  cartStop: (cartId: number) => call<CartActionResult>('cart_stop', { cartId }),
  /** A new attempt of a send that failed before WhatsApp accepted it. */
  cartRetry: (cartId: number) => call<CartActionResult>('cart_retry', { cartId }),
  /** One cart with what happened to it, oldest first, and why its message was not sent. */
  cartTimeline: (cartId: number) => call<CartTimeline>('cart_timeline', { cartId }),
  /** Escalated first, then unread, then latest (the server orders them). */
  listConversations: (search: string | null, limit: number | null) =>
    call<Conversation[]>('list_conversations', { search, limit }),
  conversationDetail: (conversationId: number) =>
    call<ConversationDetail>('conversation_detail', { conversationId }),
  markRead: (conversationId: number) => call<null>('mark_read', { conversationId }),
  /** Free text; only inside the 24-hour window (else rejects with `window_closed`). */
  sendReply: (conversationId: number, text: string) =>
    call<Message>('send_reply', { conversationId, text }),
  /** The recovery template for the customer's latest cart, in `language` (null = the default). */
  sendTemplate: (conversationId: number, language: string | null) =>
    call<Message>('send_template', { conversationId, language }),
  /** taken = true: the owner takes over and automation stays quiet for this customer. */
  setTakeover: (conversationId: number, taken: boolean) =>
    call<ConversationDetail>('set_takeover', { conversationId, taken }),
  /** Send a draft; `text` is the owner's edit, null sends it as drafted. */
  approveDraft: (draftId: number, text: string | null) =>
    call<Message>('approve_draft', { draftId, text }),
  discardDraft: (draftId: number) => call<null>('discard_draft', { draftId }),
  /** from/to: RFC 3339; both null = the last 30 days. */
  results: (from: string | null, to: string | null) => call<Metrics>('results', { from, to }),
  /** The same period as CSV text, one row per day. */
  resultsCsv: (from: string | null, to: string | null) =>
    call<string>('results_csv', { from, to }),
  rateTable: () => call<RateTable>('rate_table'),
  rateTableSet: (rates: RateRow[]) => call<RateTable>('rate_table_set', { rates }),
  /** A live demo on a sandbox store and sandbox WhatsApp, in a separate database (`demo: true`). */
  startDemo: () => call<AppStatus>('start_demo'),
  /** Where a clicked notification wants the window (once), or null. */
  takeRoute: () => call<Route | null>('take_route'),
  /** Back to the owner's own data (`demo: false`). */
  stopDemo: () => call<AppStatus>('stop_demo'),
  /** Poll the store once with these credentials; saves nothing. */
  storeTest: (input: StoreInput) => call<StoreCheckReport>('store_test', { input }),
  /** Save the store; its credentials go to the OS keychain. */
  storeConnect: (input: StoreInput) => call<StoreRow>('store_connect', { input }),
  listStores: () => call<StoreRow[]>('list_stores'),
  /** Which secrets are set (never their values). */
  secretStates: () => call<SecretState[]>('secret_states'),
  /** Write a secret to the OS keychain; answers with every secret's state. */
  secretSet: (name: SecretName, value: string) => call<SecretState[]>('secret_set', { name, value }),
  /** Ask WhatsApp with the saved ids + token; lists the account's templates. */
  whatsappCheck: () => call<WhatsAppCheck>('whatsapp_check'),
  /** Submit the recovery template (es, pt_BR, en) for Meta's review; `buttonUrl` = link prefix. */
  whatsappCreateTemplate: (buttonUrl: string) =>
    call<TemplateRow[]>('whatsapp_create_template', { buttonUrl }),
  webhookInfo: () => call<WebhookInfo>('webhook_info'),
  /** The recovery template with example values to the owner's own phone; resolves with its wamid. */
  whatsappTestMessage: (phone: string) => call<string>('whatsapp_test_message', { phone }),
  // Backups (always the owner's database, even during a demo).
  /** The backups folder, the last copy's time, every copy newest first, a restore waiting. */
  backupsOverview: () => call<BackupsOverview>('backups_overview'),
  /** A consistent copy into the backups folder now. */
  backupNow: () => call<BackupInfo>('backup_now'),
  /** Check and stage a listed copy's name or a file's full path; resolves with its schema version. */
  backupRestore: (source: string) => call<number>('backup_restore', { source }),
  /** Restart so the staged restore is applied: true when restarting, false when the owner must. */
  backupRestart: () => call<boolean>('backup_restart'),
  // Updates (signed; installed only when the owner confirms).
  /** Off (no key, no address), not checked yet, or the last check's answer; asks nothing. */
  updateStatus: () => call<UpdateStatus>('update_status'),
  /** "Check now": up to date, a newer version with its notes, or what went wrong. */
  updateCheck: () => call<UpdateStatus>('update_check'),
  /** Download, verify and install `version`, the one the owner confirmed. */
  updateInstall: (version: string) => call<UpdateStatus>('update_install', { version }),
  /** Restart into the installed version: true when restarting, false when the owner must. */
  updateRestart: () => call<boolean>('update_restart'),
  /** The failure window only: why the app could not start. */
  startupFailure: () => call<StartupFailure>('startup_failure'),
  /** The failure window only: open the data folder in the file manager. */
  startupOpenFolder: () => call<null>('startup_open_folder'),
  /** The failure window only: start the app again (this window closes). */
  startupRetry: () => call<null>('startup_retry'),
  /** The failure window only: close it (the app stays stopped). */
  startupClose: () => call<null>('startup_close'),
  /** What one typed reply in the conversation costs from Recupero now, with the cap's state. */
  replyCost: (conversationId: number) => call<ReplyCost>('reply_cost', { conversationId }),
  /** The month's estimated WhatsApp spend against `monthly_spend_cap_usd`. */
  spendCapStatus: () => call<SpendCapStatus>('spend_cap_status'),
};

/** Webhook deliveries set aside (quarantined) after failing to apply: Settings' webhook panel. */
export const deliveriesApi = {
  /** How many, the oldest's arrival, the last error and the recent ones (never a body). */
  quarantined: () => call<QuarantinedDeliveries>('quarantined_deliveries'),
  /** Every quarantined delivery back in line; answers with what is still set aside. */
  retry: () => call<QuarantinedDeliveries>('retry_deliveries'),
};

/** Registering the webhook with WhatsApp (the owner's engine): the tunnel's public address plus
 * the secret path becomes the number's webhook; Meta checks it at once. */
export const webhookRegistrationApi = {
  /** `ok: false` with `failure` when Meta refused; nothing changed then. */
  register: (publicUrl: string) => call<WebhookRegistration>('webhook_register', { publicUrl }),
};

/** Coexistence health (the owner's engine): the number's link with the WhatsApp Business app. */
export const coexistenceApi = {
  /** Reads `is_on_biz_app`/`platform_type` now. */
  check: () => call<CoexistenceHealth>('coexistence_check'),
  /** Asks the phone for its contacts and chat history (once; again only after a refusal). */
  requestHistory: () => call<CoexistenceHealth>('coexistence_request_history'),
};
