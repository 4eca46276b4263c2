// The public holidays of the shop's country, offered in the hours grid as closed dates the
// owner can untick.
//
// Data set: the npm package `date-holidays` (ISC code, CC-BY-3.0 data). It is the most used and
// actively maintained holiday data set for JavaScript (releases through 2026, hundreds of
// countries with rules rather than fixed lists, so moving holidays such as Carnival, Easter or
// Argentina's "feriados puente" come out right for any year), it covers every country Recupero
// serves (AR, BR, MX, CL, CO, PE, UY, ES) with names in Spanish, Portuguese and English, and it
// runs offline in the webview with no network access. Its data (~800 kB) is loaded lazily by the
// hours grid, so the rest of the window doesn't pay for it. A Rust crate would have meant a new
// IPC command for what is only a suggestion the owner confirms; the engine still reads nothing
// but the closed dates the owner saves.

import Holidays from 'date-holidays';

/** The countries the grid offers holidays for (the ones Recupero serves). */
export const HOLIDAY_COUNTRIES = ['AR', 'BR', 'CL', 'CO', 'ES', 'MX', 'PE', 'UY'] as const;

export interface Holiday {
  /** YYYY-MM-DD, the local date in the country. */
  date: string;
  name: string;
}

/** How far ahead holidays are offered. */
export const HOLIDAY_MONTHS = 12;

/** YYYY-MM-DD plus `months` calendar months (day clamped to the month's length). */
export function addMonths(iso: string, months: number): string {
  const [y, m, d] = iso.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

/**
 * The country's public holidays from `fromIso` (included) for the next `months` months, sorted,
 * one per date, named in `lang`. Bank holidays and observances are left out; an unknown
 * country gives none.
 */
export function upcomingHolidays(country: string, fromIso: string, lang: string, months = HOLIDAY_MONTHS): Holiday[] {
  const code = country.trim().toUpperCase();
  if (!(HOLIDAY_COUNTRIES as readonly string[]).includes(code) || !/^\d{4}-\d{2}-\d{2}$/.test(fromIso)) return [];
  const until = addMonths(fromIso, months);
  const calendar = new Holidays(code, { languages: [lang, 'es', 'en'], types: ['public'] });
  const firstYear = Number(fromIso.slice(0, 4));
  const byDate = new Map<string, string>();
  for (let year = firstYear; year <= Number(until.slice(0, 4)); year++) {
    for (const h of calendar.getHolidays(year, lang)) {
      const date = h.date.slice(0, 10);
      if (h.type !== 'public' || date < fromIso || date >= until) continue;
      byDate.set(date, byDate.has(date) ? `${byDate.get(date)} / ${h.name}` : h.name);
    }
  }
  return [...byDate.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, name]) => ({ date, name }));
}

/** The local date (YYYY-MM-DD) of an instant in an IANA zone; the UTC date for an unknown zone. */
export function localDate(at: number, zone: string): string {
  // Built from parts: how a locale prints a short date differs between engines (WebKitGTK's
  // "en-CA" is not ISO), but the parts are the same everywhere.
  const iso = (timeZone: string) => {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(at);
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${part('year')}-${part('month')}-${part('day')}`;
  };
  try {
    return iso(zone.trim() || 'UTC');
  } catch {
    return iso('UTC');
  }
}
