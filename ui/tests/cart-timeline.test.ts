import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import CartTimeline from '../src/components/CartTimeline.svelte';
import {
  phoneProblemLabel,
  CART_OUTCOMES,
  CART_STATUSES,
  REASON_CODES,
  TIMELINE_KINDS,
  reasonLabel,
  stepLabel,
} from '../src/lib/cart-labels';
import { dictionaries, setLang } from '../src/lib/i18n/index.svelte';
import type { CartTimeline as Timeline, TimelineEntry } from '../src/lib/types';
import { makeCart, sampleTimelines } from './fake-backend';

beforeEach(() => setLang('es'));
afterEach(() => {
  cleanup();
  setLang('es');
});

const entry = (overrides: Partial<TimelineEntry>): TimelineEntry => ({
  at: '2026-11-21T12:00:00.000Z',
  kind: 'detected',
  step: null,
  reason: null,
  detail: null,
  ...overrides,
});

const [anaTimeline, brunoTimeline, carlaTimeline] = sampleTimelines();

describe('cart label catalogs', () => {
  const groups: [string, readonly string[]][] = [
    ['cartStatus', CART_STATUSES],
    ['cartOutcome', CART_OUTCOMES],
    ['cartReason', REASON_CODES],
    ['timelineKind', TIMELINE_KINDS],
  ];

  for (const [lang, dict] of Object.entries(dictionaries)) {
    it(`${lang}: translates every status, outcome, reason and timeline kind the engine sends`, () => {
      for (const [prefix, codes] of groups) {
        for (const code of codes) {
          const key = `${prefix}.${code}` as keyof typeof dict;
          expect(dict[key], `${lang}:${key}`).toBeTruthy();
        }
      }
    });
  }

  it('covers the reason codes and kinds of the cart_timeline contract', () => {
    expect([...REASON_CODES].sort()).toEqual(
      [
        'purchased', 'opted_out', 'takeover', 'replied', 'customer_cap', 'marketing_cap', 'no_consent', 'too_old',
        'holdout', 'checkout_gone', 'template_not_approved', 'no_business_hours',
        'store_unreachable', 'closed', 'customer_active', 'paused', 'no_whatsapp',
        'deadline_passed', 'send_failed', 'spend_cap',
      ].sort(),
    );
    expect([...TIMELINE_KINDS].sort()).toEqual(
      [
        'detected', 'planned', 'replanned', 'held', 'sending', 'sent', 'skipped', 'failed',
        'unknown', 'completed', 'recovered', 'opted_out', 'replied', 'note',
      ].sort(),
    );
    expect([...CART_STATUSES].sort()).toEqual(
      [
        'waiting', 'detected', 'no_phone', 'expired', 'completed', 'planned', 'sent', 'not_sent',
        'holdout', 'recovered',
      ].sort(),
    );
  });

  it('reasonLabel translates known codes, names WhatsApp error codes and keeps unknown ones', () => {
    expect(reasonLabel('purchased')).toBe('Ya compró antes del mensaje');
    expect(reasonLabel('131026')).toBe('Error de WhatsApp 131026');
    expect(reasonLabel('brand_new_reason')).toBe('brand_new_reason');
    setLang('en');
    expect(reasonLabel('purchased')).toBe('Already bought before the message');
    expect(reasonLabel('131026')).toBe('WhatsApp error 131026');
  });

  it('stepLabel names the first message and the reminders', () => {
    expect(stepLabel(0)).toBe('Primer mensaje');
    expect(stepLabel(1)).toBe('Recordatorio 1');
    expect(stepLabel(2)).toBe('Recordatorio 2');
    expect(stepLabel(null)).toBeNull();
  });
});

