import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, makeTemplate, type FakeBackend } from './fake-backend';
import type { Setting, SettingKind } from '../src/lib/types';

let backend: FakeBackend;

import App from '../src/App.svelte';
import WhatsAppConnection from '../src/components/WhatsAppConnection.svelte';
import { app, handleEngineEvent } from '../src/lib/app.svelte';
import { setClockSource } from '../src/lib/clock.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import { ONBOARDING_SKIPPED_KEY } from '../src/lib/onboarding';
import { resetSecretStates } from '../src/lib/secrets.svelte';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

const setting = (key: string, value: string, kind: SettingKind = 'text', def = value): Setting => ({
  key,
  value,
  default: def,
  description: `server help for ${key}`,
  kind,
});

const WA_SETTINGS = [
  setting('whatsapp_base_url', 'https://graph.facebook.com'),
  setting('whatsapp_api_version', 'v25.0'),
  setting('whatsapp_phone_number_id', '', 'text', ''),
  setting('whatsapp_waba_id', '', 'text', ''),
  setting('whatsapp_auth_header', 'Authorization'),
  setting('template_name', 'recupero_carrito'),
];

const NOW = Date.parse('2026-11-21T15:00:00Z');

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  backend.settings.push(...structuredClone(WA_SETTINGS));
  resetSecretStates();
  setClockSource(() => NOW);
  setLang('es');
  app.notices = [];
  app.status = null;
});

afterEach(() => {
  cleanup();
  setClockSource(null);
});

const byId = <T extends HTMLElement = HTMLInputElement>(id: string) => screen.getByTestId(id) as T;
const calls = (cmd: string) => backend.calls.filter((c) => c.cmd === cmd);

/** The panel alone, with the settings as settings_show would give them. */
function renderPanel() {
  app.settings = structuredClone(backend.settings);
  return render(WhatsAppConnection);
}

