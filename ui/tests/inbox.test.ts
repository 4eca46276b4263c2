import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import {
  fakeBackend,
  makeConversation,
  makeDetail,
  makeDraft,
  makeMessage,
  type FakeBackend,
} from './fake-backend';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { CLOCK_TICK_MS, setClockSource } from '../src/lib/clock.svelte';
import { dictionaries } from '../src/lib/i18n/index.svelte';
import {
  ESCALATION_REASONS,
  MESSAGE_ORIGINS,
  MESSAGE_STATUSES,
  WHATSAPP_ERRORS,
} from '../src/lib/inbox-labels';
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

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  setClockSource(null);
});

/** Start the app and open the Inbox with what the fake backend holds. */
async function openInbox() {
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
  await fireEvent.click(screen.getByTestId('nav-inbox'));
}

/** Open the Inbox and the conversation with this id; resolves with its view. */
async function openConversation(id: number) {
  await openInbox();
  const row = (await screen.findAllByTestId('conversation')).find(
    (r) => r.dataset.conversationId === String(id),
  );
  expect(row, `conversation ${id} is listed`).toBeTruthy();
  await fireEvent.click(row!);
  const view = await screen.findByTestId('conversation-view');
  await within(view).findByTestId('thread');
  return view;
}

const calls = (cmd: string) => backend.calls.filter((c) => c.cmd === cmd);

describe('Inbox list', () => {
  it('keeps the server order and shows why each conversation needs the owner', async () => {
    backend.conversations = [
      makeConversation({
        id: 7,
        contactName: 'Bruno',
        escalated: true,
        escalationReason: 'asked_for_person',
        automationPaused: true,
        unread: 2,
      }),
      makeConversation({ id: 3, contactName: 'Carla', unread: 1, pendingDrafts: 1, automationPaused: true }),
      makeConversation({ id: 1, contactName: 'Ana', optedOut: true }),
    ];
    await openInbox();
    const rows = await screen.findAllByTestId('conversation');
    expect(rows.map((r) => r.dataset.conversationId), 'the order the server sent').toEqual(['7', '3', '1']);
    expect(calls('list_conversations')[0].args).toEqual({ search: null, limit: 10_000 });

    const bruno = within(rows[0]);
    expect(bruno.getByTestId('badge-escalated').textContent).toBe('Pidió hablar con una persona');
    expect(bruno.getByTestId('badge-unread').textContent).toBe('2');
    expect(
      bruno.queryByTestId('badge-takeover'),
      'an escalation already says a person handles it; its reason is what matters',
    ).toBeNull();
    expect(bruno.queryByTestId('badge-opted-out')).toBeNull();

    const carla = within(rows[1]);
    expect(carla.getByTestId('badge-draft').textContent).toBe('Respuesta sugerida: 1');
    expect(carla.queryByTestId('badge-escalated')).toBeNull();
    expect(carla.getByTestId('badge-takeover').textContent).toBe('Atiendes tú');

    const ana = within(rows[2]);
    expect(ana.getByTestId('badge-opted-out').textContent).toBe('No quiere mensajes');
    expect(ana.queryByTestId('badge-unread')).toBeNull();
  });

  it('searches on the server and says when nothing matches', async () => {
    backend.conversations = [
      makeConversation({ id: 1, contactName: 'Ana' }),
      makeConversation({ id: 2, contactName: 'Bruno', phone: '+5511999990000' }),
    ];
    await openInbox();
    await screen.findAllByTestId('conversation');
    await fireEvent.input(screen.getByTestId('inbox-search'), { target: { value: 'bru' } });
    await waitFor(() =>
      expect(calls('list_conversations').at(-1)?.args).toEqual({ search: 'bru', limit: 10_000 }),
    );
    await waitFor(() => expect(screen.getAllByTestId('conversation')).toHaveLength(1));
    expect(screen.getByTestId('conversation').textContent).toContain('Bruno');

    await fireEvent.input(screen.getByTestId('inbox-search'), { target: { value: 'zzz' } });
    await screen.findByTestId('inbox-no-match');
    expect(screen.queryByTestId('empty-inbox'), 'a search with no match is not an empty inbox').toBeNull();
  });

  it('renders only the rows in view of 10,000 conversations, and follows the scroll', async () => {
    backend.conversations = Array.from({ length: 10_000 }, (_, i) =>
      makeConversation({ id: i + 1, contactName: `Cliente ${i + 1}` }),
    );
    await openInbox();
    const list = await screen.findByTestId('conversation-list');
    expect(list.dataset.total).toBe('10000');
    const rendered = screen.getAllByTestId('conversation');
    expect(rendered.length, 'a window of rows, not the whole list').toBeLessThanOrEqual(30);
    expect(rendered[0].dataset.conversationId).toBe('1');
    // The spacer keeps the scroll bar as long as the whole list.
    const spacer = list.firstElementChild as HTMLElement;
    expect(spacer.style.height).toBe(`${10_000 * 84}px`);

    list.scrollTop = 84 * 5_000;
    await fireEvent.scroll(list);
    await waitFor(() => {
      const ids = screen.getAllByTestId('conversation').map((r) => Number(r.dataset.conversationId));
      expect(ids).toContain(5_001);
      expect(ids).not.toContain(1);
    });
    expect(screen.getAllByTestId('conversation').length).toBeLessThanOrEqual(30);
    const item = within(list).getAllByRole('listitem')[0];
    expect(item.getAttribute('aria-setsize')).toBe('10000');
  });
});

