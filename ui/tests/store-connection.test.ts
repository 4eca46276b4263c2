import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import type { CheckedCart, StoreRow } from '../src/lib/types';

let backend: FakeBackend;

import StoreConnection from '../src/components/StoreConnection.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  setLang('es');
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-MX', 'en']);
});

afterEach(() => cleanup());

const byId = <T extends HTMLElement = HTMLInputElement>(id: string) => screen.getByTestId(id) as T;
const type = (id: string, value: string) => fireEvent.input(byId(id), { target: { value } });
const choose = (id: string, value: string) => fireEvent.change(byId(id), { target: { value } });
const storeCalls = () => backend.calls.filter((c) => c.cmd === 'store_test' || c.cmd === 'store_connect');

const store = (fields: Partial<StoreRow>): StoreRow => ({
  id: 1,
  platform: 'tiendanube',
  name: 'Tienda Sol',
  baseUrl: 'https://api.tiendanube.com',
  externalId: '123456',
  country: 'AR',
  state: 'ok',
  lastPollAt: '2025-05-01T15:00:00Z',
  lastSuccessAt: '2025-05-01T15:00:00Z',
  lastError: null,
  createdAt: '2025-04-01T12:00:00Z',
  ...fields,
});

const cart = (fields: Partial<CheckedCart>): CheckedCart => ({
  checkoutId: 'co-1',
  completed: false,
  phone: '+5491155550000',
  phoneProblem: null,
  firstName: 'Ana',
  language: 'es',
  marketingConsent: true,
  currency: 'ARS',
  total: '12500.50',
  items: [
    { name: 'Remera', variant: 'M', quantity: 2, unitPrice: '5000.25', imageUrl: null },
    { name: 'Gorra', variant: null, quantity: 1, unitPrice: '2500.00', imageUrl: null },
  ],
  recoveryLink: 'https://tienda-sol.com/checkout/co-1',
  createdAt: '2025-05-01T14:00:00Z',
  updatedAt: '2025-05-01T14:30:00Z',
  completedAt: null,
  ...fields,
});

/** A complete, valid Tiendanube form. */
async function fillTiendanube() {
  await type('store-id', '123456');
  await type('store-token', 'tn-secret-token');
}

describe('Store connection: the connected shops', () => {
  it('lists them on mount with their state, last successful check and, when failing, the problem', async () => {
    backend.stores = [
      store({ id: 1, name: 'Tienda Sol', state: 'ok' }),
      store({
        id: 2,
        name: 'Loja Lua',
        platform: 'woocommerce',
        baseUrl: 'https://loja-lua.com.br',
        state: 'failing',
        lastSuccessAt: null,
        lastError: 'the store refused the credentials (HTTP 401): Invalid API key',
        lastProblem: {
          code: 'store_unauthorized',
          params: { status: '401' },
          detail: 'the store refused the credentials (HTTP 401): Invalid API key',
        },
      }),
      store({ id: 3, name: 'Pausada', platform: 'shopify', state: 'paused', lastError: 'old problem' }),
    ];
    render(StoreConnection);
    await waitFor(() => expect(screen.getAllByTestId('store-list-row')).toHaveLength(3));
    const [sol, lua, paused] = screen.getAllByTestId('store-list-row');

    expect(sol.textContent).toContain('Tienda Sol');
    expect(sol.textContent).toContain('Tiendanube / Nuvemshop');
    expect(sol.textContent).toContain('Funciona');
    expect(sol.textContent).toContain('Última revisión correcta:');

    expect(lua.textContent).toContain('WooCommerce');
    expect(lua.textContent).toContain('Con problemas');
    expect(lua.textContent).toContain('Todavía no se pudo revisar con éxito.');
    // The problem in the owner's language (the Spanish window never says "the store refused…"),
    // the engine's words on request.
    expect(lua.textContent).toContain('Último problema: La tienda rechazó los datos de acceso.');
    expect(lua.textContent).not.toContain('the store refused');
    await fireEvent.click(within(lua).getByTestId('store-last-problem-toggle'));
    expect(lua.textContent).toContain('the store refused the credentials (HTTP 401): Invalid API key');

    expect(paused.textContent).toContain('En pausa');
    expect(paused.textContent, 'an old error is only news while the shop is failing').not.toContain(
      'old problem',
    );
    expect(backend.calls.filter((c) => c.cmd === 'list_stores')).toHaveLength(1);
  });

  it('says so when no shop is connected yet', async () => {
    render(StoreConnection);
    const list = screen.getByTestId('store-list');
    await waitFor(() => expect(list.textContent).toContain('Todavía no conectaste ninguna tienda.'));
    expect(screen.queryByTestId('store-list-row')).toBeNull();
  });
});

