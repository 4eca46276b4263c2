// A tiny in-memory stand-in for the Rust commands, for component tests.

import type {
  ApiError,
  AppStatus,
  Cart,
  CartTimeline,
  Conversation,
  ConversationDetail,
  Draft,
  Message,
  MessagePreview,
  Metrics,
  RateRow,
  RateTable,
  SecretState,
  Setting,
  SettingKind,
  StoreCheckReport,
  StoreInput,
  StoreRow,
  TemplateRow,
  WebhookInfo,
  WhatsAppCheck,
} from '../src/lib/types';
import type { UiErrorCode } from '../src/lib/generated';

/** A template row as whatsapp_check lists it, approved Spanish recovery template by default. */
export function makeTemplate(overrides: Partial<TemplateRow> = {}): TemplateRow {
  return {
    name: 'recupero_carrito',
    language: 'es',
    status: 'APPROVED',
    category: 'MARKETING',
    id: '1234567890',
    bodyParams: 1,
    headerFormat: null,
    buttonUrl: 'https://tienda.example/checkout/{{1}}',
    bodyText: null,
    footerText: null,
    buttonText: null,
    quickReplyText: null,
    checkedAt: '2026-11-21T12:00:00Z',
    blockCode: null,
    blockDetail: null,
    ...overrides,
  };
}

/** A cart as list_carts sends it, with plain defaults for what a test does not care about. */
export function makeCart(overrides: Partial<Cart> = {}): Cart {
  return {
    id: 1,
    externalId: 'A-1001',
    store: 'Tienda Sol',
    firstName: 'Ana',
    phone: '+5491155550000',
    phoneProblem: null,
    total: '12500.00',
    currency: 'ARS',
    status: 'detected',
    holdout: false,
    recoveryUrl: 'https://tiendasol.example/checkout/recover/A-1001',
    detectedAt: '2026-11-21T12:00:00.000Z',
    completedAt: null,
    outcome: null,
    outcomeAt: null,
    ...overrides,
  };
}

/**
 * Three carts and their timelines as the engine tells them: Ana bought before her first message
 * went out, Bruno is in the control group, Carla came back after a reminder.
 */
export function sampleTimelines(): CartTimeline[] {
  const ana = makeCart({
    id: 1,
    status: 'not_sent',
    completedAt: '2026-11-21T12:40:12.000Z',
    outcome: 'bought_before_message',
    outcomeAt: '2026-11-21T12:40:12.000Z',
  });
  const bruno = makeCart({
    id: 2,
    externalId: 'A-1002',
    firstName: 'Bruno',
    phone: '+5491155551111',
    total: '8300.00',
    status: 'holdout',
    holdout: true,
    recoveryUrl: 'https://tiendasol.example/checkout/recover/A-1002',
    detectedAt: '2026-11-21T13:05:00.000Z',
  });
  const carla = makeCart({
    id: 3,
    externalId: 'A-1003',
    firstName: 'Carla',
    phone: '+5491155552222',
    total: '45990.50',
    status: 'recovered',
    recoveryUrl: 'https://tiendasol.example/checkout/recover/A-1003',
    detectedAt: '2026-11-20T23:10:00.000Z',
    completedAt: '2026-11-22T15:02:44.000Z',
    outcome: 'recovered',
    outcomeAt: '2026-11-22T15:02:44.000Z',
  });
  return [
    {
      cart: ana,
      entries: [
        { at: '2026-11-21T12:00:00.000Z', kind: 'detected', step: null, reason: null, detail: null },
        {
          at: '2026-11-21T12:00:00.120Z',
          kind: 'planned',
          step: 0,
          reason: null,
          detail: 'due 2026-11-21T13:00:00Z, deadline 2026-11-21T13:30:00Z',
        },
        {
          at: '2026-11-21T12:40:15.000Z',
          kind: 'completed',
          step: null,
          reason: null,
          detail: 'order 5512 seen in the store',
        },
        {
          at: '2026-11-21T13:00:00.300Z',
          kind: 'skipped',
          step: 0,
          reason: 'purchased',
          detail: 'checkout completed at 2026-11-21T12:40:12Z, before the send',
        },
      ],
      whyNotSent: 'purchased',
      sends: [],
      actions: [],
    },
    {
      cart: bruno,
      entries: [
        { at: '2026-11-21T13:05:00.000Z', kind: 'detected', step: null, reason: null, detail: null },
        {
          at: '2026-11-21T13:05:00.050Z',
          kind: 'skipped',
          step: 0,
          reason: 'holdout',
          detail: 'holdout_percent=10, bucket 7',
        },
      ],
      whyNotSent: 'holdout',
      sends: [],
      actions: [],
    },
    {
      cart: carla,
      entries: [
        { at: '2026-11-20T23:10:00.000Z', kind: 'detected', step: null, reason: null, detail: null },
        {
          at: '2026-11-20T23:10:00.200Z',
          kind: 'held',
          step: 0,
          reason: 'closed',
          detail: 'outside business hours; opens 2026-11-21T12:00:00Z',
        },
        {
          at: '2026-11-21T12:04:00.000Z',
          kind: 'sending',
          step: 0,
          reason: null,
          detail: 'template cart_reminder_es',
        },
        {
          at: '2026-11-21T12:04:01.400Z',
          kind: 'sent',
          step: 0,
          reason: null,
          detail: 'wamid.HBgNNTQ5MTE1NTU1MjIyMhUCABEYEjQ2',
        },
        {
          at: '2026-11-22T12:04:00.000Z',
          kind: 'sent',
          step: 1,
          reason: null,
          detail: 'wamid.HBgNNTQ5MTE1NTU1MjIyMhUCABEYEjc4',
        },
        {
          at: '2026-11-22T15:03:00.000Z',
          kind: 'recovered',
          step: null,
          reason: null,
          detail: 'order 5530, 2h59m after follow-up 1',
        },
      ],
      whyNotSent: null,
      sends: [],
      actions: [],
    },
  ];
}

