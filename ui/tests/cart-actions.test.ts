// The Carts screen's date and store filters, and the owner's actions on an opened cart (send
// now, stop, retry): which buttons show, the confirmation, the disabled state while running, the
// plain-words answer, and the reload afterwards.

import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, makeCart, type FakeBackend } from './fake-backend';
import type { ApiError, CartActionResult, CartTimeline, StoreRow } from '../src/lib/types';

let backend: FakeBackend;
/** What the commands the shared fake doesn't know answer. */
let stores: StoreRow[] = [];
let answers: Map<string, CartActionResult | ApiError>;
/** When set, the action commands wait for it (to look at the UI mid-request). */
let gate: Promise<void> | null = null;

async function invoke(cmd: string, args?: Record<string, unknown>): Promise<unknown> {
  switch (cmd) {
    case 'cart_stores':
      backend.calls.push({ cmd, args });
      return structuredClone(stores);
    case 'cart_send_now':
    case 'cart_stop':
    case 'cart_retry': {
      backend.calls.push({ cmd, args });
      await gate;
      const answer = answers.get(cmd);
      if (!answer) throw { code: 'internal', message: `no answer for ${cmd}` };
      if ('done' in answer) return structuredClone(answer);
      throw { ...answer };
    }
    default:
      return backend.invoke(cmd, args);
  }
}

import App from '../src/App.svelte';
import CartTimelineView from '../src/components/CartTimeline.svelte';
import { tauri } from './tauri-mock';
import { app } from '../src/lib/app.svelte';
import {
  CART_ACTION_DONE,
  CART_ACTION_REFUSALS,
  CART_ACTIONS,
  OWNER_REASON_CODES,
  reasonLabel,
} from '../src/lib/cart-labels';
import { dictionaries, setLang } from '../src/lib/i18n/index.svelte';
import { ONBOARDING_SKIPPED_KEY } from '../src/lib/onboarding';

tauri.invoke = (cmd, args) => invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

function store(id: number, name: string): StoreRow {
  return {
    id,
    platform: 'tiendanube',
    name,
    baseUrl: `https://${id}.example`,
    externalId: String(id),
    country: 'AR',
    state: 'ok',
    lastPollAt: null,
    lastSuccessAt: null,
    lastError: null,
    createdAt: '2026-11-01T12:00:00Z',
  };
}

function result(overrides: Partial<CartActionResult>): CartActionResult {
  return {
    action: 'send_now',
    done: true,
    code: 'due_now',
    at: '2026-11-20T12:05:00.000Z',
    stopped: 0,
    inFlight: false,
    message: 'The message goes out in a moment, after the usual checks.',
    ...overrides,
  };
}

function timeline(actions: CartTimeline['actions']): CartTimeline {
  const cart = makeCart({ id: 7, status: 'planned', firstName: 'Ana' });
  return {
    cart,
    entries: [{ at: cart.detectedAt, kind: 'detected', step: null, reason: null, detail: null }],
    whyNotSent: null,
    sends: [],
    actions,
  };
}

beforeEach(async () => {
  backend = fakeBackend();
  stores = [];
  answers = new Map();
  gate = null;
  app.screen = 'carts';
  app.notices = [];
  delete document.body.dataset.ready;
  // With no store a first run opens the guided setup; these tests are about the Carts screen
  // behind it, as after "Skip for now".
  localStorage.setItem(ONBOARDING_SKIPPED_KEY, 'skipped');
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
});

afterEach(() => {
  cleanup();
  setLang('es');
});

const listCalls = () => backend.calls.filter((c) => c.cmd === 'list_carts').map((c) => c.args);

/** Shows the list with `carts`, as an engine event would. */
async function showCarts(carts = [makeCart({ id: 7 })]) {
  backend.carts = carts;
  tauri.emit!({ type: 'cart_detected', cartId: carts[0].id });
  await screen.findByTestId('carts-table');
}

/** Opens cart 7 with a timeline offering `actions`; returns its panel. */
async function openCart(actions: CartTimeline['actions']) {
  backend.timelines.set(7, timeline(actions));
  await showCarts([makeCart({ id: 7, status: 'planned', firstName: 'Ana' })]);
  await fireEvent.click(screen.getByTestId('cart-open'));
  const panel = await screen.findByTestId('cart-timeline-panel');
  await within(panel).findByTestId('cart-timeline');
  return panel;
}

