// The same hours grid in the guided setup's hours step and in Settings: what is saved in one is
// what the other shows, in the owner's language.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { setClockSource } from '../src/lib/clock.svelte';
import { tauri } from './tauri-mock';

let backend: FakeBackend;
tauri.invoke = (cmd, args) => backend.invoke(cmd, args);
type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };
const NOW = Date.parse('2026-11-24T17:05:00Z');

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  backend.settings.push({ key: 'default_country', value: 'AR', default: 'AR', description: 'country', kind: 'country' });
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

const byId = (id: string) => screen.getByTestId(id);

describe('the hours grid in onboarding and Settings', () => {
  it('is the hours step of the guided setup, saving the holidays the owner keeps', async () => {
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    await fireEvent.click(byId('onboarding-goto-hours'));
    const grid = within(byId('onboarding-step-hours')).getByTestId('hours-grid');
    expect(within(grid).getByTestId('hours-day-0').textContent).toContain('Lunes');
    await waitFor(() => expect(within(grid).queryByTestId('hours-holiday-2027-07-09')).not.toBeNull());
    await fireEvent.click(within(grid).getByTestId('hours-holiday-2027-07-09'));
    await fireEvent.click(within(grid).getByTestId('hours-save'));
    await waitFor(() => expect(backend.settings.find((s) => s.key === 'business_hours')?.value).toContain('closed 2026-12-08'));
    const saved = backend.settings.find((s) => s.key === 'business_hours')!.value;
    expect(saved).toMatch(/^mon-sat 09:00-20:00; closed /);
    expect(saved).not.toContain('2027-07-09');
    // Saved: nothing pending, the text field (advanced) shows the same value.
    await waitFor(() => expect(within(grid).queryByTestId('hours-unsaved')).toBeNull());
    expect((within(grid).getByTestId('setting-business_hours') as HTMLInputElement).value).toBe(saved);
  });

  it('is in Settings, reading what was saved', async () => {
    backend.settings.find((s) => s.key === 'business_hours')!.value =
      'mon-fri 09:00-13:00,14:00-18:00; closed 2026-12-25';
    backend.stores = [
      {
        id: 1, platform: 'tiendanube', name: 'Tienda Sol', baseUrl: 'https://api.tiendanube.com', externalId: '1',
        country: 'AR', state: 'ok', lastPollAt: null, lastSuccessAt: null, lastError: null, createdAt: '2026-11-01T12:00:00Z',
      },
    ];
    app.screen = 'settings';
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    const grid = await screen.findByTestId('hours-grid');
    expect((within(grid).getByTestId('hours-end-0-1') as HTMLInputElement).value).toBe('18:00');
    expect((within(grid).getByTestId('hours-open-5') as HTMLInputElement).checked).toBe(false);
    await waitFor(() => expect(within(grid).queryByTestId('hours-holiday-2026-12-25')).not.toBeNull());
    expect((within(grid).getByTestId('hours-holiday-2026-12-25') as HTMLInputElement).checked).toBe(true);
    expect((within(grid).getByTestId('hours-holiday-2027-01-01') as HTMLInputElement).checked).toBe(false);
  });
});