export function makeConversation(overrides: Partial<Conversation> = {}): Conversation {
  return {
    id: 1,
    contactId: 1,
    contactName: 'Ana',
    phone: '+5491155550000',
    username: null,
    userId: null,
    language: null,
    lastMessage: '¿Hacen envíos a Córdoba?',
    lastAt: '2026-11-21T14:00:00.000Z',
    lastInboundAt: '2026-11-21T14:00:00.000Z',
    unread: 0,
    escalated: false,
    escalationReason: null,
    automationPaused: false,
    optedOut: false,
    pendingDrafts: 0,
    ...overrides,
  };
}

export function makeMessage(overrides: Partial<Message> = {}): Message {
  return {
    id: 1,
    conversationId: 1,
    direction: 'in',
    origin: 'customer',
    wamid: null,
    kind: 'text',
    body: 'Hola',
    status: 'received',
    errorCode: null,
    errorDetail: null,
    createdAt: '2026-11-21T14:00:00.000Z',
    ...overrides,
  };
}

export function makeDraft(overrides: Partial<Draft> = {}): Draft {
  return {
    id: 50,
    conversationId: 1,
    text: 'Sí, enviamos a Córdoba en 3 a 5 días hábiles. El envío cuesta $4.500.',
    source: 'facts',
    factsVersion: 3,
    replyToMessageId: 1,
    state: 'pending',
    detail: null,
    createdAt: '2026-11-21T14:00:05.000Z',
    ...overrides,
  };
}

/** A conversation's detail: the window open for 5 h, the cart of makeCart, nothing pending. */
export function makeDetail(overrides: Partial<ConversationDetail> = {}): ConversationDetail {
  const conversation = overrides.conversation ?? makeConversation();
  return {
    conversation,
    messages: [makeMessage({ conversationId: conversation.id })],
    windowClosesAt: new Date(Date.now() + 5 * 3_600_000).toISOString(),
    cart: makeCart(),
    drafts: [],
    templateLanguages: ['es', 'pt_BR'],
    ...overrides,
  };
}

/** Results of a period in which nothing was detected (a fresh install). */
export function emptyMetrics(): Metrics {
  return {
    from: '2026-10-22T00:00:00Z',
    to: '2026-11-21T00:00:00Z',
    timezone: 'America/Argentina/Buenos_Aires',
    carts: { detected: 0, withPhone: 0, messaged: 0, unreached: 0, holdout: 0, notSent: 0, pending: 0 },
    recovery: { count: 0, denominator: 0, rate: null },
    holdoutRecovery: { count: 0, denominator: 0, rate: null },
    lift: {
      difference: null,
      low: null,
      high: null,
      confidence: 0.95,
      method: 'newcombe_wilson',
      significant: null,
    },
    revenue: [],
    replies: { count: 0, denominator: 0, rate: null },
    medianFirstReplySeconds: null,
    messages: { sent: 0, delivered: 0, read: 0, failed: 0 },
    cost: { rows: [], byCategory: [], total: [], perRecovered: [], roi: [], ratesAsOf: '2026-10-01' },
    daily: [],
    weekly: [],
    experiments: [],
  };
}

