// The hours grid ↔ the engine's text: every stored form in the shared fixture (also read by the
// Rust parser's tests in src-tauri/domain/hours/tests.rs) reads into the same grid rows, and the
// grid writes back the engine's canonical text. Plus the holiday data the grid offers.
import { describe, expect, it } from 'vitest';
import fixture from '../../tests/fixtures/business_hours_grid.json';
import {
  dayProblem,
  formatBusinessHours,
  inputFromMinutes,
  minutesFromInput,
  parseBusinessHours,
  timeText,
  type WeeklyHours,
} from '../src/lib/business-hours';
import { addMonths, localDate, upcomingHolidays } from '../src/lib/holidays';

interface Case {
  stored: string;
  grid: string[][][];
  closed: string[];
  written: string;
}
const cases = fixture.cases as Case[];

const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
const gridOf = (h: WeeklyHours) => h.days.map((ranges) => ranges.map((r) => [timeText(r.start), timeText(r.end)]));

describe('the hours grid and the stored text', () => {
  it('covers the forms the engine parses', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases.map((c) => [c.stored, c] as const))('reads %j into the grid and writes it back', (_, c) => {
    const read = parseBusinessHours(c.stored);
    expect(read).not.toBeNull();
    expect(gridOf(read!)).toEqual(c.grid);
    expect(read!.closedDates).toEqual(c.closed);
    expect(formatBusinessHours(read!)).toBe(c.written);
    // The written text reads back into the same grid (a second save changes nothing).
    expect(formatBusinessHours(parseBusinessHours(c.written)!)).toBe(c.written);
    expect(gridOf(parseBusinessHours(c.written)!)).toEqual(c.grid);
  });

  it.each(cases.map((c) => [c.written, c] as const))('writes %j from the grid rows the owner set', (_, c) => {
    const built: WeeklyHours = {
      days: c.grid.map((ranges) => ranges.map(([a, b]) => ({ start: minutes(a), end: minutes(b) }))),
      closedDates: [...c.closed].reverse(),
    };
    expect(formatBusinessHours(built)).toBe(c.written);
  });

  it('writes a day with several ranges, out of order, sorted and touching ones joined', () => {
    const days = Array.from({ length: 7 }, () => [] as { start: number; end: number }[]);
    days[2] = [
      { start: 16 * 60, end: 20 * 60 },
      { start: 9 * 60, end: 12 * 60 },
      { start: 12 * 60, end: 13 * 60 },
    ];
    expect(formatBusinessHours({ days, closedDates: ['2027-01-01', '2026-12-25', '2027-01-01'] })).toBe(
      'wed 09:00-13:00,16:00-20:00; closed 2026-12-25, 2027-01-01',
    );
  });

  it('leaves to the text field what it cannot read', () => {
    for (const spec of ['weekdays 9-6', 'mon 22:00-02:00', 'mon 09:00-13:00,12:00-18:00', 'closed 25/12']) {
      expect(parseBusinessHours(spec), spec).toBeNull();
    }
  });

  it('tells a range that ends before it starts and overlapping ranges apart', () => {
    expect(dayProblem([{ start: 600, end: 540 }])).toBe('order');
    expect(dayProblem([{ start: 540, end: 780 }, { start: 720, end: 900 }])).toBe('overlap');
    expect(dayProblem([{ start: 540, end: 780 }, { start: 780, end: 900 }])).toBeNull();
    expect(dayProblem([])).toBeNull();
  });

  it('reads a time input ending at 00:00 as the end of the day', () => {
    expect(minutesFromInput('00:00', true)).toBe(1440);
    expect(minutesFromInput('00:00', false)).toBe(0);
    expect(minutesFromInput('09:30', false)).toBe(570);
    expect(minutesFromInput('', false)).toBeNull();
    expect(inputFromMinutes(1440)).toBe('00:00');
    expect(inputFromMinutes(570)).toBe('09:30');
  });
});

describe('public holidays', () => {
  it("lists Argentina's public holidays of the next 12 months, in the owner's language", () => {
    const ar = upcomingHolidays('AR', '2026-11-24', 'es');
    const dates = ar.map((h) => h.date);
    expect(dates).toContain('2026-12-08');
    expect(dates).toContain('2026-12-25');
    expect(dates).toContain('2027-01-01');
    expect(dates).toContain('2027-03-24');
    expect(dates).toContain('2027-05-25');
    expect(dates).toContain('2027-07-09');
    expect(ar.find((h) => h.date === '2026-12-25')?.name).toBe('Navidad');
    expect(dates.every((d) => d >= '2026-11-24' && d < '2027-11-24')).toBe(true);
    expect([...dates].sort()).toEqual(dates);
    expect(new Set(dates).size).toBe(dates.length);
    expect(upcomingHolidays('AR', '2026-11-24', 'en').find((h) => h.date === '2026-12-25')?.name).toBe('Christmas Day');
  });

  it("lists Spain's national holidays, not the regional ones", () => {
    const dates = upcomingHolidays('ES', '2026-11-24', 'es').map((h) => h.date);
    for (const d of ['2026-12-08', '2026-12-25', '2027-01-01', '2027-01-06', '2027-03-26', '2027-10-12']) {
      expect(dates).toContain(d);
    }
    expect(dates).not.toContain('2027-04-23'); // Sant Jordi, Catalonia only
  });

  it.each(['AR', 'BR', 'MX', 'CL', 'CO', 'PE', 'UY', 'ES'])('has holidays for %s', (country) => {
    const list = upcomingHolidays(country, '2026-11-24', 'es');
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(list.map((h) => h.date)).toContain('2027-01-01');
  });

  it('offers none for a country it does not know, or from a day that is not a date', () => {
    expect(upcomingHolidays('AR', '12/6/26', 'es')).toEqual([]);
    expect(upcomingHolidays('', '2026-11-24', 'es')).toEqual([]);
    expect(upcomingHolidays('ZZ', '2026-11-24', 'es')).toEqual([]);
  });

  it('counts months and local dates as calendars do', () => {
    expect(addMonths('2026-11-24', 12)).toBe('2027-11-24');
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    // 01:30 UTC on the 25th is still the 24th in Buenos Aires.
    expect(localDate(Date.parse('2026-12-25T01:30:00Z'), 'America/Argentina/Buenos_Aires')).toBe('2026-12-24');
    expect(localDate(Date.parse('2026-12-25T01:30:00Z'), 'Mars/Olympus')).toBe('2026-12-25');
  });
});
