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
});
