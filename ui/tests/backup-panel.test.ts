import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

import BackupPanel from '../src/components/BackupPanel.svelte';
import type { BackupInfo, BackupsOverview } from '../src/lib/generated';
import { setLang } from '../src/lib/i18n/index.svelte';
import { tauri } from './tauri-mock';

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

/** The backups commands as the Rust side answers them, over a folder held in memory. */
function backupsBackend() {
  const state = {
    overview: {
      folder: '/home/ana/.local/share/recupero/backups',
      lastBackupAt: '2026-12-05T09:00:00.000Z',
      restorePending: false,
      backups: [
        { name: 'daily-2026-12-05.db', kind: 'daily', sizeBytes: 204800, takenAt: '2026-12-05T09:00:00.000Z' },
        { name: 'before-schema-8-to-9.db', kind: 'before_migration', sizeBytes: 102400, takenAt: '2026-12-01T10:00:00.000Z' },
      ],
    } as BackupsOverview,
    restartable: true,
    calls: [] as { cmd: string; args?: Record<string, unknown> }[],
    refuse: null as string | null,
  };
  const invoke = async (cmd: string, args?: Record<string, unknown>) => {
    state.calls.push({ cmd, args });
    switch (cmd) {
      case 'backups_overview':
        return structuredClone(state.overview);
      case 'backup_now': {
        const made: BackupInfo = {
          name: 'manual-2026-12-06T10-00-00Z.db',
          kind: 'manual',
          sizeBytes: 205000,
          takenAt: '2026-12-06T10:00:00.000Z',
        };
        state.overview.backups.unshift(made);
        state.overview.lastBackupAt = made.takenAt;
        return made;
      }
      case 'backup_restore':
        if (state.refuse) throw { code: 'invalid', message: state.refuse };
        state.overview.restorePending = true;
        return 9;
      case 'backup_restart':
        return state.restartable;
      default:
        throw `command ${cmd} not found`;
    }
  };
  return { state, invoke };
}

let backend: ReturnType<typeof backupsBackend>;

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = backupsBackend();
  tauri.invoke = (cmd, args) => backend.invoke(cmd, args);
  setLang('en');
});

afterEach(() => {
  cleanup();
  tauri.invoke = null;
});

const calls = (cmd: string) => backend.state.calls.filter((c) => c.cmd === cmd);

async function shown() {
  render(BackupPanel);
  await waitFor(() => expect(screen.getAllByTestId('backup-item')).toHaveLength(2));
}

