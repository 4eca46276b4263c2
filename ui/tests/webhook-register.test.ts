// The webhook panel's "Register with WhatsApp" (webhook_register with the typed public address:
// the registered address and the subscription on success, the reason in plain words and Meta's
// detail on a refusal) and its health lines (signed or not, the registered address, the
// "sent but nothing heard back for 3 h" warning), in es, pt and en.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import { tauri } from './tauri-mock';
import WebhookPanel from '../src/components/WebhookPanel.svelte';
import { app } from '../src/lib/app.svelte';
import { setClockSource } from '../src/lib/clock.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import type { WebhookRegistration } from '../src/lib/generated';

const NOW = Date.parse('2026-11-21T15:00:00Z');
const CALLBACK = 'https://recupero.mitienda.com/webhook/s3cr3t';

let backend: FakeBackend;
let answer: WebhookRegistration | { error: { code: string; message: string } };
let registered: string[];

function ok(): WebhookRegistration {
  return {
    ok: true,
    callbackUrl: CALLBACK,
    failure: null,
    message: 'registered',
    detail: null,
    error: null,
    registeredOverride: CALLBACK,
    subscribedApps: ['Recupero'],
  };
}

const CODES = {
  nothing_answered: 'webhook_nothing_answered',
  wrong_token: 'webhook_wrong_token',
  not_https: 'webhook_not_https',
  other: 'webhook_refused',
} as const;

/** A refusal as the engine sends it: the failure, Meta's words, and the worded error. */
function refused(failure: NonNullable<WebhookRegistration['failure']>, detail: string): WebhookRegistration {
  const error = { code: CODES[failure], params: { url: CALLBACK, port: '8790' }, detail };
  return { ...ok(), ok: false, failure, detail, error, registeredOverride: null, subscribedApps: [] };
}

beforeAll(() => {
  (window as Window & { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  registered = [];
  answer = ok();
  tauri.invoke = (cmd, args) => {
    if (cmd === 'quarantined_deliveries') return { count: 0, oldestReceivedAt: null, lastError: null, recent: [] };
    if (cmd === 'webhook_register') {
      registered.push(String(args?.publicUrl));
      if (!('ok' in answer)) throw answer.error;
      return structuredClone(answer);
    }
    return backend.invoke(cmd, args);
  };
  setClockSource(() => NOW);
  setLang('es');
  app.status = structuredClone(backend.status);
  app.settings = structuredClone(backend.settings);
});

afterEach(() => {
  cleanup();
  setClockSource(null);
});

async function register(url: string) {
  render(WebhookPanel);
  await fireEvent.input(await screen.findByTestId('webhook-register-url'), { target: { value: url } });
  await fireEvent.click(screen.getByTestId('webhook-register-button'));
}

describe('webhook panel: register with WhatsApp', () => {
  it('registers the typed address and shows what WhatsApp accepted', async () => {
    await register(' https://recupero.mitienda.com ');
    const done = await screen.findByTestId('webhook-register-ok');
    expect(registered).toEqual(['https://recupero.mitienda.com']);
    expect(done.textContent).toContain(CALLBACK);
    expect(done.textContent).toContain('App suscrita a tu cuenta de WhatsApp Business: Recupero');
    expect(done.textContent).toContain('Recupero los consulta solo');
  });

  it('says in plain words why WhatsApp refused, with its detail', async () => {
    answer = refused('nothing_answered', '(#2200) Callback verification failed: HTTP Status Code = 0');
    await register('https://caido.example.com');
    const box = await screen.findByTestId('webhook-register-refused');
    expect(box.dataset.failure).toBe('nothing_answered');
    expect(box.textContent).toContain('nada respondió');
    expect(box.textContent).toContain('puerto 8790');
    // Meta's own words only on request.
    expect(box.textContent).not.toContain('(#2200)');
    await fireEvent.click(screen.getByTestId('webhook-register-error-message-toggle'));
    expect(box.textContent).toContain('(#2200)');
    expect(screen.queryByTestId('webhook-register-ok')).toBeNull();
    cleanup();
    answer = refused('wrong_token', 'HTTP Status Code = 403');
    await register('https://otro.example.com');
    expect((await screen.findByTestId('webhook-register-refused')).textContent).toContain('token de verificación no coincide');
  });

  it('an engine error (no token saved) is worded, with its message on request', async () => {
    answer = {
      error: {
        code: 'invalid',
        message: 'save the WhatsApp access token first',
        error: { code: 'invalid', params: {}, detail: 'save the WhatsApp access token first' },
      } as { code: string; message: string },
    };
    await register('https://recupero.mitienda.com');
    const box = await screen.findByTestId('webhook-register-error');
    expect(box.textContent).toContain('Algún dato no es válido');
    expect(box.textContent).not.toContain('save the WhatsApp access token first');
    await fireEvent.click(screen.getByTestId('webhook-register-error-message-toggle'));
    expect(box.textContent).toContain('save the WhatsApp access token first');
  });

  it('the button waits for an address, prefilled with the one registered', async () => {
    app.settings = [
      ...app.settings,
      { key: 'webhook_public_url', value: 'https://ya.example.com', default: '', description: '', kind: 'url' },
    ];
    render(WebhookPanel);
    const input = (await screen.findByTestId('webhook-register-url')) as HTMLInputElement;
    expect(input.value).toBe('https://ya.example.com');
    await fireEvent.input(input, { target: { value: '' } });
    expect((screen.getByTestId('webhook-register-button') as HTMLButtonElement).disabled).toBe(true);
  });

  it('is in the onboarding too, which shows the panel without its settings', async () => {
    render(WebhookPanel, { props: { settings: false } });
    await fireEvent.input(await screen.findByTestId('webhook-register-url'), {
      target: { value: 'https://recupero.mitienda.com' },
    });
    await fireEvent.click(screen.getByTestId('webhook-register-button'));
    await screen.findByTestId('webhook-register-ok');
    expect(registered).toEqual(['https://recupero.mitienda.com']);
  });

  it('speaks Portuguese and English', async () => {
    setLang('pt');
    answer = refused('not_https', '(#100) must be a valid https URL');
    await register('http://inseguro.example.com');
    expect((await screen.findByTestId('webhook-register-refused')).textContent).toContain('só aceita um endereço https://');
    cleanup();
    setLang('en');
    answer = ok();
    render(WebhookPanel);
    expect(screen.getByTestId('webhook-register-button').textContent).toContain('Register with WhatsApp');
  });
});

describe('webhook panel: health', () => {
  it('shows whether the last delivery was signed and the registered address', async () => {
    app.status = {
      ...structuredClone(backend.status),
      lastWebhookAt: new Date(NOW - 120_000).toISOString(),
      lastWebhookSigned: true,
      webhookRegisteredUrl: CALLBACK,
    };
    render(WebhookPanel);
    await waitFor(() => expect(screen.getByTestId('webhook-last-signed').textContent).toContain('firmado'));
    expect(screen.getByTestId('webhook-registered').textContent).toContain(CALLBACK);
    expect(screen.queryByTestId('webhook-silent')).toBeNull();
  });

  it('warns when messages leave but nothing comes back for 3 hours', async () => {
    app.status = { ...structuredClone(backend.status), webhookSilent: true, lastWebhookSigned: false };
    render(WebhookPanel);
    expect((await screen.findByTestId('webhook-silent')).textContent).toContain('el túnel está caído');
    expect(screen.getByTestId('webhook-registered').textContent).toContain('todavía no');
    setLang('en');
    await waitFor(() => expect(screen.getByTestId('webhook-silent').textContent).toContain('tunnel is probably down'));
  });
});
