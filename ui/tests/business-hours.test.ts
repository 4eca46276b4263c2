import { describe, expect, it } from 'vitest';
import {
  closedDays,
  dayName,
  nowInZone,
  openDayGroups,
  parseBusinessHours,
  timeText,
} from '../src/lib/business-hours';

const groups = (spec: string) =>
  openDayGroups(parseBusinessHours(spec)!).map(
    (g) => `${g.from}-${g.to} ${g.ranges.map((r) => `${timeText(r.start)}-${timeText(r.end)}`).join(',')}`,
  );

describe('business hours, read back in plain words', () => {
  it.each([
    ['mon-fri 09:00-18:00; sat 10:00-13:00', ['0-4 09:00-18:00', '5-5 10:00-13:00']],
    ['MON-FRI 9:00-18:00;sat 10:00-13:00', ['0-4 09:00-18:00', '5-5 10:00-13:00']],
    ['mon-fri 09:00-13:00, 14:00-18:00', ['0-4 09:00-13:00,14:00-18:00']],
    ['mon,wed 09:00-12:00', ['0-0 09:00-12:00', '2-2 09:00-12:00']],
    // A day range may wrap around the week.
    ['fri-mon 10:00-24:00', ['0-0 10:00-24:00', '4-6 10:00-24:00']],
    ['mon 09:00-12:00; mon 14:00-18:00', ['0-0 09:00-12:00,14:00-18:00']],
  ])('groups %s like the engine prints it', (spec, expected) => {
    expect(groups(spec)).toEqual(expected);
  });

  it('lists the closed days and the holidays, sorted', () => {
    const hours = parseBusinessHours('mon-fri 09:00-18:00; closed 2027-01-01, 2026-12-25')!;
    expect(closedDays(hours)).toEqual([5, 6]);
    expect(hours.closedDates).toEqual(['2026-12-25', '2027-01-01']);
  });

  it('reads an empty text as a shop that never opens', () => {
    const hours = parseBusinessHours('  ')!;
    expect(openDayGroups(hours)).toEqual([]);
    expect(closedDays(hours)).toHaveLength(7);
  });

  it.each([
    'weekdays 09:00-18:00',
    'mon-fri',
    '09:00-18:00',
    'mon-fri 9-18',
    'mon 18:00-09:00',
    'mon 09:00-09:00',
    'mon 09:60-10:00',
    'mon 24:00-24:00',
    'mon 09:00-12:00,11:00-13:00',
    'mon-tue-wed 09:00-10:00',
    'closed',
    'closed 25/12/2026',
  ])('says nothing about %j, which the engine would refuse', (spec) => {
    expect(parseBusinessHours(spec)).toBeNull();
  });

  it('names days and the time in a zone in the owner\'s language', () => {
    expect(dayName(0, 'es')).toBe('lunes');
    expect(dayName(6, 'pt')).toBe('domingo');
    expect(dayName(2, 'en')).toBe('Wednesday');
    const at = Date.parse('2026-11-24T17:05:00Z');
    expect(nowInZone('America/Argentina/Buenos_Aires', at, 'es')).toBe('martes, 14:05');
    expect(nowInZone('Asia/Tokyo', at, 'en')).toBe('Wednesday 02:05');
    expect(nowInZone('Nowhere/Atlantis', at, 'es')).toBeNull();
    expect(nowInZone('', at, 'es')).toBeNull();
  });
});
