// i18n: a tiny typed dictionary module over the JSON catalogs shared with the Rust side (see
// dict.ts). One reactive `lang` (Svelte 5 rune); `t(key)` reads it, so every template that calls
// `t` re-renders when the language changes.

import { catalogs, uiDict, type Dict, type MessageKey } from './dict';
import { FALLBACK_LANG, interpolate, type Lang } from './lang';

export type { CatalogKey, Dict, MessageKey, NativeKey } from './dict';
export * from './lang';

export const dictionaries: Record<Lang, Dict> = {
  es: uiDict(catalogs.es),
  pt: uiDict(catalogs.pt),
  en: uiDict(catalogs.en),
};
const es = dictionaries.es;

const state = $state<{ lang: Lang }>({ lang: FALLBACK_LANG });

export function currentLang(): Lang {
  return state.lang;
}

export function setLang(lang: Lang): void {
  state.lang = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const message = dictionaries[state.lang][key] ?? es[key] ?? key;
  return interpolate(message, params);
}

/** The keys with plural forms: `base.one`, `base.other` (and any CLDR category a language needs). */
export type PluralKey = MessageKey extends infer K ? (K extends `${infer B}.other` ? B : never) : never;

/**
 * A message about `n` things, in the plural form the current language uses for `n`
 * (`Intl.PluralRules`: Spanish and Portuguese "1 mensaje", "2 mensajes", English likewise, and
 * any other category falls back to `other`). `{count}` is `n` formatted for the language unless
 * `params` gives it.
 */
export function tn(base: PluralKey, n: number, params?: Record<string, string | number>): string {
  const category = new Intl.PluralRules(state.lang).select(n);
  const wanted = `${base}.${category}`;
  const key = (isMessageKey(wanted) ? wanted : `${base}.other`) as MessageKey;
  return t(key, { count: new Intl.NumberFormat(state.lang).format(n), ...params });
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(es, key);
}

/** Translate a key built at runtime (e.g. from a server value), with a fallback text. */
export function tOr(key: string, fallback: string, params?: Record<string, string | number>) {
  return isMessageKey(key) ? t(key, params) : fallback;
}
