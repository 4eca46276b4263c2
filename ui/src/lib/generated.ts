// Generated from the Rust types that cross IPC by
//   RECUPERO_UPDATE_UI_TYPES=1 cargo test --no-default-features --lib ui_types
// Do not edit: change the Rust type and regenerate (`cargo test` fails while this file is stale).
// UI-only types and the names the screens use live in types.ts.

export type EngineEvent = { "type": "status_changed", status: AppStatus, } | { "type": "paused_changed", paused: boolean, } | { "type": "settings_changed" } | { "type": "cart_detected", cartId: number, } | { "type": "inbound_message", conversationId: number, } | { "type": "cart_recovered", cartId: number, contactName: string | null, 
/**
 * The total with its currency, e.g. `45990.50 ARS`.
 */
total: string, } | { "type": "escalation", conversationId: number, contactName: string | null, reason: string, } | { "type": "draft_ready", conversationId: number, draftId: number, } | { "type": "opted_out", conversationId: number, } | { "type": "needs_owner", problem: OwnerProblem, } | { "type": "navigate", route: Route, };

export type OwnerProblem = "token_expired" | "number_disconnected" | "template_rejected" | "store_unreachable" | "delivery_quarantined" | "phone_inactive" | "store_opt_out_refused" | "spend_cap_reached" | "coupon_refused";

/**
 * A place in the app: a screen, and in it a conversation or a settings section.
 */
export type Route = { screen: Screen, conversationId?: number, section?: string, };

export type Screen = "carts" | "inbox" | "results" | "settings";

/**
 * What the header, the tray tooltip and `recupero status` show.
 */
export type AppStatus = { version: string, paused: boolean, demo: boolean, dataDir: string, database: string, secretStore: string, counts: Counts, lastPollAt: string | null, 
/**
 * The local webhook address with its secret path (what the tunnel forwards to). Named
 * `webhook_url` in JSON, as documented for `recupero status --json`.
 */
webhook_url: string, 
/**
 * When the last webhook delivery arrived (onboarding's "last webhook received").
 */
lastWebhookAt: string | null, 
/**
 * Webhook deliveries stored but not processed yet.
 */
webhooksPending: number, 
/**
 * How this process's webhook receiver treats signatures (the window warns unless
 * `required`).
 */
webhookSignatures: WebhookSignatures, 
/**
 * Whether the last delivery carried a valid signature (`None`: none received yet).
 */
lastWebhookSigned: boolean | null, 
/**
 * The public address WhatsApp accepted at the last registration (`None`: not registered
 * by Recupero).
 */
webhookRegisteredUrl: string | null, 
/**
 * Messages left in the last hours but no delivery arrived for as long: the tunnel (or the
 * registration) is most likely down.
 */
webhookSilent: boolean, 
/**
 * The stores still in their first sync, with the checkouts read and carts with a phone so
 * far (no total: indeterminate progress).
 */
firstSyncs: Array<FirstSync>, 
/**
 * The tunnel Recupero runs for the owner (off, starting, up at its address, failed with
 * the reason, cloudflared not installed) and the registration of its address.
 */
tunnel: TunnelStatus, 
/**
 * The number's link with the phone's WhatsApp Business app (Coexistence): connected or
 * not and why, the phone-inactivity reminder, the history import.
 */
coexistence: CoexistenceHealth, };

/**
 * How webhook signatures are checked now, for the window's standing warning.
 */
export type WebhookSignatures = "required" | "no_secret" | "not_set_up" | "unsigned_allowed";

/**
 * The numbers in the status: carts, sends still to go, conversations and what needs the owner.
 */
export type Counts = { carts: number, pendingSends: number, conversations: number, unread: number, escalated: number, };

/**
 * The tunnel as the window, the tray and `recupero status --json` show it.
 */
export type TunnelStatus = { mode: TunnelMode, state: TunnelState, 
/**
 * The public address (`https://…`, no path) while up.
 */
address: string | null, 
/**
 * Why it failed or is not installed, in plain words.
 */
reason: string | null, 
/**
 * When the current state began (RFC 3339).
 */
since: string | null, 
/**
 * How many times `cloudflared` was started again since the mode was turned on.
 */
restarts: number, 
/**
 * The registration with WhatsApp of the last address: `ok`, a refusal
 * (`nothing_answered`, `wrong_token`, `not_https`, `other`), `not_configured` (WhatsApp
 * not set up yet: nothing registered) or `error`; `None` before an address is known.
 */
registration: string | null, 
/**
 * The words that go with a refusal or an error.
 */
registrationDetail: string | null, };

