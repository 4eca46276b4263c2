// The periods the Results screen offers, as the `from`/`to` the engine takes (RFC 3339, UTC).
// "Last 30 days" sends nulls: the engine's own default, computed in the shop's time zone.

export type PeriodChoice = 'last7' | 'last30' | 'last90' | 'custom';

export interface PeriodRange {
  from: string | null;
  to: string | null;
}

const DAY_MS = 86_400_000;

/** Midnight at the start of a "YYYY-MM-DD" day on this computer, as UTC RFC 3339. */
function localMidnight(day: string, plusDays = 0): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * The range for a choice. Custom days are whole days on this computer's calendar, the last one
 * included (so `to` is the midnight after it); an unusable custom range falls back to the
 * engine's default.
 */
export function periodRange(
  choice: PeriodChoice,
  custom: { from: string; to: string } | null,
  nowMs: number,
): PeriodRange {
  switch (choice) {
    case 'last7':
    case 'last90': {
      const days = choice === 'last7' ? 7 : 90;
      return { from: new Date(nowMs - days * DAY_MS).toISOString(), to: new Date(nowMs).toISOString() };
    }
    case 'custom': {
      const from = custom ? localMidnight(custom.from) : null;
      const to = custom ? localMidnight(custom.to, 1) : null;
      return from && to && from < to ? { from, to } : { from: null, to: null };
    }
    default:
      return { from: null, to: null };
  }
}
