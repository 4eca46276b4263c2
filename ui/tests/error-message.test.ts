// Errors in the owner's language: ErrorMessage words a UiError's code in es, pt and en with its
// parameters, keeps the technical detail (English) hidden until "Show details" is pressed, copies
// it, and falls back to a generic sentence for a code it doesn't know. uiErrorOf makes a worded
// error of any rejection; every code the engine can send has a sentence in every language.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import ErrorMessage from '../src/components/ErrorMessage.svelte';
import { dictionaries, setLang } from '../src/lib/i18n/index.svelte';
import { errorText, uiErrorOf, type UiError, type UiErrorCode } from '../src/lib/ui-error';

afterEach(() => {
  cleanup();
  setLang('es');
});

const RATE_LIMITED: UiError = {
  code: 'store_rate_limited',
  params: { retry_after: '2' },
  detail: 'the store asked us to slow down (HTTP 429); retry after 1.5 s',
};

describe('ErrorMessage', () => {
  it('words the code in Spanish, Portuguese and English, the detail only on click', async () => {
    const error: UiError = {
      code: 'store_unauthorized',
      params: { status: '401' },
      detail: 'the store refused the credentials (HTTP 401): Invalid API key',
    };
    const cases: [string, string, string, string][] = [
      ['es', 'La tienda rechazó los datos de acceso.', 'Ver detalle', 'Ocultar detalle'],
      ['pt', 'A loja recusou os dados de acesso.', 'Ver detalhes', 'Ocultar detalhes'],
      ['en', 'The store refused the credentials.', 'Show details', 'Hide details'],
    ];
    for (const [lang, sentence, show, hide] of cases) {
      setLang(lang as 'es' | 'pt' | 'en');
      render(ErrorMessage, { props: { error } });
      const box = screen.getByTestId('error-message');
      expect(box.dataset.errorCode).toBe('store_unauthorized');
      expect(box.textContent).toContain(sentence);
      expect(box.textContent, `${lang}: English stays hidden`).not.toContain('the store refused');
      expect(screen.queryByTestId('error-message-detail')).toBeNull();
      const toggle = screen.getByTestId('error-message-toggle');
      expect(toggle.textContent).toBe(show);
      expect(toggle.getAttribute('aria-expanded')).toBe('false');
      await fireEvent.click(toggle);
      expect(screen.getByTestId('error-message-detail').textContent).toContain(error.detail);
      expect(toggle.textContent).toBe(hide);
      expect(toggle.getAttribute('aria-expanded')).toBe('true');
      await fireEvent.click(toggle);
      expect(screen.queryByTestId('error-message-detail')).toBeNull();
      cleanup();
    }
  });

  it('fills the sentence with its parameters and shows the lead first', () => {
    render(ErrorMessage, {
      props: {
        lead: 'No se pudo registrar.',
        error: {
          code: 'webhook_nothing_answered',
          params: { url: 'https://x.example/webhook/p', port: '8790' },
          detail: '(#2200) Callback verification failed',
        },
      },
    });
    const text = screen.getByTestId('error-message').textContent ?? '';
    expect(text.startsWith('No se pudo registrar.')).toBe(true);
    expect(text).toContain('WhatsApp no pudo verificar https://x.example/webhook/p');
    expect(text).toContain('puerto 8790');
    expect(text).not.toContain('{');
  });

  it('copies the detail', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(ErrorMessage, { props: { error: RATE_LIMITED } });
    await fireEvent.click(screen.getByTestId('error-message-toggle'));
    await fireEvent.click(screen.getByText('Copiar detalle'));
    expect(writeText).toHaveBeenCalledWith(RATE_LIMITED.detail);
    await waitFor(() => expect(screen.getByTestId('error-message-detail').textContent).toContain('Copiado'));
  });

  it('has no details button when there is no detail, and a generic sentence for an unknown code', () => {
    render(ErrorMessage, { props: { error: { code: 'no_backend', params: {}, detail: '' } } });
    expect(screen.getByTestId('error-message').textContent).toContain('no está conectada a la aplicación');
    expect(screen.queryByTestId('error-message-toggle')).toBeNull();
    cleanup();
    const future = { code: 'from_a_newer_engine', params: {}, detail: 'x' } as unknown as UiError;
    render(ErrorMessage, { props: { error: future } });
    expect(screen.getByTestId('error-message-text').textContent).toBe('Algo salió mal. Prueba otra vez.');
    expect(screen.getByTestId('error-message-toggle')).toBeTruthy();
  });
});

describe('uiErrorOf', () => {
  it('takes the worded error of a command, else makes one from what was rejected', () => {
    expect(uiErrorOf({ code: 'store_unreachable', message: 'x', error: RATE_LIMITED })).toBe(RATE_LIMITED);
    expect(uiErrorOf({ code: 'no_backend', message: 'Not running inside…' })).toEqual({
      code: 'no_backend',
      params: {},
      detail: '',
    });
    // An engine code that is a worded one keeps its sentence; anything else is unknown.
    expect(uiErrorOf({ code: 'storage', message: 'database is locked' })).toEqual({
      code: 'storage',
      params: {},
      detail: 'database is locked',
    });
    expect(uiErrorOf({ code: 'error', message: 'boom' })).toEqual({ code: 'unknown', params: {}, detail: 'boom' });
    expect(uiErrorOf('command not found').detail).toBe('command not found');
    expect(uiErrorOf(undefined).code).toBe('unknown');
  });
});