/**
 * What the owner asked for (`tunnel_mode`).
 */
export type TunnelMode = "off" | "quick" | "named";

/**
 * Where the tunnel is.
 */
export type TunnelState = "off" | "starting" | "up" | "failed" | "not_installed";

/**
 * One setting as shown by `config show` and the Settings screen.
 */
export type SettingView = { key: string, value: string, default: string, description: string, kind: SettingKind, };

/**
 * What kind of value a setting holds, for the UI to pick an editor.
 */
export type SettingKind = "timezone" | "hours" | "minutes" | "hours24" | "days" | "seconds" | "int" | "percent" | "bool" | "language" | "country" | "text" | "assistant_mode" | "url" | "long_text" | "keywords";

/**
 * What the Settings' "Message" card shows.
 */
export type MessagePreview = { 
/**
 * Meta's language code of the template used, e.g. `es_AR`.
 */
language: string, templateName: string, 
/**
 * Meta's review status (`APPROVED`, `PENDING`, `REJECTED`…); `None`: not on the account.
 */
status: string | null, 
/**
 * The body with its placeholders filled, exactly the parameters the outbox would send.
 */
body: string, footer: string, buttonText: string | null, 
/**
 * The quick-reply button under it (the marketing opt-out, "Stop promotions").
 */
quickReplyText: string | null, 
/**
 * The address the button opens (the approved prefix and this cart's suffix).
 */
buttonUrl: string | null, 
/**
 * The template's header is the first product's image.
 */
imageHeader: boolean, 
/**
 * The picture such a header would carry: the first one of the store's latest carts (the
 * window shows it through [`Engine::preview_picture`]); `None` before any cart has one.
 */
imageUrl: string | null, 
/**
 * Why this message could not be sent as it is (empty: it could).
 */
problems: Array<string>, };

/**
 * What the Carts screen and the export show for one cart.
 */
export type CartRow = { id: number, store: string, externalId: string, firstName: string | null, phone: string | null, phoneProblem: string | null, currency: string, 
/**
 * Decimal amount as text, exactly as stored (never a float).
 */
total: string, recoveryUrl: string | null, status: string, holdout: boolean, detectedAt: string, completedAt: string | null, outcome: string | null, outcomeAt: string | null, };

/**
 * One page of the Carts list and how many carts its filter matches in all, read under one
 * lock so the two agree (the screen's "N of TOTAL" and its "load more").
 */
export type CartPage = { rows: Array<CartRow>, total: number, };

export type CartTimeline = { cart: CartRow, entries: Array<TimelineEntry>, sends: Array<SendRow>, 
/**
 * Why the first message did not (or will not yet) go, as a reason code.
 */
whyNotSent: string | null, 
/**
 * What the owner can do with the cart now (the panel's buttons).
 */
actions: Array<CartAction>, };

/**
 * One line of a cart's timeline ("why not sent" included).
 */
export type TimelineEntry = { at: string, kind: string, step: number | null, reason: string | null, detail: string | null, };

export type SendRow = { id: number, cartId: number, step: number, state: string, dueAt: string, deadlineAt: string, attempts: number, wamid: string | null, sentAt: string | null, skipReason: string | null, errorCode: string | null, errorDetail: string | null, 
/**
 * The first instant this send was planned for (before any re-plan).
 */
plannedAt: string | null, recipient: string | null, heldReason: string | null, createdAt: string, updatedAt: string, };

export type CartAction = "send_now" | "stop" | "retry";

/**
 * What an action did, or why it did nothing.
 */
export type CartActionResult = { action: CartAction, done: boolean, 
/**
 * Done: what happened (`due_now`, `stopped`, `retry_now`, `retry_at_opening`). Refused: the
 * reason (`shop_closed`, `holdout`, `in_flight`, `already_sent`, `opted_out`…).
 */
code: string, 
/**
 * The instant the words need (RFC 3339, UTC): when the message is due, or when the shop
 * opens next (`shop_closed`).
 */
at: string | null, 
/**
 * How many sends a stop skipped.
 */
stopped: number, 
/**
 * A message of this cart is on its way to WhatsApp and can't be called back.
 */
inFlight: boolean, 
/**
 * The same in plain English (the command line, the logs).
 */
message: string, };

