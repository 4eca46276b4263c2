import { describe, expect, it } from 'vitest';
import esJson from '../src/lib/i18n/es.json';
import ptJson from '../src/lib/i18n/pt.json';
import enJson from '../src/lib/i18n/en.json';
import { flatten, uiDict } from '../src/lib/i18n/dict';
import {
  interpolate,
  langFromTag,
  placeholders,
  resolveLang,
} from '../src/lib/i18n/lang';
import { currentLang, dictionaries as uiDictionaries, setLang, t, tn, tOr } from '../src/lib/i18n/index.svelte';

// The full catalogs (UI keys and the Rust-only native.* keys), flattened to dotted keys.
const es = flatten(esJson);
const dictionaries: Record<string, Record<string, string>> = {
  es,
  pt: flatten(ptJson),
  en: flatten(enJson),
};
const keys = Object.keys(es);

const NATIVE_KEYS = [
  'native.tray.open',
  'native.tray.pause',
  'native.tray.resume',
  'native.tray.quit',
  'native.tray.tooltip',
  'native.tray.tooltipPaused',
  'native.tray.webhookSilent',
  'native.notify.open',
  'native.notify.escalationTitle',
  'native.notify.deliveryQuarantinedBody',
  'native.notify.storeOptOutRefusedTitle',
  'native.notify.storeOptOutRefusedBody',
  'native.notify.deliveryQuarantinedTitle',
  'native.notify.escalationBody',
  'native.notify.tokenExpiredTitle',
  'native.notify.tokenExpiredBody',
  'native.notify.numberDisconnectedTitle',
  'native.notify.numberDisconnectedBody',
  'native.notify.templateRejectedTitle',
  'native.notify.templateRejectedBody',
  'native.notify.storeUnreachableTitle',
  'native.notify.storeUnreachableBody',
  'native.notify.recoveredTitle',
  'native.notify.recoveredBody',
  'native.notify.pausedTitle',
  'native.notify.resumedTitle',
  'native.notify.spendCapReachedBody',
  'native.notify.spendCapReachedTitle',
  'native.notify.couponRefusedTitle',
  'native.notify.couponRefusedBody',
  'native.notify.updateTitle',
  'native.notify.updateBody',
  'native.startup.corruptTitle',
  'native.startup.corruptBody',
  'native.startup.newerVersionTitle',
  'native.startup.newerVersionBody',
  'native.startup.keychainTitle',
  'native.startup.keychainBody',
  'native.startup.otherTitle',
  'native.startup.otherBody',
  'native.reason.askedForPerson',
  'native.reason.complaint',
  'native.reason.paymentProblem',
  'native.reason.fraud',
  'native.reason.deliveryProblem',
  'native.reason.insult',
  'native.reason.assistantUnsure',
  'native.reason.keyword',
  'native.reason.ownerKeyword',
  'native.reason.assistantFailed',
  'native.reason.unansweredQuestion',
];

/** Check that a parsed JSON value is a tree of objects whose leaves are all strings. */
function onlyStringLeaves(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [path || '(root)'];
  return Object.entries(value).flatMap(([k, v]) => onlyStringLeaves(v, path ? `${path}.${k}` : k));
}

describe('translations', () => {
  it('has a reasonable number of keys', () => {
    expect(keys.length).toBeGreaterThan(50);
  });

  it('JSON catalogs are trees of strings only', () => {
    for (const [lang, json] of Object.entries({ es: esJson, pt: ptJson, en: enJson })) {
      expect(onlyStringLeaves(json), lang).toEqual([]);
    }
  });

  it('has exactly the expected native.* keys (read by the Rust side)', () => {
    expect(keys.filter((k) => k.startsWith('native.')).sort()).toEqual([...NATIVE_KEYS].sort());
  });

  it('native.tray.tooltip uses exactly {carts}, {unread}, {escalated}', () => {
    for (const [lang, dict] of Object.entries(dictionaries)) {
      expect(placeholders(dict['native.tray.tooltip']), lang).toEqual(['carts', 'escalated', 'unread']);
      expect(placeholders(dict['native.tray.tooltipPaused']), lang).toEqual(['escalated', 'unread']);
    }
  });

  it('native placeholders match what the Rust side fills in', () => {
    const expected: Record<string, string[]> = {
      'native.notify.escalationBody': ['name', 'reason'],
      'native.notify.templateRejectedBody': ['template'],
      'native.notify.storeUnreachableBody': ['store'],
      'native.notify.recoveredBody': ['name', 'total'],
    };
    for (const [lang, dict] of Object.entries(dictionaries)) {
      for (const [key, names] of Object.entries(expected)) {
        expect(placeholders(dict[key]), `${lang}:${key}`).toEqual(names);
      }
    }
  });

  it('the UI dictionaries leave out the Rust-only native section', () => {
    for (const [lang, dict] of Object.entries(uiDictionaries)) {
      const uiKeys = Object.keys(dict);
      expect(uiKeys.some((k) => k.startsWith('native.')), lang).toBe(false);
      expect(uiKeys.sort(), lang).toEqual(keys.filter((k) => !k.startsWith('native.')).sort());
    }
    expect(uiDict(esJson)['nav.settings']).toBe('Ajustes');
  });

  for (const [lang, dict] of Object.entries(dictionaries)) {
    it(`${lang}: has exactly the keys of es, each non-empty`, () => {
      expect(Object.keys(dict).sort()).toEqual([...keys].sort());
      for (const key of keys) {
        expect(typeof dict[key], `${lang}:${key}`).toBe('string');
        expect(dict[key].trim(), `${lang}:${key}`).not.toBe('');
      }
    });

    it(`${lang}: uses the same {placeholders} as es`, () => {
      for (const key of keys) {
        expect(placeholders(dict[key]), `${lang}:${key}`).toEqual(placeholders(es[key]));
      }
    });
  }

  it('covers every setting key the backend is known to send', () => {
    const settingKeys = [
      'timezone',
      'business_hours',
      'abandonment_delay_minutes',
      'max_delay_minutes',
      'max_cart_age_hours',
      'followups',
      'holdout_percent',
      'per_customer_cap_days',
      'consent_only',
      'ui_language',
      'autostart',
      'assistant_mode',
      'assistant_base_url',
      'assistant_model',
      'assistant_timeout_seconds',
      'shop_facts',
      'escalation_keywords',
      'notify_recovered',
      'reminder_image',
      'reminder_image_template',
    ];
    for (const k of settingKeys) {
      expect(keys).toContain(`setting.${k}.label`);
      expect(keys).toContain(`setting.${k}.help`);
    }
  });
});