describe('Carts filters', () => {
  it('filters by shop days and store, and "clear filters" resets every filter', async () => {
    stores = [store(1, 'Tienda Sol'), store(2, 'Tienda Luna')];
    tauri.emit!({ type: 'status_changed', status: { ...backend.status, demo: true } });
    await showCarts();
    const storeFilter = (await screen.findByTestId('carts-store-filter')) as HTMLSelectElement;
    expect([...storeFilter.options].map((o) => o.textContent)).toEqual([
      'Todas las tiendas',
      'Tienda Sol',
      'Tienda Luna',
    ]);

    const from = screen.getByTestId('carts-from-filter') as HTMLInputElement;
    const to = screen.getByTestId('carts-to-filter') as HTMLInputElement;
    await fireEvent.input(from, { target: { value: '2026-11-19' } });
    await fireEvent.input(to, { target: { value: '2026-11-20' } });
    await fireEvent.change(storeFilter, { target: { value: '2' } });
    await waitFor(() =>
      expect(listCalls()).toContainEqual({
        status: null,
        search: null,
        from: '2026-11-19',
        to: '2026-11-20',
        storeId: 2,
      }),
    );
    // The two days can't cross.
    expect(to.min).toBe('2026-11-19');
    expect(from.max).toBe('2026-11-20');

    await fireEvent.change(screen.getByTestId('carts-status-filter'), { target: { value: 'sent' } });
    await fireEvent.click(await screen.findByTestId('carts-clear-filters'));
    await waitFor(() => expect(listCalls().at(-1)).toEqual({ status: null, search: null }));
    await screen.findByTestId('carts-table');
    const value = (id: string) => (screen.getByTestId(id) as HTMLInputElement | HTMLSelectElement).value;
    for (const id of ['carts-from-filter', 'carts-to-filter', 'carts-store-filter', 'carts-status-filter']) {
      expect(value(id), id).toBe('');
    }
    expect(screen.queryByTestId('carts-clear-filters')).toBeNull();
  });

  it('shows the store filter only when there is more than one store', async () => {
    stores = [store(1, 'Tienda Sol')];
    await showCarts();
    expect(backend.calls.some((c) => c.cmd === 'cart_stores')).toBe(true);
    expect(screen.queryByTestId('carts-store-filter')).toBeNull();
    expect(screen.getByTestId('carts-from-filter')).toBeTruthy();
  });

  it('a date alone filters, and the "no match" state keeps the filters to clear them', async () => {
    await showCarts();
    backend.carts = [];
    await fireEvent.input(screen.getByTestId('carts-to-filter'), { target: { value: '2026-11-01' } });
    await screen.findByTestId('carts-no-match');
    expect(listCalls().at(-1)).toEqual({ status: null, search: null, to: '2026-11-01' });
    expect(screen.getByTestId('carts-clear-filters')).toBeTruthy();
  });
});