/**
 * One line of the inbox list.
 */
export type ConversationRow = { id: number, contactId: number, contactName: string | null, 
/**
 * `None` for a customer known only by their business-scoped user id (a WhatsApp username).
 */
phone: string | null, 
/**
 * The customer's WhatsApp username, when they adopted one.
 */
username: string | null, 
/**
 * The customer's business-scoped user id (BSUID), shown when there is neither a number
 * nor a username.
 */
userId: string | null, language: string | null, lastMessage: string | null, lastAt: string | null, lastInboundAt: string | null, unread: number, escalated: boolean, escalationReason: string | null, automationPaused: boolean, optedOut: boolean, pendingDrafts: number, };

/**
 * What the inbox shows for one conversation.
 */
export type ConversationDetail = { conversation: ConversationRow, messages: Array<MessageRow>, 
/**
 * When the customer-service window closes; `None` when it is closed (templates only).
 */
windowClosesAt: string | null, cart: CartRow | null, drafts: Array<DraftRow>, 
/**
 * Approved languages of the recovery template, for the picker when the window is closed.
 */
templateLanguages: Array<string>, };

export type MessageRow = { id: number, conversationId: number, direction: string, origin: string, wamid: string | null, kind: string, body: string | null, status: string | null, errorCode: string | null, errorDetail: string | null, createdAt: string, };

export type DraftRow = { id: number, conversationId: number, text: string, source: string, factsVersion: number | null, replyToMessageId: number | null, state: string, detail: string | null, createdAt: string, };

export type Metrics = { from: string, to: string, 
/**
 * The zone the days and weeks are read in.
 */
timezone: string, carts: CartCounts, 
/**
 * Converted messaged carts out of `carts.messaged` (intention to treat): the recovered ones,
 * plus those the message never reached that were bought within the attribution window.
 */
recovery: Share, holdoutRecovery: Share, lift: Lift, revenue: Array<Amount>, replies: Share, medianFirstReplySeconds: number | null, messages: MessageCounts, cost: Cost, daily: Array<Period>, weekly: Array<Period>, 
/**
 * The A/B experiments, the running one first, then the ended ones (each read as a whole,
 * not by this period).
 */
experiments: Array<ExperimentResult>, 
/**
 * The coupons (`coupon_percent`), when any was made for a cart of the period; then
 * `revenue` and the ROI are net of their discount.
 */
coupons?: CouponFigures, };

export type CartCounts = { 
/**
 * Carts that became abandoned carts in the period (with or without a phone).
 */
detected: number, withPhone: number, 
/**
 * Their first message was attempted — whatever WhatsApp answered (the treatment group,
 * intention to treat: the same pre-send exclusions as the holdout, and only those).
 */
messaged: number, 
/**
 * Of `messaged`, the carts the first message never reached (WhatsApp refused it for good,
 * e.g. 131026 not on WhatsApp, before or after accepting it, or its fate stayed unknown).
 */
unreached: number, 
/**
 * Holdout carts that reached the instant their message would have gone.
 */
holdout: number, 
/**
 * With a phone, first message not sent (skipped for a pre-send reason).
 */
notSent: number, 
/**
 * With a phone, first message still planned or in flight. `with_phone` = messaged +
 * holdout + not_sent + pending.
 */
pending: number, };

/**
 * A count out of a denominator; `rate` is `None` when the denominator is 0.
 */
export type Share = { count: number, denominator: number, rate: number | null, };

export type Lift = { 
/**
 * Treatment recovery rate minus holdout recovery rate.
 */
difference: number | null, low: number | null, high: number | null, confidence: number, method: string, 
/**
 * The interval excludes 0.
 */
significant: boolean | null, };

/**
 * An amount of one currency, as decimal text (`"1234.50"`).
 */
export type Amount = { currency: string, amount: string, };

export type MessageCounts = { sent: number, delivered: number, read: number, failed: number, };

export type Cost = { rows: Array<CostRow>, 
/**
 * The same spend by category (templates, utility, service…), in the order Meta lists them.
 */
byCategory: Array<CategoryCost>, total: Array<Amount>, perRecovered: Array<Amount>, roi: Array<Roi>, ratesAsOf: string, };

export type CostRow = { country: string, category: string, messages: number, currency: string, amount: string, };