describe('WhatsApp connection: ids (step 1)', () => {
  it('shows the phone-number and account ids up front and the rest under "Advanced", saving through settings_set', async () => {
    renderPanel();
    const panel = byId('wa-panel');
    expect(within(panel).getByTestId('setting-whatsapp_phone_number_id')).toBeTruthy();
    expect(within(panel).getByTestId('setting-whatsapp_waba_id')).toBeTruthy();
    const advanced = byId<HTMLDetailsElement>('wa-advanced');
    expect(advanced.open).toBe(false);
    for (const key of ['whatsapp_base_url', 'whatsapp_api_version', 'whatsapp_auth_header', 'template_name']) {
      expect(within(advanced).getByTestId(`setting-${key}`), key).toBeTruthy();
    }
    expect(byId('wa-provider').textContent).toContain('Meta (predeterminado)');

    await fireEvent.input(byId('setting-whatsapp_phone_number_id'), { target: { value: '106540352242922' } });
    await fireEvent.click(byId('save-whatsapp_phone_number_id'));
    await screen.findByTestId('saved-whatsapp_phone_number_id');
    expect(calls('settings_set').map((c) => c.args)).toEqual([
      { key: 'whatsapp_phone_number_id', value: '106540352242922' },
    ]);
  });

  it('are no longer in the generic Settings list, and the assistant key sits with the assistant', async () => {
    backend.settings.push(setting('assistant_mode', 'drafts', 'assistant_mode'), setting('assistant_model', 'llama3.2'));
    app.screen = 'settings';
    delete document.body.dataset.ready;
    // Past the guided setup a first run opens (no store here): Settings as after "Skip for now".
    localStorage.setItem(ONBOARDING_SKIPPED_KEY, 'skipped');
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    const panel = byId('wa-panel');
    for (const s of WA_SETTINGS) {
      expect(screen.getAllByTestId(`setting-${s.key}`), s.key).toHaveLength(1);
      expect(within(panel).getByTestId(`setting-${s.key}`)).toBeTruthy();
    }
    const other = screen.getByRole('region', { name: 'Otros ajustes' });
    expect(other.textContent).not.toContain('whatsapp');
    // The panel comes right after the store connection.
    const store = byId('store-section');
    expect(store.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    const assistant = screen.getByRole('region', { name: 'Asistente' });
    const key = within(assistant).getByTestId('assistant-key') as HTMLInputElement;
    expect(key.type).toBe('password');
    expect(within(assistant).getByTestId('assistant-key-field').textContent).toContain('No hace falta para Ollama');
    await waitFor(() => expect(byId('assistant-key-state').textContent).toContain('Sin configurar'));
    await fireEvent.input(key, { target: { value: 'sk-test-123' } });
    await fireEvent.click(byId('assistant-key-save'));
    await waitFor(() => expect(byId('assistant-key-state').textContent).toContain('Guardado ✓'));
    expect(calls('secret_set').map((c) => c.args)).toEqual([{ name: 'assistant_api_key', value: 'sk-test-123' }]);
  });
});

describe('WhatsApp connection: token and app secret (step 2)', () => {
  it('never shows a value: saves the typed token, clears it, and offers "Replace" with an empty field', async () => {
    renderPanel();
    await waitFor(() => expect(byId('wa-token-state').textContent).toContain('Sin configurar'));
    const token = byId('wa-token');
    expect(token.type).toBe('password');
    expect(token.value).toBe('');

    await fireEvent.input(token, { target: { value: 'EAAG-secret-token' } });
    await fireEvent.click(byId('wa-token-save'));
    await waitFor(() => expect(byId('wa-token-state').textContent).toContain('Guardado ✓'));
    expect(calls('secret_set').map((c) => c.args)).toEqual([{ name: 'whatsapp_token', value: 'EAAG-secret-token' }]);
    expect(screen.getByTestId('wa-token-saved')).toBeTruthy();
    expect(screen.queryByTestId('wa-token'), 'the input goes away once saved').toBeNull();
    expect(document.body.innerHTML).not.toContain('EAAG-secret-token');

    await fireEvent.click(byId('wa-token-replace'));
    expect(byId('wa-token').value).toBe('');
    expect(document.body.innerHTML).not.toContain('EAAG-secret-token');
  });

  it('does not send an empty token', async () => {
    renderPanel();
    await fireEvent.click(await screen.findByTestId('wa-token-save'));
    expect(byId('wa-token-error').textContent).toContain('Escríbelo antes de guardar');
    expect(calls('secret_set')).toHaveLength(0);
  });

  it('labels each state: saved, not set, from the environment variable', async () => {
    backend.secretValues.set('whatsapp_app_secret', 'kept');
    backend.envSecrets.add('whatsapp_token');
    renderPanel();
    await waitFor(() =>
      expect(byId('wa-token-state').textContent).toContain('Viene de la variable de entorno RECUPERO_WHATSAPP_TOKEN'),
    );
    expect(byId('wa-token-state').dataset.state).toBe('env');
    expect(screen.queryByTestId('wa-token'), 'no keychain input for an env-provided token').toBeNull();
    expect(byId('wa-app-secret-state').textContent).toContain('Guardado ✓');
    expect(byId('wa-app-secret-field').textContent).toContain('vienen realmente de Meta');
    expect(byId('wa-app-secret-field').textContent).toContain('opcional');
  });

  it('saves the app secret, and says in plain words when there is no keychain', async () => {
    backend.failures.set('secret_set', { code: 'no_keychain', message: 'no Secret Service on D-Bus' });
    renderPanel();
    await fireEvent.input(await screen.findByTestId('wa-app-secret'), { target: { value: 'abc123' } });
    await fireEvent.click(byId('wa-app-secret-save'));
    const error = await screen.findByTestId('wa-app-secret-error');
    expect(error.textContent).toContain('No se encontró el llavero seguro');
    expect(error.textContent).not.toContain('no Secret Service on D-Bus');
    await fireEvent.click(byId('wa-app-secret-error-message-toggle'));
    expect(error.textContent).toContain('no Secret Service on D-Bus');
    expect(byId('wa-app-secret').value, 'kept so the owner can retry').toBe('abc123');

    backend.failures.delete('secret_set');
    await fireEvent.click(byId('wa-app-secret-save'));
    await waitFor(() => expect(byId('wa-app-secret-state').textContent).toContain('Guardado ✓'));
    expect(calls('secret_set').at(-1)?.args).toEqual({ name: 'whatsapp_app_secret', value: 'abc123' });
  });
});

describe('WhatsApp connection: check and recovery template (step 3)', () => {
  it('lists the templates with plain status words and marks the recovery template', async () => {
    backend.whatsapp = {
      templateName: 'recupero_carrito',
      approved: true,
      templates: [
        makeTemplate({ name: 'hello_world', language: 'en_US', status: 'APPROVED', category: 'UTILITY' }),
        makeTemplate({ language: 'es', status: 'APPROVED' }),
        makeTemplate({ language: 'pt_BR', status: 'PENDING' }),
        makeTemplate({ language: 'en', status: 'REJECTED', blockDetail: 'INVALID_FORMAT' }),
        makeTemplate({ name: 'promo', language: 'es', status: 'PAUSED' }),
      ],
    };
    renderPanel();
    await fireEvent.click(byId('wa-check'));
    const table = await screen.findByTestId('wa-templates');
    const rows = within(table).getAllByTestId('wa-template-row');
    expect(rows.map((r) => [r.dataset.name, r.dataset.language, r.dataset.recovery])).toEqual([
      ['recupero_carrito', 'en', 'true'],
      ['recupero_carrito', 'es', 'true'],
      ['recupero_carrito', 'pt_BR', 'true'],
      ['hello_world', 'en_US', 'false'],
      ['promo', 'es', 'false'],
    ]);
    const word = (r: HTMLElement) => within(r).getByTestId('wa-template-status').textContent?.trim();
    expect(rows.map(word)).toEqual(['Rechazada', 'Aprobada', 'En revisión', 'Aprobada', 'Pausada']);
    expect(within(rows[0]).getByTestId('wa-recovery-tag')).toBeTruthy();
    expect(within(rows[0]).getByTestId('wa-template-detail').textContent).toContain('INVALID_FORMAT');
    expect(within(rows[3]).queryByTestId('wa-recovery-tag')).toBeNull();
    expect(rows[2].textContent).toContain('Portugués (Brasil)');
    expect(byId('wa-check-ok').textContent).toContain('tu número y tu token funcionan');
    expect(byId('wa-recovery-state').dataset.state).toBe('pending');
  });

  it('says so when the recovery template is approved in every language', async () => {
    backend.whatsapp = {
      templateName: 'recupero_carrito',
      approved: true,
      templates: ['es', 'pt_BR', 'en'].map((language) => makeTemplate({ language })),
    };
    renderPanel();
    await fireEvent.click(byId('wa-check'));
    const state = await screen.findByTestId('wa-recovery-state');
    expect(state.dataset.state).toBe('approved');
    expect(state.textContent).toContain('«recupero_carrito» está aprobada');
    expect(screen.queryByTestId('wa-create')).toBeNull();
  });

  it('creates a missing recovery template: checks the link, sends it, and shows it in review', async () => {
    backend.whatsapp.templates = [makeTemplate({ name: 'hello_world', language: 'en_US' })];
    renderPanel();
    await fireEvent.click(byId('wa-check'));
    await screen.findByTestId('wa-templates');
    expect(byId('wa-recovery-state').dataset.state).toBe('create');
    expect(byId('wa-create-url').placeholder).toBe('https://tu-tienda.com/checkout/');
    expect(byId('wa-create-form').textContent).toContain('Ejemplo: https://tu-tienda.com/checkout/');

    await fireEvent.click(byId('wa-create'));
    expect(byId('wa-create-problem').textContent).toContain('Escribe el comienzo del enlace');
    await fireEvent.input(byId('wa-create-url'), { target: { value: 'tienda sin https' } });
    await fireEvent.click(byId('wa-create'));
    expect(byId('wa-create-problem').textContent).toContain('empiece con https://');
    expect(calls('whatsapp_create_template')).toHaveLength(0);

    await fireEvent.input(byId('wa-create-url'), { target: { value: ' https://tienda.example/checkout/ ' } });
    await fireEvent.click(byId('wa-create'));
    await waitFor(() => expect(byId('wa-recovery-state').dataset.state).toBe('pending'));
    expect(calls('whatsapp_create_template').map((c) => c.args)).toEqual([
      { buttonUrl: 'https://tienda.example/checkout/' },
    ]);
    expect(byId('wa-recovery-state').textContent).toContain('En revisión — Meta suele tardar de minutos a 24 h');
    const rows = screen.getAllByTestId('wa-template-row');
    expect(rows.filter((r) => r.dataset.recovery === 'true').map((r) => r.dataset.status)).toEqual([
      'PENDING',
      'PENDING',
      'PENDING',
    ]);
    expect(rows.map((r) => r.dataset.name)).toContain('hello_world');
    expect(screen.queryByTestId('wa-create')).toBeNull();
  });

  it('shows a rejected link from the engine in plain words', async () => {
    renderPanel();
    await fireEvent.click(byId('wa-check'));
    await screen.findByTestId('wa-templates-empty');
    backend.failures.set('whatsapp_create_template', { code: 'invalid', message: 'the URL must use https' });
    await fireEvent.input(byId('wa-create-url'), { target: { value: 'http://tienda.example/c/' } });
    await fireEvent.click(byId('wa-create'));
    const error = await screen.findByTestId('wa-error');
    expect(error.textContent).toContain('Algún dato no es válido');
    await fireEvent.click(byId('wa-error-message-toggle'));
    expect(error.textContent).toContain('the URL must use https');
  });

  it('explains a missing id or token (no_whatsapp) in plain words', async () => {
    backend.failures.set('whatsapp_check', { code: 'no_whatsapp', message: 'whatsapp_phone_number_id is empty' });
    renderPanel();
    await fireEvent.click(byId('wa-check'));
    const error = await screen.findByTestId('wa-error');
    expect(error.dataset.errorCode).toBe('whatsapp_not_connected');
    expect(error.textContent).toContain('WhatsApp no está conectado todavía');
    expect(error.textContent).toContain('token de acceso');
    expect(screen.queryByTestId('wa-templates')).toBeNull();
  });

  it("says what WhatsApp's refusal means (an expired token), with Meta's words on request", async () => {
    const message =
      'the WhatsApp account cannot send (190): Error validating access token: Session has expired on Friday, 21-Nov-26';
    backend.failures.set('whatsapp_check', {
      code: 'whatsapp',
      message,
      error: { code: 'whatsapp_token_invalid', params: { meta_code: '190' }, detail: message },
    });
    renderPanel();
    await fireEvent.click(byId('wa-check'));
    const error = await screen.findByTestId('wa-error');
    expect(error.textContent).toContain('WhatsApp rechazó el token de acceso');
    expect(error.textContent).not.toContain('Session has expired');
    await fireEvent.click(byId('wa-error-message-toggle'));
    expect(error.textContent).toContain('Session has expired');
  });
});

describe('WhatsApp connection: webhooks (step 4)', () => {
  it('shows the local address and verify token with copy buttons, and the tunnel steps', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderPanel();
    await waitFor(() => expect(byId('webhook-verify-token').textContent).toBe('vt-9f8e7d6c5b4a'));
    expect(byId('webhook-url').textContent).toBe('http://127.0.0.1:8790/webhook/s3cr3tp4thAbCdEfGhIjKlMnOp');
    expect(byId('webhook-public-url').textContent).toBe(
      'https://recupero.tu-dominio.com/webhook/s3cr3tp4thAbCdEfGhIjKlMnOp',
    );
    const commands = byId('webhook-commands').textContent ?? '';
    expect(commands).toContain('cloudflared tunnel create recupero');
    expect(commands).toContain('cloudflared tunnel run --url http://127.0.0.1:8790 recupero');
    // Quick tunnels are for trying, with their caveat (the address changes at every start).
    expect(byId('tunnel-quick-caveat').textContent).toContain('cambia cada vez que el túnel arranca');

    await fireEvent.click(byId('webhook-verify-token-copy'));
    expect(writeText).toHaveBeenCalledWith('vt-9f8e7d6c5b4a');
    await waitFor(() => expect(byId('webhook-verify-token-copy').textContent).toContain('Copiado'));
    await fireEvent.click(byId('webhook-url-copy'));
    expect(writeText).toHaveBeenLastCalledWith('http://127.0.0.1:8790/webhook/s3cr3tp4thAbCdEfGhIjKlMnOp');
  });

  it('says "never" until a webhook arrives, then how long ago, following status events and the clock', async () => {
    renderPanel();
    await waitFor(() => expect(byId('webhook-verify-token').textContent).not.toBe(''));
    expect(byId('webhook-last').dataset.state).toBe('never');
    expect(byId('webhook-last').textContent).toContain('nunca');

    handleEngineEvent({
      type: 'status_changed',
      status: {
        ...backend.status,
        counts: { carts: 0, pendingSends: 0, conversations: 0, unread: 0, escalated: 0 },
        lastWebhookAt: new Date(NOW - 2 * 60_000).toISOString(),
        lastWebhookSigned: true,
      },
    });
    await waitFor(() => expect(byId('webhook-last').textContent).toContain('hace 2 min'));
    expect(byId('webhook-last').dataset.state).toBe('received');

    setClockSource(() => NOW + 3 * 3_600_000);
    await waitFor(() => expect(byId('webhook-last').textContent).toContain('hace 3 h'));

    setLang('pt');
    await waitFor(() => expect(byId('webhook-last').textContent).toContain('há 3 h'));
  });

  it('uses the time webhook_info gives when the status has none yet', async () => {
    backend.webhook.lastWebhookAt = new Date(NOW - 30_000).toISOString();
    renderPanel();
    await waitFor(() => expect(byId('webhook-last').textContent).toContain('hace un momento'));
  });
});

