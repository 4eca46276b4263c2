// The catalogs live in es.json (master), pt.json and en.json — plain nested JSON so the Rust side
// (tray menu, native notifications) reads the very same files. Leaves are strings with `{name}`
// placeholders. The top-level "native" section is used only by Rust.
//
// Compile-time guarantee: pt.json and en.json have exactly the keys of es.json (no missing, no
// extra, every leaf a string). A mismatch fails `npm run check` with the offending key named.

import es from './es.json';
import pt from './pt.json';
import en from './en.json';

/** A nested catalog as stored in the JSON files. */
export type Catalog = { readonly [key: string]: string | Catalog };

/** Dotted paths of every leaf of T; a non-string, non-object leaf gets a marker that never matches. */
export type LeafPaths<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string
    ? `${P}${K}`
    : T[K] extends object
      ? LeafPaths<T[K], `${P}${K}.`>
      : `${P}${K} (not a string)`;
}[keyof T & string];

/** Every key of the master catalog, including native.*. */
export type CatalogKey = LeafPaths<typeof es>;
/** Keys used only by the Rust side. */
export type NativeKey = Extract<CatalogKey, `native.${string}`>;
/** Every key the webview UI may translate (es.json without the "native" section). */
export type MessageKey = Exclude<CatalogKey, NativeKey>;
/** A complete flat UI dictionary: exactly the UI keys, each a string. */
export type Dict = Record<MessageKey, string>;

// ---- compile-time key checks -------------------------------------------------------------------
// `Missing<…>` / `Extra<…>` must be `never`; otherwise the type argument below is an error that
// names the key, e.g. Type '"nav.carts"' does not satisfy the constraint 'never'.
// (`extends infer U` forces evaluation so the message lists the keys, not the alias.)
type Missing<T> = Exclude<CatalogKey, LeafPaths<T>> extends infer U ? U : never;
type Extra<T> = Exclude<LeafPaths<T>, CatalogKey> extends infer U ? U : never;
type MustBeNever<T extends never> = T;
export type KeyChecks = [
  MustBeNever<Missing<typeof pt>>,
  MustBeNever<Extra<typeof pt>>,
  MustBeNever<Missing<typeof en>>,
  MustBeNever<Extra<typeof en>>,
];
// And each catalog is a tree of strings.
pt satisfies Catalog;
en satisfies Catalog;
es satisfies Catalog;

export const catalogs = { es, pt, en } as const;

/** Flatten a nested catalog into dotted keys: { a: { b: 'x' } } → { 'a.b': 'x' }. */
export function flatten(catalog: Catalog, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(catalog)) {
    const path = prefix + key;
    if (typeof value === 'string') out[path] = value;
    else Object.assign(out, flatten(value, `${path}.`));
  }
  return out;
}

/** The flat UI dictionary of a catalog: everything except the Rust-only "native" section. */
export function uiDict(catalog: Catalog): Dict {
  const { native: _native, ...ui } = catalog;
  return flatten(ui) as Dict;
}
