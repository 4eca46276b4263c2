// The hours grid on screen: weekday rows in the owner's language, ranges and closed days, the
// shop country's holidays pre-ticked (untick one and it is not saved), other closed dates, and
// the text field kept for a value the grid can't show.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';

import HoursGrid from '../src/components/HoursGrid.svelte';
import { app } from '../src/lib/app.svelte';
import { setClockSource } from '../src/lib/clock.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import type { Setting } from '../src/lib/types';
import { tauri } from './tauri-mock';

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

const NOW = Date.parse('2026-11-24T17:05:00Z'); // a Tuesday
let saved: string[] = [];

function setting(key: string, value: string, kind = 'text'): Setting {
  return { key, value, default: '', description: `help for ${key}`, kind } as Setting;
}

function show(hours: string, country = 'AR') {
  app.settings = [
    setting('timezone', 'America/Argentina/Buenos_Aires', 'timezone'),
    setting('default_country', country, 'country'),
    setting('business_hours', hours, 'hours'),
  ];
  render(HoursGrid, { props: { setting: app.settings[2] } });
}

const byId = <T extends HTMLElement = HTMLElement>(id: string) => screen.getByTestId(id) as T;
const checkbox = (id: string) => byId<HTMLInputElement>(id);

async function save(): Promise<string> {
  await fireEvent.click(byId('hours-save'));
  await waitFor(() => expect(saved.length).toBeGreaterThan(0));
  return saved.at(-1)!;
}

/** Waits for the lazily loaded holiday data to tick the holidays. */
async function holidaysShown() {
  await waitFor(() => expect(screen.queryByTestId('hours-holiday-2026-12-25')).not.toBeNull());
}

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  saved = [];
  setLang('es');
  setClockSource(() => NOW);
  tauri.invoke = async (cmd, args) => {
    if (cmd !== 'settings_set') throw `command ${cmd} not found`;
    saved.push(String(args?.value));
    return app.settings.map((s) => (s.key === args?.key ? { ...s, value: String(args?.value) } : s));
  };
});

afterEach(() => {
  cleanup();
  setClockSource(null);
});