describe('A conversation', () => {
  it('opens the thread, marks it read and says who wrote each message', async () => {
    backend.conversations = [makeConversation({ id: 4, unread: 2 })];
    backend.details.set(
      4,
      makeDetail({
        conversation: makeConversation({ id: 4, unread: 2 }),
        messages: [
          makeMessage({ id: 1, conversationId: 4, origin: 'automation', direction: 'out', kind: 'template', body: 'Hola Ana, tu carrito te espera', status: 'read' }),
          makeMessage({ id: 2, conversationId: 4, origin: 'customer', body: '¿Tienen talle M?' }),
          makeMessage({ id: 3, conversationId: 4, origin: 'phone', direction: 'out', body: 'Sí, hay M', status: 'delivered' }),
          makeMessage({ id: 4, conversationId: 4, origin: 'app', direction: 'out', body: 'Te paso el link', status: 'sent' }),
          makeMessage({ id: 5, conversationId: 4, origin: 'assistant', direction: 'out', body: 'El envío tarda 3 días', status: 'sending' }),
        ],
      }),
    );
    const view = await openConversation(4);
    expect(calls('conversation_detail')[0].args).toEqual({ conversationId: 4 });
    await waitFor(() => expect(calls('mark_read')).toEqual([{ cmd: 'mark_read', args: { conversationId: 4 } }]));
    await waitFor(() => expect(screen.queryByTestId('badge-unread')).toBeNull());

    const messages = within(view).getAllByTestId('message');
    const origin = (i: number) => within(messages[i]).getByTestId('message-origin').textContent?.trim();
    expect(origin(0)).toBe('Recupero (automático)');
    expect(origin(1)).toBe('Cliente');
    expect(origin(2), 'a reply the owner typed on the phone app is visible as such').toBe(
      'Tú, desde tu teléfono',
    );
    expect(origin(3)).toBe('Tú, desde Recupero');
    expect(origin(4)).toBe('Asistente');
    const status = (i: number) => within(messages[i]).getByTestId('message-status').textContent;
    expect(status(0)).toContain('Leído');
    expect(status(2)).toContain('Entregado');
    expect(status(3)).toContain('Enviado');
    expect(status(4)).toContain('Enviando');
    expect(within(messages[1]).queryByTestId('message-status'), 'no ticks on what the customer wrote').toBeNull();

    // The customer's cart sits beside the thread.
    const cart = within(view).getByTestId('conversation-cart');
    expect(cart.textContent).toContain('12.500,00');
    expect(within(cart).getByTestId('conversation-cart-link').textContent).toBe(
      'https://tiendasol.example/checkout/recover/A-1001',
    );
  });

  it('keeps a long thread cheap: the newest 150 messages first, earlier ones on request', async () => {
    backend.conversations = [makeConversation({ id: 1 })];
    backend.details.set(
      1,
      makeDetail({
        messages: Array.from({ length: 400 }, (_, i) =>
          makeMessage({ id: i + 1, body: `mensaje ${i + 1}` }),
        ),
      }),
    );
    const view = await openConversation(1);
    let shown = within(view).getAllByTestId('message');
    expect(shown).toHaveLength(150);
    expect(shown.at(-1)?.dataset.messageId, 'the newest is always there').toBe('400');
    await fireEvent.click(within(view).getByTestId('thread-earlier'));
    shown = within(view).getAllByTestId('message');
    expect(shown).toHaveLength(300);
    expect(shown[0].dataset.messageId).toBe('101');
    await fireEvent.click(within(view).getByTestId('thread-earlier'));
    expect(within(view).getAllByTestId('message')).toHaveLength(400);
    expect(within(view).queryByTestId('thread-earlier')).toBeNull();
  });

  it('explains failed messages in plain words, with the code when it is an unusual one', async () => {
    const failed = (id: number, errorCode: string | null) =>
      makeMessage({ id, direction: 'out', origin: 'automation', status: 'failed', errorCode, body: `m${id}` });
    backend.conversations = [makeConversation({ id: 1 })];
    backend.details.set(
      1,
      makeDetail({
        messages: [
          failed(1, '131026'),
          failed(2, '131047'),
          failed(3, '131049'),
          failed(4, '131050'),
          failed(5, '130429'),
          failed(6, '131056'),
          failed(7, '132001'),
        ],
      }),
    );
    const view = await openConversation(1);
    const reasons = within(view)
      .getAllByTestId('message-failure')
      .map((f) => [f.dataset.code, f.textContent?.trim()]);
    expect(reasons).toEqual([
      ['131026', 'No se entregó: este número no tiene WhatsApp o no puede recibir el mensaje'],
      ['131047', expect.stringContaining('pasaron más de 24 horas')],
      ['131049', expect.stringContaining('limitó los mensajes de promoción a esta persona')],
      ['131050', 'No se entregó: el cliente pidió no recibir mensajes de promoción'],
      ['130429', expect.stringContaining('demasiados mensajes en poco tiempo')],
      ['131056', expect.stringContaining('a este cliente en poco tiempo')],
      ['132001', 'No se entregó: error de WhatsApp 132001'],
    ]);
  });

  it('counts the 24-hour window down every minute on a controlled clock, and sends free text', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = Date.parse('2026-11-21T10:00:00Z');
    setClockSource(() => clock);
    backend.now = () => clock;
    backend.conversations = [makeConversation({ id: 1 })];
    backend.details.set(
      1,
      makeDetail({
        // 5 h 12 min and a half from the controlled "now"; the fake backend checks real time.
        windowClosesAt: new Date(clock + (5 * 60 + 12) * 60_000 + 30_000).toISOString(),
      }),
    );
    const view = await openConversation(1);
    const countdown = within(view).getByTestId('window-countdown');
    expect(countdown.textContent).toContain('se cierra en 5 h 12 min');

    clock += 60_000;
    vi.advanceTimersByTime(CLOCK_TICK_MS);
    await waitFor(() => expect(countdown.textContent).toContain('se cierra en 5 h 11 min'));

    clock += 5 * 3_600_000 + 11 * 60_000;
    vi.advanceTimersByTime(CLOCK_TICK_MS);
    await waitFor(() =>
      expect(within(view).getByTestId('window-countdown').textContent).toContain('menos de 1 min'),
    );

    // Still open: free text goes out with send_reply.
    const input = within(view).getByTestId('composer-input') as HTMLTextAreaElement;
    expect(input.disabled).toBe(false);
    const send = within(view).getByTestId('composer-send') as HTMLButtonElement;
    expect(send.disabled, 'nothing to send yet').toBe(true);
    await fireEvent.input(input, { target: { value: 'Hola Ana, ¿te ayudo?' } });
    await fireEvent.click(send);
    await waitFor(() =>
      expect(calls('send_reply')).toEqual([
        { cmd: 'send_reply', args: { conversationId: 1, text: 'Hola Ana, ¿te ayudo?' } },
      ]),
    );
    await waitFor(() => expect(input.value).toBe(''));

    // Past the end, the window closes on screen without any reload.
    clock += 60_000;
    vi.advanceTimersByTime(CLOCK_TICK_MS);
    await within(view).findByTestId('window-closed');
  });

  it('disables free text when the window is closed and offers the approved template', async () => {
    backend.conversations = [makeConversation({ id: 1 })];
    backend.details.set(1, makeDetail({ windowClosesAt: null, templateLanguages: ['es', 'pt_BR'] }));
    const view = await openConversation(1);
    expect(within(view).queryByTestId('window-countdown')).toBeNull();
    expect(within(view).getByTestId('window-closed').textContent).toContain(
      'solo puedes enviarle la plantilla aprobada',
    );
    expect((within(view).getByTestId('composer-input') as HTMLTextAreaElement).disabled).toBe(true);
    expect((within(view).getByTestId('composer-send') as HTMLButtonElement).disabled).toBe(true);

    const picker = within(view).getByTestId('template-picker');
    const language = within(picker).getByTestId('template-language') as HTMLSelectElement;
    expect([...language.options].map((o) => [o.value, o.textContent])).toEqual([
      ['es', 'Español'],
      ['pt_BR', 'Portugués (Brasil)'],
    ]);
    await fireEvent.change(language, { target: { value: 'pt_BR' } });
    await fireEvent.click(within(picker).getByTestId('template-send'));
    await waitFor(() =>
      expect(calls('send_template')).toEqual([
        { cmd: 'send_template', args: { conversationId: 1, language: 'pt_BR' } },
      ]),
    );
    await within(view).findByTestId('template-sent');

    // The engine refuses: the reason in plain words, not the code.
    backend.failures.set('send_template', { code: 'no_cart', message: 'no cart for this customer' });
    await fireEvent.click(within(view).getByTestId('template-send'));
    const error = await within(view).findByTestId('composer-error');
    expect(error.dataset.code).toBe('no_cart');
    expect(error.textContent).toContain('no tiene un carrito');
    backend.failures.set('send_template', { code: 'template_not_approved', message: 'pending review' });
    await fireEvent.click(within(view).getByTestId('template-send'));
    await waitFor(() =>
      expect(within(view).getByTestId('composer-error').textContent).toContain(
        'WhatsApp todavía no aprobó la plantilla',
      ),
    );
  });

  it('shows send errors in plain words (the window closed meanwhile, WhatsApp not connected)', async () => {
    backend.conversations = [makeConversation({ id: 1 })];
    backend.details.set(1, makeDetail());
    const view = await openConversation(1);
    const input = within(view).getByTestId('composer-input');
    await fireEvent.input(input, { target: { value: 'Hola' } });
    backend.failures.set('send_reply', { code: 'window_closed', message: 'window closed at 10:00' });
    await fireEvent.click(within(view).getByTestId('composer-send'));
    const error = await within(view).findByTestId('composer-error');
    expect(error.textContent).toContain('La ventana de 24 horas está cerrada');
    expect((input as HTMLTextAreaElement).value, 'the text is kept to send later').toBe('Hola');

    backend.failures.set('send_reply', { code: 'no_whatsapp', message: 'no token' });
    await fireEvent.click(within(view).getByTestId('composer-send'));
    await waitFor(() =>
      expect(within(view).getByTestId('composer-error').textContent).toContain(
        'WhatsApp no está conectado todavía',
      ),
    );
  });

  it('takes over and hands back to automation, explaining each', async () => {
    backend.conversations = [makeConversation({ id: 2 })];
    backend.details.set(2, makeDetail({ conversation: makeConversation({ id: 2 }) }));
    const view = await openConversation(2);
    expect(within(view).getByTestId('takeover-explain').textContent).toContain(
      'deja de enviar recordatorios',
    );
    await fireEvent.click(within(view).getByTestId('takeover'));
    await waitFor(() =>
      expect(calls('set_takeover')).toEqual([
        { cmd: 'set_takeover', args: { conversationId: 2, taken: true } },
      ]),
    );
    const handback = await within(view).findByTestId('handback');
    expect(within(view).getByTestId('takeover-explain').textContent).toContain('Ahora atiendes tú');
    await waitFor(() => expect(screen.getByTestId('badge-takeover')).toBeTruthy());

    await fireEvent.click(handback);
    await waitFor(() =>
      expect(calls('set_takeover').at(-1)).toEqual({
        cmd: 'set_takeover',
        args: { conversationId: 2, taken: false },
      }),
    );
    await within(view).findByTestId('takeover');
  });

  it('approves a draft in one click, with the shop facts version it used', async () => {
    backend.conversations = [makeConversation({ id: 1, pendingDrafts: 1 })];
    backend.details.set(1, makeDetail({ drafts: [makeDraft({ id: 50, factsVersion: 3 })] }));
    const view = await openConversation(1);
    const draft = within(view).getByTestId('draft');
    expect(draft.textContent).toContain('Sí, enviamos a Córdoba');
    expect(within(draft).getByTestId('draft-facts').textContent).toBe(
      'basada en los datos de tu tienda v3',
    );
    await fireEvent.click(within(draft).getByTestId('draft-approve'));
    await waitFor(() =>
      expect(calls('approve_draft')).toEqual([{ cmd: 'approve_draft', args: { draftId: 50, text: null } }]),
    );
    await waitFor(() => expect(within(view).queryByTestId('draft')).toBeNull());
    const last = within(view).getAllByTestId('message').at(-1)!;
    expect(last.textContent).toContain('Sí, enviamos a Córdoba');
  });

  it('edits a draft in the composer and sends the edit as the approval; discards another', async () => {
    backend.conversations = [makeConversation({ id: 1, pendingDrafts: 2 })];
    backend.details.set(
      1,
      makeDetail({
        drafts: [
          makeDraft({ id: 50, text: 'Enviamos en 3 días.' }),
          makeDraft({ id: 51, text: 'Aceptamos tarjeta.', factsVersion: null, source: 'assistant' }),
        ],
      }),
    );
    const view = await openConversation(1);
    const [first, second] = within(view).getAllByTestId('draft');
    expect(within(second).queryByTestId('draft-facts'), 'no facts version, no mention').toBeNull();

    await fireEvent.click(within(first).getByTestId('draft-edit'));
    const input = within(view).getByTestId('composer-input') as HTMLTextAreaElement;
    expect(input.value).toBe('Enviamos en 3 días.');
    expect(within(view).getByTestId('composer-editing')).toBeTruthy();
    await fireEvent.input(input, { target: { value: 'Enviamos en 3 días hábiles, ¡gracias!' } });
    await fireEvent.click(within(view).getByTestId('composer-send'));
    await waitFor(() =>
      expect(calls('approve_draft')).toEqual([
        { cmd: 'approve_draft', args: { draftId: 50, text: 'Enviamos en 3 días hábiles, ¡gracias!' } },
      ]),
    );
    expect(calls('send_reply'), 'an edited draft is approved, not sent as a new reply').toEqual([]);
    await waitFor(() => expect(within(view).getAllByTestId('draft')).toHaveLength(1));
    expect(within(view).queryByTestId('composer-editing')).toBeNull();

    await fireEvent.click(within(view).getByTestId('draft-discard'));
    await waitFor(() =>
      expect(calls('discard_draft')).toEqual([{ cmd: 'discard_draft', args: { draftId: 51 } }]),
    );
    await waitFor(() => expect(within(view).queryByTestId('draft')).toBeNull());
  });

  it('reloads the open conversation when the engine has a new draft or the customer opts out', async () => {
    backend.conversations = [makeConversation({ id: 1 })];
    backend.details.set(1, makeDetail());
    const view = await openConversation(1);
    expect(within(view).queryByTestId('draft')).toBeNull();

    backend.details.get(1)!.drafts.push(makeDraft({ id: 60, text: 'Tenemos talle M.' }));
    tauri.emit!({ type: 'draft_ready', conversationId: 1, draftId: 60 });
    expect((await within(view).findByTestId('draft')).textContent).toContain('Tenemos talle M.');

    backend.details.get(1)!.conversation.optedOut = true;
    backend.conversations[0].optedOut = true;
    tauri.emit!({ type: 'opted_out', conversationId: 1 });
    await within(view).findByTestId('opted-out-banner');
    await screen.findByTestId('badge-opted-out');
  });
});

describe('inbox label catalogs', () => {
  const groups: [string, readonly string[]][] = [
    ['escalationReason', ESCALATION_REASONS],
    ['messageOrigin', MESSAGE_ORIGINS],
    ['messageStatus', MESSAGE_STATUSES],
    ['whatsappError', WHATSAPP_ERRORS],
  ];
  for (const [prefix, codes] of groups) {
    it(`words every ${prefix} code in es, pt and en`, () => {
      for (const [lang, dict] of Object.entries(dictionaries)) {
        for (const code of codes) {
          const key = `${prefix}.${code}` as keyof typeof dict;
          expect(dict[key], `${lang}:${key}`).toBeTruthy();
        }
      }
    });
  }
});
