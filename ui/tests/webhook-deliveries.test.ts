// Settings' webhook panel: the deliveries set aside after failing to apply (count, oldest, last
// error) with a "Retry" that calls retry_deliveries, and the raw-body retention setting.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import { tauri } from './tauri-mock';
import WebhookPanel from '../src/components/WebhookPanel.svelte';
import { app } from '../src/lib/app.svelte';
import { setClockSource } from '../src/lib/clock.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import type { QuarantinedDeliveries } from '../src/lib/generated';

const NOW = Date.parse('2026-11-21T15:00:00Z');

let backend: FakeBackend;
let quarantine: QuarantinedDeliveries;

function setAside(count: number): QuarantinedDeliveries {
  const recent = Array.from({ length: count }, (_, i) => ({
    id: 40 + i,
    receivedAt: new Date(NOW - (3 - i) * 3_600_000).toISOString(),
    quarantinedAt: new Date(NOW - 60_000).toISOString(),
    attempts: 8,
    lastError: 'database or disk is full',
  }));
  return {
    count,
    oldestReceivedAt: recent[0]?.receivedAt ?? null,
    lastError: recent[0]?.lastError ?? null,
    recent,
  };
}

beforeAll(() => {
  (window as Window & { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  backend.settings.push({
    key: 'webhook_body_retention_days',
    value: '30',
    default: '30',
    description: 'server help',
    kind: 'days',
  });
  quarantine = setAside(2);
  tauri.invoke = (cmd, args) => {
    if (cmd === 'quarantined_deliveries' || cmd === 'retry_deliveries') {
      backend.calls.push({ cmd, args });
      if (cmd === 'retry_deliveries') quarantine = setAside(0);
      return structuredClone(quarantine);
    }
    return backend.invoke(cmd, args);
  };
  setClockSource(() => NOW);
  setLang('es');
  app.status = null;
  app.settings = structuredClone(backend.settings);
});

afterEach(() => {
  cleanup();
  setClockSource(null);
});

const calls = (cmd: string) => backend.calls.filter((c) => c.cmd === cmd);

describe('webhook panel: deliveries set aside', () => {
  it('shows how many, the oldest and the last error, and "Retry" puts them back in line', async () => {
    render(WebhookPanel);
    const box = await screen.findByTestId('webhook-quarantine');
    expect(screen.getByTestId('webhook-quarantine-count').textContent).toContain('Avisos apartados: 2');
    expect(screen.getByTestId('webhook-quarantine-oldest').textContent).toContain('hace 3 h');
    expect(screen.getByTestId('webhook-quarantine-error').textContent).not.toContain('disk is full');
    await fireEvent.click(screen.getByTestId('webhook-quarantine-error-toggle'));
    expect(screen.getByTestId('webhook-quarantine-error-detail').textContent).toContain('database or disk is full');
    expect(box.textContent).not.toContain('Hola'); // never a body
    await fireEvent.click(screen.getByTestId('webhook-quarantine-retry'));
    await waitFor(() => expect(screen.queryByTestId('webhook-quarantine')).toBeNull());
    expect(calls('retry_deliveries')).toHaveLength(1);
    expect(screen.getByTestId('webhook-quarantine-retried').textContent).toContain('2 avisos volvieron a la fila');
  });

  it('says nothing while none is set aside', async () => {
    quarantine = setAside(0);
    render(WebhookPanel);
    await waitFor(() => expect(calls('quarantined_deliveries').length).toBeGreaterThan(0));
    expect(screen.queryByTestId('webhook-quarantine')).toBeNull();
    expect(screen.queryByTestId('webhook-quarantine-retried')).toBeNull();
  });

  it('speaks Portuguese and English', async () => {
    setLang('pt');
    render(WebhookPanel);
    await screen.findByTestId('webhook-quarantine');
    expect(screen.getByTestId('webhook-quarantine-retry').textContent).toContain('Tentar de novo');
    cleanup();
    setLang('en');
    render(WebhookPanel);
    await screen.findByTestId('webhook-quarantine');
    expect(screen.getByTestId('webhook-quarantine-count').textContent).toContain('Set aside: 2');
    expect(screen.getByTestId('webhook-quarantine-retry').textContent).toContain('Retry');
  });

  it('a failed retry says so and keeps the box', async () => {
    tauri.invoke = (cmd, args) => {
      if (cmd === 'quarantined_deliveries') return structuredClone(quarantine);
      if (cmd === 'retry_deliveries') throw { code: 'storage', message: 'database is locked' };
      return backend.invoke(cmd, args);
    };
    render(WebhookPanel);
    await fireEvent.click(await screen.findByTestId('webhook-quarantine-retry'));
    const failed = await screen.findByTestId('webhook-quarantine-retry-failed');
    expect(failed.textContent).toContain('No se pudo reintentar');
    expect(failed.textContent).toContain('No se pudieron leer o guardar los datos');
    await fireEvent.click(within(failed).getByTestId('webhook-retry-error-toggle'));
    expect(failed.textContent).toContain('database is locked');
    expect(screen.getByTestId('webhook-quarantine')).toBeTruthy();
  });
});

describe('webhook panel: raw-body retention', () => {
  it('edits webhook_body_retention_days through settings_set, with its own words', async () => {
    render(WebhookPanel);
    const field = await screen.findByTestId('field-webhook_body_retention_days');
    expect(field.textContent).toContain('Conservar el contenido de los avisos (días)');
    await fireEvent.input(screen.getByTestId('setting-webhook_body_retention_days'), { target: { value: '7' } });
    await fireEvent.click(screen.getByTestId('save-webhook_body_retention_days'));
    await waitFor(() =>
      expect(calls('settings_set')).toEqual([
        { cmd: 'settings_set', args: { key: 'webhook_body_retention_days', value: '7' } },
      ]),
    );
    await screen.findByTestId('saved-webhook_body_retention_days');
  });

  it('is left out of the onboarding, which shows the panel without its settings', async () => {
    render(WebhookPanel, { props: { settings: false } });
    await screen.findByTestId('webhook-quarantine');
    expect(screen.queryByTestId('field-webhook_body_retention_days')).toBeNull();
  });
});
