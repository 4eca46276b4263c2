import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, makeCart, sampleTimelines, type FakeBackend } from './fake-backend';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { ONBOARDING_SKIPPED_KEY } from '../src/lib/onboarding';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(async () => {
  backend = fakeBackend();
  app.screen = 'carts';
  app.notices = [];
  delete document.body.dataset.ready;
  // With no store, a first run opens the guided setup (tests/onboarding.test.ts); these tests
  // are about the screens behind it, as after "Skip for now".
  localStorage.setItem(ONBOARDING_SKIPPED_KEY, 'skipped');
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-MX', 'en']);
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
});

afterEach(() => cleanup());

const title = (name: string) => screen.getByTestId(`screen-${name}`).querySelector('h1')?.textContent;

describe('App with a backend', () => {
  it('shows the Carts empty state and the demo notice from start_demo', async () => {
    expect(title('carts')).toBe('Carritos');
    await screen.findByTestId('empty-carts');
    await fireEvent.click(screen.getByTestId('try-demo'));
    const notice = screen.getByTestId('notice');
    await waitFor(() => expect(notice.textContent).toContain('La demo todavía no está disponible.'));
    expect(notice.textContent).toContain('Esto todavía no está disponible en esta versión de Recupero.');
    await fireEvent.click(within(notice).getByTestId('notice-error-toggle'));
    expect(notice.textContent).toContain('the demo engine lands in a later issue');
  });

  it('navigates between the four screens with their titles and empty states', async () => {
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    expect(title('inbox')).toBe('Mensajes');
    await screen.findByTestId('empty-inbox');
    await fireEvent.click(screen.getByTestId('nav-results'));
    expect(title('results')).toBe('Resultados');
    await screen.findByTestId('empty-results');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    expect(title('settings')).toBe('Ajustes');
    await fireEvent.click(screen.getByTestId('nav-carts'));
    expect(title('carts')).toBe('Carritos');
  });

  it('switches the UI language from the settings select and persists it', async () => {
    await fireEvent.click(screen.getByTestId('nav-settings'));
    const select = screen.getByTestId('lang-select') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['auto', 'es', 'pt', 'en']);
    expect(select.value).toBe('auto');

    await fireEvent.change(select, { target: { value: 'pt' } });
    await waitFor(() => expect(title('settings')).toBe('Configurações'));
    expect(document.documentElement.lang).toBe('pt');
    expect(backend.calls).toContainEqual({
      cmd: 'settings_set',
      args: { key: 'ui_language', value: 'pt' },
    });

    await fireEvent.change(select, { target: { value: 'en' } });
    await waitFor(() => expect(title('settings')).toBe('Settings'));
    expect(screen.getByTestId('nav-carts').textContent).toContain('Carts');

    // "auto" follows the browser again (es-MX here).
    await fireEvent.change(select, { target: { value: 'auto' } });
    await waitFor(() => expect(title('settings')).toBe('Ajustes'));
  });

  it('renders every setting, with fallback help for unknown keys, and shows per-field errors', async () => {
    await fireEvent.click(screen.getByTestId('nav-settings'));
    for (const s of backend.settings) {
      expect(screen.getByTestId(`setting-${s.key}`), s.key).toBeTruthy();
      expect(screen.getByTestId(`save-${s.key}`), s.key).toBeTruthy();
    }
    expect(screen.getByTestId('field-brand_new_knob').textContent).toContain(
      'A knob the UI has never heard of',
    );
    expect(screen.getByTestId('field-timezone').textContent).toContain('Zona horaria de la tienda');

    const input = screen.getByTestId('setting-holdout_percent') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '90' } });
    await fireEvent.click(screen.getByTestId('save-holdout_percent'));
    const error = await screen.findByTestId('error-holdout_percent');
    expect(error.dataset.errorCode).toBe('invalid_setting');
    expect(error.textContent).toContain('Ese valor no es válido');
    await fireEvent.click(within(error).getByTestId('error-holdout_percent-message-toggle'));
    expect(error.textContent).toContain('holdout_percent must be between 0 and 50');

    await fireEvent.input(input, { target: { value: '20' } });
    await fireEvent.click(screen.getByTestId('save-holdout_percent'));
    await waitFor(() => expect(screen.queryByTestId('error-holdout_percent')).toBeNull());
    expect(backend.settings.find((s) => s.key === 'holdout_percent')?.value).toBe('20');

    const autostart = screen.getByTestId('setting-autostart') as HTMLInputElement;
    expect(autostart.checked).toBe(false);
    await fireEvent.click(autostart);
    await waitFor(() =>
      expect(backend.settings.find((s) => s.key === 'autostart')?.value).toBe('true'),
    );
  });

  it('shows the store connection in Settings, with the connected shops', async () => {
    backend.stores = [
      {
        id: 1,
        platform: 'shopify',
        name: 'Tienda Sol',
        baseUrl: 'https://sol.myshopify.com',
        externalId: null,
        country: 'AR',
        state: 'failing',
        lastPollAt: '2025-05-01T15:00:00Z',
        lastSuccessAt: null,
        lastError: 'the store had an internal problem (HTTP 503)',
        lastProblem: {
          code: 'store_server_error',
          params: { status: '503' },
          detail: 'the store had an internal problem (HTTP 503)',
        },
        createdAt: '2025-04-01T12:00:00Z',
      },
    ];
    await fireEvent.click(screen.getByTestId('nav-settings'));
    const section = screen.getByTestId('store-section');
    expect(section.closest('section')?.querySelector('h2')?.textContent).toBe('Tu tienda online');
    const row = await screen.findByTestId('store-list-row');
    expect(row.textContent).toContain('Con problemas');
    expect(row.textContent).toContain('La tienda tuvo un problema interno (HTTP 503).');
    expect(screen.getByTestId('notice').textContent, 'loading the shops raised no notice').toBe('');
  });

  it('pauses and resumes sending, with the header badge', async () => {
    expect(screen.queryByTestId('paused-badge')).toBeNull();
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await fireEvent.click(screen.getByTestId('pause-toggle'));
    const badge = await screen.findByTestId('paused-badge');
    expect(badge.textContent).toContain('Envíos en pausa');
    expect(backend.calls).toContainEqual({ cmd: 'set_paused', args: { paused: true } });
    await fireEvent.click(screen.getByTestId('pause-toggle'));
    await waitFor(() => expect(screen.queryByTestId('paused-badge')).toBeNull());
  });

  it('reacts to engine events and ignores unknown ones', async () => {
    expect(tauri.emit).not.toBeNull();
    // The UI listens on the engine's one event channel and nothing else.
    expect(new Set(tauri.listened)).toEqual(new Set(['engine-event']));
    tauri.emit!({ type: 'something_from_the_future', x: 1 });
    tauri.emit!('garbage');
    tauri.emit!({ type: 'navigate', route: { screen: 'inbox' } });
    await waitFor(() => expect(title('inbox')).toBe('Mensajes'));

    backend.status.paused = true;
    tauri.emit!({ type: 'paused_changed', paused: true });
    await screen.findByTestId('paused-badge');

    tauri.emit!({ type: 'status_changed', status: { ...backend.status, paused: false } });
    await waitFor(() => expect(screen.queryByTestId('paused-badge')).toBeNull());
  });

  it('tells the owner about escalations and recovered carts in plain words', async () => {
    tauri.emit!({ type: 'escalation', conversationId: 3, contactName: 'Bruno', reason: 'payment_problem' });
    const notice = screen.getByTestId('notice');
    await waitFor(() => expect(notice.textContent).toContain('Una conversación necesita tu atención.'));
    expect(notice.textContent).toContain('Bruno: Tiene un problema con el pago');

    tauri.emit!({ type: 'cart_recovered', cartId: 3, contactName: 'Carla', total: '45.990,50 ARS' });
    await waitFor(() => expect(notice.textContent).toContain('¡Carrito recuperado!'));
    expect(notice.textContent).toContain('Carla · 45.990,50 ARS');
  });

  it('tells the owner about a problem only they can fix, and re-reads the status that shows it', async () => {
    // WhatsApp refused the token: the engine paused sending, then said why (`needs_owner`).
    backend.status = { ...backend.status, paused: true };
    const statusReads = backend.calls.filter((c) => c.cmd === 'app_status').length;
    tauri.emit!({ type: 'needs_owner', problem: 'token_expired' });
    const notice = screen.getByTestId('notice');
    await waitFor(() => expect(notice.textContent).toContain('Venció el acceso a WhatsApp'));
    expect(notice.querySelector('[data-notice-key="notice.ownerProblem.token_expired"]')?.className).toContain(
      'error',
    );
    await screen.findByTestId('paused-badge');
    expect(backend.calls.filter((c) => c.cmd === 'app_status').length).toBeGreaterThan(statusReads);

    tauri.emit!({ type: 'needs_owner', problem: 'store_unreachable' });
    await waitFor(() => expect(notice.textContent).toContain('Recupero no puede conectarse con tu tienda.'));
  });

  it('lists carts with a status filter and search', async () => {
    backend.carts = [
      makeCart({ total: '12.500,00', status: 'recovered', detectedAt: '2025-05-01T15:00:00Z' }),
    ];
    tauri.emit!({ type: 'cart_detected', cartId: 1 });
    const table = await screen.findByTestId('carts-table');
    expect(table.textContent).toContain('Ana');
    expect(table.textContent).toContain('Recuperado');
    expect(table.textContent).toContain('12.500,00 ARS');

    const filter = screen.getByTestId('carts-status-filter') as HTMLSelectElement;
    await fireEvent.change(filter, { target: { value: 'sent' } });
    await screen.findByTestId('carts-no-match');
    expect(backend.calls).toContainEqual({ cmd: 'list_carts', args: { status: 'sent', search: null } });

    await fireEvent.change(filter, { target: { value: '' } });
    await fireEvent.input(screen.getByTestId('carts-search'), { target: { value: 'Ana' } });
    await waitFor(() =>
      expect(backend.calls).toContainEqual({ cmd: 'list_carts', args: { status: null, search: 'Ana' } }),
    );
  });

  it('offers every cart status in the filter', async () => {
    backend.carts = [makeCart()];
    tauri.emit!({ type: 'cart_detected', cartId: 1 });
    const filter = (await screen.findByTestId('carts-status-filter')) as HTMLSelectElement;
    const options = [...filter.options].map((o) => o.value);
    for (const status of [
      'waiting', 'detected', 'no_phone', 'expired', 'completed', 'planned', 'sent', 'not_sent',
      'holdout', 'recovered',
    ]) {
      expect(options, status).toContain(status);
    }
    const waiting = [...filter.options].find((o) => o.value === 'waiting');
    expect(waiting?.textContent).toBe('En espera');
  });

  it('opens a cart to show its timeline and why it was not sent, and closes it', async () => {
    const timelines = sampleTimelines();
    backend.carts = timelines.map((x) => x.cart);
    backend.timelines = new Map(timelines.map((x) => [x.cart.id, x]));
    tauri.emit!({ type: 'cart_detected', cartId: 1 });
    const rows = await screen.findAllByTestId('cart-row');
    expect(rows).toHaveLength(3);
    expect(screen.queryByTestId('cart-timeline-panel')).toBeNull();

    // A click anywhere on the row opens it.
    await fireEvent.click(rows[0].querySelector('td:last-child')!);
    const panel = await screen.findByTestId('cart-timeline-panel');
    expect(backend.calls).toContainEqual({ cmd: 'cart_timeline', args: { cartId: 1 } });
    const toggle = within(rows[0]).getByTestId('cart-open');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const banner = await within(panel).findByTestId('cart-why-not-sent');
    expect(banner.textContent).toContain('Ya compró antes del mensaje');
    const skipped = within(panel)
      .getAllByTestId('timeline-entry')
      .find((e) => e.dataset.kind === 'skipped');
    expect(skipped?.textContent).toContain('Motivo: Ya compró antes del mensaje');

    // Another cart replaces it: only one is open at a time.
    await fireEvent.click(within(rows[1]).getByTestId('cart-open'));
    await waitFor(() =>
      expect(screen.getByTestId('cart-holdout-note').textContent).toContain('a propósito'),
    );
    expect(screen.getAllByTestId('cart-timeline-panel')).toHaveLength(1);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');

    await fireEvent.click(screen.getByTestId('cart-timeline-close'));
    await waitFor(() => expect(screen.queryByTestId('cart-timeline-panel')).toBeNull());
    expect(document.activeElement).toBe(within(rows[1]).getByTestId('cart-open'));

    // Clicking the open cart again closes it too.
    await fireEvent.click(rows[2]);
    await screen.findByTestId('cart-timeline-panel');
    await fireEvent.click(rows[2]);
    await waitFor(() => expect(screen.queryByTestId('cart-timeline-panel')).toBeNull());
  });

  it('reloads an open timeline on engine events and says when it cannot load', async () => {
    backend.carts = [makeCart({ id: 5 })];
    tauri.emit!({ type: 'cart_detected', cartId: 5 });
    await fireEvent.click(await screen.findByTestId('cart-open'));
    await waitFor(() => expect(screen.getAllByTestId('timeline-entry')).toHaveLength(1));

    backend.timelineFailure = { code: 'storage', message: 'database is locked' };
    tauri.emit!({ type: 'cart_detected', cartId: 5 });
    const error = await screen.findByTestId('cart-timeline-error');
    expect(error.textContent).toContain('No se pudo cargar el historial de este carrito.');
    expect(error.textContent).toContain('No se pudieron leer o guardar los datos en este equipo.');
    await fireEvent.click(within(error).getByTestId('cart-timeline-error-message-toggle'));
    expect(error.textContent).toContain('database is locked');
    // The last timeline stays visible under the error.
    expect(screen.getAllByTestId('timeline-entry')).toHaveLength(1);

    backend.timelineFailure = null;
    await fireEvent.click(within(error).getByRole('button', { name: 'Reintentar' }));
    await waitFor(() => expect(screen.queryByTestId('cart-timeline-error')).toBeNull());
    const timelineCalls = backend.calls.filter((c) => c.cmd === 'cart_timeline');
    expect(timelineCalls.length).toBeGreaterThanOrEqual(3);
    expect(timelineCalls.every((c) => c.args?.cartId === 5)).toBe(true);
  });
});
