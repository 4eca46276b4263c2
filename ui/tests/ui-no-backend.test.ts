import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from '../src/App.svelte';

afterEach(() => cleanup());

describe('App outside Tauri', () => {
  it('renders the Carts empty state with a demo button and explains there is no backend', async () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));

    expect(document.documentElement.lang).toBe('es');
    // Without an engine nobody knows whether a store is connected: no guided setup.
    expect(screen.queryByTestId('onboarding')).toBeNull();
    const root = screen.getByTestId('screen-carts');
    expect(root.querySelector('h1')?.textContent).toBe('Carritos');
    const empty = await screen.findByTestId('empty-carts');
    expect(empty.textContent).toContain('Todavía no hay carritos.');
    const demo = screen.getByTestId('try-demo');
    expect(demo.tagName).toBe('BUTTON');

    await fireEvent.click(demo);
    await waitFor(() =>
      expect(screen.getByTestId('notice').textContent).toContain(
        'no está conectada a la aplicación de escritorio',
      ),
    );
    // No paused badge without a status.
    expect(screen.queryByTestId('paused-badge')).toBeNull();
  });

  it('lets the owner fill the store form, and says there is no backend when testing it', async () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['pt-BR']);
    render(App);
    await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
    await fireEvent.click(screen.getByTestId('nav-settings'));

    const list = screen.getByTestId('store-list');
    await waitFor(() => expect(list.textContent).toContain('Você ainda não conectou nenhuma loja.'));
    expect((screen.getByTestId('store-country') as HTMLInputElement).value).toBe('BR');
    await fireEvent.input(screen.getByTestId('store-id'), { target: { value: '42' } });
    await fireEvent.input(screen.getByTestId('store-token'), { target: { value: 'token' } });
    await fireEvent.click(screen.getByTestId('store-test'));
    const error = await screen.findByTestId('store-error');
    expect(error.textContent).toContain('não está conectada ao aplicativo de desktop');
    expect(error.textContent, 'no English detail under the translated sentence').not.toContain(
      'Not running',
    );
  });
});