/** A month with 12 of 80 messaged carts recovered, sales in two currencies, a significant lift. */
export function sampleMetrics(): Metrics {
  return {
    ...emptyMetrics(),
    carts: { detected: 120, withPhone: 95, messaged: 80, unreached: 3, holdout: 9, notSent: 6, pending: 0 },
    recovery: { count: 12, denominator: 80, rate: 0.15 },
    holdoutRecovery: { count: 0, denominator: 9, rate: 0 },
    lift: {
      difference: 0.15,
      low: 0.042,
      high: 0.236,
      confidence: 0.95,
      method: 'newcombe_wilson',
      significant: true,
    },
    revenue: [
      { currency: 'ARS', amount: '845000.00' },
      { currency: 'BRL', amount: '1290.50' },
    ],
    replies: { count: 30, denominator: 80, rate: 0.375 },
    medianFirstReplySeconds: 3 * 3600 + 25 * 60,
    messages: { sent: 86, delivered: 83, read: 70, failed: 3 },
    cost: {
      rows: [
        { country: 'AR', category: 'marketing', messages: 70, currency: 'USD', amount: '4.33' },
        { country: 'BR', category: 'marketing', messages: 10, currency: 'USD', amount: '0.63' },
      ],
      byCategory: [{ category: 'marketing', messages: 80, total: [{ currency: 'USD', amount: '4.96' }] }],
      total: [{ currency: 'USD', amount: '4.96' }],
      perRecovered: [{ currency: 'USD', amount: '0.41' }],
      roi: [{ currency: 'USD', revenue: '0.00', cost: '4.96', roi: null, usdRate: null }],
      ratesAsOf: '2026-10-01',
    },
    daily: [
      { start: '2026-11-19', detected: 5, messaged: 4, holdout: 1, recovered: 1, recoveredHoldout: 0, replied: 2, revenue: [] },
      { start: '2026-11-20', detected: 7, messaged: 6, holdout: 0, recovered: 2, recoveredHoldout: 0, replied: 1, revenue: [] },
    ],
    weekly: [
      { start: '2026-11-16', detected: 12, messaged: 10, holdout: 1, recovered: 3, recoveredHoldout: 0, replied: 3, revenue: [] },
    ],
  };
}

export function sampleRateTable(): RateTable {
  return {
    asOf: '2026-10-01',
    source: 'Meta pricing page',
    edited: false,
    rates: [
      { country: 'AR', category: 'marketing', currency: 'USD', price: '0.0618' },
      { country: '*', category: 'marketing', currency: 'USD', price: '0.0500' },
    ],
    notes: [],
  };
}

