// Dates in the UI language, in the shop's time zone when it is a valid IANA name; money amounts
// the server sends as plain decimals, in the UI language.

export function formatDateTime(
  iso: string | null | undefined,
  lang: string,
  timeZone?: string,
  style: 'medium' | 'short' = 'medium',
): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions =
    style === 'short'
      ? { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }
      : { dateStyle: 'medium', timeStyle: 'short' };
  if (timeZone && timeZone !== 'auto') {
    try {
      return new Intl.DateTimeFormat(lang, { ...options, timeZone }).format(date);
    } catch {
      // Not a time zone this webview knows: fall back to the computer's.
    }
  }
  return new Intl.DateTimeFormat(lang, options).format(date);
}

/** IANA time-zone names for the time-zone field's suggestions (empty if unsupported). */
export function timeZoneNames(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

/**
 * A plain decimal amount from the server ("12500.50") with its ISO 4217 code, in the UI language:
 * "12.500,50 ARS" in Spanish, "ARS 12,500.50" in English. Anything else is shown as it came,
 * followed by its currency.
 */
export function formatMoney(amount: string, currency: string, lang: string): string {
  const plain = amount.trim();
  if (/^-?\d+(\.\d+)?$/.test(plain) && /^[A-Z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat(lang, { style: 'currency', currency }).format(Number(plain));
    } catch {
      // A currency code this webview does not know: fall through to the raw form.
    }
  }
  return `${amount} ${currency}`.trim();
}

/**
 * A time left or taken, rounded down to the minute, as "5 h 12 min" / "12 min" / "2 d 3 h";
 * under a minute is "< 1 min". `unit` words come from the catalog so they follow the language.
 */
export function formatDuration(
  ms: number,
  words: { d: string; h: string; min: string; lessThanMinute: string },
): string {
  if (!Number.isFinite(ms) || ms < 60_000) return words.lessThanMinute;
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} ${words.d} ${hours} ${words.h}` : `${days} ${words.d}`;
  if (hours > 0) return mins > 0 ? `${hours} ${words.h} ${mins} ${words.min}` : `${hours} ${words.h}`;
  return `${mins} ${words.min}`;
}

/** A ratio from the engine (0..1) as a percentage in the UI language; null → "—". */
export function formatPercent(rate: number | null | undefined, lang: string, digits = 1): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  return new Intl.NumberFormat(lang, {
    style: 'percent',
    minimumFractionDigits: 0,
    maximumFractionDigits: digits,
  }).format(rate);
}

/**
 * A difference of two ratios in percentage points: 0.042 → "4,2" (es); `signed` adds "+" to a
 * positive one, for a difference on its own ("+15 puntos").
 */
export function formatPoints(diff: number, lang: string, signed = false): string {
  return new Intl.NumberFormat(lang, {
    minimumFractionDigits: 0,
    maximumFractionDigits: 1,
    signDisplay: signed ? 'exceptZero' : 'auto',
  }).format(diff * 100);
}

/** A whole number in the UI language (12.345 / 12,345). */
export function formatCount(n: number, lang: string): string {
  return new Intl.NumberFormat(lang).format(n);
}

/** A calendar day "YYYY-MM-DD" as "21 nov" in the UI language (no time-zone shift). */
export function formatDay(day: string, lang: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(date);
}
