// Registered as vitest's setup file: mocks `@tauri-apps/api` for every UI test file in one place.
// `invoke` goes to the file's fake backend and `listen` captures the engine-event handler (see
// tauri-mock.ts); with no fake backend installed, both are the real functions.

import { vi } from 'vitest';
import { tauri } from './tauri-mock';

vi.mock('@tauri-apps/api/core', async (importOriginal) => {
  const real = await importOriginal<typeof import('@tauri-apps/api/core')>();
  return {
    ...real,
    invoke: (...args: Parameters<typeof real.invoke>) =>
      tauri.invoke
        ? (tauri.invoke as (...forwarded: unknown[]) => unknown)(...args)
        : real.invoke(...args),
  };
});

vi.mock('@tauri-apps/api/event', async (importOriginal) => {
  const real = await importOriginal<typeof import('@tauri-apps/api/event')>();
  return {
    ...real,
    listen: async (...args: Parameters<typeof real.listen>) => {
      if (!tauri.invoke) return real.listen(...args);
      const [name, handler] = args;
      tauri.listened.push(String(name));
      tauri.emit = (payload) => handler({ event: name, id: 0, payload });
      return () => {
        tauri.emit = null;
      };
    },
  };
});