describe('Settings → Backups', () => {
  it('lists the copies with their kind and size, and the last backup time', async () => {
    await shown();
    const items = screen.getAllByTestId('backup-item');
    expect(items[0].textContent).toContain('daily-2026-12-05.db');
    expect(items[0].textContent).toContain('Daily');
    expect(items[0].textContent).toContain('200 KB');
    expect(items[1].dataset.kind).toBe('before_migration');
    expect(items[1].textContent).toContain('Before an update');
    expect(screen.getByTestId('backup-last').dataset.state).toBe('done');
    expect(screen.getByTestId('backup-last').textContent).toContain('2026');
    expect(screen.getByTestId('backup-folder').textContent).toContain('/home/ana/.local/share/recupero/backups');
    expect(screen.getByTestId('backup-panel').textContent).toContain('keychain');
  });

  it('says "never" when there is no copy yet', async () => {
    backend.state.overview.backups = [];
    backend.state.overview.lastBackupAt = null;
    render(BackupPanel);
    await waitFor(() => expect(screen.queryByTestId('backup-empty')).not.toBeNull());
    expect(screen.getByTestId('backup-last').dataset.state).toBe('never');
    expect(screen.getByTestId('backup-last').textContent).toContain('never');
  });

  it('"Back up now" makes a copy and shows it first in the list', async () => {
    await shown();
    await fireEvent.click(screen.getByTestId('backup-now'));
    await waitFor(() => expect(screen.getAllByTestId('backup-item')).toHaveLength(3));
    expect(calls('backup_now')).toHaveLength(1);
    expect(screen.getByTestId('backup-made').textContent).toContain('manual-2026-12-06T10-00-00Z.db');
    expect(screen.getAllByTestId('backup-item')[0].dataset.kind).toBe('manual');
  });

  it('restores a listed copy only after confirming, then restarts the app', async () => {
    await shown();
    await fireEvent.click(screen.getByTestId('backup-restore-open'));
    const next = screen.getByTestId('backup-restore-next') as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    const choose = screen.getByTestId('backup-restore-choose') as HTMLSelectElement;
    expect(within(choose).getAllByRole('option').map((o) => o.textContent)).toContain('daily-2026-12-05.db');
    await fireEvent.change(choose, { target: { value: 'daily-2026-12-05.db' } });
    await fireEvent.click(screen.getByTestId('backup-restore-next'));
    expect(calls('backup_restore')).toHaveLength(0);
    expect(screen.getByTestId('backup-restore-confirm-text').textContent).toContain('daily-2026-12-05.db');
    await fireEvent.click(screen.getByTestId('backup-restore-confirm'));
    await waitFor(() => expect(screen.queryByTestId('backup-restarting')).not.toBeNull());
    expect(calls('backup_restore')[0].args).toEqual({ source: 'daily-2026-12-05.db' });
    expect(calls('backup_restart')).toHaveLength(1);
  });

  it('a typed path wins over the list; where the app cannot restart itself the owner is told to', async () => {
    backend.state.restartable = false;
    await shown();
    await fireEvent.click(screen.getByTestId('backup-restore-open'));
    await fireEvent.input(screen.getByTestId('backup-restore-path'), { target: { value: ' /media/usb/shop.db ' } });
    await fireEvent.click(screen.getByTestId('backup-restore-next'));
    await fireEvent.click(screen.getByTestId('backup-restore-confirm'));
    await waitFor(() => expect(screen.queryByTestId('backup-pending')).not.toBeNull());
    expect(calls('backup_restore')[0].args).toEqual({ source: '/media/usb/shop.db' });
    expect(screen.getByTestId('backup-pending').textContent).toContain('Quit Recupero');
  });

  it('a refused file is said why, and nothing restarts', async () => {
    backend.state.refuse = '/tmp/notes.txt is not a Recupero backup: it is not a SQLite database';
    await shown();
    await fireEvent.click(screen.getByTestId('backup-restore-open'));
    await fireEvent.input(screen.getByTestId('backup-restore-path'), { target: { value: '/tmp/notes.txt' } });
    await fireEvent.click(screen.getByTestId('backup-restore-next'));
    await fireEvent.click(screen.getByTestId('backup-restore-confirm'));
    await waitFor(() => expect(screen.queryByTestId('backup-error')).not.toBeNull());
    expect(screen.getByTestId('backup-error').textContent).toContain('This file cannot be restored');
    // The engine's reason, in its own words, on request.
    expect(screen.getByTestId('backup-error').textContent).not.toContain('not a SQLite database');
    await fireEvent.click(screen.getByTestId('backup-error-message-toggle'));
    expect(screen.getByTestId('backup-error').textContent).toContain('not a SQLite database');
    expect(calls('backup_restart')).toHaveLength(0);
    expect(screen.queryByTestId('backup-restarting')).toBeNull();
  });

  it('cancel closes the restore without staging anything', async () => {
    await shown();
    await fireEvent.click(screen.getByTestId('backup-restore-open'));
    await fireEvent.click(screen.getByTestId('backup-restore-cancel'));
    expect(screen.queryByTestId('backup-restore')).toBeNull();
    expect(calls('backup_restore')).toHaveLength(0);
  });

  it('says a restore is waiting for the next start', async () => {
    backend.state.overview.restorePending = true;
    await shown();
    expect(screen.getByTestId('backup-pending').textContent).toContain('next time Recupero starts');
  });
});
