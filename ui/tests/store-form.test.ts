import { describe, expect, it } from 'vitest';
import {
  countryName,
  credentialFields,
  defaultCountry,
  emptyStoreForm,
  normalizeBaseUrl,
  parseStoreForm,
  withPlatform,
  type StoreForm,
} from '../src/lib/store-form';
import { formatMoney } from '../src/lib/format';

const form = (fields: Partial<StoreForm>): StoreForm => ({ ...emptyStoreForm('AR'), ...fields });

const tiendanube = form({ platform: 'tiendanube', storeId: '123456', token: 'tn-token' });
const shopifyToken = form({
  platform: 'shopify',
  baseUrl: 'https://sol.myshopify.com',
  shopifyAuth: 'token',
  token: 'shpat_abc',
});
const shopifyClient = form({
  platform: 'shopify',
  baseUrl: 'https://sol.myshopify.com',
  shopifyAuth: 'client',
  key: 'client-id',
  secret: 'client-secret',
});
const woocommerce = form({
  platform: 'woocommerce',
  baseUrl: 'https://tienda-sol.com',
  key: 'ck_abc',
  secret: 'cs_def',
});

describe('parseStoreForm: what each platform needs', () => {
  it('tiendanube: base URL, numeric store ID, country and token', () => {
    expect(parseStoreForm(tiendanube)).toEqual({
      ok: true,
      input: {
        platform: 'tiendanube',
        baseUrl: 'https://api.tiendanube.com',
        storeId: '123456',
        country: 'AR',
        name: null,
        token: 'tn-token',
        key: null,
        secret: null,
      },
    });
    expect(parseStoreForm({ ...tiendanube, storeId: '', token: ' ' })).toEqual({
      ok: false,
      errors: { storeId: 'store.invalid.required', token: 'store.invalid.required' },
    });
    expect(parseStoreForm({ ...tiendanube, storeId: 'mi-tienda' })).toEqual({
      ok: false,
      errors: { storeId: 'store.invalid.storeId' },
    });
  });

  it('shopify with an admin API token sends only the token', () => {
    const parsed = parseStoreForm({ ...shopifyToken, key: 'left over', secret: 'left over' });
    expect(parsed).toMatchObject({
      ok: true,
      input: { platform: 'shopify', storeId: null, token: 'shpat_abc', key: null, secret: null },
    });
    expect(parseStoreForm({ ...shopifyToken, token: '' })).toEqual({
      ok: false,
      errors: { token: 'store.invalid.required' },
    });
  });

  it('shopify with client credentials sends only key and secret', () => {
    const parsed = parseStoreForm({ ...shopifyClient, token: 'left over', storeId: '99' });
    expect(parsed).toMatchObject({
      ok: true,
      input: { storeId: null, token: null, key: 'client-id', secret: 'client-secret' },
    });
    expect(parseStoreForm({ ...shopifyClient, secret: '' })).toEqual({
      ok: false,
      errors: { secret: 'store.invalid.required' },
    });
  });

  it("shopify's API version is optional, checked, and only Shopify's", () => {
    const noVersion = parseStoreForm(shopifyToken);
    expect(noVersion.ok && 'apiVersion' in noVersion.input, 'empty: the default version').toBe(false);
    expect(parseStoreForm({ ...shopifyToken, apiVersion: ' 2026-07 ' })).toMatchObject({
      ok: true,
      input: { apiVersion: '2026-07' },
    });
    expect(parseStoreForm({ ...shopifyToken, apiVersion: 'unstable' })).toMatchObject({ ok: true });
    for (const bad of ['2026-7', '2026-06', 'latest', '26-07']) {
      expect(parseStoreForm({ ...shopifyToken, apiVersion: bad }), bad).toEqual({
        ok: false,
        errors: { apiVersion: 'store.invalid.apiVersion' },
      });
    }
    const tn = parseStoreForm({ ...tiendanube, apiVersion: 'whatever' });
    expect(tn.ok && 'apiVersion' in tn.input, 'not a Tiendanube field here').toBe(false);
  });

  it('woocommerce needs a ck_ consumer key and a cs_ consumer secret, not swapped', () => {
    expect(parseStoreForm(woocommerce)).toMatchObject({
      ok: true,
      input: { platform: 'woocommerce', storeId: null, token: null, key: 'ck_abc', secret: 'cs_def' },
    });
    expect(parseStoreForm({ ...woocommerce, key: 'cs_def', secret: 'ck_abc' })).toEqual({
      ok: false,
      errors: { key: 'store.invalid.wooKey', secret: 'store.invalid.wooSecret' },
    });
    expect(parseStoreForm({ ...woocommerce, key: '', secret: '' })).toEqual({
      ok: false,
      errors: { key: 'store.invalid.required', secret: 'store.invalid.required' },
    });
  });

  it('jumpseller needs the API login and auth token, at the Jumpseller API by default', () => {
    const jumpseller = withPlatform(form({ country: 'CL' }), 'jumpseller');
    expect(jumpseller.baseUrl).toBe('https://api.jumpseller.com');
    expect(credentialFields('jumpseller', 'token')).toEqual(['key', 'secret']);
    expect(parseStoreForm({ ...jumpseller, key: ' mi-login ', secret: 'abc123' })).toMatchObject({
      ok: true,
      input: { platform: 'jumpseller', baseUrl: 'https://api.jumpseller.com', country: 'CL', key: 'mi-login', secret: 'abc123', token: null },
    });
    expect(parseStoreForm(jumpseller)).toEqual({
      ok: false,
      errors: { key: 'store.invalid.required', secret: 'store.invalid.required' },
    });
  });

  it("prestashop needs the shop's address and its webservice key", () => {
    const prestashop = withPlatform(form({ country: 'ES' }), 'prestashop');
    expect(prestashop.baseUrl).toBe('');
    expect(credentialFields('prestashop', 'client')).toEqual(['token']);
    expect(parseStoreForm({ ...prestashop, baseUrl: 'mitienda.es/', token: 'KEY123' })).toMatchObject({
      ok: true,
      input: { platform: 'prestashop', baseUrl: 'https://mitienda.es', country: 'ES', token: 'KEY123', key: null, secret: null },
    });
    expect(parseStoreForm({ ...prestashop, baseUrl: 'https://mitienda.es' })).toEqual({
      ok: false,
      errors: { token: 'store.invalid.required' },
    });
  });

  it('every platform needs a web address and a two-letter country', () => {
    const jumpseller = form({ platform: 'jumpseller', baseUrl: 'https://api.jumpseller.com', key: 'l', secret: 's' });
    const prestashop = form({ platform: 'prestashop', baseUrl: 'https://mitienda.es', token: 'k' });
    for (const f of [tiendanube, shopifyToken, shopifyClient, woocommerce, jumpseller, prestashop]) {
      expect(parseStoreForm({ ...f, baseUrl: '', country: '' }), f.platform).toEqual({
        ok: false,
        errors: { baseUrl: 'store.invalid.required', country: 'store.invalid.required' },
      });
      expect(parseStoreForm({ ...f, baseUrl: 'ftp://x.com', country: 'ARG' }), f.platform).toEqual({
        ok: false,
        errors: { baseUrl: 'store.invalid.baseUrl', country: 'store.invalid.country' },
      });
    }
  });
});