export type Roi = { currency: string, revenue: string, 
/**
 * The WhatsApp cost in this currency (converted from USD at `usd_rate` when given).
 */
cost: string, roi: number | null, 
/**
 * The owner's rate the USD cost was converted at: 1 USD = this many of `currency`.
 */
usdRate: string | null, };

/**
 * One day or one week (by its Monday), in the shop's time zone.
 */
export type Period = { start: string, detected: number, messaged: number, holdout: number, recovered: number, recoveredHoldout: number, replied: number, revenue: Array<Amount>, };

/**
 * The table in force, as `rate_table` returns it.
 */
export type RateTable = { 
/**
 * The date the prices are valid for (`YYYY-MM-DD`).
 */
asOf: string, source: string, rates: Array<RateRow>, 
/**
 * The owner replaced the shipped table.
 */
edited: boolean, 
/**
 * What the prices rest on and which are estimates.
 */
notes: Array<string>, };

/**
 * One row as the owner writes it and the UI shows it.
 */
export type RateRow = { 
/**
 * ISO 3166 alpha-2, or `*` for every country without its own row.
 */
country: string, category: string, currency: string, 
/**
 * Per delivered message, decimal text.
 */
price: string, };

/**
 * The spend of one pricing category: `marketing` (the recovery templates), `utility`,
 * `authentication` or `service` (typed replies), per currency.
 */
export type CategoryCost = { category: string, messages: number, total: Array<Amount>, };

/**
 * The coupons' figures; absent from the Results when no coupon was ever made in the period.
 */
export type CouponFigures = { 
/**
 * Codes the stores created (refused ones aside).
 */
created: number, 
/**
 * Codes a purchase used.
 */
redeemed: number, 
/**
 * Codes the store refused to create (the message went without one).
 */
refused: number, 
/**
 * The discount the redeemed codes gave, per currency (all of them; only recovered carts'
 * part comes off the revenue).
 */
discount: Array<Amount>, 
/**
 * The recovered revenue before the discount (the headline `revenue` is net of it).
 */
grossRevenue: Array<Amount>, };

/**
 * The cap as the composer, the Carts panel and the demo show it.
 */
export type SpendCapStatus = { 
/**
 * The shop's month (`YYYY-MM`).
 */
month: string, 
/**
 * The cap in USD (decimal text); `None`: no cap set.
 */
capUsd: string | null, 
/**
 * The month's estimated spend so far, in USD (decimal text, 4 places at most).
 */
spentUsd: string, 
/**
 * Spend in currencies without a USD rate, not counted toward the cap.
 */
unconverted: Array<Amount>, 
/**
 * The spend reached the cap: recovery messages wait.
 */
reached: boolean, 
/**
 * When the month ends and sending resumes on its own (RFC 3339, UTC).
 */
resumesAt: string, };

/**
 * The composer's cost line.
 */
export type ReplyCost = { 
/**
 * The customer's country (ISO 3166 alpha-2); `None`: unknown.
 */
country: string | null, 
/**
 * `phone` or `bsuid`: where the country was read.
 */
countryFrom: string | null, 
/**
 * The pricing category of a typed reply (`service`).
 */
category: string, 
/**
 * Meta charges replies at this moment (from 1 October 2026).
 */
charged: boolean, 
/**
 * The price of one reply from Recupero, in the rate table's currency; `None`: rate unknown.
 */
price: Amount | null, 
/**
 * The price came from the table's `*` row (no row for this country): an estimate.
 */
estimate: boolean, 
/**
 * The price in the shop's currency at the owner's USD rate, when one is set.
 */
converted: Amount | null, 
/**
 * That rate: 1 USD = this many of `converted`'s currency.
 */
usdRate: string | null, 
/**
 * The same reply typed in the WhatsApp Business app on the phone costs nothing.
 */
freeFromPhone: boolean, ratesAsOf: string, 
/**
 * The month's spend against the cap (the composer warns when it is reached; never blocks).
 */
cap: SpendCapStatus, };

/**
 * One experiment and its results.
 */
export type ExperimentResult = { id: number, 
/**
 * The canonical spec (`delay:15,60`).
 */
spec: string, 
/**
 * `delay`, `template` or `coupon`.
 */
kind: string, startedAt: string, 
/**
 * `None` while it runs.
 */
endedAt: string | null, arms: Array<ArmResult>, difference: ArmDifference, 
/**
 * Carts each arm would need for the difference seen so far to show at α = 0.05 with 80 %
 * power; `None` when no difference is seen yet (or no carts).
 */
neededPerArm: number | null, 
/**
 * How many more carts (both arms together) that is; 0 once reached.
 */
moreNeeded: number | null, 
/**
 * `more_than_chance`, `not_yet` (within chance so far) or `too_early` (fewer than 10
 * carts in an arm).
 */
verdict: string, };

