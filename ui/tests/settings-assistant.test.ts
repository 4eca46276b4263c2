import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import type { Setting, SettingKind } from '../src/lib/types';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { ONBOARDING_SKIPPED_KEY } from '../src/lib/onboarding';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

const setting = (key: string, value: string, kind: SettingKind, def = value): Setting => ({
  key,
  value,
  default: def,
  description: `server help for ${key}`,
  kind,
});

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(async () => {
  backend = fakeBackend();
  backend.settings.push(
    setting('assistant_mode', 'drafts', 'assistant_mode'),
    setting('assistant_base_url', '', 'url'),
    setting('assistant_model', 'llama3.2', 'text'),
    setting('assistant_timeout_seconds', '20', 'seconds'),
    setting('shop_facts', '', 'long_text'),
    setting('escalation_keywords', 'abogado, estafa', 'keywords', ''),
    setting('notify_recovered', 'true', 'bool'),
  );
  app.screen = 'settings';
  app.notices = [];
  delete document.body.dataset.ready;
  // Past the guided setup a first run opens (no store here): Settings as after "Skip for now".
  localStorage.setItem(ONBOARDING_SKIPPED_KEY, 'skipped');
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
});

afterEach(() => cleanup());

const saved = (key: string) =>
  backend.calls.filter((c) => c.cmd === 'settings_set' && c.args?.key === key).map((c) => c.args?.value);

describe('Assistant and escalation settings', () => {
  it('groups them under Assistant and Escalation', async () => {
    const assistant = await screen.findByRole('region', { name: 'Asistente' });
    for (const key of ['assistant_mode', 'shop_facts', 'assistant_base_url', 'assistant_model', 'assistant_timeout_seconds']) {
      expect(within(assistant).getByTestId(`field-${key}`), key).toBeTruthy();
    }
    const escalation = screen.getByRole('region', { name: 'Cuándo te avisamos' });
    expect(within(escalation).getByTestId('field-escalation_keywords')).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Aplicación' }).textContent).toContain(
      'Avisar cuando se recupera un carrito',
    );
  });

  it('picks the assistant mode from a select that explains each mode, saving at once', async () => {
    const select = (await screen.findByTestId('setting-assistant_mode')) as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, o.textContent])).toEqual([
      ['off', 'Apagado'],
      ['drafts', 'Sugerir respuestas'],
      ['auto', 'Responder solo'],
    ]);
    expect(select.value).toBe('drafts');
    const modes = screen.getByTestId('modes-assistant_mode').querySelectorAll('li');
    expect(modes).toHaveLength(3);
    expect(modes[1].textContent).toContain('espera a que la apruebes');
    expect(modes[2].textContent).toContain('lo demás te lo pasa a ti');

    await fireEvent.change(select, { target: { value: 'auto' } });
    await waitFor(() => expect(saved('assistant_mode')).toEqual(['auto']));
    await screen.findByTestId('saved-assistant_mode');
  });

  it('suggests a local Ollama for the AI address', async () => {
    const input = (await screen.findByTestId('setting-assistant_base_url')) as HTMLInputElement;
    expect(input.value).toBe('');
    const suggest = screen.getByTestId('suggest-assistant_base_url');
    expect(suggest.textContent).toContain('http://127.0.0.1:11434/v1');
    await fireEvent.click(suggest);
    expect(input.value).toBe('http://127.0.0.1:11434/v1');
    expect(screen.queryByTestId('suggest-assistant_base_url'), 'no suggestion once it is used').toBeNull();
    await fireEvent.click(screen.getByTestId('save-assistant_base_url'));
    await waitFor(() => expect(saved('assistant_base_url')).toEqual(['http://127.0.0.1:11434/v1']));
  });

  it('edits the shop facts in a textarea, with a hint of what to write', async () => {
    const facts = (await screen.findByTestId('setting-shop_facts')) as HTMLTextAreaElement;
    expect(facts.tagName).toBe('TEXTAREA');
    const hint = screen.getByTestId('hint-shop_facts').textContent ?? '';
    for (const topic of ['envío', 'cuotas', 'devoluciones', 'talles', 'retiro', 'horarios', 'contactarte']) {
      expect(hint, topic).toContain(topic);
    }
    const text = 'Envíos a todo el país en 3 a 5 días.\nHasta 6 cuotas sin interés.';
    await fireEvent.input(facts, { target: { value: text } });
    await fireEvent.click(screen.getByTestId('save-shop_facts'));
    await waitFor(() => expect(saved('shop_facts')).toEqual([text]));
  });

  it('explains how to write escalation keywords', async () => {
    const input = (await screen.findByTestId('setting-escalation_keywords')) as HTMLInputElement;
    expect(input.value).toBe('abogado, estafa');
    expect(screen.getByTestId('hint-escalation_keywords').textContent).toContain('separadas por comas');
    expect(screen.getByTestId('field-escalation_keywords').textContent).toContain(
      'pausa la automatización con él y te avisa',
    );
  });
});
