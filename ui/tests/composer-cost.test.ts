// What a reply costs, where the owner types it: the composer's cost line (country, service rate,
// the shop's currency with a dollar rate, free from the phone app, "rate unknown" without a
// country), the cap warning that never blocks sending; and the Results cost split by kind of
// message. In es and en.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tauri } from './tauri-mock';
import { sampleMetrics } from './fake-backend';
import Composer from '../src/components/Composer.svelte';
import ResultsCost from '../src/components/ResultsCost.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import type { ReplyCost } from '../src/lib/types';

let cost: ReplyCost;
let sent: string[];

function replyCost(over: Partial<ReplyCost> = {}): ReplyCost {
  return {
    country: 'AR',
    countryFrom: 'phone',
    category: 'service',
    charged: true,
    price: { currency: 'USD', amount: '0.026' },
    estimate: false,
    converted: null,
    usdRate: null,
    freeFromPhone: true,
    ratesAsOf: '2026-10-01',
    cap: {
      month: '2026-12',
      capUsd: null,
      spentUsd: '0.5',
      unconverted: [],
      reached: false,
      resumesAt: '2027-01-01T03:00:00.000Z',
    },
    ...over,
  };
}

beforeAll(() => {
  (window as Window & { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  cost = replyCost();
  sent = [];
  tauri.invoke = (cmd, args) => {
    if (cmd === 'reply_cost') return structuredClone(cost);
    if (cmd === 'send_reply') {
      sent.push(String((args as { text: string }).text));
      return { id: 1 };
    }
    throw `command ${cmd} not found`;
  };
  setLang('es');
});

afterEach(() => cleanup());

function composer(open = true) {
  return render(Composer, {
    conversationId: 7,
    windowClosesAt: open ? new Date(Date.now() + 3 * 3600_000).toISOString() : null,
    templateLanguages: ['es'],
    optedOut: false,
    text: '',
    editing: null,
    oncanceledit: () => {},
    onsent: () => {},
  });
}

describe('the composer cost line', () => {
  it('prices a reply at the customer country rate and says the phone app is free', async () => {
    composer();
    const line = await screen.findByTestId('composer-cost-price');
    expect(line.textContent).toContain('Argentina');
    expect(line.textContent).toMatch(/0,026/);
    expect(line.textContent).toContain('tarifa de servicio');
    expect(screen.getByTestId('composer-cost-phone').textContent).toContain('WhatsApp Business');
    expect(screen.queryByTestId('composer-cost-cap')).toBeNull();
  });

  it('converts into the shop currency at the owner dollar rate', async () => {
    cost = replyCost({ converted: { currency: 'ARS', amount: '27.30' }, usdRate: '1050' });
    setLang('en');
    composer();
    const line = await screen.findByTestId('composer-cost-price');
    expect(line.textContent).toMatch(/27\.30/);
    expect(line.textContent).toMatch(/1,050/);
    expect(line.textContent).toContain('Argentina');
    expect(screen.getByTestId('composer-cost-phone').textContent).toContain('free');
  });

  it('places a username-only customer by the BSUID, or says the rate is unknown', async () => {
    cost = replyCost({ country: 'BR', countryFrom: 'bsuid', price: { currency: 'USD', amount: '0.0068' } });
    composer();
    const line = await screen.findByTestId('composer-cost-price');
    expect(line.textContent).toContain('Brasil');
    expect(line.textContent).toContain('id de usuario');
    cleanup();
    cost = replyCost({ country: null, countryFrom: null, price: null });
    composer();
    expect((await screen.findByTestId('composer-cost-price')).textContent).toContain('tarifa desconocida');
  });

  it('warns when the month spend reached the cap and still sends the reply', async () => {
    cost = replyCost({ cap: { ...replyCost().cap, capUsd: '20', spentUsd: '20.0312', reached: true } });
    composer();
    const cap = await screen.findByTestId('composer-cost-cap');
    expect(cap.textContent).toContain('US$ 20');
    expect(cap.textContent).toContain('igual sale');
    const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'Hola, ¿te ayudo?' } });
    const send = screen.getByTestId('composer-send') as HTMLButtonElement;
    expect(send.disabled).toBe(false);
    await fireEvent.click(send);
    await waitFor(() => expect(sent).toEqual(['Hola, ¿te ayudo?']));
  });

  it('with the window closed shows no reply price, but still the cap', async () => {
    composer(false);
    await waitFor(() => expect(screen.getByTestId('template-picker')).toBeTruthy());
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('composer-cost')).toBeNull();
    cleanup();
    cost = replyCost({ cap: { ...replyCost().cap, capUsd: '20', spentUsd: '21', reached: true } });
    composer(false);
    expect((await screen.findByTestId('composer-cost-cap')).textContent).toContain('US$ 21');
    expect(screen.queryByTestId('composer-cost-price')).toBeNull();
  });

  it('before October 2026 says replies in the window are free', async () => {
    cost = replyCost({ charged: false, price: { currency: 'USD', amount: '0.00' } });
    setLang('en');
    composer();
    expect((await screen.findByTestId('composer-cost-price')).textContent).toContain('free until 1 October 2026');
  });
});

describe('the Results cost by kind of message', () => {
  it('separates templates, utility and replies, per currency', async () => {
    const metrics = sampleMetrics();
    metrics.cost.byCategory = [
      { category: 'marketing', messages: 80, total: [{ currency: 'USD', amount: '4.96' }] },
      { category: 'utility', messages: 2, total: [{ currency: 'USD', amount: '0.05' }] },
      {
        category: 'service',
        messages: 12,
        total: [
          { currency: 'USD', amount: '0.31' },
          { currency: 'BRL', amount: '0.48' },
        ],
      },
    ];
    render(ResultsCost, { metrics, onrateschanged: () => {} });
    const rows = screen.getAllByTestId('results-cost-category');
    expect(rows.map((r) => r.dataset.category)).toEqual(['marketing', 'utility', 'service']);
    expect(rows[0].textContent).toContain('Plantillas (marketing)');
    expect(rows[0].textContent).toMatch(/4,96/);
    expect(rows[2].textContent).toContain('Respuestas (servicio)');
    expect(rows[2].textContent).toMatch(/0,31/);
    expect(rows[2].textContent).toMatch(/0,48/);
    expect(rows[2].textContent).toContain('12 mensajes');
  });
});