/**
 * One arm's figures.
 */
export type ArmResult = { 
/**
 * `A` or `B`.
 */
arm: string, 
/**
 * What the arm does, as the setting spells it: minutes, a template name, `on`/`off`.
 */
value: string, 
/**
 * Carts drawn to the arm (the rate's denominator: intention to treat from the draw).
 */
carts: number, 
/**
 * Of those, the ones whose first message was attempted (whatever WhatsApp answered).
 */
messaged: number, 
/**
 * Of `carts`, bought within the attribution window after the draw (the rate's count).
 */
converted: number, 
/**
 * Of those, recovered: bought after a message that arrived (the tracker's verdict).
 */
recovered: number, 
/**
 * `converted / carts`.
 */
rate: number | null, 
/**
 * Wilson 95 % interval of the rate.
 */
low: number | null, high: number | null, 
/**
 * Carts of the arm still waiting for their first message.
 */
pending: number, 
/**
 * Recovered revenue per currency (messages that arrived), net of the discount the arm's
 * own recovered carts' coupons gave.
 */
revenue: Array<Amount>, };

/**
 * Arm A's rate minus arm B's, with Newcombe's hybrid score 95 % interval.
 */
export type ArmDifference = { difference: number | null, low: number | null, high: number | null, confidence: number, method: string, 
/**
 * The interval leaves 0 out: more than chance.
 */
significant: boolean | null, };

/**
 * A store as the owner describes it in Settings or on the command line. Credentials are
 * optional: missing ones come from the secret store.
 */
export type StoreInput = { platform: string, baseUrl: string, storeId?: string | null, country?: string | null, name?: string | null, token?: string | null, key?: string | null, secret?: string | null, apiVersion?: string | null, queryStringAuth?: boolean, pageSize?: number | null, };

/**
 * What one check of a store found.
 */
export type StoreCheckReport = { carts: Array<CheckedCart>, skipped: Array<SkippedCheckout>, 
/**
 * Where the carts' marketing consent comes from.
 */
consent: ConsentSource, };

/**
 * Where a store's marketing consent (what `consent_only` checks) comes from.
 */
export type ConsentSource = "whatsapp" | "sms_stand_in" | "not_recorded";

/**
 * One cart as `store check` and "Test connection" show it.
 */
export type CheckedCart = { checkoutId: string, completed: boolean, phone: string | null, phoneProblem: string | null, firstName: string | null, language: string | null, marketingConsent: boolean | null, currency: string, 
/**
 * Decimal text, never a float.
 */
total: string, items: Array<CheckedItem>, recoveryLink: string, createdAt: string, updatedAt: string, completedAt: string | null, };

export type CheckedItem = { name: string, variant: string | null, quantity: number, unitPrice: string, imageUrl: string | null, };

/**
 * A checkout the connector could not turn into a cart, with why.
 */
export type SkippedCheckout = { checkoutId: string | null, reason: string, };

export type StoreRow = { id: number, platform: string, name: string, baseUrl: string, externalId: string | null, country: string, state: string, lastPollAt: string | null, lastSuccessAt: string | null, lastError: string | null, 
/**
 * `last_error` as the window words it (set by the engine, which knows the store's errors).
 */
lastProblem?: UiError | null, createdAt: string, 
/**
 * When the first sync ended (`None`: still catching up).
 */
firstSyncDoneAt?: string | null, 
/**
 * While the first sync runs: its progress.
 */
firstSync?: FirstSync | null, };

/**
 * A store still in its first sync: checkouts read so far and, of the carts stored, how many
 * have a phone (both from the database). No total: the stores' totals are not read.
 */
export type FirstSync = { storeId: number, storeName: string, checkoutsRead: number, cartsWithPhone: number, };

/**
 * Whether a secret is present, never its value.
 */
export type SecretState = { name: string, set: boolean, envVar: string, 
/**
 * Where the value comes from when set: `env` (the variable, read-only) or `keychain`.
 */
source: string | null, };

/**
 * What "Check connection" shows: every template of the account, and whether the recovery
 * template can be sent in at least one language.
 */