describe('Store connection: the form', () => {
  it('starts on Tiendanube with its API address, a store ID and the browser country', async () => {
    render(StoreConnection);
    expect(byId<HTMLSelectElement>('store-platform').value).toBe('tiendanube');
    expect(byId('store-base-url').value).toBe('https://api.tiendanube.com');
    expect(byId('store-country').value).toBe('MX');
    expect(screen.getByTestId('store-section').textContent).toContain('México');
    expect(byId('store-id')).toBeTruthy();
    expect(byId('store-token').type).toBe('password');
    expect(byId('store-token').value, 'credentials are never prefilled').toBe('');
    expect(screen.queryByTestId('store-key')).toBeNull();
    expect(screen.queryByTestId('store-auth-mode')).toBeNull();
  });

  it('shows the fields of each platform, and the Shopify choice of access', async () => {
    render(StoreConnection);
    await choose('store-platform', 'shopify');
    expect(byId('store-base-url').value, "Tiendanube's address does not carry over").toBe('');
    expect(byId('store-base-url').placeholder).toBe('https://tu-tienda.myshopify.com');
    expect(screen.queryByTestId('store-id')).toBeNull();
    expect(byId<HTMLSelectElement>('store-auth-mode').value).toBe('token');
    expect(byId('store-token').type).toBe('password');
    expect(screen.queryByTestId('store-key')).toBeNull();

    await choose('store-auth-mode', 'client');
    expect(screen.queryByTestId('store-token')).toBeNull();
    expect(byId('store-key').type).toBe('password');
    expect(byId('store-secret').type).toBe('password');
    expect(screen.getByLabelText('ID de cliente (client ID)')).toBe(byId('store-key'));

    await choose('store-platform', 'woocommerce');
    expect(screen.queryByTestId('store-auth-mode')).toBeNull();
    expect(byId('store-base-url').placeholder).toBe('https://tu-sitio.com');
    expect(byId('store-key').placeholder).toBe('ck_…');
    expect(byId('store-secret').placeholder).toBe('cs_…');
    expect(screen.getByLabelText('Clave de cliente (consumer key)')).toBe(byId('store-key'));
  });

  it('offers Jumpseller (API login and token) and PrestaShop (webservice key, cart page link)', async () => {
    render(StoreConnection);
    await choose('store-platform', 'jumpseller');
    expect(byId('store-base-url').value).toBe('https://api.jumpseller.com');
    expect(screen.queryByTestId('store-id')).toBeNull();
    expect(screen.queryByTestId('store-token')).toBeNull();
    expect(screen.getByLabelText('Login de la API')).toBe(byId('store-key'));
    expect(screen.getByLabelText('Token de autenticación')).toBe(byId('store-secret'));
    expect(byId('store-secret').type).toBe('password');

    await choose('store-platform', 'prestashop');
    expect(byId('store-base-url').value, "Jumpseller's API address does not carry over").toBe('');
    expect(byId('store-base-url').placeholder).toBe('https://tu-tienda.com');
    expect(screen.queryByTestId('store-key')).toBeNull();
    expect(screen.getByLabelText('Clave del webservice')).toBe(byId('store-token'));
    expect(byId('store-token').type).toBe('password');
    expect(screen.getByTestId('store-section').textContent).toContain('página del carrito');
  });

  it('checks the fields before calling the store, and marks the ones to fix', async () => {
    render(StoreConnection);
    await type('store-country', '');
    await fireEvent.click(screen.getByTestId('store-test'));

    expect(screen.getByTestId('store-error').textContent).toContain('revisa los campos marcados');
    expect(screen.getByTestId('store-problem-storeId').textContent).toBe('Falta este dato.');
    expect(screen.getByTestId('store-problem-token').textContent).toBe('Falta este dato.');
    expect(screen.getByTestId('store-problem-country').textContent).toBe('Falta este dato.');
    expect(byId('store-token').getAttribute('aria-invalid')).toBe('true');
    expect(storeCalls(), 'nothing reaches the backend while the form is incomplete').toEqual([]);

    // The marks follow what the owner types.
    await type('store-country', 'ar');
    await waitFor(() => expect(screen.queryByTestId('store-problem-country')).toBeNull());
    await fireEvent.click(screen.getByTestId('store-save'));
    expect(storeCalls()).toEqual([]);
  });
});

