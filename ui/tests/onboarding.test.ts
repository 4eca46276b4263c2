import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import type { StoreRow } from '../src/lib/types';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { setClockSource } from '../src/lib/clock.svelte';
import { ONBOARDING_SKIPPED_KEY } from '../src/lib/onboarding';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

const NOW = Date.parse('2026-11-24T17:05:00Z'); // a Tuesday; 14:05 in Buenos Aires

const connected: StoreRow = {
  id: 1,
  platform: 'tiendanube',
  name: 'Tienda Sol',
  baseUrl: 'https://api.tiendanube.com',
  externalId: '123456',
  country: 'AR',
  state: 'ok',
  lastPollAt: null,
  lastSuccessAt: null,
  lastError: null,
  createdAt: '2026-11-01T12:00:00Z',
};

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  for (const key of ['whatsapp_phone_number_id', 'whatsapp_waba_id']) {
    backend.settings.push({ key, value: '', default: '', description: `server help for ${key}`, kind: 'text' });
  }
  localStorage.clear();
  setClockSource(() => NOW);
  app.screen = 'carts';
  app.notices = [];
  app.status = null;
  app.onboarding = false;
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
});

afterEach(() => {
  cleanup();
  setClockSource(null);
});

async function start() {
  delete document.body.dataset.ready;
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
}

const byId = <T extends HTMLElement = HTMLElement>(id: string) => screen.getByTestId(id) as T;
const click = (id: string) => fireEvent.click(byId(id));
const currentStep = () => document.querySelector('[data-testid^="onboarding-step-"]')?.getAttribute('data-testid');

describe('Guided setup: when it opens', () => {
  it('opens by itself on a first run: no store connected and no demo running', async () => {
    await start();
    const guide = byId('onboarding');
    expect(guide.querySelector('h1')?.textContent).toBe('Pongamos Recupero en marcha');
    expect(currentStep()).toBe('onboarding-step-store');
    // It stands in for the screens: no screen behind it, and no rail item marked as current.
    expect(screen.queryByTestId('screen-carts')).toBeNull();
    expect(byId('nav-carts').getAttribute('aria-current')).toBeNull();
    expect(backend.calls.some((c) => c.cmd === 'list_stores')).toBe(true);
  });

  it('stays closed once a store is connected', async () => {
    backend.stores = [connected];
    await start();
    expect(screen.queryByTestId('onboarding')).toBeNull();
    expect(byId('screen-carts')).toBeTruthy();
  });

  it('stays closed while the demo runs', async () => {
    backend.status.demo = true;
    await start();
    expect(screen.queryByTestId('onboarding')).toBeNull();
    expect(byId('screen-carts')).toBeTruthy();
  });

  it('stays closed after the owner chose "Skip for now"', async () => {
    localStorage.setItem(ONBOARDING_SKIPPED_KEY, 'skipped');
    await start();
    expect(screen.queryByTestId('onboarding')).toBeNull();
  });

  it('stays closed when the engine cannot list the stores (unknown is not "none")', async () => {
    backend.failures.set('list_stores', { code: 'storage', message: 'database is locked' });
    await start();
    expect(screen.queryByTestId('onboarding')).toBeNull();
  });

  it('"Skip for now" shows the app and is remembered for the next start', async () => {
    await start();
    await click('onboarding-skip');
    expect(screen.queryByTestId('onboarding')).toBeNull();
    expect(byId('screen-carts')).toBeTruthy();
    expect(localStorage.getItem(ONBOARDING_SKIPPED_KEY)).toBe('skipped');

    cleanup();
    await start();
    expect(screen.queryByTestId('onboarding')).toBeNull();
  });

  it('leaves through the side menu without remembering it, and comes back from Settings', async () => {
    await start();
    await click('nav-inbox');
    expect(screen.queryByTestId('onboarding')).toBeNull();
    expect(byId('screen-inbox')).toBeTruthy();
    expect(localStorage.getItem(ONBOARDING_SKIPPED_KEY), 'only "Skip for now" is remembered').toBeNull();

    await click('nav-settings');
    const entry = byId('guided-setup');
    expect(entry.textContent).toContain('Configuración guiada');
    await click('open-onboarding');
    expect(byId('onboarding')).toBeTruthy();
    expect(currentStep()).toBe('onboarding-step-store');
    // Skipping from there goes back to where the owner was.
    await click('onboarding-skip');
    expect(byId('screen-settings')).toBeTruthy();
  });
});