describe('the errors catalog', () => {
  // The engine's codes (UiErrorCode, generated from Rust; the Rust test
  // ui_error::every_code_has_a_sentence_in_every_language checks its own list against the same
  // files). A Record over the union: a code Rust adds fails `npm run check` until listed here.
  const CODES: Record<UiErrorCode, true> = {
    store_unreachable: true,
    store_rate_limited: true,
    store_server_error: true,
    store_unauthorized: true,
    store_not_found: true,
    store_rejected: true,
    store_bad_response: true,
    store_invalid: true,
    whatsapp_not_connected: true,
    whatsapp_token_invalid: true,
    whatsapp_permission_missing: true,
    whatsapp_number_disconnected: true,
    whatsapp_account_blocked: true,
    whatsapp_payment_problem: true,
    whatsapp_rate_limited: true,
    whatsapp_unreachable: true,
    whatsapp_unavailable: true,
    whatsapp_bad_response: true,
    whatsapp_no_answer: true,
    whatsapp_window_closed: true,
    whatsapp_opted_out: true,
    whatsapp_marketing_cap: true,
    whatsapp_undeliverable: true,
    whatsapp_template_unusable: true,
    whatsapp_template_not_approved: true,
    whatsapp_refused: true,
    whatsapp_config: true,
    webhook_nothing_answered: true,
    webhook_wrong_token: true,
    webhook_not_https: true,
    webhook_refused: true,
    webhook_subscribe_failed: true,
    webhook_read_back_mismatch: true,
    invalid_setting: true,
    unknown_setting: true,
    invalid: true,
    storage: true,
    no_keychain: true,
    secret: true,
    no_conversation: true,
    no_cart: true,
    not_ready: true,
    internal: true,
    no_backend: true,
    unknown: true,
  };

  it('words every code in es, pt and en, each with the same placeholders', () => {
    for (const code of Object.keys(CODES)) {
      const key = `errors.${code}`;
      const placeholders = (lang: 'es' | 'pt' | 'en') =>
        [...(dictionaries[lang][key as keyof (typeof dictionaries)['es']] ?? '').matchAll(/\{(\w+)\}/g)]
          .map((m) => m[1])
          .sort();
      for (const lang of ['es', 'pt', 'en'] as const) {
        expect(dictionaries[lang][key as keyof (typeof dictionaries)['es']]?.trim(), `${lang}: ${key}`).toBeTruthy();
        expect(placeholders(lang), `${lang}: ${key}`).toEqual(placeholders('es'));
      }
    }
  });

  it('never prints an unfilled placeholder for the parameters the engine sends', () => {
    setLang('en');
    expect(errorText({ code: 'store_server_error', params: { status: '503' }, detail: '' })).toBe(
      'The store had an internal problem (HTTP 503). It usually passes; Recupero tries again.',
    );
    expect(errorText({ code: 'whatsapp_token_invalid', params: { meta_code: '190' }, detail: '' })).toContain(
      'refused the access token',
    );
  });
});

describe('A refused setting', () => {
  it('says what a valid value looks like, with its numbers, in each language', () => {
    const error: UiError = {
      code: 'invalid_setting',
      params: { key: 'holdout_percent', expected: 'out_of_range', min: '0', max: '50' },
      detail: 'invalid value for holdout_percent: expected a whole number from 0 to 50',
    };
    const cases: [string, string][] = [
      ['es', 'Ese valor no es válido. Se espera: Un número entero de 0 a 50.'],
      ['pt', 'Esse valor não é válido. Esperado: Um número inteiro de 0 a 50.'],
      ['en', 'That value is not valid. Expected: A whole number from 0 to 50.'],
    ];
    for (const [lang, text] of cases) {
      setLang(lang as 'es' | 'pt' | 'en');
      expect(errorText(error)).toBe(text);
    }
    // A reason this UI doesn't know keeps the generic sentence (the detail says why).
    setLang('es');
    expect(errorText({ ...error, params: { key: 'x', expected: 'something_new' } })).toBe(
      errorText({ ...error, params: { key: 'x' } }),
    );
  });
});

describe('A refused request', () => {
  it('says why when the engine gives a reason it words, and the generic sentence otherwise', () => {
    const error: UiError = {
      code: 'invalid',
      params: { why: 'backup_newer' },
      detail: '/tmp/x.db was written by a newer version of Recupero (schema 99; this version knows up to 12)',
    };
    setLang('pt');
    expect(errorText(error)).toBe('Essa cópia foi feita por uma versão mais nova do Recupero: atualize o Recupero e restaure de novo.');
    setLang('es');
    expect(errorText({ ...error, params: {} })).toBe('Algún dato no es válido. El detalle dice cuál.');
  });
});
