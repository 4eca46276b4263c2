// A tiny in-memory stand-in for the Rust commands, for component tests.

import type {
  ApiError,
  AppStatus,
  Cart,
  Setting,
  StoreCheckReport,
  StoreInput,
  StoreRow,
} from '../src/lib/types';

export interface FakeBackend {
  status: AppStatus;
  settings: Setting[];
  carts: Cart[];
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