describe('Store connection: testing the connection', () => {
  it('sends the trimmed input and lists the first carts and the skipped checkouts', async () => {
    backend.storeReport = {
      carts: [
        cart({}),
        cart({
          checkoutId: 'co-2',
          firstName: null,
          phone: null,
          phoneProblem: 'too short for AR',
          completed: true,
          total: '999',
          items: [{ name: 'Taza', variant: null, quantity: 1, unitPrice: '999', imageUrl: null }],
        }),
      ],
      skipped: [
        { checkoutId: 'co-3', reason: 'mixed currencies' },
        { checkoutId: null, reason: 'no total' },
      ],
      consent: 'not_recorded',
    };
    render(StoreConnection);
    await type('store-id', ' 123456 ');
    await type('store-token', ' tn-secret-token \n');
    await type('store-country', 'ar');
    await type('store-name', '  ');
    await fireEvent.click(screen.getByTestId('store-test'));

    const results = await screen.findByTestId('store-results');
    expect(backend.calls).toContainEqual({
      cmd: 'store_test',
      args: {
        input: {
          platform: 'tiendanube',
          baseUrl: 'https://api.tiendanube.com',
          storeId: '123456',
          country: 'AR',
          name: null,
          token: 'tn-secret-token',
          key: null,
          secret: null,
        },
      },
    });
    expect(results.textContent).toContain('La conexión funciona.');

    const [ana, unnamed] = within(results).getAllByTestId('store-result-row');
    expect(ana.textContent).toContain('Ana');
    expect(ana.textContent).toContain('+5491155550000');
    expect(ana.textContent).toContain('12.500,50\u00a0ARS');
    expect(ana.querySelectorAll('td')[3].textContent?.trim(), 'items count units, not lines').toBe('3');
    expect(ana.textContent).toContain('Remera (M) ×2, Gorra');
    expect(ana.textContent).toContain('Abandonado');

    expect(unnamed.textContent).toContain('Sin nombre');
    expect(unnamed.textContent).toContain('Teléfono no utilizable: too short for AR');
    expect(unnamed.textContent).toContain('Compró');

    const skipped = within(results).getAllByTestId('store-skipped-row');
    expect(skipped.map((r) => r.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'co-3 No se pudo leer este carrito. Ver detalle',
      'Sin número No se pudo leer este carrito. Ver detalle',
    ]);
    await fireEvent.click(within(skipped[0]).getByTestId('store-skipped-reason-toggle'));
    expect(within(skipped[0]).getByTestId('store-skipped-reason-detail').textContent).toContain('mixed currencies');
    expect(screen.queryByTestId('store-empty')).toBeNull();
    expect(screen.queryByTestId('store-error')).toBeNull();
    expect(backend.calls.some((c) => c.cmd === 'store_connect'), 'testing saves nothing').toBe(false);
    // Tiendanube records no WhatsApp consent, and the owner is told so plainly.
    expect(within(results).getByTestId('store-consent').textContent).toContain(
      'esta plataforma no registra el consentimiento de WhatsApp',
    );
  });

  it('says the connection works when there are no abandoned checkouts yet', async () => {
    render(StoreConnection);
    await fillTiendanube();
    await fireEvent.click(screen.getByTestId('store-test'));
    const empty = await screen.findByTestId('store-empty');
    expect(empty.textContent).toContain('Todavía no hay carritos abandonados');
    expect(screen.queryByTestId('store-result-row')).toBeNull();
  });

  it('explains a refused credential in plain words, with the backend message as detail', async () => {
    backend.storeFailure = {
      code: 'store_auth',
      message: 'the store refused the credentials (HTTP 401): invalid access token',
      error: {
        code: 'store_unauthorized',
        params: { status: '401' },
        detail: 'the store refused the credentials (HTTP 401): invalid access token',
      },
    };
    render(StoreConnection);
    await fillTiendanube();
    await fireEvent.click(screen.getByTestId('store-test'));
    const error = await screen.findByTestId('store-error');
    expect(error.textContent).toContain('La tienda rechazó los datos de acceso.');
    expect(error.dataset.errorCode).toBe('store_unauthorized');
    expect(error.textContent).not.toContain('invalid access token');
    await fireEvent.click(within(error).getByTestId('store-error-message-toggle'));
    expect(error.textContent).toContain('the store refused the credentials (HTTP 401): invalid access token');
    expect(screen.queryByTestId('store-results')).toBeNull();
  });

  it('disables both buttons and the platform while a request is in flight', async () => {
    let release!: () => void;
    backend.storeGate = new Promise((resolve) => (release = resolve));
    render(StoreConnection);
    await fillTiendanube();
    await fireEvent.click(screen.getByTestId('store-test'));

    const test = byId<HTMLButtonElement>('store-test');
    await waitFor(() => expect(test.disabled).toBe(true));
    expect(test.textContent).toContain('Probando…');
    expect(byId<HTMLButtonElement>('store-save').disabled).toBe(true);
    expect(byId<HTMLSelectElement>('store-platform').disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('store-save'));

    release();
    await screen.findByTestId('store-empty');
    expect(test.disabled).toBe(false);
    expect(storeCalls().map((c) => c.cmd), 'a click while busy does nothing').toEqual(['store_test']);
  });
});

