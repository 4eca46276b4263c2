// The data the Rust side sends over IPC, under the names the screens use. The shapes themselves
// are generated from the Rust types (generated.ts, checked by `cargo test`); only the UI's own
// types and narrower names for values Rust sends as plain strings are written here.

import type {
  CartAction,
  CartRow,
  ConversationRow,
  DraftRow,
  MessageRow,
  Route,
  Screen,
  SettingView,
  UiError,
} from './generated';

export type {
  Amount,
  AppStatus,
  CartCounts,
  CartRow,
  CartTimeline,
  CartActionResult,
  CheckedCart,
  CheckedItem,
  ConversationDetail,
  ConversationRow,
  Cost,
  CostRow,
  Counts,
  DraftRow,
  EngineEvent,
  Lift,
  MessageCounts,
  MessagePreview,
  MessageRow,
  Metrics,
  OwnerProblem,
  Period,
  RateRow,
  RateTable,
  Roi,
  Route,
  Screen,
  SecretState,
  SendRow,
  SettingKind,
  SettingView,
  Share,
  SkippedCheckout,
  StoreCheckReport,
  StoreInput,
  StoreRow,
  FirstSync,
  TemplateRow,
  TimelineEntry,
  WebhookInfo,
  WhatsAppCheck,
  CategoryCost,
  ReplyCost,
  SpendCapStatus,
  ExperimentResult,
  ArmResult,
  ArmDifference,
} from './generated';

/** One setting (the Rust side's SettingView). */
export type Setting = SettingView;

/** One cart of the Carts list (the Rust side's CartRow). */
export type Cart = CartRow;

/** One line of the inbox list (the Rust side's ConversationRow). */
export type Conversation = ConversationRow;

/** One WhatsApp message (the Rust side's MessageRow). */
export type Message = MessageRow;

/** A reply the assistant wrote, waiting for the owner (the Rust side's DraftRow). */
export type Draft = DraftRow;

/** The owner's actions on one cart (`cart_send_now`, `cart_stop`, `cart_retry`). */
export type CartActionName = CartAction;

/** The Carts list's filters beyond status and search; null = not filtered. */
export interface CartFilters {
  /** First shop day of detection, YYYY-MM-DD (in the shop's time zone). */
  from: string | null;
  /** Last shop day of detection, included, YYYY-MM-DD. */
  to: string | null;
  storeId: number | null;
}

/** Who wrote a message (`MessageRow.origin`): `phone` = the owner, from the WhatsApp Business app. */
export type MessageOrigin = 'customer' | 'automation' | 'app' | 'phone' | 'assistant';

/** The categories Meta prices messages by (`RateRow.category`). */
export type RateCategory = 'marketing' | 'utility' | 'authentication' | 'service';

/** The store platforms Recupero can connect to (`StoreInput.platform`, `StoreRow.platform`). */
export type Platform = 'tiendanube' | 'shopify' | 'woocommerce' | 'jumpseller' | 'prestashop' | 'vtex';

/** A connected store's polling state (`StoreRow.state`). */
export type StoreState = 'new' | 'ok' | 'failing' | 'paused';

/** The secrets the UI can write (never read). */
export type SecretName = 'whatsapp_token' | 'whatsapp_app_secret' | 'assistant_api_key';

/** Every rejected command resolves to this shape (see api.ts). */
export interface ApiError {
  /** The engine's code, to branch on (`no_backend`, `window_closed`…). */
  code: string;
  /** The English text (as logged). */
  message: string;
  /** The error as the window words it (ErrorMessage.svelte); absent when the rejection came from
   * somewhere else than a command (then `uiErrorOf` makes one). */
  error?: UiError;
}

export const SCREENS: readonly Screen[] = ['carts', 'inbox', 'results', 'settings'];

export function isScreen(value: unknown): value is Screen {
  return typeof value === 'string' && (SCREENS as readonly string[]).includes(value);
}

/** A route from an untrusted payload (an event, `take_route`), or null when it is not one. */
export function toRoute(value: unknown): Route | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isScreen(v.screen)) return null;
  const route: Route = { screen: v.screen };
  if (typeof v.conversationId === 'number') route.conversationId = v.conversationId;
  if (typeof v.section === 'string' && /^[a-z_]+$/.test(v.section)) route.section = v.section;
  return route;
}
