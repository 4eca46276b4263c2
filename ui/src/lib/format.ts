// Date formatting in the UI language, in the shop's time zone when it is a valid IANA name.

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