describe('Store connection: saving', () => {
  it('connects the shop, forgets the credentials and refreshes the list', async () => {
    render(StoreConnection);
    await choose('store-platform', 'woocommerce');
    await type('store-base-url', 'tienda-sol.com/');
    await type('store-key', 'ck_abc');
    await type('store-secret', 'cs_def');
    await type('store-name', 'Tienda Sol');
    await fireEvent.click(screen.getByTestId('store-save'));

    const saved = await screen.findByTestId('store-saved');
    expect(saved.textContent).toContain('Tienda conectada: Tienda Sol.');
    expect(backend.calls).toContainEqual({
      cmd: 'store_connect',
      args: {
        input: {
          platform: 'woocommerce',
          baseUrl: 'https://tienda-sol.com',
          storeId: null,
          country: 'MX',
          name: 'Tienda Sol',
          token: null,
          key: 'ck_abc',
          secret: 'cs_def',
        },
      },
    });
    expect(byId('store-key').value, 'saved credentials are never shown again').toBe('');
    expect(byId('store-secret').value).toBe('');
    expect(screen.queryByTestId('store-problem-key'), 'a fresh, empty form is not an error').toBeNull();

    const row = await screen.findByTestId('store-list-row');
    expect(row.textContent).toContain('Tienda Sol');
    expect(row.textContent).toContain('Recién conectada');
    expect(backend.calls.filter((c) => c.cmd === 'list_stores')).toHaveLength(2);
  });

  it('keeps what was typed when saving fails', async () => {
    backend.storeFailure = { code: 'storage', message: 'keychain locked' };
    render(StoreConnection);
    await fillTiendanube();
    await fireEvent.click(screen.getByTestId('store-save'));
    const error = await screen.findByTestId('store-error');
    expect(error.textContent).toContain('No se pudieron leer o guardar los datos en este equipo');
    await fireEvent.click(within(error).getByTestId('store-error-message-toggle'));
    expect(error.textContent).toContain('keychain locked');
    expect(byId('store-token').value).toBe('tn-secret-token');
    expect(screen.queryByTestId('store-saved')).toBeNull();
  });
});
