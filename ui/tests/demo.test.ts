import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';

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

beforeEach(() => {
  backend = fakeBackend();
  backend.demoAvailable = true;
  localStorage.clear();
  app.screen = 'carts';
  app.notices = [];
  app.status = null;
  app.onboarding = false;
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
});

afterEach(() => cleanup());

async function start() {
  delete document.body.dataset.ready;
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
}

const byId = <T extends HTMLElement = HTMLElement>(id: string) => screen.getByTestId(id) as T;
const calls = (cmd: string) => backend.calls.filter((c) => c.cmd === cmd);

describe('Demo mode', () => {
  it('shows a banner saying nothing is real for as long as the demo runs', async () => {
    backend.status.demo = true;
    await start();
    const banner = byId('demo-banner');
    expect(banner.textContent).toContain(
      'Demo: una tienda de prueba y un WhatsApp simulado — ningún cliente real recibe mensajes.',
    );
    expect(within(banner).getByTestId('end-demo').textContent).toContain('Terminar la demo');
    // It stays on every screen.
    for (const name of ['inbox', 'results', 'settings', 'carts']) {
      await fireEvent.click(byId(`nav-${name}`));
      expect(byId(`screen-${name}`)).toBeTruthy();
      expect(byId('demo-banner')).toBeTruthy();
    }
  });

  it('has no banner outside the demo, and follows the engine when the demo starts elsewhere', async () => {
    backend.stores = [
      {
        id: 1, platform: 'shopify', name: 'Sol', baseUrl: 'https://sol.myshopify.com', externalId: null,
        country: 'AR', state: 'ok', lastPollAt: null, lastSuccessAt: null, lastError: null,
        createdAt: '2026-11-01T12:00:00Z',
      },
    ];
    await start();
    expect(screen.queryByTestId('demo-banner')).toBeNull();
    tauri.emit!({ type: 'status_changed', status: { ...backend.status, demo: true } });
    await screen.findByTestId('demo-banner');
  });

  it('"End demo" calls stop_demo, removes the banner, says so and reloads the lists', async () => {
    backend.status.demo = true;
    await start();
    // A demo customer's escalation, shown while the demo ran, is not news once it ends.
    tauri.emit?.({ type: 'escalation', conversationId: 3, contactName: 'Lucía', reason: 'complaint' });
    await waitFor(() => expect(screen.getAllByTestId('notice').length).toBe(1));
    const listsBefore = calls('list_carts').length;
    await fireEvent.click(byId('end-demo'));
    await waitFor(() => expect(screen.queryByTestId('demo-banner')).toBeNull());
    expect(calls('stop_demo')).toEqual([{ cmd: 'stop_demo', args: undefined }]);
    expect(screen.getAllByTestId('notice').length).toBe(1);
    expect(byId('notice').textContent).toContain('La demo terminó: volviste a los datos de tu tienda.');
    expect(app.status?.demo).toBe(false);
    await waitFor(() => expect(calls('list_carts').length).toBeGreaterThan(listsBefore));
  });

  it('keeps the banner and explains when the demo cannot be ended', async () => {
    backend.status.demo = true;
    backend.failures.set('stop_demo', { code: 'storage', message: 'database is locked' });
    await start();
    await fireEvent.click(byId('end-demo'));
    const notice = byId('notice');
    await waitFor(() => expect(notice.textContent).toContain('No se pudo terminar la demo.'));
    // Worded in Spanish; the engine's English only on request.
    expect(notice.textContent).toContain('No se pudieron leer o guardar los datos en este equipo.');
    expect(notice.textContent).not.toContain('database is locked');
    await fireEvent.click(within(notice).getByTestId('notice-error-toggle'));
    expect(notice.textContent).toContain('database is locked');
    expect(byId('demo-banner')).toBeTruthy();
    expect(screen.queryByTestId('onboarding')).toBeNull();
  });

  it('"Try the demo" from another screen starts it and lands on Carts', async () => {
    localStorage.setItem(ONBOARDING_SKIPPED_KEY, 'skipped');
    await start();
    await fireEvent.click(byId('nav-inbox'));
    await fireEvent.click(await screen.findByTestId('try-demo'));
    await screen.findByTestId('demo-banner');
    expect(calls('start_demo')).toHaveLength(1);
    expect(byId('screen-carts')).toBeTruthy();
    expect(byId('notice').textContent).toContain('La demo está en marcha');
  });

  it('speaks the owner\'s language', async () => {
    backend.status.demo = true;
    backend.settings.find((s) => s.key === 'ui_language')!.value = 'pt';
    await start();
    expect(byId('demo-banner').textContent).toContain(
      'Demonstração: uma loja de teste e um WhatsApp simulado — nenhum cliente real recebe mensagens.',
    );
    expect(byId('end-demo').textContent).toContain('Encerrar a demonstração');
  });
});
