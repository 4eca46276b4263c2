// The one place that knows Tauri command names. Every wrapper resolves with typed data or
// rejects with an ApiError `{ code, message }` — never with anything else.

import { invoke } from '@tauri-apps/api/core';
import type {
  ApiError,
  AppStatus,
  Cart,
  CartTimeline,
  Conversation,
  Setting,
  StoreCheckReport,
  StoreInput,
  StoreRow,
} from './types';

export type { ApiError } from './types';

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

/** Normalise whatever `invoke` rejected with into `{ code, message }`. */
export function toApiError(err: unknown): ApiError {
  if (isApiError(err)) return { code: err.code, message: err.message };
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
  listCarts: (status: string | null, search: string | null) =>
    call<Cart[]>('list_carts', { status, search }),
  /** One cart with what happened to it, oldest first, and why its message was not sent. */
  cartTimeline: (cartId: number) => call<CartTimeline>('cart_timeline', { cartId }),
  listConversations: () => call<Conversation[]>('list_conversations'),
  startDemo: () => call<AppStatus>('start_demo'),
  /** Poll the store once with these credentials; saves nothing. */
  storeTest: (input: StoreInput) => call<StoreCheckReport>('store_test', { input }),
  /** Save the store; its credentials go to the OS keychain. */
  storeConnect: (input: StoreInput) => call<StoreRow>('store_connect', { input }),
  listStores: () => call<StoreRow[]>('list_stores'),
};
