// The window the app shows when it could not start: it asks only for the failure (there is no
// engine behind it), speaks the language the failure names, says what happened, where the file
// is and what to do, and its buttons reach the failure window's own commands.

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { StartupFailure } from '../src/lib/api';

let failure: StartupFailure | null;
/** What startup_retry rejects with (a plain string, as the command's `Result<(), String>`). */
let retryRefusal: string | null = null;
let calls: { cmd: string; args?: Record<string, unknown> }[];

async function invoke(cmd: string, args?: Record<string, unknown>): Promise<unknown> {
  calls.push({ cmd, args });
  switch (cmd) {
    case 'startup_failure':
      if (!failure) throw { code: 'internal', message: 'state missing' };
      return structuredClone(failure);
    case 'startup_retry':
      if (retryRefusal) throw retryRefusal;
      return null;
    case 'startup_open_folder':
    case 'startup_close':
      return null;
    default:
      throw { code: 'internal', message: `the failure window has no ${cmd}` };
  }
}

import App from '../src/App.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

function made(overrides: Partial<StartupFailure> = {}): StartupFailure {
  return {
    kind: 'corrupt',
    path: '/home/ana/.local/share/recupero/recupero.sqlite3',
    dataDir: '/home/ana/.local/share/recupero',
    backupsDir: '/home/ana/.local/share/recupero/backups',
    detail: 'the file … is not a readable Recupero database (file is not a database)',
    lang: 'es',
    ...overrides,
  };
}

beforeEach(() => {
  calls = [];
  failure = made();
  window.location.hash = '#startup-failure';
});

afterEach(() => {
  cleanup();
  window.location.hash = '';
  setLang('es');
});

const title = () => screen.getByTestId('startup-failure-title').textContent?.trim();
const todo = () => screen.getByTestId('startup-failure-todo').textContent ?? '';

describe('the start-up failure window', () => {
  it('shows a damaged database, its file and the backups, in Spanish, without asking the engine', async () => {
    render(App);
    await screen.findByTestId('startup-failure-title');
    expect(title()).toBe('El archivo de datos está dañado');
    expect(screen.getByTestId('startup-failure-path').textContent).toBe(failure!.path);
    expect(screen.getByTestId('startup-failure-backups').textContent).toBe(failure!.backupsDir);
    expect(todo()).toContain('recupero restore');
    expect(screen.getByTestId('startup-failure-detail').textContent).toContain('not a readable');
    expect(screen.queryByTestId('screen-carts')).toBeNull();
    expect(calls.map((c) => c.cmd)).toEqual(['startup_failure']);
  });

  it('tells a newer database to update Recupero, in Portuguese', async () => {
    failure = made({ kind: 'newer_version', lang: 'pt' });
    render(App);
    await screen.findByTestId('startup-failure-title');
    expect(title()).toBe('Estes dados são de uma versão mais nova do Recupero');
    expect(todo()).toContain('Instale a versão mais recente');
    expect(screen.queryByTestId('startup-failure-backups')).toBeNull();
    expect(document.documentElement.lang).toBe('pt');
  });

  it('asks to unlock a locked keychain, in English, with no file to point at', async () => {
    failure = made({ kind: 'keychain', lang: 'en', path: null, detail: 'no OS keychain is available (locked)' });
    render(App);
    await screen.findByTestId('startup-failure-title');
    expect(title()).toBe('The system keychain is locked or unavailable');
    expect(todo()).toContain('Unlock');
    expect(screen.queryByTestId('startup-failure-path')).toBeNull();
  });

  it('says what else went wrong in its own words', async () => {
    failure = made({ kind: 'other', lang: 'en', path: null, detail: 'while creating the data directory: disk full' });
    render(App);
    await screen.findByTestId('startup-failure-title');
    expect(title()).toBe('Something stopped Recupero from starting');
    expect(screen.getByTestId('startup-failure-detail').textContent).toContain('disk full');
  });

  it('opens the data folder, tries again and closes through its own commands', async () => {
    render(App);
    await screen.findByTestId('startup-failure-title');
    await fireEvent.click(screen.getByTestId('startup-failure-open-folder'));
    await fireEvent.click(screen.getByTestId('startup-failure-retry'));
    await fireEvent.click(screen.getByTestId('startup-failure-close'));
    await waitFor(() =>
      expect(calls.map((c) => c.cmd)).toEqual([
        'startup_failure',
        'startup_open_folder',
        'startup_retry',
        'startup_close',
      ]),
    );
  });

  it("words a button that failed, with the system's text on request", async () => {
    retryRefusal = 'could not start /usr/bin/recupero: permission denied';
    try {
      render(App);
      await screen.findByTestId('startup-failure-title');
      await fireEvent.click(screen.getByTestId('startup-failure-retry'));
      const error = await screen.findByTestId('startup-action-error');
      expect(error.textContent).toContain('Algo salió mal. Prueba otra vez.');
      expect(error.textContent).not.toContain('permission denied');
      await fireEvent.click(screen.getByTestId('startup-action-error-toggle'));
      expect(error.textContent).toContain('could not start /usr/bin/recupero: permission denied');
    } finally {
      retryRefusal = null;
    }
  });

  it('says so when even the failure cannot be read', async () => {
    failure = null;
    render(App);
    await screen.findByTestId('startup-failure-unreadable');
  });
});