describe('Guided setup: the steps', () => {
  it('walks store → WhatsApp → hours → replies → test message → done with Next and Back', async () => {
    await start();
    const indicator = () =>
      screen.getAllByRole('button', { current: 'step' }).map((b) => b.getAttribute('data-testid'));

    expect(indicator()).toEqual(['onboarding-goto-store']);
    expect(screen.queryByTestId('onboarding-back'), 'nothing to go back to on the first step').toBeNull();
    expect(within(byId('onboarding-step-store')).getByTestId('store-section')).toBeTruthy();

    await click('onboarding-next');
    expect(currentStep()).toBe('onboarding-step-whatsapp');
    expect(indicator()).toEqual(['onboarding-goto-whatsapp']);
    expect(document.activeElement?.textContent, 'the new step title takes the focus').toBe(
      'Conecta tu WhatsApp',
    );
    const wa = byId('onboarding-step-whatsapp');
    // The number, the token, the check — the replies and the test message are steps of their own.
    expect(within(wa).getByTestId('setting-whatsapp_phone_number_id')).toBeTruthy();
    expect(within(wa).getByTestId('wa-token')).toBeTruthy();
    expect(within(wa).getByTestId('wa-check')).toBeTruthy();
    expect(within(wa).queryByTestId('webhook-last')).toBeNull();
    expect(within(wa).queryByTestId('wa-test')).toBeNull();

    await click('onboarding-back');
    expect(currentStep()).toBe('onboarding-step-store');
    await click('onboarding-next');
    await click('onboarding-next');
    expect(currentStep()).toBe('onboarding-step-hours');
    expect(byId('setting-timezone')).toBeTruthy();
    expect(byId('setting-business_hours')).toBeTruthy();

    await click('onboarding-next');
    expect(currentStep()).toBe('onboarding-step-webhook');
    expect(byId('webhook-last').dataset.state).toBe('never');
    await waitFor(() => expect(byId('webhook-url').textContent).toContain('/webhook/s3cr3t'));

    await click('onboarding-next');
    expect(currentStep()).toBe('onboarding-step-test');
    expect(byId('wa-test-phone')).toBeTruthy();

    await click('onboarding-next');
    expect(currentStep()).toBe('onboarding-step-done');
    expect(screen.queryByTestId('onboarding-next')).toBeNull();
    const summary = await screen.findByTestId('onboarding-done-store');
    expect(summary.dataset.connected).toBe('false');
    expect(summary.textContent).toContain('Todavía no conectaste tu tienda');

    await click('onboarding-finish');
    expect(screen.queryByTestId('onboarding')).toBeNull();
    expect(byId('screen-carts')).toBeTruthy();
    expect(localStorage.getItem(ONBOARDING_SKIPPED_KEY)).toBe('done');
  });

  it('jumps to a step from the step indicator', async () => {
    await start();
    await click('onboarding-goto-webhook');
    expect(currentStep()).toBe('onboarding-step-webhook');
    expect(byId('onboarding-goto-webhook').getAttribute('aria-current')).toBe('step');
    expect(byId('onboarding-goto-store').textContent, 'steps behind are ticked').toContain('✓');
  });

  it('connects the store in the first step: test lists the carts with phone problems, then save', async () => {
    backend.storeReport = {
      carts: [
        {
          checkoutId: 'co-1',
          completed: false,
          phone: null,
          phoneProblem: 'too short',
          firstName: 'Ana',
          language: 'es',
          marketingConsent: true,
          currency: 'ARS',
          total: '12500.50',
          items: [{ name: 'Remera', variant: 'M', quantity: 1, unitPrice: '12500.50', imageUrl: null }],
          recoveryLink: 'https://tienda-sol.com/checkout/co-1',
          createdAt: '2026-11-24T14:00:00Z',
          updatedAt: '2026-11-24T14:30:00Z',
          completedAt: null,
        },
      ],
      skipped: [],
      consent: 'not_recorded',
    };
    await start();
    await fireEvent.input(byId('store-id'), { target: { value: '123456' } });
    await fireEvent.input(byId('store-token'), { target: { value: 'tn-secret-token' } });
    await click('store-test');
    const row = await screen.findByTestId('store-result-row');
    expect(row.textContent).toContain('Ana');
    expect(row.textContent).toContain('Teléfono no utilizable: too short');

    await fireEvent.input(byId('store-name'), { target: { value: 'Tienda Sol' } });
    await click('store-save');
    await screen.findByTestId('store-saved');
    expect(backend.stores).toHaveLength(1);
    expect((byId('store-token') as HTMLInputElement).value, 'the token is not kept in the form').toBe('');

    await click('onboarding-goto-test');
    await click('onboarding-next');
    const summary = await screen.findByTestId('onboarding-done-store');
    expect(summary.textContent).toContain('Tienda conectada: Tienda Sol.');
  });

  it('edits the hours and time zone through the settings, and says them in plain words', async () => {
    await start();
    await click('onboarding-goto-hours');
    // The fake engine's hours: mon-sat 09:00-20:00 in Buenos Aires.
    const preview = byId('onboarding-hours-preview');
    expect(preview.textContent).toContain('Lunes a sábado: de 09:00 a 20:00');
    expect(preview.textContent).toContain('Cerrado: domingo.');
    expect(byId('onboarding-zone-now').textContent).toBe('Hora actual en esa zona: martes, 14:05.');

    const hours = byId<HTMLInputElement>('setting-business_hours');
    await fireEvent.input(hours, { target: { value: 'mon-fri 09:00-13:00, 14:00-18:00; sat 10:00-13:00; closed 2026-12-25' } });
    await waitFor(() => expect(preview.textContent).toContain('Lunes a viernes: de 09:00 a 13:00 y de 14:00 a 18:00'));
    expect(preview.textContent).toContain('Sábado: de 10:00 a 13:00');
    expect(preview.textContent).toContain('Cerrado: domingo.');
    expect(preview.textContent).toContain('También cerrado: 25 dic 2026.');
    await click('save-business_hours');
    await waitFor(() =>
      expect(backend.calls).toContainEqual({
        cmd: 'settings_set',
        args: { key: 'business_hours', value: 'mon-fri 09:00-13:00, 14:00-18:00; sat 10:00-13:00; closed 2026-12-25' },
      }),
    );

    await fireEvent.input(hours, { target: { value: 'weekdays 9-6' } });
    await waitFor(() => expect(preview.textContent).toContain('Recupero revisará el formato cuando guardes.'));

    const zone = byId<HTMLInputElement>('setting-timezone');
    await fireEvent.input(zone, { target: { value: 'America/Sao_Paulo' } });
    await waitFor(() =>
      expect(byId('onboarding-zone-now').textContent).toBe('Hora actual en esa zona: martes, 14:05.'),
    );
    await fireEvent.input(zone, { target: { value: 'Europe/Madrid' } });
    await waitFor(() =>
      expect(byId('onboarding-zone-now').textContent).toBe('Hora actual en esa zona: martes, 18:05.'),
    );
    await fireEvent.input(zone, { target: { value: 'Mars/Olympus' } });
    await screen.findByTestId('onboarding-zone-unknown');
    await click('save-timezone');
    await waitFor(() =>
      expect(backend.calls).toContainEqual({ cmd: 'settings_set', args: { key: 'timezone', value: 'Mars/Olympus' } }),
    );
  });
});