describe('Cart actions', () => {
  it('shows only the buttons the engine says apply', async () => {
    const panel = await openCart(['send_now', 'stop']);
    expect(within(panel).getByTestId('cart-send-now').textContent?.trim()).toBe('Enviar ahora');
    expect(within(panel).getByTestId('cart-stop').textContent?.trim()).toBe('Detener');
    expect(within(panel).queryByTestId('cart-retry')).toBeNull();
  });

  it('shows no buttons when nothing applies', async () => {
    const panel = await openCart([]);
    expect(within(panel).queryByTestId('cart-actions')).toBeNull();
    expect(within(panel).queryByTestId('cart-send-now')).toBeNull();
  });

  it('asks before sending; cancel does nothing', async () => {
    const panel = await openCart(['send_now', 'stop']);
    await fireEvent.click(within(panel).getByTestId('cart-send-now'));
    const box = within(panel).getByTestId('cart-action-confirm-box');
    expect(box.textContent).toContain('¿Enviar ahora el mensaje a Ana?');
    expect(document.activeElement).toBe(within(panel).getByTestId('cart-action-confirm'));
    await fireEvent.click(within(panel).getByTestId('cart-action-cancel'));
    expect(within(panel).queryByTestId('cart-action-confirm-box')).toBeNull();
    expect(backend.calls.some((c) => c.cmd === 'cart_send_now')).toBe(false);
  });

  it('sends now after the confirmation, disabled while running, then says so and reloads', async () => {
    const panel = await openCart(['send_now', 'stop']);
    answers.set('cart_send_now', result({}));
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const listsBefore = listCalls().length;

    await fireEvent.click(within(panel).getByTestId('cart-send-now'));
    await fireEvent.click(within(panel).getByTestId('cart-action-confirm'));
    await waitFor(() => expect(backend.calls).toContainEqual({ cmd: 'cart_send_now', args: { cartId: 7 } }));
    for (const id of ['cart-send-now', 'cart-stop', 'cart-action-confirm', 'cart-action-cancel']) {
      expect((within(panel).getByTestId(id) as HTMLButtonElement).disabled, id).toBe(true);
    }
    expect(within(panel).getByTestId('cart-send-now').textContent?.trim()).toBe('Un momento…');
    // A second click while it runs sends nothing more.
    await fireEvent.click(within(panel).getByTestId('cart-action-confirm'));

    backend.timelines.set(7, timeline(['stop']));
    open();
    const answer = await within(panel).findByTestId('cart-action-result');
    expect(answer.dataset.done).toBe('true');
    expect(answer.getAttribute('role')).toBe('status');
    expect(answer.textContent).toContain('Listo: el mensaje sale en un momento');
    expect(backend.calls.filter((c) => c.cmd === 'cart_send_now')).toHaveLength(1);
    // The list and the timeline reload: the button that no longer applies goes away.
    await waitFor(() => expect(within(panel).queryByTestId('cart-send-now')).toBeNull());
    expect(listCalls().length).toBeGreaterThan(listsBefore);
    expect(within(panel).getByTestId('cart-action-result').textContent).toContain('Listo');
  });

  it('says in plain words when the shop is closed and when it opens', async () => {
    const panel = await openCart(['send_now', 'stop']);
    answers.set(
      'cart_send_now',
      result({
        done: false,
        code: 'shop_closed',
        at: '2026-11-20T12:00:00.000Z',
        message: 'The shop is closed now; it opens Fri 20 Nov 09:00.',
      }),
    );
    await fireEvent.click(within(panel).getByTestId('cart-send-now'));
    await fireEvent.click(within(panel).getByTestId('cart-action-confirm'));
    const answer = await within(panel).findByTestId('cart-action-result');
    expect(answer.getAttribute('role')).toBe('alert');
    expect(answer.dataset.code).toBe('shop_closed');
    expect(answer.textContent).toContain('No se hizo nada');
    expect(answer.textContent).toContain('La tienda está cerrada ahora. Abre el');
    // 12:00 UTC is 09:00 in the shop's zone (Buenos Aires).
    expect(answer.textContent).toMatch(/09:00/);
    expect(within(panel).getByTestId('cart-send-now')).toBeTruthy();
  });

  it('stops after the confirmation and says when a message was already on its way', async () => {
    const panel = await openCart(['stop']);
    answers.set('cart_stop', result({ action: 'stop', code: 'stopped', at: null, stopped: 1, inFlight: true }));
    await fireEvent.click(within(panel).getByTestId('cart-stop'));
    expect(within(panel).getByTestId('cart-action-confirm-box').textContent).toContain('No se puede deshacer');
    expect(within(panel).getByTestId('cart-action-confirm').textContent?.trim()).toBe('Sí, detener');
    await fireEvent.click(within(panel).getByTestId('cart-action-confirm'));
    const answer = await within(panel).findByTestId('cart-action-result');
    expect(answer.textContent).toContain('Detenido: no se enviará nada más por este carrito.');
    expect(answer.textContent).toContain('ya estaba saliendo hacia WhatsApp');
    expect(backend.calls).toContainEqual({ cmd: 'cart_stop', args: { cartId: 7 } });
  });

  it('retries in English and says when the new attempt goes out', async () => {
    setLang('en');
    const panel = await openCart(['retry']);
    answers.set(
      'cart_retry',
      result({ action: 'retry', code: 'retry_at_opening', at: '2026-11-20T12:00:00.000Z' }),
    );
    expect(within(panel).getByTestId('cart-retry').textContent?.trim()).toBe('Try sending again');
    await fireEvent.click(within(panel).getByTestId('cart-retry'));
    await fireEvent.click(within(panel).getByTestId('cart-action-confirm'));
    const answer = await within(panel).findByTestId('cart-action-result');
    expect(answer.textContent).toContain('The shop is closed now: the new attempt goes out when it opens,');
    expect(answer.textContent).toMatch(/09:00|9:00/);
  });

  it('names every refusal in the owner’s words, and falls back to the engine’s for a new one', async () => {
    const panel = await openCart(['retry']);
    answers.set('cart_retry', result({ action: 'retry', done: false, code: 'outcome_unknown', at: null }));
    await fireEvent.click(within(panel).getByTestId('cart-retry'));
    await fireEvent.click(within(panel).getByTestId('cart-action-confirm'));
    const answer = await within(panel).findByTestId('cart-action-result');
    expect(answer.textContent).toContain('No se sabe si el mensaje salió');

    answers.set(
      'cart_retry',
      result({ action: 'retry', done: false, code: 'brand_new', at: null, message: 'Engine words.' }),
    );
    await fireEvent.click(within(panel).getByTestId('cart-retry'));
    await fireEvent.click(within(panel).getByTestId('cart-action-confirm'));
    await waitFor(() =>
      expect(within(panel).getByTestId('cart-action-result').textContent).toContain('Engine words.'),
    );
  });

  it('shows an error from the engine with its message', async () => {
    const panel = await openCart(['stop']);
    answers.set('cart_stop', { code: 'storage', message: 'database is locked' });
    await fireEvent.click(within(panel).getByTestId('cart-stop'));
    await fireEvent.click(within(panel).getByTestId('cart-action-confirm'));
    const answer = await within(panel).findByTestId('cart-action-result');
    expect(answer.getAttribute('role')).toBe('alert');
    expect(answer.getAttribute('data-code')).toBe('storage');
    expect(answer.textContent).toContain('No se pudieron leer o guardar los datos en este equipo.');
    expect(answer.textContent).not.toContain('database is locked');
    await fireEvent.click(within(answer).getByTestId('cart-action-error-toggle'));
    expect(answer.textContent).toContain('database is locked');
    // Buttons are usable again.
    expect((within(panel).getByTestId('cart-stop') as HTMLButtonElement).disabled).toBe(false);
  });
});

