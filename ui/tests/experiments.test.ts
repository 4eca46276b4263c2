import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, sampleMetrics, type FakeBackend } from './fake-backend';
import type { ExperimentResult } from '../src/lib/types';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
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
  vi.restoreAllMocks();
});

/** A running timing experiment within chance, and an ended copy experiment that was not. */
function experiments(): ExperimentResult[] {
  const difference = (d: number, low: number, high: number, significant: boolean) => ({
    difference: d,
    low,
    high,
    confidence: 0.95,
    method: 'newcombe_wilson',
    significant,
  });
  return [
    {
      id: 2,
      spec: 'delay:15,60',
      kind: 'delay',
      startedAt: '2026-11-10T12:00:00.000Z',
      endedAt: null,
      arms: [
        { arm: 'A', value: '15', carts: 42, messaged: 40, converted: 9, recovered: 8, rate: 0.2, low: 0.105, high: 0.348, pending: 1, revenue: [{ currency: 'ARS', amount: '120000.00' }] },
        { arm: 'B', value: '60', carts: 41, messaged: 38, converted: 6, recovered: 5, rate: 0.1316, low: 0.0575, high: 0.2719, pending: 0, revenue: [] },
      ],
      difference: difference(0.0684, -0.0984, 0.2288, false),
      neededPerArm: 484,
      moreNeeded: 890,
      verdict: 'not_yet',
    },
    {
      id: 1,
      spec: 'template:recupero_a,recupero_b',
      kind: 'template',
      startedAt: '2026-10-01T12:00:00.000Z',
      endedAt: '2026-11-10T12:00:00.000Z',
      arms: [
        { arm: 'A', value: 'recupero_a', carts: 300, messaged: 300, converted: 60, recovered: 60, rate: 0.2, low: 0.159, high: 0.248, pending: 0, revenue: [] },
        { arm: 'B', value: 'recupero_b', carts: 300, messaged: 300, converted: 30, recovered: 30, rate: 0.1, low: 0.071, high: 0.139, pending: 0, revenue: [] },
      ],
      difference: difference(0.1, 0.043, 0.157, true),
      neededPerArm: 199,
      moreNeeded: 0,
      verdict: 'more_than_chance',
    },
  ];
}

describe('Experiments on Results', () => {
  it('shows each arm with its interval, the difference with its interval and whether it is chance', async () => {
    backend.metrics = { ...sampleMetrics(), experiments: experiments() };
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    await fireEvent.click(screen.getByTestId('nav-results'));
    const cards = await screen.findAllByTestId('results-experiment');
    expect(cards).toHaveLength(2);
    const [running, ended] = cards;
    expect(running.dataset.state).toBe('not_yet');
    const arms = running.querySelectorAll('[data-testid="results-experiment-arm"]');
    expect(arms).toHaveLength(2);
    expect(arms[0].textContent).toContain('15 min');
    expect(arms[0].textContent).toMatch(/42.*40.*9 \(/);
    expect(arms[0].textContent).toMatch(/10,5\s?%.*34,8\s?%/);
    expect(arms[1].textContent).toContain('60 min');
    const diff = running.querySelector('[data-testid="results-experiment-difference"]')!.textContent!;
    expect(diff).toContain('+6,8 puntos');
    expect(diff).toMatch(/entre -9,8 y 22,9/);
    const verdict = running.querySelector('[data-testid="results-experiment-verdict"]')!.textContent!;
    expect(verdict).toContain('484 carritos por variante');
    expect(verdict).toContain('890 carritos más');
    expect(running.querySelector('[data-testid="results-experiment-when"]')!.textContent).toContain('En curso');
    expect(ended.dataset.state).toBe('more_than_chance');
    expect(ended.textContent).toContain('terminado');
    expect(ended.textContent).toContain('recupero_b');
    expect(ended.querySelector('[data-testid="results-experiment-verdict"]')!.textContent).toContain('más que azar');
  });

  it('says no difference is seen yet rather than "About — carts", and never "0 more carts"', async () => {
    const [running] = experiments();
    const arm = (value: string, carts: number, converted: number) => ({
      ...running.arms[0],
      arm: value === '15' ? 'A' : 'B',
      value,
      carts,
      messaged: carts,
      converted,
      recovered: converted,
      rate: converted / carts,
    });
    const same = {
      ...running,
      id: 7,
      arms: [arm('15', 20, 2), arm('60', 20, 2)],
      difference: { ...running.difference, difference: 0, low: -0.18, high: 0.18 },
      neededPerArm: null,
      moreNeeded: null,
      verdict: 'not_yet' as const,
    };
    const early = { ...same, id: 6, arms: [arm('15', 4, 0), arm('60', 4, 0)], verdict: 'too_early' as const };
    const enough = { ...running, id: 5, neededPerArm: 30, moreNeeded: 0, verdict: 'not_yet' as const };
    backend.metrics = { ...sampleMetrics(), experiments: [same, early, enough] };
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    await fireEvent.click(screen.getByTestId('nav-results'));
    const cards = await screen.findAllByTestId('results-experiment');
    const verdicts = cards.map((c) => c.querySelector('[data-testid="results-experiment-verdict"]')!.textContent!);
    for (const v of verdicts) {
      expect(v).not.toMatch(/unos — |— carritos|\(— más\)/);
      expect(v).not.toMatch(/\b0 carritos más/);
      expect(v).not.toContain('(0 más)');
    }
    expect(verdicts[0]).toContain('todavía no se ve diferencia entre las variantes');
    expect(verdicts[1]).toContain('Es pronto');
    expect(verdicts[1]).toContain('todavía no se ve diferencia');
    expect(verdicts[2]).toContain('ya tiene los 30 carritos');
  });

  it('says the comparison is intention-to-treat, with the carts the message never reached', async () => {
    backend.metrics = sampleMetrics();
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    await fireEvent.click(screen.getByTestId('nav-results'));
    const itt = await screen.findByTestId('results-lift-itt');
    expect(itt.textContent).toContain('Intención de tratar');
    expect(itt.textContent).toContain('3 de ellos nunca lo recibieron');
    expect(screen.queryByTestId('results-experiments')).toBeNull();
  });
});