export interface FakeBackend {
  status: AppStatus;
  settings: Setting[];
  carts: Cart[];
  /** What cart_timeline answers, by cart id; a listed cart without one gets a bare timeline. */
  timelines: Map<number, CartTimeline>;
  /** When set, what cart_timeline rejects with. */
  timelineFailure: ApiError | null;
  stores: StoreRow[];
  /** What store_test answers; `storeFailure`, when set, is what store_test/store_connect reject with. */
  storeReport: StoreCheckReport;
  storeFailure: ApiError | null;
  /** When set, store_test/store_connect wait for it, so a test can look at the UI mid-request. */
  storeGate: Promise<void> | null;
  /** What take_route answers once (a clicked notification), then null. */
  route: unknown;
  /** What list_conversations filters (by search) and caps (by limit). */
  conversations: Conversation[];
  /** What conversation_detail answers, by conversation id; others get makeDetail of their row. */
  details: Map<number, ConversationDetail>;
  metrics: Metrics;
  csv: string;
  rateTable: RateTable;
  /** Which secrets are saved (secret_set writes here; values are kept to check what was sent). */
  secretValues: Map<string, string>;
  /** Secrets the environment provides (`source: 'env'`). */
  envSecrets: Set<string>;
  /** What whatsapp_check answers. */
  whatsapp: WhatsAppCheck;
  /** What message_preview answers for a language (null: the app's). */
  preview: (language: string | null) => MessagePreview;
  /** What preview_picture answers: the picture header as a `data:` address (null: none). */
  picture: string | null;
  webhook: WebhookInfo;
  /** False: start_demo answers `not_ready` (an engine without the demo); true: the demo runs. */
  demoAvailable: boolean;
  /** When a command's name is here, that command rejects with the error. */
  failures: Map<string, ApiError>;
  /** The time send_reply checks the 24-hour window against. */
  now: () => number;
  calls: { cmd: string; args: Record<string, unknown> | undefined }[];
  /** A command as the engine answers it; a rejection carries its worded error like the real one. */
  invoke: (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;
}

/** What `EngineError::ui` makes of the engine's own codes (a failure set with its own `error`
 * keeps it: the store's and WhatsApp's errors are worded by their kind, not by this code). */
const WORDED: Record<string, UiErrorCode> = {
  window_closed: 'whatsapp_window_closed',
  no_whatsapp: 'whatsapp_not_connected',
  template_not_approved: 'whatsapp_template_not_approved',
  store_auth: 'store_unauthorized',
  store_unreachable: 'store_unreachable',
  store_protocol: 'store_bad_response',
  store_invalid: 'store_invalid',
  whatsapp: 'whatsapp_refused',
  invalid: 'invalid',
  invalid_setting: 'invalid_setting',
  unknown_setting: 'unknown_setting',
  storage: 'storage',
  no_keychain: 'no_keychain',
  secret: 'secret',
  no_conversation: 'no_conversation',
  no_cart: 'no_cart',
  not_ready: 'not_ready',
  internal: 'internal',
};

/** `err` as a command rejects with it: `{ code, message, error }`. */
export function worded(err: ApiError): ApiError {
  if (err.error) return err;
  return { ...err, error: { code: WORDED[err.code] ?? 'unknown', params: {}, detail: err.message } };
}

/** A sample recovery message as the engine renders it: approved Spanish unless told otherwise. */
export function makePreview(language = 'es', p: Partial<MessagePreview> = {}): MessagePreview {
  const texts: Record<string, [string, string, string, string]> = {
    es: ['¡Hola Ana! Guardamos tu carrito en Tienda Luna: Remera Luna 🌙 (M) x2. Total: $ 31.980,00.', 'Responde BAJA para no recibir más mensajes', 'Ver mi carrito', 'Detener promociones'],
    pt_BR: ['Olá Ana! Guardamos o seu carrinho na Tienda Luna: Camiseta Lua 🌙 (M) x2. Total: R$ 179,80.', 'Responda PARAR para não receber mais mensagens', 'Ver meu carrinho', 'Parar promoções'],
    en: ['Hi Ann! We saved your cart at Tienda Luna: Moon T-shirt 🌙 (M) x2. Total: US$ 59.80.', 'Reply STOP to stop receiving messages', 'View my cart', 'Stop promotions'],
  };
  const [body, footer, buttonText, quickReplyText] = texts[language] ?? texts.es;
  return {
    language,
    templateName: 'recupero_carrito',
    status: 'APPROVED',
    body,
    footer,
    buttonText,
    quickReplyText,
    buttonUrl: 'https://tiendaluna.example/checkout/recover/preview',
    imageHeader: false,
    imageUrl: null,
    problems: [],
    ...p,
  };
}

export function fakeBackend(): FakeBackend {
  const s = (key: string, value: string, kind: SettingKind, description = `server help for ${key}`): Setting => ({
    key,
    value,
    default: value,
    description,
    kind,
  });
  const fb: FakeBackend = {
    status: {
      version: '0.1.0',
      paused: false,
      demo: false,
      dataDir: '/tmp/recupero',
      database: '/tmp/recupero/recupero.db',
      secretStore: 'keychain',
      counts: { carts: 0, pendingSends: 0, conversations: 0, unread: 2, escalated: 1 },
      lastPollAt: null,
      webhook_url: 'http://127.0.0.1:8790/webhook/s3cr3tp4thAbCdEfGhIjKlMnOp',
      lastWebhookAt: null,
      webhooksPending: 0,
      webhookSignatures: 'required',
      lastWebhookSigned: null,
      webhookRegisteredUrl: null,
      webhookSilent: false,
      coexistence: {
        state: 'unknown',
        reason: null,
        checkedAt: null,
        checkError: null,
        platformType: null,
        lastPhoneAt: null,
        daysWithoutPhone: null,
        phoneReminder: false,
        history: 'not_requested',
        historyCode: null,
        historyDetail: null,
        historyProgress: null,
        historyPhase: null,
        historyRequestedAt: null,
        historyRequestId: null,
        contactsCode: null,
      },
      firstSyncs: [],
      tunnel: {
        mode: 'off',
        state: 'off',
        address: null,
        reason: null,
        since: null,
        restarts: 0,
        registration: null,
        registrationDetail: null,
      },
    },
    settings: [
      s('timezone', 'America/Argentina/Buenos_Aires', 'timezone'),
      s('business_hours', 'mon-sat 09:00-20:00', 'hours'),
      s('abandonment_delay_minutes', '60', 'minutes'),
      s('holdout_percent', '10', 'percent'),
      s('consent_only', 'true', 'bool'),
      s('ui_language', 'auto', 'language'),
      s('autostart', 'false', 'bool'),
      s('brand_new_knob', 'x', 'text', 'A knob the UI has never heard of'),
    ],
    carts: [],
    timelines: new Map(),
    timelineFailure: null,
    stores: [],
    storeReport: { carts: [], skipped: [], consent: 'sms_stand_in' },
    storeFailure: null,
    storeGate: null,
    route: null,
    conversations: [],
    details: new Map(),
    metrics: emptyMetrics(),
    csv: 'day,detected,messaged\n2026-11-20,7,6\n',
    rateTable: sampleRateTable(),
    secretValues: new Map(),
    envSecrets: new Set(),
    whatsapp: { templates: [], templateName: 'recupero_carrito', approved: false },
    preview: (language) => makePreview(language ?? 'es'),
    picture: null,
    webhook: {
      url: 'http://127.0.0.1:8790/webhook/s3cr3tp4thAbCdEfGhIjKlMnOp',
      verifyToken: 'vt-9f8e7d6c5b4a',
      lastWebhookAt: null,
      pending: 0,
    },
    demoAvailable: false,
    failures: new Map(),
    now: () => Date.now(),
    calls: [],
    async invoke(cmd, args) {
      fb.calls.push({ cmd, args });
      const failure = fb.failures.get(cmd);
      if (failure) throw worded({ ...failure });
      const detailOf = (id: unknown): ConversationDetail => {
        const known = typeof id === 'number' ? fb.details.get(id) : undefined;
        if (known) return known;
        const row = fb.conversations.find((c) => c.id === id);
        if (!row) throw worded({ code: 'no_conversation', message: `no conversation ${String(id)}` });
        const detail = makeDetail({ conversation: row });
        fb.details.set(row.id, detail);
        return detail;
      };
      const nextMessage = (detail: ConversationDetail, m: Partial<Message>): Message => {
        const message = makeMessage({
          id: 1000 + detail.messages.length,
          conversationId: detail.conversation.id,
          direction: 'out',
          origin: 'app',
          status: 'sending',
          createdAt: new Date().toISOString(),
          ...m,
        });
        detail.messages.push(message);
        return message;
      };
      const draftById = (id: unknown) => {
        for (const detail of fb.details.values()) {
          const draft = detail.drafts.find((d) => d.id === id);
          if (draft) return { detail, draft };
        }
        throw worded({ code: 'not_found', message: `no draft ${String(id)}` });
      };
      switch (cmd) {
        case 'app_status':
          return structuredClone(fb.status);
        case 'set_paused':
          fb.status.paused = Boolean(args?.paused);
          return structuredClone(fb.status);
        case 'settings_show':
          return structuredClone(fb.settings);
        case 'settings_set': {
          const key = String(args?.key);
          const value = String(args?.value);
          const setting = fb.settings.find((x) => x.key === key);
          if (!setting) throw worded({ code: 'invalid_setting', message: `unknown setting ${key}` });
          if (key === 'holdout_percent' && !(Number(value) >= 0 && Number(value) <= 50)) {
            throw worded({ code: 'invalid_setting', message: 'holdout_percent must be between 0 and 50' });
          }
          setting.value = value;
          return structuredClone(fb.settings);
        }
        case 'list_carts': {
          // One page (500 unless asked) and the filter's total, as the engine pages.
          const status = args?.status as string | null;
          const matching = fb.carts.filter((c) => status === null || c.status === status);
          const offset = (args?.offset as number | undefined) ?? 0;
          const limit = (args?.limit as number | undefined) ?? 500;
          return { rows: matching.slice(offset, offset + limit), total: matching.length };
        }
        case 'cart_timeline': {
          if (fb.timelineFailure) throw worded({ ...fb.timelineFailure });
          const id = args?.cartId;
          const known = typeof id === 'number' ? fb.timelines.get(id) : undefined;
          if (known) return structuredClone(known);
          const cart = fb.carts.find((c) => c.id === id);
          if (!cart) throw worded({ code: 'not_found', message: `no cart ${String(id)}` });
          return {
            cart: structuredClone(cart),
            entries: [
              { at: cart.detectedAt, kind: 'detected', step: null, reason: null, detail: null },
            ],
            whyNotSent: null,
            sends: [],
            actions: [],
          } satisfies CartTimeline;
        }
        case 'list_conversations': {
          const search = (args?.search as string | null)?.toLowerCase() ?? null;
          const limit = (args?.limit as number | null) ?? 200;
          return structuredClone(
            fb.conversations
              .filter(
                (c) =>
                  search === null ||
                  [c.contactName ?? '', c.phone ?? '', c.username ?? '', c.lastMessage ?? ''].some((x) =>
                    x.toLowerCase().includes(search),
                  ),
              )
              .slice(0, limit),
          );
        }
        case 'conversation_detail':
          return structuredClone(detailOf(args?.conversationId));
        case 'mark_read': {
          const detail = detailOf(args?.conversationId);
          detail.conversation.unread = 0;
          const row = fb.conversations.find((c) => c.id === args?.conversationId);
          if (row) row.unread = 0;
          return null;
        }
        case 'send_reply': {
          const detail = detailOf(args?.conversationId);
          const closes = detail.windowClosesAt ? Date.parse(detail.windowClosesAt) : 0;
          if (closes <= fb.now()) {
            throw worded({ code: 'window_closed', message: 'the 24-hour window is closed' });
          }
          return structuredClone(nextMessage(detail, { body: String(args?.text) }));
        }
        case 'reply_cost':
          detailOf(args?.conversationId);
          return {
            country: 'AR',
            countryFrom: 'phone',
            category: 'service',
            charged: true,
            price: { currency: 'USD', amount: '0.026' },
            estimate: false,
            converted: null,
            usdRate: null,
            freeFromPhone: true,
            ratesAsOf: '2026-10-01',
            cap: {
              month: '2026-11',
              capUsd: null,
              spentUsd: '0',
              unconverted: [],
              reached: false,
              resumesAt: '2026-12-01T03:00:00.000Z',
            },
          };
        case 'send_template': {
          const detail = detailOf(args?.conversationId);
          if (detail.templateLanguages.length === 0) {
            throw worded({ code: 'template_not_approved', message: 'no approved recovery template' });
          }
          return structuredClone(nextMessage(detail, { kind: 'template', body: 'Recordatorio' }));
        }
        case 'set_takeover': {
          const detail = detailOf(args?.conversationId);
          detail.conversation.automationPaused = Boolean(args?.taken);
          const row = fb.conversations.find((c) => c.id === args?.conversationId);
          if (row) row.automationPaused = Boolean(args?.taken);
          return structuredClone(detail);
        }
        case 'approve_draft': {
          const { detail, draft } = draftById(args?.draftId);
          detail.drafts = detail.drafts.filter((d) => d.id !== draft.id);
          const text = (args?.text as string | null) ?? draft.text;
          return structuredClone(nextMessage(detail, { origin: 'assistant', body: text }));
        }
        case 'discard_draft': {
          const { detail, draft } = draftById(args?.draftId);
          detail.drafts = detail.drafts.filter((d) => d.id !== draft.id);
          return null;
        }
        case 'results':
          return structuredClone(fb.metrics);
        case 'results_csv':
          return fb.csv;
        case 'rate_table':
          return structuredClone(fb.rateTable);
        case 'rate_table_set': {
          const rates = args?.rates as RateRow[];
          for (const r of rates) {
            if (!/^\d+(\.\d+)?$/.test(r.price)) {
              throw worded({
                code: 'invalid',
                message: `price "${r.price}" for ${r.country}/${r.category} is not a decimal number`,
              });
            }
          }
          fb.rateTable = { ...fb.rateTable, rates: structuredClone(rates), edited: true };
          return structuredClone(fb.rateTable);
        }
        case 'list_stores':
          return structuredClone(fb.stores);
        case 'store_test':
          await fb.storeGate;
          if (fb.storeFailure) throw worded({ ...fb.storeFailure });
          return structuredClone(fb.storeReport);
        case 'store_connect': {
          await fb.storeGate;
          if (fb.storeFailure) throw worded({ ...fb.storeFailure });
          const input = args?.input as StoreInput;
          const row: StoreRow = {
            id: fb.stores.length + 1,
            platform: input.platform,
            name: input.name ?? new URL(input.baseUrl).hostname,
            baseUrl: input.baseUrl,
            externalId: input.storeId ?? null,
            country: input.country ?? '',
            state: 'new',
            lastPollAt: null,
            lastSuccessAt: null,
            lastError: null,
            createdAt: '2025-05-01T15:00:00Z',
          };
          fb.stores.push(row);
          return structuredClone(row);
        }
        case 'secret_states':
          return secretStates();
        case 'secret_set': {
          const name = String(args?.name);
          const value = String(args?.value ?? '');
          if (!['whatsapp_token', 'whatsapp_app_secret', 'assistant_api_key'].includes(name)) {
            throw worded({ code: 'invalid', message: `unknown secret ${name}` });
          }
          if (value.trim() === '') throw worded({ code: 'invalid', message: 'the value is empty' });
          fb.secretValues.set(name, value);
          return secretStates();
        }
        case 'whatsapp_check':
          return structuredClone(fb.whatsapp);
        case 'whatsapp_create_template': {
          const buttonUrl = String(args?.buttonUrl ?? '');
          if (!/^https?:\/\/[^/]+/.test(buttonUrl)) {
            throw worded({ code: 'invalid', message: `not a URL: ${buttonUrl}` });
          }
          const rows = ['es', 'pt_BR', 'en'].map((language) =>
            makeTemplate({
              name: fb.whatsapp.templateName,
              language,
              status: 'PENDING',
              buttonUrl: `${buttonUrl}{{1}}`,
            }),
          );
          fb.whatsapp.templates = [
            ...fb.whatsapp.templates.filter((t) => t.name !== fb.whatsapp.templateName),
            ...rows,
          ];
          return structuredClone(rows);
        }
        case 'message_preview':
          return structuredClone(fb.preview((args?.language as string | null | undefined) ?? null));
        case 'preview_picture':
          return fb.picture;
        case 'webhook_info':
          return structuredClone(fb.webhook);
        case 'whatsapp_test_message': {
          const phone = String(args?.phone ?? '');
          if (!/^\+?[0-9 ()-]{8,}$/.test(phone)) {
            throw worded({ code: 'invalid', message: 'the phone number: this is not a valid phone number' });
          }
          if (!fb.whatsapp.templates.some((t) => t.name === fb.whatsapp.templateName && t.status === 'APPROVED')) {
            throw worded({ code: 'template_not_approved', message: 'not approved' });
          }
          return 'wamid.TEST1';
        }
        case 'start_demo':
          if (!fb.demoAvailable) {
            throw worded({ code: 'not_ready', message: 'the demo engine lands in a later issue' });
          }
          fb.status.demo = true;
          return structuredClone(fb.status);
        case 'stop_demo':
          fb.status.demo = false;
          return structuredClone(fb.status);
        case 'take_route': {
          const route = fb.route;
          fb.route = null;
          return structuredClone(route);
        }
        case 'update_status':
          // Settings shows the updates section; tests/update-panel.test.ts has its own backend.
          return {
            state: 'no_address',
            currentVersion: '0.1.0',
            version: null,
            notes: null,
            published: null,
            checkedAt: null,
            problem: null,
            detail: null,
          };
        case 'backups_overview':
          // Settings shows the backups section; tests/backup-panel.test.ts has its own backend.
          return { folder: '/tmp/recupero/backups', lastBackupAt: null, backups: [], restorePending: false };
        default:
          throw `command ${cmd} not found`;
      }
    },
  };
  function secretStates(): SecretState[] {
    return ['store_token', 'store_key', 'store_secret', 'whatsapp_token', 'whatsapp_app_secret', 'assistant_api_key'].map(
      (name) => {
        const env = fb.envSecrets.has(name);
        const set = env || fb.secretValues.has(name);
        return {
          name,
          set,
          envVar: `RECUPERO_${name.toUpperCase()}`,
          // As the engine says it: where a set secret comes from, nothing when unset.
          source: set ? (env ? 'env' : 'keychain') : null,
        };
      },
    );
  }
  return fb;
}
