import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, sampleMetrics, type FakeBackend } from './fake-backend';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { periodRange } from '../src/lib/period';
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

async function openResults() {
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
  await fireEvent.click(screen.getByTestId('nav-results'));
}

const calls = (cmd: string) => backend.calls.filter((c) => c.cmd === cmd);

describe('Results', () => {
  it('shows the empty state while nothing was detected, with the period picker still there', async () => {
    await openResults();
    await screen.findByTestId('empty-results');
    expect(calls('results')[0].args, 'last 30 days = the engine default').toEqual({ from: null, to: null });
    expect(screen.getByTestId('results-period')).toBeTruthy();
    expect(screen.queryByTestId('results-recovery')).toBeNull();
  });

  it('gives the recovery rate with its denominator and every figure the engine sent', async () => {
    backend.metrics = sampleMetrics();
    await openResults();
    const recovery = await screen.findByTestId('results-recovery');
    expect(recovery.textContent).toContain('15');
    expect(within(recovery).getByTestId('results-recovery-denominator').textContent?.trim()).toBe(
      '12 de 80 carritos con mensaje',
    );
    expect(screen.getByTestId('results-replies').textContent).toContain('30 de 80 clientes respondieron');
    expect(screen.getByTestId('results-first-reply').textContent).toContain('3 h 25 min');
    expect(screen.getByTestId('results-carts-detected').textContent).toBe('120');
    expect(screen.getByTestId('results-carts-holdout').textContent).toBe('9');
    expect(screen.getByTestId('results-messages-delivered').textContent).toBe('83');
    expect(screen.getByTestId('results-messages-failed').textContent).toBe('3');
  });

  it('shows recovered sales per currency, each on its own, never added up', async () => {
    backend.metrics = sampleMetrics();
    await openResults();
    const revenue = await screen.findByTestId('results-revenue');
    const amounts = within(revenue).getAllByTestId('results-revenue-amount');
    expect(amounts.map((a) => a.dataset.currency)).toEqual(['ARS', 'BRL']);
    const text = amounts.map((a) => a.textContent?.replace(/\s/g, ' ').trim());
    expect(text[0]).toMatch(/845\.000,00/);
    expect(text[1]).toMatch(/1\.?290,50/);
    expect(revenue.textContent).toContain('no se suman ni se convierten');
    expect(revenue.textContent, 'no grand total across currencies').not.toMatch(/846|2\.135/);
  });

  it('counts the coupons and says the sales are net of their discount', async () => {
    backend.metrics = {
      ...sampleMetrics(),
      coupons: {
        created: 14,
        redeemed: 5,
        refused: 0,
        discount: [{ currency: 'ARS', amount: '42500.00' }],
        grossRevenue: [{ currency: 'ARS', amount: '887500.00' }],
      },
    };
    await openResults();
    const revenue = await screen.findByTestId('results-revenue');
    const line = within(revenue).getByTestId('results-coupons');
    expect(line.textContent).toContain('Cupones: 14 creados, 5 usados.');
    const discount = within(revenue).getByTestId('results-coupons-discount');
    expect(discount.dataset.currency).toBe('ARS');
    expect(discount.textContent?.replace(/\s/g, ' ')).toMatch(/Descuento dado: .*42\.500,00/);
    expect(revenue.textContent).toContain('descuentan los cupones usados');
  });

  it('shows no coupon line when no coupon was made', async () => {
    backend.metrics = sampleMetrics();
    await openResults();
    const revenue = await screen.findByTestId('results-revenue');
    expect(within(revenue).queryByTestId('results-coupons')).toBeNull();
  });

  it('explains a significant lift with its 95% interval in one sentence', async () => {
    backend.metrics = sampleMetrics();
    await openResults();
    const lift = await screen.findByTestId('results-lift');
    expect(lift.dataset.state).toBe('significant');
    const sentence = within(lift).getByTestId('results-lift-sentence').textContent ?? '';
    expect(sentence).toContain('15');
    expect(sentence).toContain('95');
    expect(sentence).toContain('entre 4,2 y 23,6 puntos');
    expect(within(lift).getByTestId('results-lift-control').textContent).toContain('0 de 9');
  });

  it('says "not enough data yet" when the interval includes zero, and when there is none', async () => {
    const metrics = sampleMetrics();
    metrics.lift = { ...metrics.lift, difference: 0.03, low: -0.05, high: 0.11, significant: false };
    backend.metrics = metrics;
    await openResults();
    let lift = await screen.findByTestId('results-lift');
    expect(lift.dataset.state).toBe('not_significant');
    expect(lift.textContent).toContain('Todavía no hay datos suficientes');
    expect(within(lift).getByTestId('results-lift-sentence').textContent).toContain(
      'entre -5 y 11, incluido cero',
    );

    cleanup();
    backend.metrics = sampleMetrics();
    backend.metrics.lift = { ...metrics.lift, difference: null, low: null, high: null, significant: null };
    await openResults();
    lift = await screen.findByTestId('results-lift');
    expect(lift.dataset.state).toBe('none');
    expect(lift.textContent).toContain('Todavía no hay datos suficientes');
    expect(lift.textContent).not.toContain('puntos');
  });

  it('asks the engine for the chosen period', async () => {
    backend.metrics = sampleMetrics();
    await openResults();
    await screen.findByTestId('results-recovery');
    await fireEvent.change(screen.getByTestId('results-period'), { target: { value: 'last7' } });
    await waitFor(() => expect(calls('results')).toHaveLength(2));
    const { from, to } = calls('results')[1].args as { from: string; to: string };
    expect(Date.parse(to) - Date.parse(from)).toBe(7 * 86_400_000);

    await fireEvent.change(screen.getByTestId('results-period'), { target: { value: 'custom' } });
    await fireEvent.input(screen.getByTestId('results-from'), { target: { value: '2026-11-10' } });
    await fireEvent.input(screen.getByTestId('results-to'), { target: { value: '2026-11-01' } });
    await fireEvent.click(screen.getByTestId('results-apply'));
    await screen.findByTestId('results-range-error');

    await fireEvent.input(screen.getByTestId('results-to'), { target: { value: '2026-11-20' } });
    await fireEvent.click(screen.getByTestId('results-apply'));
    await waitFor(() => expect(screen.queryByTestId('results-range-error')).toBeNull());
    await waitFor(() =>
      expect(calls('results').at(-1)?.args).toEqual(
        periodRange('custom', { from: '2026-11-10', to: '2026-11-20' }, Date.now()),
      ),
    );
  });

  it('exports the engine CSV of the period as a file download', async () => {
    backend.metrics = sampleMetrics();
    const blobs: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return 'blob:recupero/1';
    });
    const revokeObjectURL = vi.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });

    await openResults();
    await screen.findByTestId('results-recovery');
    await fireEvent.click(screen.getByTestId('results-csv'));
    await waitFor(() => expect(clicked).toHaveLength(1));
    expect(calls('results_csv')).toEqual([{ cmd: 'results_csv', args: { from: null, to: null } }]);
    expect(clicked[0].download).toBe('recupero-2026-10-22_2026-11-21.csv');
    expect(clicked[0].href).toBe('blob:recupero/1');
    expect(blobs[0].type).toBe('text/csv;charset=utf-8');
    expect(await blobs[0].text()).toBe(backend.csv);
  });

  it('lists the cost by country and category, with the date of the prices', async () => {
    backend.metrics = sampleMetrics();
    await openResults();
    const cost = await screen.findByTestId('results-cost');
    expect(within(cost).getByTestId('results-rates-date').textContent).toContain('2026-10-01');
    const rows = within(cost).getAllByTestId('results-cost-row');
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain('Argentina');
    expect(rows[0].textContent).toContain('Marketing');
    expect(rows[0].textContent).toContain('70');
    expect(within(cost).getByTestId('results-cost-per-recovered').textContent).toMatch(/0,41/);
    expect(within(cost).getByTestId('results-roi').textContent, 'no cost → no ROI').toContain('—');
  });

  it("shows the return in the shop's currency with the owner's dollar rate", async () => {
    const m = sampleMetrics();
    m.cost.roi = [{ currency: 'ARS', revenue: '1000.00', cost: '123.60', roi: 7.0906, usdRate: '1000' }];
    backend.metrics = m;
    await openResults();
    const roi = await screen.findByTestId('results-roi');
    expect(roi.textContent).toMatch(/709\s?%/);
    expect(within(roi).getByTestId('results-roi-rate').textContent).toMatch(/^\(1 US\$ = .*1\.?000,00/);
  });

  it('edits the rate table and shows the engine validation error', async () => {
    backend.metrics = sampleMetrics();
    await openResults();
    await fireEvent.click(await screen.findByTestId('rates-edit'));
    const editor = await screen.findByTestId('rates-editor');
    await waitFor(() => expect(within(editor).getAllByTestId('rate-row')).toHaveLength(2));
    expect(calls('rate_table')).toHaveLength(1);

    const price = within(editor).getAllByTestId('rate-price')[0] as HTMLInputElement;
    expect(price.value).toBe('0.0618');
    await fireEvent.input(price, { target: { value: '0,07' } });
    await fireEvent.click(within(editor).getByTestId('rates-save'));
    const error = await within(editor).findByTestId('rates-error');
    await fireEvent.click(within(error).getByTestId('rates-error-message-toggle'));
    expect(error.textContent).toContain('price "0,07" for AR/marketing is not a decimal number');

    await fireEvent.input(price, { target: { value: '0.07' } });
    await fireEvent.click(within(editor).getByTestId('rate-add'));
    const rows = within(editor).getAllByTestId('rate-row');
    await fireEvent.input(within(rows[2]).getByTestId('rate-country'), { target: { value: 'br' } });
    await fireEvent.input(within(rows[2]).getByTestId('rate-price'), { target: { value: '0.0625' } });
    const before = calls('results').length;
    await fireEvent.click(within(editor).getByTestId('rates-save'));
    await within(editor).findByTestId('rates-saved');
    expect(within(editor).queryByTestId('rates-error')).toBeNull();
    expect(calls('rate_table_set').at(-1)?.args).toEqual({
      rates: [
        { country: 'AR', category: 'marketing', currency: 'USD', price: '0.07' },
        { country: '*', category: 'marketing', currency: 'USD', price: '0.0500' },
        { country: 'BR', category: 'marketing', currency: 'USD', price: '0.0625' },
      ],
    });
    await waitFor(() => expect(calls('results').length, 'figures asked for again').toBe(before + 1));
  });

  it('charts by day and by week, with the same numbers in a table', async () => {
    backend.metrics = sampleMetrics();
    await openResults();
    const daily = await screen.findByTestId('results-chart-daily');
    expect(daily.querySelector('canvas')).toBeTruthy();
    const rows = within(screen.getByTestId('results-chart-daily-table')).getAllByRole('row');
    // Header + one row per day: messaged and recovered as the engine counted them.
    const cells = (r: HTMLElement) =>
      [...r.querySelectorAll('th, td')].map((c) => c.textContent?.trim()).join(' | ');
    expect(rows.map(cells)).toEqual([
      'Período | Con mensaje | Recuperados',
      '19 nov | 4 | 1',
      '20 nov | 6 | 2',
    ]);
    const weekly = within(screen.getByTestId('results-chart-weekly-table')).getAllByRole('row');
    expect(cells(weekly[0])).toBe(
      'Período | Con mensaje | Recuperados | Grupo de control | Compraron sin mensaje',
    );
    expect(cells(weekly[1])).toBe('Semana del 16 nov | 10 | 3 | 1 | 0');
  });
});
