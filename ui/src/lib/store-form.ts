// The store-connection form: what the owner typed becomes a `StoreInput` once, here, or a list
// of per-field problems (errors of the store commands are worded by ErrorMessage.svelte).
// No Svelte state, so every rule is unit-tested (tests/store-form.test.ts).

import type { MessageKey } from './i18n/index.svelte';
import type { Platform, StoreInput } from './types';

export const PLATFORMS: readonly Platform[] = [
  'tiendanube',
  'shopify',
  'woocommerce',
  'jumpseller',
  'prestashop',
  'vtex',
];

/** Shopify takes an admin API token, or the client ID + secret of a Dev Dashboard app. */
export type ShopifyAuth = 'token' | 'client';
export const SHOPIFY_AUTHS: readonly ShopifyAuth[] = ['token', 'client'];

/** The form as typed: every field a string, whichever platform is chosen. */
export interface StoreForm {
  platform: Platform;
  shopifyAuth: ShopifyAuth;
  baseUrl: string;
  storeId: string;
  country: string;
  name: string;
  token: string;
  key: string;
  secret: string;
  /** Shopify's Admin API version ("" = Recupero's default). */
  apiVersion: string;
}

export type CredentialField = 'token' | 'key' | 'secret';
export type StoreField = 'baseUrl' | 'storeId' | 'country' | 'apiVersion' | CredentialField;
export type StoreFormErrors = Partial<Record<StoreField, MessageKey>>;

export type ParsedStoreForm =
  | { ok: true; input: StoreInput }
  | { ok: false; errors: StoreFormErrors };

/** Tiendanube's and Jumpseller's APIs live at one address for every store; the others are the shop's own. */
export const DEFAULT_BASE_URL: Record<Platform, string> = {
  tiendanube: 'https://api.tiendanube.com',
  shopify: '',
  woocommerce: '',
  jumpseller: 'https://api.jumpseller.com',
  prestashop: '',
  vtex: '',
};

/** Country used when the browser's language names no region. */
export const FALLBACK_COUNTRY = 'AR';

/** What each credential field is called on each platform (absent: not used there). */
export const CREDENTIAL_LABELS: Record<Platform, Partial<Record<CredentialField, MessageKey>>> = {
  tiendanube: { token: 'store.credential.tiendanube.token' },
  shopify: {
    token: 'store.credential.shopify.token',
    key: 'store.credential.shopify.key',
    secret: 'store.credential.shopify.secret',
  },
  woocommerce: {
    key: 'store.credential.woocommerce.key',
    secret: 'store.credential.woocommerce.secret',
  },
  jumpseller: {
    key: 'store.credential.jumpseller.key',
    secret: 'store.credential.jumpseller.secret',
  },
  prestashop: { token: 'store.credential.prestashop.token' },
  vtex: {
    key: 'store.credential.vtex.key',
    secret: 'store.credential.vtex.secret',
  },
};

/** The credential fields the chosen platform (and Shopify access kind) needs, in order. */
export function credentialFields(platform: Platform, shopifyAuth: ShopifyAuth): CredentialField[] {
  switch (platform) {
    case 'tiendanube':
      return ['token'];
    case 'shopify':
      return shopifyAuth === 'token' ? ['token'] : ['key', 'secret'];
    case 'woocommerce':
    case 'vtex':
      return ['key', 'secret'];
    case 'jumpseller':
      return ['key', 'secret'];
    case 'prestashop':
      return ['token'];
  }
}

/** Only Shopify's API version is the owner's to choose (WhatsApp consent needs 2026-07 or later). */
export function usesApiVersion(platform: Platform): boolean {
  return platform === 'shopify';
}

export function usesStoreId(platform: Platform): boolean {
  return platform === 'tiendanube';
}

/**
 * VTEX's API answers on the account's address (…vtexcommercestable.com.br) while customers
 * shop on the store's own domain: recovery links open there. Optional (default: the base URL);
 * sent as `storeId`.
 */
export function usesStorefront(platform: Platform): boolean {
  return platform === 'vtex';
}

export function emptyStoreForm(country: string, platform: Platform = 'tiendanube'): StoreForm {
  return {
    platform,
    shopifyAuth: 'token',
    baseUrl: DEFAULT_BASE_URL[platform],
    storeId: '',
    country,
    name: '',
    token: '',
    key: '',
    secret: '',
    apiVersion: '',
  };
}

/**
 * The form after choosing another platform: a base URL that was empty or another platform's
 * default becomes the new default; credentials are cleared, since they belong to the old one.
 */
