import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';

import UpdatePanel from '../src/components/UpdatePanel.svelte';
import { app } from '../src/lib/app.svelte';
import type { UpdateStatus } from '../src/lib/generated';
import { setLang } from '../src/lib/i18n/index.svelte';
import type { Setting } from '../src/lib/types';
import { tauri } from './tauri-mock';

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

const ADDRESS = 'https://updates.example.com/recupero/latest.json';

function setting(value: string): Setting {
  return { key: 'update_manifest_url', value, default: '', description: 'The update manifest', kind: 'url' };
}

function status(over: Partial<UpdateStatus>): UpdateStatus {
  return {
    state: 'not_checked',
    currentVersion: '0.1.0',
    version: null,
    notes: null,
    published: null,
    checkedAt: null,
    problem: null,
    detail: null,
    ...over,
  };
}

/** The updates commands as the Rust side answers them. */
function updatesBackend() {
  const state = {
    shown: status({}),
    checked: status({
      state: 'available',
      version: '0.2.0',
      notes: 'Faster first sync.\nCost per recovered cart in Results.',
      published: '2026-12-01T09:00:00Z',
      checkedAt: '2026-12-06T09:00:00+00:00',
    }),
    installed: status({ state: 'installed', version: '0.2.0' }) as UpdateStatus,
    restartable: true,
    calls: [] as { cmd: string; args?: Record<string, unknown> }[],
  };
  const invoke = async (cmd: string, args?: Record<string, unknown>) => {
    state.calls.push({ cmd, args });
    switch (cmd) {
      case 'update_status':
        return structuredClone(state.shown);
      case 'update_check':
        state.shown = state.checked;
        return structuredClone(state.checked);
      case 'update_install':
        state.shown = state.installed;
        return structuredClone(state.installed);
      case 'update_restart':
        return state.restartable;
      case 'settings_set': {
        const value = String(args?.value ?? '');
        state.shown = status({ state: value === '' ? 'no_address' : 'not_checked' });
        app.settings = [setting(value)];
        return [setting(value)];
      }
      default:
        throw `command ${cmd} not found`;
    }
  };
  return { state, invoke };
}

let backend: ReturnType<typeof updatesBackend>;

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = updatesBackend();
  tauri.invoke = (cmd, args) => backend.invoke(cmd, args);
  app.settings = [setting(ADDRESS)];
  setLang('en');
});

afterEach(() => {
  cleanup();
  tauri.invoke = null;
});

const calls = (cmd: string) => backend.state.calls.filter((c) => c.cmd === cmd);
const result = () => screen.getByTestId('update-result');

async function shown(state: string) {
  render(UpdatePanel);
  await waitFor(() => expect(result().dataset.state).toBe(state));
}

describe('Settings → Updates', () => {
  it('a build without an update key says updates are off and offers no check', async () => {
    backend.state.shown = status({ state: 'no_key' });
    await shown('no_key');
    expect(result().textContent).toContain('has no update key, so updates are off');
    expect((screen.getByTestId('update-check') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByTestId('update-install')).toBeNull();
  });

  it('"Check now" shows the new version and its notes; installing asks first and only then installs that version', async () => {
    await shown('not_checked');
    expect(screen.getByTestId('setting-update_manifest_url')).not.toBeNull();
    expect(screen.getByTestId('update-current').textContent).toContain('0.1.0');
    await fireEvent.click(screen.getByTestId('update-check'));
    await waitFor(() => expect(result().dataset.state).toBe('available'));
    expect(result().textContent).toContain('A new version is available: 0.2.0');
    expect(screen.getByTestId('update-notes').textContent).toContain('Cost per recovered cart');

    await fireEvent.click(screen.getByTestId('update-install'));
    expect(calls('update_install')).toHaveLength(0);
    expect(screen.getByTestId('update-confirm').textContent).toContain('Install Recupero 0.2.0?');
    await fireEvent.click(screen.getByTestId('update-confirm-cancel'));
    expect(screen.queryByTestId('update-confirm')).toBeNull();
    expect(calls('update_install')).toHaveLength(0);

    await fireEvent.click(screen.getByTestId('update-install'));
    await fireEvent.click(screen.getByTestId('update-confirm-yes'));
    await waitFor(() => expect(screen.getByTestId('update-restart').dataset.state).toBe('restarting'));
    expect(calls('update_install')[0].args).toEqual({ version: '0.2.0' });
    expect(calls('update_restart')).toHaveLength(1);
    expect(screen.getByTestId('update-restart').textContent).toContain('Recupero 0.2.0 is installed');
  });

  it('a refused download is told in plain words, with the detail, and nothing restarts', async () => {
    backend.state.installed = status({
      state: 'failed',
      problem: 'bad_signature',
      detail: 'The signature verification failed',
    });
    await shown('not_checked');
    await fireEvent.click(screen.getByTestId('update-check'));
    await waitFor(() => expect(result().dataset.state).toBe('available'));
    await fireEvent.click(screen.getByTestId('update-install'));
    await fireEvent.click(screen.getByTestId('update-confirm-yes'));
    await waitFor(() => expect(screen.getByTestId('update-problem').dataset.problem).toBe('bad_signature'));
    expect(screen.getByTestId('update-problem').textContent).toContain('nothing was installed');
    expect(screen.getByTestId('update-problem').textContent).toContain('The signature verification failed');
    expect(calls('update_restart')).toHaveLength(0);
    expect(screen.queryByTestId('update-install')).toBeNull();
  });

  it('up to date, and where the app cannot restart itself the owner is told to', async () => {
    backend.state.checked = status({ state: 'up_to_date', checkedAt: '2026-12-06T09:00:00+00:00' });
    await shown('not_checked');
    await fireEvent.click(screen.getByTestId('update-check'));
    await waitFor(() => expect(result().dataset.state).toBe('up_to_date'));
    expect(result().textContent).toContain('You have the latest version.');
    expect(result().textContent).toContain('Last checked');
    expect(screen.queryByTestId('update-install')).toBeNull();

    backend.state.checked = status({ state: 'available', version: '0.2.0' });
    backend.state.restartable = false;
    await fireEvent.click(screen.getByTestId('update-check'));
    await fireEvent.click(await screen.findByTestId('update-install'));
    await fireEvent.click(screen.getByTestId('update-confirm-yes'));
    await waitFor(() => expect(screen.getByTestId('update-restart').dataset.state).toBe('by_hand'));
    expect(screen.getByTestId('update-restart').textContent).toContain('Quit Recupero');
  });

  it('clearing the address turns checks off', async () => {
    await shown('not_checked');
    const input = screen.getByTestId('setting-update_manifest_url') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('save-update_manifest_url'));
    await waitFor(() => expect(result().dataset.state).toBe('no_address'));
    expect(calls('settings_set')[0].args).toEqual({ key: 'update_manifest_url', value: '' });
    expect(result().textContent).toContain('No update address');
    expect((screen.getByTestId('update-check') as HTMLButtonElement).disabled).toBe(true);
  });
});