describe('Guided setup: the demo', () => {
  it('"Try the demo" starts it, closes the guide and shows the carts under the demo banner', async () => {
    backend.demoAvailable = true;
    await start();
    const step = byId('onboarding-step-store');
    const demo = within(step).getByTestId('try-demo');
    expect(demo.textContent).toContain('Probar la demo');
    await fireEvent.click(demo);
    await waitFor(() => expect(screen.queryByTestId('onboarding')).toBeNull());
    expect(backend.calls.filter((c) => c.cmd === 'start_demo')).toHaveLength(1);
    expect(byId('screen-carts')).toBeTruthy();
    expect(byId('demo-banner')).toBeTruthy();
    expect(localStorage.getItem(ONBOARDING_SKIPPED_KEY), 'the demo is not a skip').toBeNull();
  });

  it('stays open and explains when the demo cannot start', async () => {
    await start();
    await fireEvent.click(within(byId('onboarding-step-store')).getByTestId('try-demo'));
    await waitFor(() =>
      expect(byId('notice').textContent).toContain('La demo todavía no está disponible.'),
    );
    expect(byId('onboarding')).toBeTruthy();
    expect(screen.queryByTestId('demo-banner')).toBeNull();
  });

  it('comes back when the demo ends and nothing is set up yet', async () => {
    backend.demoAvailable = true;
    await start();
    await fireEvent.click(within(byId('onboarding-step-store')).getByTestId('try-demo'));
    await screen.findByTestId('demo-banner');
    await click('end-demo');
    await screen.findByTestId('onboarding');
    expect(screen.queryByTestId('demo-banner')).toBeNull();
  });

  it('cannot be opened from Settings during the demo', async () => {
    backend.status.demo = true;
    app.screen = 'settings';
    await start();
    const open = byId<HTMLButtonElement>('open-onboarding');
    expect(open.disabled).toBe(true);
    expect(byId('guided-setup').textContent).toContain('Estás en la demo');
  });
});
