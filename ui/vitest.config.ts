import { defineConfig, mergeConfig } from 'vitest/config';
import { svelteTesting } from '@testing-library/svelte/vite';
import viteConfig from './vite.config.ts';

export default mergeConfig(
  viteConfig,
  defineConfig({
    plugins: [svelteTesting()],
    test: {
      environment: 'jsdom',
      include: ['tests/**/*.test.ts'],
      // The @tauri-apps/api mocks every test file shares (tests/tauri-mock.ts holds their state).
      setupFiles: ['tests/setup.ts'],
      // Two cores on the build machine: keep the pool small.
      pool: 'threads',
      maxWorkers: 2,
    },
  }),
);