describe('language detection', () => {
  it('reads the primary subtag', () => {
    expect(langFromTag('es-AR')).toBe('es');
    expect(langFromTag('pt_BR')).toBe('pt');
    expect(langFromTag('EN-us')).toBe('en');
    expect(langFromTag('fr-FR')).toBeNull();
    expect(langFromTag('')).toBeNull();
    expect(langFromTag(undefined)).toBeNull();
  });

  it('prefers an explicit ui_language setting', () => {
    expect(resolveLang('pt', ['en-US'])).toBe('pt');
    expect(resolveLang('en', 'es-MX')).toBe('en');
    expect(resolveLang('es', ['pt-BR'])).toBe('es');
  });

  it('follows the browser when the setting is "auto" or missing', () => {
    expect(resolveLang('auto', ['pt-BR', 'en'])).toBe('pt');
    expect(resolveLang(undefined, 'en-GB')).toBe('en');
    expect(resolveLang(null, ['es-419'])).toBe('es');
  });

  it('skips unsupported browser languages and falls back to Spanish', () => {
    expect(resolveLang('auto', ['fr-FR', 'en-US'])).toBe('en');
    expect(resolveLang('auto', ['de-DE', 'fr'])).toBe('es');
    expect(resolveLang('auto', [])).toBe('es');
    expect(resolveLang('klingon', undefined)).toBe('es');
  });
});

describe('t()', () => {
  it('interpolates placeholders and leaves unknown ones visible', () => {
    expect(interpolate('Hola {name}', { name: 'Ana' })).toBe('Hola Ana');
    expect(interpolate('{a} y {b}', { a: 1 })).toBe('1 y {b}');
  });

  it('switches language at runtime and sets <html lang>', () => {
    setLang('pt');
    expect(currentLang()).toBe('pt');
    expect(t('nav.settings')).toBe('Configurações');
    expect(document.documentElement.lang).toBe('pt');
    setLang('en');
    expect(t('carts.shownOf.other', { count: 3, total: 7 })).toBe('3 of 7 carts');
    setLang('es');
    expect(t('header.paused')).toBe('Envíos en pausa');
  });

  it('tn picks the plural form the language uses for the count, and formats the count', () => {
    setLang('es');
    expect(tn('thread.earlier', 1)).toBe('Ver 1 mensaje anterior');
    expect(tn('thread.earlier', 20)).toBe('Ver 20 mensajes anteriores');
    expect(tn('thread.earlier', 0)).toBe('Ver 0 mensajes anteriores');
    setLang('pt');
    expect(tn('thread.earlier', 1)).toBe('Ver 1 mensagem anterior');
    expect(tn('webhook.deliveries.retried', 1)).toBe('1 aviso voltou para a fila: será aplicado em alguns segundos.');
    setLang('en');
    expect(tn('thread.earlier', 1)).toBe('Show 1 earlier message');
    expect(tn('thread.earlier', 12_000)).toBe('Show 12,000 earlier messages');
    // The form follows the total; the shown count can be given apart.
    expect(tn('carts.shownOf', 1, { count: 1, total: 1 })).toBe('1 of 1 cart');
    expect(tn('carts.shownOf', 1200, { count: '500', total: '1,200' })).toBe('500 of 1,200 carts');
    setLang('es');
  });

  it('every plural message has its "other" form in every language, and only CLDR categories', () => {
    const categories = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);
    for (const [lang, dict] of Object.entries(dictionaries)) {
      const bases = new Set(
        Object.keys(dict)
          .filter((k) => k.endsWith('.one'))
          .map((k) => k.replace(/\.[a-z]+$/, '')),
      );
      for (const base of bases) {
        expect(dict[`${base}.other` as keyof typeof dict], `${lang} ${base}.other`).toBeTruthy();
        const forms = Object.keys(dict).filter((k) => k.startsWith(`${base}.`)).map((k) => k.slice(base.length + 1));
        for (const f of forms) expect(categories.has(f), `${lang} ${base}.${f}`).toBe(true);
      }
    }
  });

  it('tOr falls back for keys built at runtime', () => {
    setLang('es');
    expect(tOr('cartStatus.recovered', 'x')).toBe('Recuperado');
    expect(tOr('cartStatus.something_new', 'something new')).toBe('something new');
  });
});