describe('CartTimeline', () => {
  it('shows a skipped entry with its translated reason and the engine detail, oldest first', async () => {
    render(CartTimeline, { timeline: anaTimeline });
    const entries = screen.getAllByTestId('timeline-entry');
    expect(entries.map((e) => e.dataset.kind)).toEqual(['detected', 'planned', 'completed', 'skipped']);

    const skipped = entries[3];
    expect(skipped.textContent).toContain('Mensaje no enviado');
    expect(skipped.textContent).toContain('Primer mensaje');
    expect(within(skipped).getByTestId('timeline-reason').textContent?.trim()).toBe(
      'Motivo: Ya compró antes del mensaje',
    );
    // The engine's own words (English) only on request.
    expect(skipped.textContent).not.toContain('checkout completed at');
    await fireEvent.click(within(skipped).getByTestId('timeline-detail-toggle'));
    expect(within(skipped).getByTestId('timeline-detail-detail').textContent).toContain(
      'checkout completed at 2026-11-21T12:40:12Z, before the send',
    );
    expect(skipped.querySelector('time')?.getAttribute('datetime')).toBe('2026-11-21T13:00:00.300Z');
    expect(skipped.textContent, 'the raw code is not shown').not.toContain('purchased');
  });

  it('puts why the message was not sent in a banner, above everything else', () => {
    render(CartTimeline, { timeline: anaTimeline });
    const banner = screen.getByTestId('cart-why-not-sent');
    expect(banner.textContent).toContain('Por qué no se envió el mensaje');
    expect(screen.getByTestId('cart-why-not-sent-reason').textContent).toBe(
      'Ya compró antes del mensaje',
    );
    const root = screen.getByTestId('cart-timeline');
    expect(root.firstElementChild).toBe(banner);
    expect(screen.getByTestId('cart-timeline-outcome').textContent).toContain(
      'Resultado: Compró antes del mensaje',
    );
    expect(screen.getByTestId('cart-timeline-status').textContent).toContain('No enviado');
    expect(screen.queryByTestId('cart-holdout-note')).toBeNull();
  });

  it('has no banner when the message went out', () => {
    render(CartTimeline, { timeline: carlaTimeline });
    expect(screen.queryByTestId('cart-why-not-sent')).toBeNull();
    const entries = screen.getAllByTestId('timeline-entry');
    expect(entries.map((e) => e.dataset.kind)).toEqual([
      'detected',
      'held',
      'sending',
      'sent',
      'sent',
      'recovered',
    ]);
    expect(entries[1].textContent).toContain('Motivo: Fuera del horario de envío');
    expect(entries[4].textContent).toContain('Recordatorio 1');
    expect(screen.getByTestId('cart-timeline-outcome').textContent).toContain(
      'Recuperado gracias al mensaje',
    );
  });

  it('explains that a holdout cart was kept out on purpose', () => {
    setLang('en');
    render(CartTimeline, { timeline: brunoTimeline });
    const banner = screen.getByTestId('cart-why-not-sent');
    expect(banner.classList.contains('holdout')).toBe(true);
    expect(banner.textContent).toContain('It is in the control group');
    expect(screen.getByTestId('cart-holdout-note').textContent).toContain(
      'kept out on purpose to measure the real lift',
    );
  });

  it('explains a holdout cart even without a whyNotSent code', () => {
    setLang('pt');
    render(CartTimeline, {
      timeline: { cart: makeCart({ status: 'holdout', holdout: true }), entries: [], sends: [], whyNotSent: null, actions: [] },
    });
    expect(screen.queryByTestId('cart-why-not-sent')).toBeNull();
    expect(screen.getByTestId('cart-holdout-note').textContent).toContain('de propósito');
    expect(screen.getByTestId('cart-timeline-empty').textContent).toBe(
      'Ainda não há nada registrado para este carrinho.',
    );
  });

  it('falls back to the code itself for reasons and kinds it does not know', () => {
    const timeline: Timeline = {
      cart: makeCart({ status: 'brand_new_status' }),
      entries: [
        entry({ kind: 'skipped', step: 0, reason: 'brand_new_reason' }),
        entry({ kind: 'failed', step: 1, reason: '131026', detail: '(#131026) Message undeliverable' }),
        entry({ kind: 'teleported', reason: null }),
      ],
      sends: [],
      whyNotSent: 'another_new_reason',
      actions: [],
    };
    render(CartTimeline, { timeline });
    expect(screen.getByTestId('cart-why-not-sent-reason').textContent).toBe('another_new_reason');
    const [skipped, failed, odd] = screen.getAllByTestId('timeline-entry');
    expect(within(skipped).getByTestId('timeline-reason').textContent?.trim()).toBe(
      'Motivo: brand_new_reason',
    );
    expect(within(failed).getByTestId('timeline-reason').textContent?.trim()).toBe(
      'Motivo: Error de WhatsApp 131026',
    );
    expect(failed.textContent).toContain('Falló el envío');
    expect(failed.textContent).toContain('Recordatorio 1');
    expect(odd.textContent).toContain('teleported');
    expect(screen.getByTestId('cart-timeline-status').textContent).toContain('brand new status');
  });

  it('follows the UI language', () => {
    setLang('pt');
    render(CartTimeline, { timeline: anaTimeline });
    expect(screen.getByTestId('cart-why-not-sent').textContent).toContain(
      'Por que a mensagem não foi enviada',
    );
    expect(screen.getByTestId('cart-why-not-sent-reason').textContent).toBe(
      'Já comprou antes da mensagem',
    );
  });
});

describe('phone problems in the owner\'s language', () => {
  it('translates what the engine writes and keeps anything else as it is', () => {
    setLang('es');
    expect(phoneProblemLabel('no phone number in the checkout')).toBe('el carrito no tiene teléfono');
    expect(phoneProblemLabel('this is not a valid phone number')).toBe('no es un número de teléfono válido');
    // PhoneError::UnknownRegion as the engine writes it (`{0:?}`: the code in double quotes).
    expect(phoneProblemLabel('"XX" is not a two-letter country code such as AR or BR')).toBe(
      '«XX» no es un código de país con el que leer el número',
    );
    expect(
      phoneProblemLabel('+541143211234 is a landline or service number, which cannot receive WhatsApp messages'),
    ).toBe('+541143211234 es un fijo o un número de servicio: no recibe WhatsApp');
    setLang('pt');
    expect(phoneProblemLabel('no phone number was given')).toBe('o carrinho não tem telefone');
    expect(phoneProblemLabel('something new')).toBe('something new');
  });
});
