import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, makeConversation, type FakeBackend } from './fake-backend';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { parseEngineEvent } from '../src/lib/events';
import { ONBOARDING_SKIPPED_KEY } from '../src/lib/onboarding';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  localStorage.clear();
  localStorage.setItem(ONBOARDING_SKIPPED_KEY, '1');
  app.screen = 'carts';
  app.notices = [];
  app.status = null;
  app.onboarding = false;
  app.focusConversation = null;
  app.focusSection = null;
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
  backend.conversations = [
    makeConversation({ id: 1, contactName: 'Ana' }),
    makeConversation({ id: 2, contactName: 'Bruno' }),
  ];
});

afterEach(() => cleanup());

async function start() {
  delete document.body.dataset.ready;
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
}

const takes = () => backend.calls.filter((c) => c.cmd === 'take_route').length;

describe('A clicked notification', () => {
  it('opens the window on the conversation it was about', async () => {
    backend.route = { screen: 'inbox', conversationId: 2 };
    await start();
    expect(app.screen).toBe('inbox');
    await waitFor(() => expect(screen.getByTestId('conversation-view')).toBeTruthy());
    expect(backend.calls.some((c) => c.cmd === 'conversation_detail' && c.args?.conversationId === 2)).toBe(
      true,
    );
    await waitFor(() => {
      const selected = document.querySelector('[data-testid="conversation"][aria-current="true"]');
      expect(selected?.textContent).toContain('Bruno');
    });
    expect(app.focusConversation).toBeNull();
  });

  it('moves an open window when the engine says so, taking the route once', async () => {
    await start();
    expect(app.screen).toBe('carts');
    const before = takes();
    backend.route = { screen: 'settings', section: 'whatsapp' };
    tauri.emit?.({ type: 'navigate', route: { screen: 'settings', section: 'whatsapp' } });
    await waitFor(() => expect(app.screen).toBe('settings'));
    expect(takes()).toBe(before + 1);
    expect(backend.route).toBeNull();
    await waitFor(() => expect(app.focusSection).toBeNull());
    expect(document.getElementById('group-whatsapp')?.closest('section')?.dataset.focused).toBe('true');
  });

  it('stays where it is when nothing was clicked', async () => {
    await start();
    expect(app.screen).toBe('carts');
    expect(takes()).toBe(1);
  });

  it('reads routes defensively', () => {
    expect(parseEngineEvent({ type: 'navigate', route: { screen: 'inbox', conversationId: 3 } })).toEqual({
      type: 'navigate',
      route: { screen: 'inbox', conversationId: 3 },
    });
    expect(parseEngineEvent({ type: 'navigate', route: { screen: 'nowhere' } })).toBeNull();
    expect(parseEngineEvent({ type: 'navigate', screen: 'inbox' })).toBeNull();
    expect(
      parseEngineEvent({ type: 'navigate', route: { screen: 'settings', section: '<img onerror>' } }),
    ).toEqual({ type: 'navigate', route: { screen: 'settings' } });
  });
});
