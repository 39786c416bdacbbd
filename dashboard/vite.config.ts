import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { bundleReport } from './bundle-report.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dashboard: a static app in dist/dashboard that the sync server serves at `/`.
 * brain-store comes from the package source entry (public exports only). Workbox caches the
 * app shell so a reload without network still shows the page and its IndexedDB data.
 */
export default defineConfig({
  root,
  base: '/',
  // The app builds offline from a clean checkout: no public folder, no remote fonts.
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2_000,
    // .vite/bundle-report.json: the modules of each chunk, for the browser benchmark's bundle report.
    rollupOptions: { plugins: [bundleReport()] },
  },
  plugins: [
    VitePWA({
      strategies: 'generateSW',
      registerType: 'autoUpdate',
      injectRegister: 'script',
      filename: 'sw.js',
      manifest: false,
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg}'],
        navigateFallback: '/index.html',
        // The sync API is live data: never answered from the cache.
        navigateFallbackDenylist: [/^\/sync\//, /^\/healthz/, /^\/metrics/],
        maximumFileSizeToCacheInBytes: 5 * 1024 * 1024,
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
});
