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
  /** The local webhook address with its secret path (snake_case in the JSON, as the CLI prints it). */
  webhook_url?: string;
  /** When the last webhook delivery arrived; RFC 3339, UTC; null = never. */
  lastWebhookAt?: string | null;
  /** Webhook deliveries stored but not processed yet. */
  webhooksPending?: number;
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
  /** What the owner can do with the cart now (the panel shows only these buttons). */
  actions?: CartActionName[];
}

/** The owner's actions on one cart (`cart_send_now`, `cart_stop`, `cart_retry`). */
export type CartActionName = 'send_now' | 'stop' | 'retry';

/** What an action did, or why it did nothing (a refusal is an answer, not an error). */
export interface CartActionResult {
  action: CartActionName;
  done: boolean;
  /**
   * Done: due_now | stopped | retry_now | retry_at_opening. Refused: the reason (shop_closed,
   * holdout, in_flight, already_sent, opted_out… — see CART_ACTION_REFUSALS in cart-labels.ts).
   */
  code: string;
  /** RFC 3339, UTC: when the message is due, or when the shop opens next (shop_closed). */
  at: string | null;
  /** How many sends a stop skipped. */
  stopped: number;
  /** A message was already on its way to WhatsApp and can't be called back. */
  inFlight: boolean;
  /** The same in plain English, from the engine. */
  message: string;
}

/** The Carts list's filters beyond status and search; null = not filtered. */
export interface CartFilters {
  /** First shop day of detection, YYYY-MM-DD (in the shop's time zone). */
  from: string | null;
  /** Last shop day of detection, included, YYYY-MM-DD. */
  to: string | null;
  storeId: number | null;
}

export interface Conversation {
  id: number;
  contactName: string | null;
  phone: string;
  lastMessage: string | null;
  /** RFC 3339, UTC. */
  lastAt: string | null;
  unread: number;
  escalated: boolean;
  /** Why it escalated (see ESCALATION_REASONS in inbox-labels.ts); null when not escalated. */
  escalationReason: string | null;
  /** A person took over (in the app, from the phone or by an escalation): automation is quiet. */
  automationPaused: boolean;
  optedOut: boolean;
  pendingDrafts: number;
}

/** Who wrote a message: `phone` = the owner, from the WhatsApp Business app on the phone. */
export type MessageOrigin = 'customer' | 'automation' | 'app' | 'phone' | 'assistant';

export interface Message {
  id: number;
  conversationId: number;
  direction: 'in' | 'out';
  origin: MessageOrigin;
  /** text, template, button, image, reaction, location, … */
  kind: string;
  body: string | null;
  /** received | sending | accepted | sent | delivered | read | failed | unknown */
  status: string | null;
  /** WhatsApp error code when it failed ("131026"). */
  errorCode: string | null;
  /** Free text from WhatsApp (English, technical). */
  errorDetail: string | null;
  /** RFC 3339, UTC. */
  createdAt: string;
}

/** A reply the assistant wrote, waiting for the owner to approve, edit or discard. */
export interface Draft {
  id: number;
  conversationId: number;
  text: string;
  source: 'assistant' | 'facts';
  /** Which version of the shop facts it used. */
  factsVersion: number | null;
  replyToMessageId: number | null;
  /** RFC 3339, UTC. */
  createdAt: string;
}

export interface ConversationDetail {
  conversation: Conversation;
  /** Oldest first. */
  messages: Message[];
  /** RFC 3339, UTC; null = the 24-hour window is closed, only templates can go out. */
  windowClosesAt: string | null;
  /** The customer's latest cart. */
  cart: CartRow | null;
  /** Pending drafts, oldest first. */
  drafts: Draft[];
  /** Approved languages of the recovery template ("es", "pt_BR", "en"). */
  templateLanguages: string[];
}

/** `count` of `denominator`; `rate` is 0..1, or null when the denominator is 0. */
export interface Share {
  count: number;
  denominator: number;
  rate: number | null;
}

/** Money: a plain decimal string ("1234.50") and its ISO 4217 code. */
export interface Amount {
  currency: string;
  amount: string;
}

export interface Lift {
  difference: number | null;
  low: number | null;
  high: number | null;
  /** 0.95 */
  confidence: number;
  method: string;
  significant: boolean | null;
}

export interface CostRow {
  country: string;
  category: string;
  messages: number;
  currency: string;
  amount: string;
}

export interface Roi {
  currency: string;
  revenue: string;
  cost: string;
  /** (revenue - cost) / cost, same currency only; null when there was no cost. */
  roi: number | null;
  /** The owner's rate the USD cost was converted at (1 USD = this many of `currency`). */
  usdRate: string | null;
}