describe('Cart action words', () => {
  it('every action, answer, refusal and owner reason has words in es, pt and en', () => {
    const groups: [string, readonly string[]][] = [
      ['carts.action', CART_ACTIONS],
      ['carts.action.done', CART_ACTION_DONE],
      ['carts.action.refused', CART_ACTION_REFUSALS],
      ['carts.reason', OWNER_REASON_CODES],
    ];
    for (const [lang, dict] of Object.entries(dictionaries)) {
      for (const [prefix, codes] of groups) {
        for (const code of codes) {
          const key = `${prefix}.${code}` as keyof typeof dict;
          expect(dict[key], `${lang}:${key}`).toBeTruthy();
        }
      }
      for (const action of CART_ACTIONS) {
        expect(dict[`carts.action.confirm.${action}`], `${lang}: confirm ${action}`).toContain('{name}');
        expect(dict[`carts.action.confirm.yes_${action}`], `${lang}: yes ${action}`).toBeTruthy();
      }
    }
  });

  it('the timeline says a stop and the owner’s clicks in plain words', () => {
    expect(reasonLabel('stopped_by_owner')).toBe('Lo detuviste tú');
    expect(reasonLabel('owner_send_now')).toBe('Pediste enviarlo ahora');
    setLang('pt');
    expect(reasonLabel('owner_retry')).toBe('Você pediu para tentar de novo');
    setLang('en');
    expect(reasonLabel('stopped_by_owner')).toBe('Stopped by you');
    expect(reasonLabel('purchased')).toBe('Already bought before the message');
  });

  it('shows a stopped cart’s "why not sent" in plain words', () => {
    cleanup();
    const stopped: CartTimeline = {
      ...timeline([]),
      whyNotSent: 'stopped_by_owner',
      entries: [
        { at: '2026-11-20T02:40:00.000Z', kind: 'skipped', step: 0, reason: 'stopped_by_owner', detail: null },
      ],
    };
    render(CartTimelineView, { timeline: stopped });
    expect(screen.getByTestId('cart-why-not-sent-reason').textContent).toBe('Lo detuviste tú');
    expect(screen.getByTestId('timeline-reason').textContent?.trim()).toBe('Motivo: Lo detuviste tú');
  });
});