export type WhatsAppCheck = { templates: Array<TemplateRow>, templateName: string, approved: boolean, };

/**
 * A cached template: what Meta reported ([`TemplateState`], written once in `domain`), when it
 * was checked, and a local block after WhatsApp refused a send with it. Reads of the template's
 * own fields go through to the state (`row.name`, `row.status`).
 */
export type TemplateRow = { checkedAt: string, blockCode: string | null, blockDetail: string | null, name: string, language: string, status: string, category: string | null, id: string | null, 
/**
 * How many body parameters it takes (`None`: not reported).
 */
bodyParams: number | null, 
/**
 * TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION when it has a header.
 */
headerFormat: string | null, 
/**
 * The URL button's address as approved, e.g. `https://shop.example/{{1}}`.
 */
buttonUrl: string | null, 
/**
 * The texts as approved on the account (placeholders `{{1}}` unfilled): what the customer
 * reads, which may be the owner's own wording rather than the one Recupero submits.
 */
bodyText: string | null, footerText: string | null, 
/**
 * The URL button's label.
 */
buttonText: string | null, 
/**
 * The first quick-reply button's label (the marketing opt-out, "Stop promotions").
 */
quickReplyText: string | null, };

/**
 * The webhook address the owner's tunnel forwards to, and what Meta's settings ask for.
 */
export type WebhookInfo = { url: string, verifyToken: string, lastWebhookAt: string | null, pending: number, };

/**
 * What a registration did, for the window and `recupero whatsapp register-webhook`.
 */
export type WebhookRegistration = { ok: boolean, 
/**
 * The address given to Meta: the public address plus the receiver's secret path.
 */
callbackUrl: string, failure: RegistrationFailure | null, 
/**
 * In plain words: what happened and what to do.
 */
message: string, 
/**
 * Meta's own words, when it refused.
 */
detail: string | null, 
/**
 * The refusal as the window words it, in the owner's language (`None` when registered).
 */
error: UiError | null, 
/**
 * The phone number's override as Meta reads it back.
 */
registeredOverride: string | null, 
/**
 * The apps subscribed to the business account, as Meta reads them back.
 */
subscribedApps: Array<string>, };

/**
 * Why Meta refused the address.
 */
export type RegistrationFailure = "nothing_answered" | "wrong_token" | "not_https" | "other";

/**
 * The link as the window, the tray and `status --json` show it.
 */
export type CoexistenceHealth = { state: CoexistenceState, 
/**
 * Why it is disconnected: Meta's reason (`PRIMARY_INACTIVITY`…), a send error code
 * (`133010`…) or `not_on_business_app`.
 */
reason: string | null, checkedAt: string | null, 
/**
 * The last check's failure, when it got no answer.
 */
checkError: string | null, platformType: string | null, 
/**
 * The last sign of life from the phone app: the owner's last message from it, else when the
 * link was first seen.
 */
lastPhoneAt: string | null, daysWithoutPhone: number | null, 
/**
 * No sign of life for 12 days: "open WhatsApp Business on the phone before day 14".
 */
phoneReminder: boolean, history: HistoryState, 
/**
 * Why the history request failed (2593109, 2593108, 2593107, `network`…).
 */
historyCode: string | null, historyDetail: string | null, historyProgress: number | null, historyPhase: number | null, historyRequestedAt: string | null, historyRequestId: string | null, 
/**
 * Why the contact (address book) sync request failed.
 */
contactsCode: string | null, };

export type CoexistenceState = "ok" | "disconnected" | "not_linked" | "unknown";

/**
 * How the history import stands, for the window.
 */
export type HistoryState = "not_requested" | "requested" | "importing" | "done" | "failed";

/**
 * The Settings section's view: where the copies are, the latest, every copy newest first, and
 * whether a restore waits for the next start.
 */
export type BackupsOverview = { folder: string, lastBackupAt: string | null, backups: Array<BackupInfo>, restorePending: boolean, };

/**
 * One copy in `backups/`.
 */
export type BackupInfo = { 
/**
 * The file name inside the backups folder (what "Restore…" takes).
 */
name: string, kind: BackupKind, sizeBytes: number, 
/**
 * When the copy was written (the file's modification time), RFC 3339.
 */
takenAt: string | null, };

/**
 * What a copy in `backups/` is, from its name.
 */
