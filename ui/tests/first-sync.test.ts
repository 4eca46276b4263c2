// First-sync progress: while a newly connected store reads its backlog, the Carts screen (a
// banner) and the store step (after "Save shop") show "N checkouts read, M carts with a phone"
// from the status the engine publishes after every page, with an indeterminate bar, in the
// owner's language with proper plurals; gone once the store is caught up.

import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import type { AppStatus, FirstSync } from '../src/lib/types';

let backend: FakeBackend;

import Carts from '../src/screens/Carts.svelte';
import StoreConnection from '../src/components/StoreConnection.svelte';
import { app, handleEngineEvent } from '../src/lib/app.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  app.status = structuredClone(backend.status);
  setLang('es');
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
});

afterEach(() => cleanup());

const sync = (storeId: number, checkoutsRead: number, cartsWithPhone: number): FirstSync => ({
  storeId,
  storeName: storeId === 1 ? 'Tienda Sol' : 'Tienda Luna',
  checkoutsRead,
  cartsWithPhone,
});

function publish(firstSyncs: FirstSync[]) {
  const status: AppStatus = { ...structuredClone(backend.status), firstSyncs };
  handleEngineEvent({ type: 'status_changed', status });
}

const lines = () => screen.getAllByTestId('first-sync-line').map((l) => l.textContent?.trim());

describe('First sync: the Carts banner', () => {
  it('shows the counts as they grow page by page, with plurals, and disappears when caught up', async () => {
    render(Carts);
    await screen.findByTestId('screen-carts');
    expect(screen.queryByTestId('first-sync'), 'no store syncing: no banner').toBeNull();

    publish([sync(1, 0, 0)]);
    await waitFor(() => expect(lines()).toEqual(['Tienda Sol: 0 carritos leídos, 0 con teléfono']));
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow'), 'no total known: indeterminate').toBeNull();

    publish([sync(1, 1, 1)]);
    await waitFor(() => expect(lines()).toEqual(['Tienda Sol: 1 carrito leído, 1 con teléfono']));

    publish([sync(1, 12500, 9800)]);
    await waitFor(() => expect(lines()).toEqual(['Tienda Sol: 12.500 carritos leídos, 9800 con teléfono']));

    setLang('en');
    await waitFor(() =>
      expect(lines()).toEqual(['Tienda Sol: 12,500 checkouts read, 9,800 carts with a phone']),
    );
    publish([sync(1, 1, 1)]);
    await waitFor(() => expect(lines()).toEqual(['Tienda Sol: 1 checkout read, 1 cart with a phone']));

    setLang('pt');
    await waitFor(() => expect(lines()).toEqual(['Tienda Sol: 1 carrinho lido, 1 com telefone']));
    publish([sync(1, 40, 12)]);
    await waitFor(() => expect(lines()).toEqual(['Tienda Sol: 40 carrinhos lidos, 12 com telefone']));

    // Caught up: the last page's status lists no store in its first sync.
    publish([]);
    await waitFor(() => expect(screen.queryByTestId('first-sync')).toBeNull());
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('lists every store still in its first sync', async () => {
    render(Carts);
    publish([sync(1, 20, 5), sync(2, 3, 2)]);
    await waitFor(() =>
      expect(lines()).toEqual([
        'Tienda Sol: 20 carritos leídos, 5 con teléfono',
        'Tienda Luna: 3 carritos leídos, 2 con teléfono',
      ]),
    );
    expect(screen.getAllByRole('progressbar')).toHaveLength(2);
    publish([sync(2, 8, 4)]);
    await waitFor(() => expect(lines()).toEqual(['Tienda Luna: 8 carritos leídos, 4 con teléfono']));
  });
});

describe('First sync: the store step after "connect"', () => {
  it('follows the store just saved, only that one, until it is caught up', async () => {
    render(StoreConnection);
    await fireEvent.change(screen.getByTestId('store-platform'), { target: { value: 'woocommerce' } });
    await fireEvent.input(screen.getByTestId('store-base-url'), { target: { value: 'tienda-sol.com/' } });
    await fireEvent.input(screen.getByTestId('store-key'), { target: { value: 'ck_abc' } });
    await fireEvent.input(screen.getByTestId('store-secret'), { target: { value: 'cs_def' } });
    await fireEvent.input(screen.getByTestId('store-name'), { target: { value: 'Tienda Sol' } });
    expect(screen.queryByTestId('first-sync')).toBeNull();
    await fireEvent.click(screen.getByTestId('store-save'));
    await screen.findByTestId('store-saved');

    // Another store's first sync is not this step's business.
    publish([sync(2, 7, 7)]);
    publish([sync(2, 7, 7), sync(1, 0, 0)]);
    await waitFor(() => expect(lines()).toEqual(['Tienda Sol: 0 carritos leídos, 0 con teléfono']));
    publish([sync(2, 9, 9), sync(1, 15, 11)]);
    await waitFor(() => expect(lines()).toEqual(['Tienda Sol: 15 carritos leídos, 11 con teléfono']));
    expect(screen.getByRole('progressbar')).toBeTruthy();

    publish([sync(2, 12, 10)]);
    await waitFor(() => expect(screen.queryByTestId('first-sync')).toBeNull());
  });
});
