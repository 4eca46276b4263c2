// Reading the `business_hours` setting ("mon-fri 09:00-18:00; sat 10:00-13:00; closed 2026-12-25")
// into the weekly grid (and plain words), and writing the grid back in the engine's canonical
// form (src-tauri/domain/hours_spec.rs). The engine stays the judge: it validates on save, and a
// value this reader does not understand is left to the text field.

/** Minutes after midnight; `end` may be 1440 (the end of the day). */
export interface HoursRange {
  start: number;
  end: number;
}

export interface WeeklyHours {
  /** Monday first, seven entries; an empty list is a closed day. */
  days: HoursRange[][];
  /** YYYY-MM-DD, sorted. */
  closedDates: string[];
}

/** Consecutive days (0 = Monday) that share the same hours. */
export interface DayGroup {
  from: number;
  to: number;
  ranges: HoursRange[];
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function parseTime(token: string, isEnd: boolean): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(token);
  if (!m) return null;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  const total = hours * 60 + minutes;
  const valid = minutes < 60 && (hours < 24 || (isEnd && total === 24 * 60));
  return valid ? total : null;
}

function parseDays(text: string): number[] | null {
  const compact = text.replace(/\s+/g, '').toLowerCase();
  if (compact === '') return null;
  const days = new Set<number>();
  for (const item of compact.split(',')) {
    const [from, to, extra] = item.split('-');
    if (extra !== undefined) return null;
    const a = DAY_NAMES.indexOf(from);
    if (a < 0) return null;
    if (to === undefined) {
      days.add(a);
      continue;
    }
    const b = DAY_NAMES.indexOf(to);
    if (b < 0) return null;
    // A range may wrap around the week ("fri-mon").
    const span = (b + 7 - a) % 7;
    for (let offset = 0; offset <= span; offset++) days.add((a + offset) % 7);
  }
  return [...days];
}

function parseRanges(text: string): HoursRange[] | null {
  const ranges: HoursRange[] = [];
  for (const token of text.replace(/\s+/g, '').split(',')) {
    const [a, b, extra] = token.split('-');
    if (b === undefined || extra !== undefined) return null;
    const start = parseTime(a, false);
    const end = parseTime(b, true);
    if (start === null || end === null || end <= start) return null;
    ranges.push({ start, end });
  }
  return ranges;
}

/** The weekly hours, or null when the text is not in the form the engine reads. */
export function parseBusinessHours(spec: string): WeeklyHours | null {
  const days: HoursRange[][] = Array.from({ length: 7 }, () => []);
  const closedDates: string[] = [];
  for (const raw of spec.split(';')) {
    const clause = raw.trim();
    if (clause === '') continue;
    const lower = clause.toLowerCase();
    if (lower.startsWith('closed')) {
      const dates = lower.slice('closed'.length).split(',').map((d) => d.trim());
      if (dates.some((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d))) return null;
      closedDates.push(...dates);
      continue;
    }
    const firstDigit = clause.search(/\d/);
    if (firstDigit <= 0) return null;
    const dayList = parseDays(clause.slice(0, firstDigit));
    const ranges = parseRanges(clause.slice(firstDigit));
    if (!dayList || !ranges) return null;
    for (const day of dayList) days[day].push(...ranges);
  }
  for (const ranges of days) {
    ranges.sort((x, y) => x.start - y.start);
    // Overlapping ranges on one day are refused by the engine; say nothing rather than guess.
    for (let i = 1; i < ranges.length; i++) if (ranges[i].start < ranges[i - 1].end) return null;
  }
  // Ranges that touch are one range and a date named twice is one date, as the engine reads them.
  return { days: days.map(mergeTouching), closedDates: [...new Set(closedDates)].sort() };
}

/** Sorted ranges with those that touch ("09:00-13:00,13:00-18:00") joined into one. */
function mergeTouching(ranges: HoursRange[]): HoursRange[] {
  const merged: HoursRange[] = [];
  for (const r of [...ranges].sort((x, y) => x.start - y.start)) {
    const last = merged.at(-1);
    if (last && r.start === last.end) last.end = r.end;
    else merged.push({ ...r });
  }
  return merged;
}

function sameRanges(a: HoursRange[], b: HoursRange[]): boolean {
  return a.length === b.length && a.every((r, i) => r.start === b[i].start && r.end === b[i].end);
}

/** Open days grouped as the engine prints them: Monday to Sunday, consecutive equal days together. */
export function openDayGroups(hours: WeeklyHours): DayGroup[] {
  const groups: DayGroup[] = [];
  let first = 0;
  while (first < 7) {
    let last = first;
    while (last + 1 < 7 && sameRanges(hours.days[last + 1], hours.days[first])) last++;
    if (hours.days[first].length > 0) groups.push({ from: first, to: last, ranges: hours.days[first] });
    first = last + 1;
  }
  return groups;
}

/** The closed days of the week (0 = Monday). */
export function closedDays(hours: WeeklyHours): number[] {
  return hours.days.flatMap((ranges, day) => (ranges.length === 0 ? [day] : []));
}

/** "09:00", "24:00". */
export function timeText(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** The weekday's name in `lang` (0 = Monday), e.g. "lunes", "segunda-feira", "Monday". */
export function dayName(day: number, lang: string): string {
  // 2024-01-01 was a Monday; noon UTC keeps the date the same in every zone.
  const date = new Date(Date.UTC(2024, 0, 1 + day, 12));
  return new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' }).format(date);
}

/** The time and weekday now in an IANA zone ("martes 14:05"), or null for an unknown zone. */
export function nowInZone(zone: string, at: number, lang: string): string | null {
  if (zone.trim() === '') return null;
  try {
    return new Intl.DateTimeFormat(lang, {
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: zone.trim(),
    }).format(new Date(at));
  } catch {
    return null;
  }
}

/** The grid's hours in the engine's canonical text: consecutive equal days grouped, dates sorted. */
export function formatBusinessHours(hours: WeeklyHours): string {
  const canonical = { days: hours.days.map(mergeTouching), closedDates: hours.closedDates };
  const clauses = openDayGroups(canonical).map((g) => {
    const days = g.from === g.to ? DAY_NAMES[g.from] : `${DAY_NAMES[g.from]}-${DAY_NAMES[g.to]}`;
    return `${days} ${g.ranges.map((r) => `${timeText(r.start)}-${timeText(r.end)}`).join(',')}`;
  });
  const dates = [...new Set(hours.closedDates)].sort();
  if (dates.length > 0) clauses.push(`closed ${dates.join(', ')}`);
  return clauses.join('; ');
}

/** Why a day's ranges can't be saved: 'order' (one ends before it starts), 'overlap', or null. */
export function dayProblem(ranges: HoursRange[]): 'order' | 'overlap' | null {
  if (ranges.some((r) => !(r.start < r.end && r.end <= 24 * 60 && r.start >= 0))) return 'order';
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].start < sorted[i - 1].end) return 'overlap';
  return null;
}

/** "HH:MM" from a time input → minutes; an end of "00:00" is the end of the day (24:00). */
export function minutesFromInput(value: string, isEnd: boolean): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const total = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[1]) > 23 || Number(m[2]) > 59) return null;
  return isEnd && total === 0 ? 24 * 60 : total;
}

/** Minutes → a time input's "HH:MM"; the end of the day shows as "00:00". */
export function inputFromMinutes(minutes: number): string {
  return timeText(minutes % (24 * 60));
}
