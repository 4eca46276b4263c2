import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();

import { api, hasBackend, toApiError } from '../src/lib/api';
import type { StoreInput } from '../src/lib/types';
import { tauri } from './tauri-mock';

tauri.invoke = (...args) => invoke(...args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

describe('api outside Tauri', () => {
  it('rejects with no_backend instead of crashing', async () => {
    expect(hasBackend()).toBe(false);
    await expect(api.appStatus()).rejects.toMatchObject({ code: 'no_backend' });
    await expect(api.startDemo()).rejects.toEqual({
      code: 'no_backend',
      message: expect.any(String),
      error: { code: 'no_backend', params: {}, detail: '' },
    });
    await expect(api.listStores()).rejects.toMatchObject({ code: 'no_backend' });
    await expect(api.cartTimeline(1)).rejects.toMatchObject({ code: 'no_backend' });
    expect(invoke).not.toHaveBeenCalled();
  });
});

describe('api inside Tauri', () => {
  beforeEach(() => {
    (window as TauriWindow).__TAURI_INTERNALS__ = {};
    invoke.mockReset();
  });
  afterEach(() => {
    delete (window as TauriWindow).__TAURI_INTERNALS__;
  });

  it('calls the right command names with camelCase arguments', async () => {
    invoke.mockResolvedValue([]);
    await api.listCarts('sent', 'ana');
    expect(invoke).toHaveBeenLastCalledWith('list_carts', { status: 'sent', search: 'ana' });
    await api.listCarts(null, null);
    expect(invoke).toHaveBeenLastCalledWith('list_carts', { status: null, search: null });
    await api.settingsSet('ui_language', 'pt');
    expect(invoke).toHaveBeenLastCalledWith('settings_set', { key: 'ui_language', value: 'pt' });
    await api.setPaused(true);
    expect(invoke).toHaveBeenLastCalledWith('set_paused', { paused: true });
    await api.appStatus();
    expect(invoke).toHaveBeenLastCalledWith('app_status', undefined);
    await api.settingsShow();
    expect(invoke).toHaveBeenLastCalledWith('settings_show', undefined);
    await api.listConversations('ana', 500);
    expect(invoke).toHaveBeenLastCalledWith('list_conversations', { search: 'ana', limit: 500 });
    await api.listConversations(null, null);
    expect(invoke).toHaveBeenLastCalledWith('list_conversations', { search: null, limit: null });
    await api.startDemo();
    expect(invoke).toHaveBeenLastCalledWith('start_demo', undefined);
    await api.listStores();
    expect(invoke).toHaveBeenLastCalledWith('list_stores', undefined);
  });

  it('calls the inbox and results commands of the contract with their camelCase arguments', async () => {
    invoke.mockResolvedValue(null);
    const expectations: [() => Promise<unknown>, string, Record<string, unknown> | undefined][] = [
      [() => api.conversationDetail(4), 'conversation_detail', { conversationId: 4 }],
      [() => api.markRead(4), 'mark_read', { conversationId: 4 }],
      [() => api.sendReply(4, 'Hola'), 'send_reply', { conversationId: 4, text: 'Hola' }],
      [() => api.sendTemplate(4, 'pt_BR'), 'send_template', { conversationId: 4, language: 'pt_BR' }],
      [() => api.sendTemplate(4, null), 'send_template', { conversationId: 4, language: null }],
      [() => api.setTakeover(4, true), 'set_takeover', { conversationId: 4, taken: true }],
      [() => api.approveDraft(9, null), 'approve_draft', { draftId: 9, text: null }],
      [() => api.approveDraft(9, 'Sí'), 'approve_draft', { draftId: 9, text: 'Sí' }],
      [() => api.discardDraft(9), 'discard_draft', { draftId: 9 }],
      [() => api.results(null, null), 'results', { from: null, to: null }],
      [
        () => api.resultsCsv('2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z'),
        'results_csv',
        { from: '2026-11-01T00:00:00Z', to: '2026-11-08T00:00:00Z' },
      ],
      [() => api.rateTable(), 'rate_table', undefined],
      [
        () => api.rateTableSet([{ country: 'AR', category: 'marketing', currency: 'USD', price: '0.0618' }]),
        'rate_table_set',
        { rates: [{ country: 'AR', category: 'marketing', currency: 'USD', price: '0.0618' }] },
      ],
    ];
    for (const [run, cmd, args] of expectations) {
      await run();
      expect(invoke, cmd).toHaveBeenLastCalledWith(cmd, args);
    }
  });

  it('asks cart_timeline for one cart by its id, as cartId', async () => {
    const timeline = { cart: { id: 7 }, entries: [], whyNotSent: 'purchased' };
    invoke.mockResolvedValue(timeline);
    await expect(api.cartTimeline(7)).resolves.toEqual(timeline);
    expect(invoke).toHaveBeenLastCalledWith('cart_timeline', { cartId: 7 });
    invoke.mockRejectedValue({ code: 'not_found', message: 'no cart 7' });
    await expect(api.cartTimeline(7)).rejects.toEqual({ code: 'not_found', message: 'no cart 7' });
  });

  it('sends the store input under `input` to store_test and store_connect', async () => {
    const input: StoreInput = {
      platform: 'woocommerce',
      baseUrl: 'https://shop.example',
      storeId: null,
      country: 'MX',
      name: null,
      token: null,
      key: 'ck_1',
      secret: 'cs_1',
    };
    invoke.mockResolvedValue({ carts: [], skipped: [], consent: 'not_recorded' });
    await api.storeTest(input);
    expect(invoke).toHaveBeenLastCalledWith('store_test', { input });
    await api.storeConnect(input);
    expect(invoke).toHaveBeenLastCalledWith('store_connect', { input });
  });

  it('passes a {code, message} rejection through', async () => {
    invoke.mockRejectedValue({ code: 'not_ready', message: 'demo lands later', extra: 1 });
    await expect(api.startDemo()).rejects.toEqual({ code: 'not_ready', message: 'demo lands later' });
  });

  it('maps a string or Error rejection to {code, message}', async () => {
    invoke.mockRejectedValue('command app_status not found');
    await expect(api.appStatus()).rejects.toEqual({
      code: 'error',
      message: 'command app_status not found',
    });
    invoke.mockRejectedValue(new Error('boom'));
    await expect(api.appStatus()).rejects.toEqual({ code: 'error', message: 'boom' });
  });
});

describe('toApiError', () => {
  it('handles odd values', () => {
    expect(toApiError({ message: 'x' })).toEqual({ code: 'error', message: 'x' });
    expect(toApiError({ code: 'c' })).toEqual({ code: 'c', message: '{"code":"c"}' });
    expect(toApiError(undefined)).toEqual({ code: 'error', message: 'undefined' });
  });

  it('keeps the worded error a command sends, and drops a malformed one', () => {
    const error = { code: 'store_rate_limited', params: { retry_after: '2' }, detail: 'HTTP 429' };
    expect(toApiError({ code: 'store_unreachable', message: 'HTTP 429', error })).toEqual({
      code: 'store_unreachable',
      message: 'HTTP 429',
      error,
    });
    expect(toApiError({ code: 'x', message: 'y', error: { code: 1 } })).toEqual({ code: 'x', message: 'y' });
    expect(
      toApiError({ code: 'x', message: 'y', error: { code: 'a', params: { n: 1 }, detail: '' } }),
    ).toEqual({ code: 'x', message: 'y' });
  });
});
