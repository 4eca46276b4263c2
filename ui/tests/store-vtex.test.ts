// VTEX in the store-connection form: its fields (AppKey, AppToken, the optional storefront
// domain the recovery links open on) and what "Test connection" sends.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import StoreConnection from '../src/components/StoreConnection.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import { credentialFields, emptyStoreForm, parseStoreForm, PLATFORMS, type StoreForm } from '../src/lib/store-form';
import { tauri } from './tauri-mock';

let backend: FakeBackend;
tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };
beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});
beforeEach(() => {
  backend = fakeBackend();
  setLang('pt');
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['pt-BR']);
});
afterEach(() => cleanup());

const vtex = (fields: Partial<StoreForm> = {}): StoreForm => ({
  ...emptyStoreForm('BR', 'vtex'),
  baseUrl: 'lojasol.vtexcommercestable.com.br',
  key: 'vtexappkey-lojasol-ABCDEF',
  secret: 'app-token',
  ...fields,
});

describe('parseStoreForm: VTEX', () => {
  it('is offered, with an AppKey and an AppToken', () => {
    expect(PLATFORMS).toContain('vtex');
    expect(credentialFields('vtex', 'token')).toEqual(['key', 'secret']);
  });

  it('needs the account address and both keys; the storefront domain is optional', () => {
    expect(parseStoreForm(vtex())).toEqual({
      ok: true,
      input: {
        platform: 'vtex',
        baseUrl: 'https://lojasol.vtexcommercestable.com.br',
        storeId: null,
        country: 'BR',
        name: null,
        token: null,
        key: 'vtexappkey-lojasol-ABCDEF',
        secret: 'app-token',
      },
    });
    expect(parseStoreForm(vtex({ key: ' ', secret: '' }))).toEqual({
      ok: false,
      errors: { key: 'store.invalid.required', secret: 'store.invalid.required' },
    });
  });

  it('sends the storefront domain, normalised, as the store id; a bad one is named', () => {
    const parsed = parseStoreForm(vtex({ storeId: ' www.lojasol.com.br/ ' }));
    expect(parsed).toMatchObject({ ok: true, input: { storeId: 'https://www.lojasol.com.br' } });
    expect(parseStoreForm(vtex({ storeId: 'ftp://loja' }))).toEqual({
      ok: false,
      errors: { storeId: 'store.invalid.baseUrl' },
    });
  });
});

describe('Store connection: VTEX', () => {
  it('shows its fields in Portuguese and tests the connection with them', async () => {
    render(StoreConnection);
    await fireEvent.change(screen.getByTestId('store-platform'), { target: { value: 'vtex' } });
    const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
    expect(screen.getByLabelText('AppKey')).toBe(input('store-key'));
    expect(screen.getByLabelText('AppToken')).toBe(input('store-secret'));
    expect(input('store-key').placeholder).toBe('vtexappkey-…');
    expect(input('store-secret').type).toBe('password');
    expect(screen.getByLabelText('Domínio da loja (opcional)')).toBe(input('store-storefront'));
    expect(screen.queryByTestId('store-id')).toBeNull();
    await fireEvent.input(input('store-base-url'), { target: { value: 'lojasol.vtexcommercestable.com.br' } });
    await fireEvent.input(input('store-storefront'), { target: { value: 'www.lojasol.com.br' } });
    await fireEvent.input(input('store-key'), { target: { value: 'vtexappkey-lojasol-ABCDEF' } });
    await fireEvent.input(input('store-secret'), { target: { value: 'app-token' } });
    await fireEvent.click(screen.getByTestId('store-test'));
    await waitFor(() => expect(backend.calls.some((c) => c.cmd === 'store_test')).toBe(true));
    const call = backend.calls.find((c) => c.cmd === 'store_test');
    expect(call?.args).toMatchObject({
      input: {
        platform: 'vtex',
        baseUrl: 'https://lojasol.vtexcommercestable.com.br',
        storeId: 'https://www.lojasol.com.br',
        key: 'vtexappkey-lojasol-ABCDEF',
        secret: 'app-token',
      },
    });
  });
});