export function withPlatform(form: StoreForm, platform: Platform): StoreForm {
  const url = form.baseUrl.trim();
  const keepUrl = url !== '' && !Object.values(DEFAULT_BASE_URL).includes(url);
  return {
    ...form,
    platform,
    baseUrl: keepUrl ? form.baseUrl : DEFAULT_BASE_URL[platform],
    token: '',
    key: '',
    secret: '',
  };
}

/**
 * A web address as the owner may type it ("mitienda.com/", " https://x.myshopify.com ") →
 * "https://mitienda.com", "https://x.myshopify.com"; null when it is not an http(s) address.
 * A missing scheme means https; a path is kept (WordPress may live in a folder); trailing
 * slashes, query and fragment are dropped.
 */
export function normalizeBaseUrl(raw: string): string | null {
  let text = raw.trim();
  if (text === '' || /\s/.test(text)) return null;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path}`;
}

/** Trimmed text, or null when nothing is left. */
function optional(value: string): string | null {
  const text = value.trim();
  return text === '' ? null : text;
}

/** Check the form for the chosen platform and build what `store_test`/`store_connect` take. */
export function parseStoreForm(form: StoreForm): ParsedStoreForm {
  const errors: StoreFormErrors = {};

  const baseUrl = normalizeBaseUrl(form.baseUrl);
  if (form.baseUrl.trim() === '') errors.baseUrl = 'store.invalid.required';
  else if (baseUrl === null) errors.baseUrl = 'store.invalid.baseUrl';

  let storeId = usesStoreId(form.platform) ? optional(form.storeId) : null;
  if (usesStoreId(form.platform)) {
    if (storeId === null) errors.storeId = 'store.invalid.required';
    else if (!/^\d+$/.test(storeId)) errors.storeId = 'store.invalid.storeId';
  }
  if (usesStorefront(form.platform) && optional(form.storeId) !== null) {
    storeId = normalizeBaseUrl(form.storeId);
    if (storeId === null) errors.storeId = 'store.invalid.baseUrl';
  }

  // Shopify's versions are quarterly (YYYY-01/04/07/10), or "unstable".
  const apiVersion = usesApiVersion(form.platform) ? optional(form.apiVersion) : null;
  if (apiVersion !== null && !/^(\d{4}-(01|04|07|10)|unstable)$/.test(apiVersion)) {
    errors.apiVersion = 'store.invalid.apiVersion';
  }

  const country = form.country.trim().toUpperCase();
  if (country === '') errors.country = 'store.invalid.required';
  else if (!/^[A-Z]{2}$/.test(country)) errors.country = 'store.invalid.country';

  const needed = credentialFields(form.platform, form.shopifyAuth);
  const credentials: Record<CredentialField, string | null> = { token: null, key: null, secret: null };
  for (const field of needed) {
    const value = optional(form[field]);
    credentials[field] = value;
    if (value === null) errors[field] = 'store.invalid.required';
  }
  if (form.platform === 'woocommerce') {
    // The two are easy to swap when copying them from WooCommerce.
    if (credentials.key !== null && !credentials.key.startsWith('ck_')) errors.key = 'store.invalid.wooKey';
    if (credentials.secret !== null && !credentials.secret.startsWith('cs_')) {
      errors.secret = 'store.invalid.wooSecret';
    }
  }

  if (Object.keys(errors).length > 0 || baseUrl === null) return { ok: false, errors };
  return {
    ok: true,
    input: {
      platform: form.platform,
      baseUrl,
      storeId,
      country,
      name: optional(form.name),
      ...credentials,
      ...(apiVersion === null ? {} : { apiVersion }),
    },
  };
}

/**
 * The shop's likely country from the browser's languages: the first two-letter region
 * ("es-MX" → "MX", "pt-BR" → "BR"); "es-419" or a bare "es" name none. Else Argentina.
 */
export function defaultCountry(languages: readonly string[]): string {
  for (const tag of languages) {
    let region: string | undefined;
    try {
      region = new Intl.Locale(tag.replaceAll('_', '-')).region;
    } catch {
      continue;
    }
    if (region && /^[A-Z]{2}$/.test(region)) return region;
  }
  return FALLBACK_COUNTRY;
}

/** "AR" → "Argentina" in the UI language; null when unknown or not two letters. */
export function countryName(code: string, lang: string): string | null {
  const upper = code.trim().toUpperCase();
  // ZZ is CLDR's "unknown region", which would read like a real answer.
  if (!/^[A-Z]{2}$/.test(upper) || upper === 'ZZ') return null;
  try {
    const name = new Intl.DisplayNames([lang], { type: 'region', fallback: 'none' }).of(upper);
    return name && name !== upper ? name : null;
  } catch {
    return null;
  }
}
