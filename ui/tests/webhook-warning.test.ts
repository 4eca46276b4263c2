import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app, handleEngineEvent } from '../src/lib/app.svelte';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
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

const warning = () => screen.queryByTestId('webhook-signature-warning');

describe('Webhook signature warning', () => {
  it('stays on every screen while there is no app secret', async () => {
    backend.status.webhookSignatures = 'no_secret';
    await start();
    expect(warning()?.textContent).toContain('Falta el secreto de la app de Meta');
    for (const name of ['inbox', 'results', 'settings', 'carts']) {
      await fireEvent.click(screen.getByTestId(`nav-${name}`));
      expect(warning()?.dataset.state).toBe('no_secret');
    }
  });

  it('warns that anyone could post while unsigned webhooks are allowed, and goes when signatures are required', async () => {
    backend.status.webhookSignatures = 'unsigned_allowed';
    await start();
    expect(warning()?.textContent).toContain('Aceptar avisos de WhatsApp sin firma” está encendido');
    handleEngineEvent({ type: 'status_changed', status: { ...backend.status, webhookSignatures: 'required' } });
    await waitFor(() => expect(warning()).toBeNull());
  });

  it('is not shown before WhatsApp is set up (a fresh install)', async () => {
    backend.status.webhookSignatures = 'not_set_up';
    await start();
    expect(warning()).toBeNull();
    handleEngineEvent({ type: 'status_changed', status: { ...backend.status, webhookSignatures: 'no_secret' } });
    await waitFor(() => expect(warning()?.dataset.state).toBe('no_secret'));
  });

  it('is not shown when every delivery must be signed, nor in the demo', async () => {
    await start();
    expect(warning()).toBeNull();
    handleEngineEvent({
      type: 'status_changed',
      status: { ...backend.status, demo: true, webhookSignatures: 'no_secret' },
    });
    await waitFor(() => expect(screen.queryByTestId('demo-banner')).not.toBeNull());
    expect(warning()).toBeNull();
  });
});
