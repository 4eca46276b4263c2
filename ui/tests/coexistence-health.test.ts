// Coexistence health: the banner only while the number is disconnected or the phone app has been
// unused for 12 days (a click opens Settings → WhatsApp); the panel's state with what to do, the
// history import's progress, its refusal code and the owner's "Ask again" (the only way to ask
// again), in es and en.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import { tauri } from './tauri-mock';
import CoexistenceHealth from '../src/components/CoexistenceHealth.svelte';
import { app } from '../src/lib/app.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import type { CoexistenceHealth as Health } from '../src/lib/generated';

let backend: FakeBackend;
let calls: string[];

function health(over: Partial<Health>): Health {
  return { ...structuredClone(backend.status.coexistence), ...over };
}

beforeAll(() => {
  (window as Window & { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  calls = [];
  tauri.invoke = (cmd, args) => {
    if (cmd === 'coexistence_request_history') {
      calls.push(cmd);
      return health({ state: 'ok', history: 'failed', historyCode: '2593107', contactsCode: '2593107' });
    }
    if (cmd === 'coexistence_check') {
      calls.push(cmd);
      return health({ state: 'ok', checkedAt: '2026-11-21T15:00:00Z' });
    }
    return backend.invoke(cmd, args);
  };
  setLang('es');
  app.status = structuredClone(backend.status);
  app.screen = 'carts';
});

afterEach(() => cleanup());

describe('coexistence banner', () => {
  it('says nothing while all is well', () => {
    app.status!.coexistence = health({ state: 'ok', daysWithoutPhone: 3 });
    render(CoexistenceHealth, { banner: true });
    expect(screen.queryByTestId('coexistence-banner')).toBeNull();
  });

  it('warns about a disconnected number and opens Settings → WhatsApp', async () => {
    app.status!.coexistence = health({ state: 'disconnected', reason: 'PRIMARY_INACTIVITY' });
    render(CoexistenceHealth, { banner: true });
    const banner = screen.getByTestId('coexistence-banner');
    expect(banner.textContent).toContain('se desconectó de Recupero');
    await fireEvent.click(screen.getByText('Qué hacer'));
    expect(app.screen).toBe('settings');
    expect(app.focusSection).toBe('whatsapp');
  });

  it('reminds the owner to open the phone app before day 14', () => {
    setLang('en');
    app.status!.coexistence = health({ state: 'ok', phoneReminder: true, daysWithoutPhone: 12 });
    render(CoexistenceHealth, { banner: true });
    expect(screen.getByTestId('coexistence-banner').textContent).toContain('12 days without using it');
  });
});

describe('coexistence panel', () => {
  it('shows why the number is disconnected and what to do', () => {
    app.status!.coexistence = health({ state: 'disconnected', reason: 'PRIMARY_INACTIVITY' });
    render(CoexistenceHealth);
    const panel = screen.getByTestId('coexistence-health');
    expect(panel.textContent).toContain('unos 14 días');
    expect(screen.getByTestId('coexistence-what-to-do').textContent).toContain('Plataforma de negocios');
  });

  it('shows the import progress, then a refusal with its code, and asks again only on a click', async () => {
    app.status!.coexistence = health({ state: 'ok', history: 'importing', historyProgress: 55 });
    render(CoexistenceHealth);
    expect(screen.getByTestId('coexistence-history').textContent).toContain('55%');
    expect(screen.queryByTestId('coexistence-import-history')).toBeNull();
    cleanup();
    app.status = { ...app.status!, coexistence: health({ state: 'ok', history: 'failed', historyCode: '2593109' }) };
    render(CoexistenceHealth);
    const line = screen.getByTestId('coexistence-history');
    expect(line.textContent).toContain('2593109');
    expect(line.textContent).toContain('desactivado en la app WhatsApp Business');
    expect(calls).toEqual([]);
    await fireEvent.click(screen.getByTestId('coexistence-import-history'));
    await waitFor(() => expect(screen.getByTestId('coexistence-history').textContent).toContain('2593107'));
    expect(calls).toEqual(['coexistence_request_history']);
  });
});