describe('parseStoreForm: building the StoreInput', () => {
  it('trims every field, upper-cases the country and normalises the address', () => {
    const parsed = parseStoreForm({
      ...woocommerce,
      baseUrl: '  tienda-sol.com/shop/ ',
      country: ' mx ',
      name: '  Tienda Sol ',
      key: ' ck_abc\n',
      secret: '\tcs_def ',
    });
    expect(parsed).toEqual({
      ok: true,
      input: {
        platform: 'woocommerce',
        baseUrl: 'https://tienda-sol.com/shop',
        storeId: null,
        country: 'MX',
        name: 'Tienda Sol',
        token: null,
        key: 'ck_abc',
        secret: 'cs_def',
      },
    });
  });

  it('sends null, not an empty string, for a blank name', () => {
    expect(parseStoreForm({ ...tiendanube, name: '   ' })).toMatchObject({ ok: true, input: { name: null } });
  });

  it('asks for exactly the credential fields of the platform', () => {
    expect(credentialFields('tiendanube', 'client')).toEqual(['token']);
    expect(credentialFields('shopify', 'token')).toEqual(['token']);
    expect(credentialFields('shopify', 'client')).toEqual(['key', 'secret']);
    expect(credentialFields('woocommerce', 'token')).toEqual(['key', 'secret']);
  });
});

