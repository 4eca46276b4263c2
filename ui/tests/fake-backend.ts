// A tiny in-memory stand-in for the Rust commands, for component tests.

import type {
  ApiError,
  AppStatus,
  Cart,
  CartTimeline,
  Setting,
  StoreCheckReport,
  StoreInput,
  StoreRow,
} from '../src/lib/types';

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
    },
  ];
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
  calls: { cmd: string; args: Record<string, unknown> | undefined }[];
  invoke: (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;
}

export function fakeBackend(): FakeBackend {
  const s = (key: string, value: string, kind: string, description = `server help for ${key}`): Setting => ({
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
      counts: { carts: 0, pendingSends: 0, conversations: 0, unread: 2, escalated: 1 },
      lastPollAt: null,
    },
    settings: [
      s('timezone', 'America/Argentina/Buenos_Aires', 'timezone'),
      s('business_hours', 'mon-sat 09:00-20:00', 'hours'),
      s('abandonment_delay_minutes', '60', 'duration'),
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
    storeReport: { carts: [], skipped: [] },
    storeFailure: null,
    storeGate: null,
    calls: [],
    async invoke(cmd, args) {
      fb.calls.push({ cmd, args });
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
          if (!setting) throw { code: 'invalid_setting', message: `unknown setting ${key}` };
          if (key === 'holdout_percent' && !(Number(value) >= 0 && Number(value) <= 50)) {
            throw { code: 'invalid_setting', message: 'holdout_percent must be between 0 and 50' };
          }
          setting.value = value;
          return structuredClone(fb.settings);
        }
        case 'list_carts': {
          const status = args?.status as string | null;
          return fb.carts.filter((c) => status === null || c.status === status);
        }
        case 'cart_timeline': {
          if (fb.timelineFailure) throw { ...fb.timelineFailure };
          const id = args?.cartId;
          const known = typeof id === 'number' ? fb.timelines.get(id) : undefined;
          if (known) return structuredClone(known);
          const cart = fb.carts.find((c) => c.id === id);
          if (!cart) throw { code: 'not_found', message: `no cart ${String(id)}` };
          return {
            cart: structuredClone(cart),
            entries: [
              { at: cart.detectedAt, kind: 'detected', step: null, reason: null, detail: null },
            ],
            whyNotSent: null,
          } satisfies CartTimeline;
        }
        case 'list_conversations':
          return [];
        case 'list_stores':
          return structuredClone(fb.stores);
        case 'store_test':
          await fb.storeGate;
          if (fb.storeFailure) throw { ...fb.storeFailure };
          return structuredClone(fb.storeReport);
        case 'store_connect': {
          await fb.storeGate;
          if (fb.storeFailure) throw { ...fb.storeFailure };
          const input = args?.input as StoreInput;
          const row: StoreRow = {
            id: fb.stores.length + 1,
            platform: input.platform,
            name: input.name ?? new URL(input.baseUrl).hostname,
            baseUrl: input.baseUrl,
            externalId: input.storeId,
            country: input.country,
            state: 'new',
            lastPollAt: null,
            lastSuccessAt: null,
            lastError: null,
            createdAt: '2025-05-01T15:00:00Z',
          };
          fb.stores.push(row);
          return structuredClone(row);
        }
        case 'start_demo':
          throw { code: 'not_ready', message: 'the demo engine lands in a later issue' };
        default:
          throw `command ${cmd} not found`;
      }
    },
  };
  return fb;
}