export type BackupKind = "daily" | "manual" | "before_migration" | "before_restore" | "other";

/**
 * What Settings and `recupero deliveries list` show of the quarantined deliveries.
 */
export type QuarantinedDeliveries = { count: number, 
/**
 * When the oldest quarantined delivery arrived.
 */
oldestReceivedAt: string | null, 
/**
 * The error of the most recently quarantined one.
 */
lastError: string | null, 
/**
 * The most recently quarantined (at most 50).
 */
recent: Array<QuarantinedRow>, };

/**
 * One quarantined delivery as the owner sees it: never its body (it may hold a customer's
 * words), only when it came, how often it was tried and why it failed.
 */
export type QuarantinedRow = { id: number, receivedAt: string, quarantinedAt: string, attempts: number, lastError: string, };

/**
 * What the last update check (or install) found, for Settings → Updates.
 */
export type UpdateStatus = { state: UpdateState, 
/**
 * This build's version.
 */
currentVersion: string, 
/**
 * The newer version announced (`available`).
 */
version: string | null, 
/**
 * Its release notes, as the manifest gives them.
 */
notes: string | null, 
/**
 * Its publication date (RFC 3339), when the manifest gives one.
 */
published: string | null, 
/**
 * When the check ran (RFC 3339, the engine's clock).
 */
checkedAt: string | null, 
/**
 * Why it failed (`failed`).
 */
problem: UpdateProblem | null, 
/**
 * The technical detail behind `problem` (for the owner's helper; no secret in it).
 */
detail: string | null, };

/**
 * Where an update check or install stands.
 */
export type UpdateState = "no_key" | "no_address" | "not_checked" | "up_to_date" | "available" | "failed" | "installed";

/**
 * What went wrong, in words an owner can act on (the UI words each one).
 */
export type UpdateProblem = "unreachable" | "bad_manifest" | "no_build_here" | "bad_signature" | "not_installable" | "install_failed" | "nothing_to_install";

/**
 * An error as the window shows it: `t('errors.<code>', params)`, and `detail` on click.
 */
export type UiError = { code: UiErrorCode, 
/**
 * Values for the sentence's `{placeholders}` (`retry_after`, `status`, `meta_code`, `url`…).
 */
params: { [key in string]: string }, 
/**
 * The technical text in English (as logged); never a credential.
 */
detail: string, };

/**
 * What went wrong, as the window words it. Serialized in snake_case (`store_rate_limited`).
 */
export type UiErrorCode = "store_unreachable" | "store_rate_limited" | "store_server_error" | "store_unauthorized" | "store_not_found" | "store_rejected" | "store_bad_response" | "store_invalid" | "whatsapp_not_connected" | "whatsapp_token_invalid" | "whatsapp_permission_missing" | "whatsapp_number_disconnected" | "whatsapp_account_blocked" | "whatsapp_payment_problem" | "whatsapp_rate_limited" | "whatsapp_unreachable" | "whatsapp_unavailable" | "whatsapp_bad_response" | "whatsapp_no_answer" | "whatsapp_window_closed" | "whatsapp_opted_out" | "whatsapp_marketing_cap" | "whatsapp_undeliverable" | "whatsapp_template_unusable" | "whatsapp_template_not_approved" | "whatsapp_refused" | "whatsapp_config" | "webhook_nothing_answered" | "webhook_wrong_token" | "webhook_not_https" | "webhook_refused" | "webhook_subscribe_failed" | "webhook_read_back_mismatch" | "invalid_setting" | "unknown_setting" | "invalid" | "storage" | "no_keychain" | "secret" | "no_conversation" | "no_cart" | "not_ready" | "internal" | "no_backend" | "unknown";

/**
 * What the failure window shows (the `startup_failure` command's answer).
 */
export type StartupFailure = { kind: FailureKind, 
/**
 * The file concerned (the database), when there is one.
 */
path: string | null, 
/**
 * The data folder (database, logs and backups).
 */
dataDir: string, 
/**
 * Where the backups are kept: `<data dir>/backups`.
 */
backupsDir: string, 
/**
 * The error in its own words (English, for whoever helps the owner).
 */
detail: string, 
/**
 * The language to say it in (`es`, `pt`, `en`): the operating system's.
 */
lang: string, };

/**
 * What kind of failure, as far as the owner's next step goes.
 */
export type FailureKind = "corrupt" | "newer_version" | "keychain" | "other";