describe('the weekly hours grid', () => {
  it('shows a row per weekday in the owner language, open with its hours or closed', async () => {
    show('mon-fri 09:00-13:00,14:00-18:00; sat 10:00-13:00', '');
    expect(byId('hours-day-0').textContent).toContain('Lunes');
    expect(byId('hours-day-6').textContent).toContain('Domingo');
    expect(byId<HTMLInputElement>('hours-start-0-0').value).toBe('09:00');
    expect(byId<HTMLInputElement>('hours-end-0-1').value).toBe('18:00');
    expect(byId<HTMLInputElement>('hours-start-5-0').value).toBe('10:00');
    expect(checkbox('hours-open-6').checked).toBe(false);
    expect(byId('hours-day-6').textContent).toContain('Cerrado');
    expect(screen.queryByTestId('hours-unsaved')).toBeNull();
    cleanup();
    setLang('pt');
    show('mon 09:00-10:00', '');
    expect(byId('hours-day-0').textContent).toContain('Segunda-feira');
    cleanup();
    setLang('en');
    show('mon 09:00-10:00', '');
    expect(byId('hours-day-0').textContent).toContain('Monday');
  });

  it('pre-ticks the public holidays of Argentina for the next 12 months, and saves them as closed dates', async () => {
    show('mon-sat 09:00-20:00');
    await holidaysShown();
    for (const d of ['2026-12-08', '2026-12-25', '2027-01-01', '2027-05-25', '2027-07-09']) {
      expect(checkbox(`hours-holiday-${d}`).checked, d).toBe(true);
    }
    expect(byId('hours-unsaved')).toBeTruthy();
    const value = await save();
    expect(value).toMatch(/^mon-sat 09:00-20:00; closed 2026-12-08, 2026-12-25, 2027-01-01, /);
    expect(value).toContain('2027-07-09');
  });

  it("pre-ticks Spain's holidays when the shop is in Spain", async () => {
    show('mon-fri 10:00-14:00', 'ES');
    await waitFor(() => expect(screen.queryByTestId('hours-holiday-2027-01-06')).not.toBeNull());
    expect(checkbox('hours-holiday-2027-01-06').checked).toBe(true);
    expect(checkbox('hours-holiday-2027-10-12').checked).toBe(true);
    expect(screen.queryByTestId('hours-holiday-2027-07-09')).toBeNull();
    const value = await save();
    expect(value).toContain('2026-12-08, 2026-12-25, 2027-01-01, 2027-01-06');
  });

  it('unticking a holiday leaves only that day open', async () => {
    show('mon-sat 09:00-20:00');
    await holidaysShown();
    await fireEvent.click(checkbox('hours-holiday-2026-12-08'));
    expect(checkbox('hours-holiday-2026-12-08').checked).toBe(false);
    const value = await save();
    expect(value).not.toContain('2026-12-08');
    expect(value).toContain('closed 2026-12-25, 2027-01-01');
  });

  it('keeps what the owner chose before: a saved holiday means the others stay unticked', async () => {
    show('mon-sat 09:00-20:00; closed 2026-12-25');
    await holidaysShown();
    expect(checkbox('hours-holiday-2026-12-25').checked).toBe(true);
    expect(checkbox('hours-holiday-2027-01-01').checked).toBe(false);
    expect(screen.queryByTestId('hours-unsaved')).toBeNull();
    expect((byId('hours-save') as HTMLButtonElement).disabled).toBe(true);
  });

  it('adds a second range to a day and closes another', async () => {
    show('mon-fri 09:00-13:00', '');
    await fireEvent.click(byId('hours-add-0'));
    const start = byId<HTMLInputElement>('hours-start-0-1');
    const end = byId<HTMLInputElement>('hours-end-0-1');
    await fireEvent.change(start, { target: { value: '15:00' } });
    await fireEvent.change(end, { target: { value: '19:30' } });
    await fireEvent.click(checkbox('hours-open-4'));
    expect(checkbox('hours-open-4').checked).toBe(false);
    expect(await save()).toBe('mon 09:00-13:00,15:00-19:30; tue-thu 09:00-13:00');
  });

  it('opens a closed day with the hours of the day before, and runs a range to midnight', async () => {
    show('mon-fri 09:00-18:00', '');
    await fireEvent.click(checkbox('hours-open-5'));
    await fireEvent.change(byId('hours-end-5-0'), { target: { value: '00:00' } });
    expect(await save()).toBe('mon-fri 09:00-18:00; sat 09:00-24:00');
  });

  it('refuses to save a day whose ranges overlap, saying which', async () => {
    show('mon 09:00-13:00,14:00-18:00', '');
    await fireEvent.change(byId('hours-start-0-1'), { target: { value: '12:00' } });
    expect(byId('hours-day-0').textContent).toContain('se superponen');
    expect((byId('hours-save') as HTMLButtonElement).disabled).toBe(true);
  });

  it('adds and removes other closed dates', async () => {
    show('mon-fri 09:00-18:00; closed 2026-12-31', '');
    expect(byId('hours-date-2026-12-31')).toBeTruthy();
    await fireEvent.input(byId('hours-new-date'), { target: { value: '2027-02-15' } });
    await fireEvent.click(byId('hours-add-date'));
    expect(byId('hours-date-2027-02-15')).toBeTruthy();
    await fireEvent.click(byId('hours-date-2026-12-31').querySelector('button')!);
    expect(await save()).toBe('mon-fri 09:00-18:00; closed 2027-02-15');
  });

  it('keeps a value it cannot show in the text field, open, so nothing is lost', async () => {
    show('weekdays 9-6', '');
    expect(byId('hours-unreadable')).toBeTruthy();
    expect(screen.queryByTestId('hours-day-0')).toBeNull();
    expect(byId('hours-grid').querySelector('details')!.open).toBe(true);
    expect(byId<HTMLInputElement>('setting-business_hours').value).toBe('weekdays 9-6');
  });
});
