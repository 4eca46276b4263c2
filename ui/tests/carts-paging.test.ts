// Every cart reachable: the Carts screen shows the first page (500), says how many carts there
// are in all, and loads the rest page by page without showing one twice.

import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, makeCart, type FakeBackend } from './fake-backend';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import { ONBOARDING_SKIPPED_KEY } from '../src/lib/onboarding';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

/** `n` carts, newest first, with distinct ids and order numbers. */
function carts(n: number) {
  return Array.from({ length: n }, (_, i) =>
    makeCart({ id: n - i, externalId: `A-${n - i}`, firstName: `Cliente ${n - i}` }),
  );
}

const listCalls = () => backend.calls.filter((c) => c.cmd === 'list_carts').map((c) => c.args ?? {});
// Rendering a thousand rows in jsdom takes seconds on a busy machine.
const SLOW = { timeout: 30_000 };
const rows = () => screen.getAllByTestId('cart-row');
const count = () => screen.getByTestId('carts-count').textContent?.trim();

beforeEach(() => {
  backend = fakeBackend();
  backend.carts = carts(1200);
  localStorage.clear();
  localStorage.setItem(ONBOARDING_SKIPPED_KEY, '1');
  app.screen = 'carts';
  app.notices = [];
  app.status = null;
  app.onboarding = false;
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['en-US']);
});

afterEach(() => {
  cleanup();
  setLang('es');
});

describe('Carts past the first page', () => {
  it('says "500 of 1,200" and loads the rest', async () => {
    render(App);
    await screen.findByTestId('carts-table', {}, SLOW);
    await waitFor(() => expect(count()).toBe('500 of 1,200 carts'), SLOW);
    expect(rows()).toHaveLength(500);
    expect(listCalls().at(-1)).toEqual({ status: null, search: null });

    await fireEvent.click(screen.getByTestId('carts-load-more'));
    await waitFor(() => expect(count()).toBe('1,000 of 1,200 carts'), SLOW);
    expect(listCalls().at(-1)).toEqual({ status: null, search: null, offset: 500 });

    await fireEvent.click(screen.getByTestId('carts-load-more'));
    await waitFor(() => expect(count()).toBe('1,200 of 1,200 carts'), SLOW);
    expect(listCalls().at(-1)).toEqual({ status: null, search: null, offset: 1000 });
    const ids = rows().map((r) => Number(r.dataset.cartId));
    expect(new Set(ids).size).toBe(1200);
    expect(Math.min(...ids)).toBe(1);
    expect(screen.queryByTestId('carts-load-more')).toBeNull();
  }, 90_000);

  it('keeps what was loaded when new data arrives, and never shows a cart twice', async () => {
    backend.carts = carts(600);
    render(App);
    await screen.findByTestId('carts-table', {}, SLOW);
    await fireEvent.click(await screen.findByTestId('carts-load-more', {}, SLOW));
    await waitFor(() => expect(count()).toBe('600 of 600 carts'), SLOW);
    expect(screen.queryByTestId('carts-load-more')).toBeNull();

    // A new cart arrives: the list reloads as many rows as it showed, the new one first.
    backend.carts = [makeCart({ id: 601, externalId: 'A-601' }), ...backend.carts];
    tauri.emit!({ type: 'cart_detected', cartId: 601 });
    await waitFor(() => expect(count()).toBe('600 of 601 carts'), SLOW);
    expect(listCalls().at(-1)).toEqual({ status: null, search: null, limit: 600 });
    expect(rows()[0].dataset.cartId).toBe('601');

    await fireEvent.click(screen.getByTestId('carts-load-more'));
    await waitFor(() => expect(count()).toBe('601 of 601 carts'), SLOW);
    const ids = rows().map((r) => Number(r.dataset.cartId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(1);
  }, 90_000);

  it('starts again from the first page when the filter changes', async () => {
    backend.carts = carts(1200).map((c, i) => ({ ...c, status: i % 2 === 0 ? 'sent' : 'detected' }));
    render(App);
    await screen.findByTestId('carts-table', {}, SLOW);
    await fireEvent.click(await screen.findByTestId('carts-load-more', {}, SLOW));
    await waitFor(() => expect(rows()).toHaveLength(1000), SLOW);

    await fireEvent.change(screen.getByTestId('carts-status-filter'), { target: { value: 'sent' } });
    await waitFor(() => expect(count()).toBe('500 of 600 carts'), SLOW);
    expect(listCalls().at(-1)).toEqual({ status: 'sent', search: null });
  }, 60_000);

  it('says it in Spanish and Portuguese too', async () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
    render(App);
    await screen.findByTestId('carts-table', {}, SLOW);
    await waitFor(() => expect(count()).toBe('500 de 1200 carritos'), SLOW);
    expect(screen.getByTestId('carts-load-more').textContent?.trim()).toBe('Cargar más');
    setLang('pt');
    await waitFor(() => expect(count()).toBe('500 de 1.200 carrinhos'), SLOW);
    expect(screen.getByTestId('carts-load-more').textContent?.trim()).toBe('Carregar mais');
  }, 60_000);
});
