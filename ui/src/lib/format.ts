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