/** One day or one week of the results. */
export interface Period {
  /** YYYY-MM-DD */
  start: string;
  detected: number;
  messaged: number;
  holdout: number;
  recovered: number;
  recoveredHoldout: number;
  replied: number;
  revenue: Amount[];
}

/** What `results` answers: every figure already computed by the engine. */
export interface Metrics {
  from: string;
  to: string;
  carts: { detected: number; withPhone: number; messaged: number; holdout: number; notSent: number };
  /** Recovered / messaged (the carts that got a message). */
  recovery: Share;
  /** Bought anyway / control group. */
  holdoutRecovery: Share;
  lift: Lift;
  /** Per currency, never summed across currencies. */
  revenue: Amount[];
  replies: Share;
  medianFirstReplySeconds: number | null;
  messages: { sent: number; delivered: number; read: number; failed: number };
  cost: {
    rows: CostRow[];
    total: Amount[];
    perRecovered: Amount[];
    roi: Roi[];
    /** The date the rate table is valid for ("2026-10-01"). */
    ratesAsOf: string;
  };
  daily: Period[];
  weekly: Period[];
}

export type RateCategory = 'marketing' | 'utility' | 'authentication' | 'service';

/** WhatsApp's price per delivered message for one country ("*" = every other) and category. */
export interface RateRow {
  country: string;
  category: RateCategory;
  currency: string;
  price: string;
}

export interface RateTable {
  asOf: string;
  source: string;
  rates: RateRow[];
  /** True once the owner changed it. */
  edited: boolean;
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

/** The secrets the UI can write (never read). */
export type SecretName = 'whatsapp_token' | 'whatsapp_app_secret' | 'assistant_api_key';

/** Whether a secret is present — never its value. */
export interface SecretState {
  name: string;
  set: boolean;
  /** The environment variable that can provide it instead, e.g. RECUPERO_WHATSAPP_TOKEN. */
  envVar: string;
  /**
   * Where the value comes from, when the engine says so ('env' = the environment variable, so
   * the keychain is not used). Not in the current contract; absent means "not told".
   */
  source?: 'env' | 'keychain' | null;
}

/** One message template of the WhatsApp Business Account, as Meta last reported it. */
export interface TemplateRow {
  name: string;
  language: string;
  /** APPROVED | PENDING | REJECTED | PAUSED | DISABLED | … (Meta's words, upper case). */
  status: string;
  category: string | null;
  /** Meta's id of the template. */
  id: string | null;
  bodyParams: number | null;
  headerFormat: string | null;
  buttonUrl: string | null;
  /** RFC 3339, UTC. */
  checkedAt: string;
  blockCode: string | null;
  blockDetail: string | null;
}

/** What `whatsapp_check` found: the account's templates and whether the recovery one is usable. */
export interface WhatsAppCheck {
  templates: TemplateRow[];
  /** The recovery template's name (the `template_name` setting). */
  templateName: string;
  approved: boolean;
}

/** The recovery message as a customer would receive it (Settings' live preview). */
export interface MessagePreview {
  /** Meta's language code of the template used, e.g. `es_AR`. */
  language: string;
  templateName: string;
  /** Meta's review status (APPROVED, PENDING…); null = not on the WhatsApp account. */
  status: string | null;
  /** The text with the sample cart's values filled in. */
  body: string;
  footer: string;
  buttonText: string | null;
  /** The quick-reply button under it (the marketing opt-out, "Stop promotions"). */
  quickReplyText: string | null;
  buttonUrl: string | null;
  /** The template's header is the first product's image. */
  imageHeader: boolean;
  /** Codes of what would stop this message (empty: it could go as it is). */
  problems: string[];
}

/** Where Meta must send webhooks (through the owner's tunnel) and the verify token to give it. */
export interface WebhookInfo {
  url: string;
  verifyToken: string;
  /** RFC 3339, UTC; null = never. */
  lastWebhookAt: string | null;
  pending: number;
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

/** A place in the app (a clicked notification): a screen, and in it a conversation or a section. */
export interface Route {
  screen: Screen;
  conversationId?: number;
  section?: string;
}

export function toRoute(value: unknown): Route | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isScreen(v.screen)) return null;
  const route: Route = { screen: v.screen };
  if (typeof v.conversationId === 'number') route.conversationId = v.conversationId;
  if (typeof v.section === 'string' && /^[a-z_]+$/.test(v.section)) route.section = v.section;
  return route;
}