describe('normalizeBaseUrl', () => {
  it.each([
    ['https://api.tiendanube.com', 'https://api.tiendanube.com'],
    ['  https://sol.myshopify.com/  ', 'https://sol.myshopify.com'],
    ['sol.myshopify.com', 'https://sol.myshopify.com'],
    ['HTTPS://Tienda-Sol.com/', 'https://tienda-sol.com'],
    ['https://tienda-sol.com/wp//', 'https://tienda-sol.com/wp'],
    ['https://tienda-sol.com/?page=1#x', 'https://tienda-sol.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['localhost:8080', 'https://localhost:8080'],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeBaseUrl(raw)).toBe(expected);
  });

  it.each(['', '   ', 'ftp://tienda.com', 'mi tienda.com', 'https://', 'https://user:pw@tienda.com', 'mailto:a@b.c'])(
    'refuses %j',
    (raw) => {
      expect(normalizeBaseUrl(raw)).toBeNull();
    },
  );
});

describe('switching platform', () => {
  it('sets the Tiendanube API address and clears credentials of the old platform', () => {
    const shop = withPlatform({ ...woocommerce, baseUrl: '' }, 'tiendanube');
    expect(shop).toMatchObject({ platform: 'tiendanube', baseUrl: 'https://api.tiendanube.com' });
    expect([shop.token, shop.key, shop.secret]).toEqual(['', '', '']);
  });

  it("replaces Tiendanube's default address but keeps one the owner typed", () => {
    expect(withPlatform(tiendanube, 'shopify').baseUrl).toBe('');
    expect(withPlatform(woocommerce, 'shopify').baseUrl).toBe('https://tienda-sol.com');
  });
});

describe('country', () => {
  it('comes from the first browser language that names a region, else AR', () => {
    expect(defaultCountry(['es-MX', 'en-US'])).toBe('MX');
    expect(defaultCountry(['pt_BR'])).toBe('BR');
    expect(defaultCountry(['es', 'es-419', 'en-CO'])).toBe('CO');
    expect(defaultCountry(['es', 'en'])).toBe('AR');
    expect(defaultCountry(['not a tag!'])).toBe('AR');
    expect(defaultCountry([])).toBe('AR');
  });

  it('is named in the UI language when the code is known', () => {
    expect(countryName('ar', 'es')).toBe('Argentina');
    expect(countryName('BR', 'pt')).toBe('Brasil');
    expect(countryName('MX', 'en')).toBe('Mexico');
    expect(countryName('XY', 'es')).toBeNull();
    expect(countryName('ZZ', 'es')).toBeNull();
    expect(countryName('ARG', 'es')).toBeNull();
  });
});

describe('formatMoney', () => {
  it('formats plain decimals in the UI language', () => {
    expect(formatMoney('12500.50', 'ARS', 'es')).toBe('12.500,50\u00a0ARS');
    expect(formatMoney('12500.5', 'ARS', 'en')).toBe('ARS\u00a012,500.50');
    expect(formatMoney('99.9', 'BRL', 'pt')).toBe('R$\u00a099,90');
  });

  it('shows anything else as it came, with the currency', () => {
    expect(formatMoney('12.500,00', 'ARS', 'es')).toBe('12.500,00 ARS');
    expect(formatMoney('10', 'pesos', 'es')).toBe('10 pesos');
  });
});
