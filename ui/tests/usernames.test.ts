// Customers who write with a WhatsApp username and no number (business-scoped user ids): the
// inbox names them by their username — or their BSUID when they have none — where a number
// would be, and says why there is no number, in the owner's language.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, makeConversation, makeDetail, type FakeBackend } from './fake-backend';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { customerHandle, withoutNumber } from '../src/lib/customer-handle';
import { dictionaries } from '../src/lib/i18n/index.svelte';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  app.screen = 'carts';
  app.notices = [];
  delete document.body.dataset.ready;
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
});

afterEach(() => cleanup());

const BSUID = 'AR.1502576394655843';

describe('customers known by username', () => {
  it('writes the number, else the @username, else the BSUID', () => {
    expect(customerHandle({ phone: '+5491155550000', username: '@ana', userId: BSUID })).toBe('+5491155550000');
    expect(customerHandle({ phone: null, username: 'ana.luna', userId: BSUID })).toBe('@ana.luna');
    expect(customerHandle({ phone: null, username: '@ana.luna', userId: BSUID })).toBe('@ana.luna');
    expect(customerHandle({ phone: null, username: null, userId: BSUID })).toBe(BSUID);
    expect(withoutNumber({ phone: null, username: null, userId: BSUID })).toBe(true);
    expect(withoutNumber({ phone: '+5491155550000', username: null, userId: BSUID })).toBe(false);
  });

  it('lists and opens a username customer with their username where the number would be', async () => {
    const ana = makeConversation({ id: 7, contactName: null, phone: null, username: '@ana.luna', userId: BSUID });
    const nameless = makeConversation({ id: 8, contactName: null, phone: null, username: null, userId: 'AR.77' });
    backend.conversations = [ana, nameless];
    backend.details.set(7, makeDetail({ conversation: ana, cart: null }));
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    const rows = await screen.findAllByTestId('conversation');
    expect(within(rows[0]).getByText('@ana.luna', { selector: '.who' })).toBeTruthy();
    const handle = within(rows[0]).getByTestId('conversation-handle');
    expect(handle.textContent).toBe('@ana.luna');
    expect(handle.title).toBe(dictionaries.es['inbox.usernameOnly']);
    expect(within(rows[1]).getByTestId('conversation-handle').textContent).toBe('AR.77');
    expect(rows[1].textContent).toContain('Cliente sin nombre');

    await fireEvent.click(rows[0]);
    const view = await screen.findByTestId('conversation-view');
    expect(within(view).getByTestId('thread-handle').textContent).toBe('@ana.luna');
    expect(within(view).getByTestId('thread-username-only').textContent).toBe(
      'Sin número: escribe con su nombre de usuario de WhatsApp',
    );
  });

  it('says nothing about usernames for a customer with a number', async () => {
    const bruno = makeConversation({ id: 9, contactName: 'Bruno', username: '@bruno', userId: 'AR.99' });
    backend.conversations = [bruno];
    backend.details.set(9, makeDetail({ conversation: bruno }));
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    await fireEvent.click(screen.getByTestId('nav-inbox'));
    await fireEvent.click((await screen.findAllByTestId('conversation'))[0]);
    const view = await screen.findByTestId('conversation-view');
    expect(within(view).getByTestId('thread-handle').textContent).toBe('+5491155550000');
    expect(within(view).queryByTestId('thread-username-only')).toBeNull();
  });
});
