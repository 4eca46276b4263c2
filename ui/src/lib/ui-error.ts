// Errors as the window words them. Every failed command carries a `UiError` (see the Rust
// `ui_error` module): a stable code worded in the owner's language (`errors.<code>` in the
// catalogs), its parameters, and the technical detail in English, shown on "Show details".
// Anything else that fails (no backend, a rejection without a worded error) is made into one
// here, so every screen shows errors the same way (ErrorMessage.svelte).

import { isMessageKey, t, tOr, type MessageKey } from './i18n/index.svelte';
import type { UiError, UiErrorCode } from './generated';

export type { UiError, UiErrorCode } from './generated';

export function isUiError(value: unknown): value is UiError {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  return (
    typeof o.code === 'string' &&
    typeof o.detail === 'string' &&
    typeof o.params === 'object' &&
    o.params !== null &&
    Object.values(o.params as Record<string, unknown>).every((v) => typeof v === 'string')
  );
}

/**
 * The worded error of a failed command; a rejection that carries none becomes `unknown` with its
 * text as detail (or `no_backend` when the window has no app behind it).
 */
export function uiErrorOf(err: unknown): UiError {
  if (typeof err === 'object' && err !== null) {
    const o = err as Record<string, unknown>;
    if (isUiError(o.error)) return o.error;
    if (isUiError(err)) return err;
    if (o.code === 'no_backend') return { code: 'no_backend', params: {}, detail: '' };
    const message = typeof o.message === 'string' ? o.message : '';
    // An engine code that is also a worded one (`invalid`, `storage`…) keeps its sentence.
    const code = typeof o.code === 'string' && isMessageKey(`errors.${o.code}`) ? (o.code as UiErrorCode) : 'unknown';
    return { code, params: {}, detail: message };
  }
  return { code: 'unknown', params: {}, detail: typeof err === 'string' ? err : String(err ?? '') };
}

/** The sentence for `error` in the current language; a code this UI doesn't know gets the
 * generic one (its detail still says what happened). */
export function errorText(error: UiError): string {
  // A refused setting says what a valid value looks like (the engine's check sends its reason).
  const expected = error.code === 'invalid_setting' ? error.params.expected : undefined;
  if (expected && isMessageKey(`errors.expected.${expected}`)) {
    const what = t(`errors.expected.${expected}` as MessageKey, error.params);
    return t('errors.invalidSettingExpected', { what });
  }
  // An owner's request refused for a known reason says which.
  const why = error.code === 'invalid' ? error.params.why : undefined;
  if (why && isMessageKey(`errors.why.${why}`)) return t(`errors.why.${why}` as MessageKey, error.params);
  return tOr(`errors.${error.code}`, t('errors.unknown'), error.params);
}

/**
 * What a form shows after a failed action: its own problem (a catalog key, e.g. an empty field)
 * or what the command answered.
 */
export type Failure = { key: MessageKey; error?: undefined } | { key?: undefined; error: UiError };

/** The failure of a command that rejected with `err`. */
export function failed(err: unknown): Failure {
  return { error: uiErrorOf(err) };
}
