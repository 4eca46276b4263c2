// Pure language helpers (no Svelte state), easy to unit-test.

export type Lang = 'es' | 'pt' | 'en';
export const LANGS: readonly Lang[] = ['es', 'pt', 'en'];
export const FALLBACK_LANG: Lang = 'es';

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

/** "es-AR" → "es", "pt_BR" → "pt", "EN" → "en"; anything else → null. */
export function langFromTag(tag: string | null | undefined): Lang | null {
  if (!tag) return null;
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLang(primary) ? primary : null;
}

/**
 * The UI language: the `ui_language` setting when it names a language, otherwise the first
 * supported browser language (navigator.languages, then navigator.language), else Spanish.
 */
export function resolveLang(
  setting: string | null | undefined,
  browser: readonly string[] | string | null | undefined,
): Lang {
  const fromSetting = setting && setting !== 'auto' ? langFromTag(setting) : null;
  if (fromSetting) return fromSetting;
  const tags = typeof browser === 'string' ? [browser] : (browser ?? []);
  for (const tag of tags) {
    const lang = langFromTag(tag);
    if (lang) return lang;
  }
  return FALLBACK_LANG;
}

/** The browser's language preferences, safe outside a browser. */
export function browserLanguages(): string[] {
  if (typeof navigator === 'undefined') return [];
  const list = Array.isArray(navigator.languages) ? [...navigator.languages] : [];
  if (navigator.language) list.push(navigator.language);
  return list;
}

/** Placeholders like {count} in a message, sorted — used to compare translations. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

/** Replace {name} placeholders; unknown ones are left visible so mistakes are noticed. */
export function interpolate(
  message: string,
  params?: Record<string, string | number>,
): string {
  if (!params) return message;
  return message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