describe('the test message to the owner’s phone', () => {
  it('sends the number typed and says it went', async () => {
    backend.whatsapp.templates = [makeTemplate()];
    render(WhatsAppConnection);
    await fireEvent.input(byId('wa-test-phone'), { target: { value: '+54 9 11 5555-0199' } });
    await fireEvent.click(byId('wa-test-send'));
    await waitFor(() => expect(screen.getByTestId('wa-test-sent')).toBeTruthy());
    expect(backend.calls.filter((c) => c.cmd === 'whatsapp_test_message')).toEqual([
      { cmd: 'whatsapp_test_message', args: { phone: '+54 9 11 5555-0199' } },
    ]);
  });

  it('asks for a number, and explains a bad one or an unapproved template in plain words', async () => {
    render(WhatsAppConnection);
    await fireEvent.click(byId('wa-test-send'));
    await waitFor(() => expect(byId('wa-test-error').textContent).toContain('Escribe tu número'));
    expect(backend.calls.some((c) => c.cmd === 'whatsapp_test_message')).toBe(false);

    await fireEvent.input(byId('wa-test-phone'), { target: { value: 'hola' } });
    await fireEvent.click(byId('wa-test-send'));
    await waitFor(() => expect(byId('wa-test-error').textContent).toContain('Algún dato no es válido'));
    await fireEvent.click(byId('wa-test-error-message-toggle'));
    expect(byId('wa-test-error').textContent).toContain('not a valid phone number');

    backend.whatsapp.templates = [makeTemplate({ status: 'PENDING' })];
    await fireEvent.input(byId('wa-test-phone'), { target: { value: '+54 9 11 5555-0199' } });
    await fireEvent.click(byId('wa-test-send'));
    await waitFor(() => expect(byId('wa-test-error').textContent).toContain('todavía no está aprobada'));
  });
});
