import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { fakeBackend, makePreview, type FakeBackend } from './fake-backend';

let backend: FakeBackend;

import App from '../src/App.svelte';
import { app } from '../src/lib/app.svelte';
import { ONBOARDING_SKIPPED_KEY } from '../src/lib/onboarding';
import { tauri } from './tauri-mock';

tauri.invoke = (cmd, args) => backend.invoke(cmd, args);

type TauriWindow = Window & { __TAURI_INTERNALS__?: unknown };

beforeAll(() => {
  (window as TauriWindow).__TAURI_INTERNALS__ = {};
});

beforeEach(() => {
  backend = fakeBackend();
  app.screen = 'settings';
  app.notices = [];
  delete document.body.dataset.ready;
  localStorage.setItem(ONBOARDING_SKIPPED_KEY, 'skipped');
  vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['es-AR']);
});

afterEach(() => cleanup());

async function openSettings() {
  render(App);
  await waitFor(() => expect(document.body.dataset.ready).toBe('true'));
  return screen.findByTestId('message-preview');
}

const previewCalls = () => backend.calls.filter((c) => c.cmd === 'message_preview').map((c) => c.args?.language);

describe('Message preview in Settings', () => {
  it('shows the message as a WhatsApp bubble, in the app language, ready to send', async () => {
    const card = await openSettings();

    const body = await within(card).findByTestId('preview-body');
    expect(body.textContent).toContain('¡Hola Ana! Guardamos tu carrito en Tienda Luna');
    expect(within(card).getByTestId('preview-button').textContent?.trim()).toBe('Ver mi carrito');
    expect(within(card).getByTestId('preview-quick-reply').textContent?.trim()).toBe('Detener promociones');
    expect(within(card).getByTestId('preview-url').textContent).toBe(
      'https://tiendaluna.example/checkout/recover/preview',
    );
    expect(within(card).queryByTestId('preview-image'), 'no image header in this template').toBeNull();
    expect(within(card).getByTestId('preview-ready').textContent).toBe('Este mensaje se puede enviar tal cual.');
    expect(within(card).getByTestId('preview-template').textContent).toContain('Aprobada');
    expect(previewCalls()[0]).toBe('es');
  });

  it('asks for the picked language when the owner switches', async () => {
    const card = await openSettings();
    await within(card).findByTestId('preview-body');

    await fireEvent.click(within(card).getByTestId('preview-lang-pt_BR'));

    await waitFor(() => expect(previewCalls().at(-1)).toBe('pt_BR'));
    await waitFor(() =>
      expect(within(card).getByTestId('preview-body').textContent).toContain('Olá Ana!'),
    );
    expect(within(card).getByTestId('preview-lang-pt_BR').getAttribute('aria-checked')).toBe('true');
    await fireEvent.click(within(card).getByTestId('preview-lang-en'));
    await waitFor(() => expect(within(card).getByTestId('preview-button').textContent?.trim()).toBe('View my cart'));
  });

  it('lists what would stop the message in plain words, with the image header', async () => {
    backend.preview = (language) =>
      makePreview(language ?? 'es', {
        status: 'PENDING',
        imageHeader: true,
        problems: ['template_not_approved', 'recovery_url_mismatch', 'something_new'],
      });
    const card = await openSettings();

    const problems = await within(card).findByTestId('preview-problems');
    const items = [...problems.querySelectorAll('li')].map((li) => li.textContent);
    expect(items).toEqual([
      'Meta todavía no aprobó la plantilla en este idioma.',
      expect.stringContaining('no empieza con la dirección aprobada del botón'),
      'Otro problema: something_new',
    ]);
    expect(within(card).getByTestId('preview-image')).toBeTruthy();
    expect(within(card).queryByTestId('preview-ready')).toBeNull();
  });

  it("shows the owner's own template as approved: their words, their button, no empty footer", async () => {
    backend.preview = (language) =>
      makePreview(language ?? 'es', {
        body: 'Ana, tu pedido en Tienda Luna sigue guardado. ¿Lo terminamos?',
        footer: '',
        buttonText: 'Terminar compra',
        quickReplyText: null,
      });
    const card = await openSettings();

    const body = await within(card).findByTestId('preview-body');
    expect(body.textContent).toBe('Ana, tu pedido en Tienda Luna sigue guardado. ¿Lo terminamos?');
    expect(within(card).getByTestId('preview-button').textContent?.trim()).toBe('Terminar compra');
    expect(within(card).queryByTestId('preview-footer'), 'no footer line when the template has none').toBeNull();
    expect(within(card).queryByTestId('preview-quick-reply'), 'no quick reply in their template').toBeNull();
  });

  it('shows the footer when the template has one', async () => {
    const card = await openSettings();
    const footer = await within(card).findByTestId('preview-footer');
    expect(footer.textContent).toBe('Responde BAJA para no recibir más mensajes');
  });

  it('reloads when a setting changes (the live part)', async () => {
    const card = await openSettings();
    await within(card).findByTestId('preview-body');
    const before = previewCalls().length;
    backend.preview = (language) => makePreview(language ?? 'es', { body: 'Texto nuevo con el ajuste cambiado' });

    const input = (await screen.findByTestId('setting-abandonment_delay_minutes')) as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '90' } });
    await fireEvent.click(screen.getByTestId('save-abandonment_delay_minutes'));

    await waitFor(() => expect(previewCalls().length).toBeGreaterThan(before));
    await waitFor(() =>
      expect(within(card).getByTestId('preview-body').textContent).toBe('Texto nuevo con el ajuste cambiado'),
    );
  });

  it('reloads when the data changes', async () => {
    const card = await openSettings();
    await within(card).findByTestId('preview-body');
    const before = previewCalls().length;

    app.dataVersion++;

    await waitFor(() => expect(previewCalls().length).toBe(before + 1));
  });

  it('says so when the preview cannot be prepared', async () => {
    backend.failures.set('message_preview', { code: 'storage', message: 'disk full' });
    const card = await openSettings();

    expect((await within(card).findByTestId('preview-failed')).textContent).toBe(
      'No se pudo preparar la vista previa.',
    );
  });
});

