// Shapes of the data the Rust side sends over IPC (camelCase, as Tauri serialises them).

export interface Counts {
  carts: number;
  pendingSends: number;
  conversations: number;
  unread: number;
  escalated: number;
}

export interface AppStatus {
  version: string;
  paused: boolean;
  demo: boolean;
  dataDir: string;
  counts: Counts;
  /** RFC 3339, UTC; null until the first store poll. */
  lastPollAt: string | null;
}

export interface Setting {
  key: string;
  value: string;
  default: string;
  description: string;
  /** "duration" | "hours" | "timezone" | "percent" | "bool" | "int" | "text" | "language" | … */
  kind: string;
}

export interface Cart {
  id: number;
  externalId: string;
  store: string;
  firstName: string | null;
  phone: string | null;
  phoneProblem: string | null;
  /** Already formatted by the server. */
  total: string;
  currency: string;
  status: string;
  /** True when the cart was put in the control group (never messaged, to measure the lift). */
  holdout: boolean;
  recoveryUrl: string | null;
  /** RFC 3339, UTC. */
  detectedAt: string;
  /** When the store says the checkout was bought; RFC 3339, UTC. */
  completedAt: string | null;
  /** How the cart ended for the results (see CART_OUTCOMES in cart-labels.ts); null while open. */
  outcome: string | null;
  /** RFC 3339, UTC. */
  outcomeAt: string | null;
}

/** The Rust side calls the row of `list_carts` / `cart_timeline` CartRow. */
export type CartRow = Cart;

/** One thing that happened to a cart (see TIMELINE_KINDS in cart-labels.ts for the kinds). */
export interface TimelineEntry {
  /** RFC 3339, UTC. */
  at: string;
  /** detected, planned, replanned, held, sending, sent, skipped, failed, unknown, completed, … */
  kind: string;
  /** 0 = the first message, 1..2 = follow-ups; null when not about a message. */
  step: number | null;
  /** For skipped/held/failed/replanned: a reason code or a WhatsApp error code ("131026"). */
  reason: string | null;
  /** Free text from the engine (English, technical). */
  detail: string | null;
}

/** What `cart_timeline` answers: the cart, its history oldest first, and why nothing went out. */
export interface CartTimeline {
  cart: Cart;
  entries: TimelineEntry[];
  /** A reason code when the first message was not (or will not be) sent, else null. */
  whyNotSent: string | null;
}

export interface Conversation {
  id: number;
  contactName: string | null;
  phone: string;
  lastMessage: string | null;
  lastAt: string | null;
  unread: number;
  escalated: boolean;
}

/** The store platforms Recupero can connect to. */
export type Platform = 'tiendanube' | 'shopify' | 'woocommerce';

/**
 * What `store_test` and `store_connect` take. Fields a platform does not use are null:
 * tiendanube → storeId + token; shopify → token, or key + secret (client ID + client secret of a
 * Dev Dashboard app); woocommerce → key (consumer key ck_…) + secret (consumer secret cs_…).
 */
export interface StoreInput {
  platform: Platform;
  baseUrl: string;
  storeId: string | null;
  /** Two-letter ISO 3166 code, used to read local phone numbers. */
  country: string;
  name: string | null;
  token: string | null;
  key: string | null;
  secret: string | null;
}

export interface CheckedItem {
  name: string;
  variant: string | null;
  quantity: number;
  /** Decimal amount, in the cart's currency. */
  unitPrice: string;
  imageUrl: string | null;
}

/** One checkout as `store_test` read it (nothing is saved). */
export interface CheckedCart {
  checkoutId: string;
  completed: boolean;
  phone: string | null;
  /** Short machine text saying why the phone cannot be used. */
  phoneProblem: string | null;
  firstName: string | null;
  language: string | null;
  marketingConsent: boolean | null;
  /** ISO 4217 code. */
  currency: string;
  /** Decimal amount, e.g. "1234.50". */
  total: string;
  items: CheckedItem[];
  recoveryLink: string;
  /** RFC 3339, UTC. */
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

/** A checkout the store returned that Recupero could not use, and why. */
export interface SkippedCheckout {
  checkoutId: string | null;
  reason: string;
}

export interface StoreCheckReport {
  carts: CheckedCart[];
  skipped: SkippedCheckout[];
}

export type StoreState = 'new' | 'ok' | 'failing' | 'paused';

/** A connected store. Its credentials stay in the OS keychain and never come back. */
export interface StoreRow {
  id: number;
  platform: string;
  name: string;
  baseUrl: string;
  externalId: string | null;
  country: string;
  state: StoreState;
  /** RFC 3339, UTC. */
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  createdAt: string;
}

/** Every rejected command resolves to this shape (see api.ts). */
export interface ApiError {
  code: string;
  message: string;
}

export type Screen = 'carts' | 'inbox' | 'results' | 'settings';
export const SCREENS: readonly Screen[] = ['carts', 'inbox', 'results', 'settings'];

export function isScreen(value: unknown): value is Screen {
  return typeof value === 'string' && (SCREENS as readonly string[]).includes(value);
}
