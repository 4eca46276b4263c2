import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * The window freezes Object.prototype (tauri.conf.json's `freezePrototype`). Moment.js, under the
 * holiday data set (date-holidays → moment-timezone), sets `proto.toString = …` and
 * `proto.valueOf = …`; bundled as strict-mode ES modules, assigning a property that is read-only
 * further up the prototype chain throws ("Attempted to assign to readonly property"), the
 * holidays chunk fails to load and the hours grid offers no public holidays. Defining the
 * properties instead of assigning them works with the frozen prototype.
 */
export function frozenPrototypeSafeMoment(): Plugin {
  const assignment = /(^|[^\w$.])([\w$]+)\.(toString|valueOf)\s*=\s*([\w$.]+);/gm;
  return {
    name: 'frozen-prototype-safe-moment',
    transform(code, id) {
      // Moment's own modules only (not a `?raw` or other query of them).
      if (!/[\\/]node_modules[\\/]moment[\\/][^?]*\.js$/.test(id)) return null;
      const fixed = code.replace(
        assignment,
        (_, before, target, key, value) =>
          `${before}Object.defineProperty(${target}, '${key}', { value: ${value}, writable: true, configurable: true, enumerable: true });`,
      );
      return { code: fixed, map: null };
    },
  };
}

// Built into ui/dist, which tauri.conf.json's `frontendDist` points at. The app runs under a
// strict CSP (no inline scripts or styles), so everything is emitted as external files.
export default defineConfig({
  plugins: [svelte(), frozenPrototypeSafeMoment()],
  base: './',
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    cssCodeSplit: false,
    // Never turn assets into inline data: URLs in CSS/JS beyond what img-src allows.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