describe('The reminder with the product photo', () => {
  const PNG = 'data:image/png;base64,iVBORw0KGgo=';

  it('turns on from the Message card and shows the first product photo as the header', async () => {
    backend.settings.push({
      key: 'reminder_image',
      value: 'false',
      default: 'false',
      description: 'server help for reminder_image',
      kind: 'bool',
    });
    backend.picture = PNG;
    backend.preview = (language) => {
      const on = backend.settings.find((s) => s.key === 'reminder_image')?.value === 'true';
      return makePreview(language ?? 'es', {
        templateName: on ? 'recupero_carrito_foto' : 'recupero_carrito',
        imageHeader: on,
        imageUrl: on ? 'http://127.0.0.1:4000/images/products/remera.png' : null,
      });
    };
    const card = await openSettings();
    await within(card).findByTestId('preview-body');
    expect(within(card).queryByTestId('preview-image')).toBeNull();

    const toggle = within(card).getByTestId('preview-image-switch') as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    expect(card.textContent).toContain('Enviar el recordatorio con la foto del producto');
    await fireEvent.click(toggle);

    await waitFor(() => expect(within(card).getByTestId('preview-image').tagName).toBe('IMG'));
    expect((within(card).getByTestId('preview-image') as HTMLImageElement).src).toBe(PNG);
    expect(backend.calls.some((c) => c.cmd === 'settings_set' && c.args?.key === 'reminder_image' && c.args?.value === 'true')).toBe(true);
    expect(backend.calls.filter((c) => c.cmd === 'preview_picture').length).toBe(1);
    expect(within(card).getByTestId('preview-template').textContent).toContain('recupero_carrito_foto');
  });

  it('shows a frame with words when the photo cannot be shown, and says why the photo waits', async () => {
    backend.preview = (language) =>
      makePreview(language ?? 'es', {
        imageHeader: true,
        imageUrl: 'http://127.0.0.1:4000/images/products/page.jpg',
        problems: ['image_template_missing'],
      });
    const card = await openSettings();
    const frame = await within(card).findByTestId('preview-image');
    expect(frame.tagName).toBe('DIV');
    expect(frame.textContent).toBe('Foto del primer producto');
    const problems = within(card).getByTestId('preview-problems');
    expect(problems.textContent).toContain('todavía no tiene la plantilla con foto');
  });
});
