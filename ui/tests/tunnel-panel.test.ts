// The tunnel panel (inside the webhook step): quick to try (with its caveat) or the owner's
// named tunnel, start/stop through settings_set, and the state, address and registration the
// engine publishes in the app status; how to install cloudflared when it is missing.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { fakeBackend, type FakeBackend } from './fake-backend';
import type { Setting } from '../src/lib/types';
import type { AppStatus, TunnelStatus } from '../src/lib/generated';
import TunnelPanel from '../src/components/TunnelPanel.svelte';
import { app } from '../src/lib/app.svelte';
import { setLang } from '../src/lib/i18n/index.svelte';
import { tauri } from './tauri-mock';

let backend: FakeBackend;
tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

const setting = (key: string, value: string): Setting => ({
  key,
  value,
  default: '',
  description: `server help for ${key}`,
  kind: 'text',
});

const TUNNEL_SETTINGS = [
  setting('tunnel_mode', 'off'),
  setting('tunnel_name', ''),
  setting('tunnel_hostname', ''),
  setting('cloudflared_path', ''),
];

function withTunnel(tunnel: Partial<TunnelStatus>): void {
  const status = structuredClone(backend.status) as AppStatus;
  status.tunnel = { ...status.tunnel, ...tunnel };
  app.status = status;
}

const byId = <T extends HTMLElement = HTMLInputElement>(id: string) => screen.getByTestId(id) as T;
const sets = () => backend.calls.filter((c) => c.cmd === 'settings_set').map((c) => c.args);

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  backend.settings.push(...structuredClone(TUNNEL_SETTINGS));
  app.settings = structuredClone(backend.settings);
  app.status = structuredClone(backend.status) as AppStatus;
  setLang('en');
});

afterEach(() => cleanup());

describe('Tunnel panel', () => {
  it('offers a quick tunnel to try, with its caveat, and starts it through tunnel_mode', async () => {
    render(TunnelPanel, { port: '8790' });
    expect(byId('tunnel-state').dataset.state).toBe('off');
    expect(byId<HTMLInputElement>('tunnel-kind-quick').checked).toBe(true);
    expect(byId('tunnel-quick-caveat').textContent).toContain('changes every time the tunnel starts');
    expect(screen.queryByTestId('tunnel-stop')).toBeNull();
    await fireEvent.click(byId('tunnel-start'));
    await waitFor(() => expect(sets()).toEqual([{ key: 'tunnel_mode', value: 'quick' }]));
    // Running now: it can be stopped.
    await fireEvent.click(await screen.findByTestId('tunnel-stop'));
    await waitFor(() => expect(sets().at(-1)).toEqual({ key: 'tunnel_mode', value: 'off' }));
  });

  it('starts a named tunnel only with its name and hostname, saving both first', async () => {
    render(TunnelPanel, { port: '8790' });
    await fireEvent.click(byId('tunnel-kind-named'));
    expect(screen.queryByTestId('tunnel-quick-caveat')).toBeNull();
    expect(byId<HTMLButtonElement>('tunnel-start').disabled).toBe(true);
    await fireEvent.input(byId('tunnel-name'), { target: { value: 'tienda' } });
    await fireEvent.input(byId('tunnel-hostname'), { target: { value: 'hooks.tienda.com' } });
    expect(byId('tunnel-named-commands').textContent).toContain('cloudflared tunnel route dns tienda hooks.tienda.com');
    await fireEvent.click(byId('tunnel-start'));
    await waitFor(() =>
      expect(sets()).toEqual([
        { key: 'tunnel_name', value: 'tienda' },
        { key: 'tunnel_hostname', value: 'hooks.tienda.com' },
        { key: 'tunnel_mode', value: 'named' },
      ]),
    );
  });

  it('shows the address the tunnel is up at and whether WhatsApp took it', async () => {
    withTunnel({ mode: 'quick', state: 'up', address: 'https://a-b-c.trycloudflare.com', registration: 'ok' });
    render(TunnelPanel, { port: '8790' });
    expect(byId('tunnel-address').textContent).toBe('https://a-b-c.trycloudflare.com');
    expect(byId('tunnel-registration').textContent).toContain('Registered with WhatsApp');
    cleanup();
    withTunnel({ mode: 'quick', state: 'up', address: 'https://a-b-c.trycloudflare.com', registration: 'nothing_answered', registrationDetail: 'HTTP Status Code = 530' });
    render(TunnelPanel, { port: '8790' });
    const refused = byId('tunnel-registration').textContent ?? '';
    expect(refused).toContain('8790');
    expect(refused).toContain('HTTP Status Code = 530');
  });

  it('says why it failed, and how to install cloudflared when it is missing (es and pt too)', async () => {
    withTunnel({ mode: 'quick', state: 'failed', reason: 'cloudflared stopped: it exited (exit status: 1)' });
    render(TunnelPanel, { port: '8790' });
    expect(byId('tunnel-reason').textContent).toContain('exit status: 1');
    expect(byId<HTMLDetailsElement>('tunnel-install').open).toBe(false);
    cleanup();
    withTunnel({ mode: 'quick', state: 'not_installed', reason: 'cloudflared is not installed' });
    for (const lang of ['es', 'pt', 'en'] as const) {
      setLang(lang);
      render(TunnelPanel, { port: '8790' });
      const install = byId<HTMLDetailsElement>('tunnel-install');
      expect(install.open).toBe(true);
      for (const how of ['winget install --id Cloudflare.cloudflared', 'sudo apt install cloudflared', 'brew install cloudflared']) {
        expect(install.textContent).toContain(how);
      }
      expect(byId('tunnel-state').textContent).toContain('cloudflared');
      cleanup();
    }
  });
});
