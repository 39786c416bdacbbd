import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { bundleReport } from './bundle-report.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dashboard: a static app in dist/dashboard that the sync server serves at `/`.
 * brain-store comes from the package source entry (public exports only). Our service worker
 * caches the app shell so a reload without network still shows the page and its IndexedDB data.
 */
export default defineConfig({
  root,
  base: '/',
  // The app builds offline from a clean checkout: no public folder, no remote fonts.
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  // rxjs's ES2015 build (its `es2015` export condition) instead of the ES5 one with tslib helpers.
  resolve: { conditions: ['es2015', ...defaultClientConditions] },
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The first visit's JavaScript is budgeted (issue 16: ≤ 120 KB gzipped, bench `browser`):
    // terser takes about 7 KB gzipped more off it than esbuild's minifier.
    minify: 'terser',
    terserOptions: { module: true, compress: { passes: 2 }, format: { comments: false } },
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2_000,
    // .vite/bundle-report.json: the modules of each chunk, for the browser benchmark's bundle report.
    rollupOptions: { plugins: [bundleReport()] },
  },
  plugins: [
    // Our own worker (dashboard/src/service-worker.ts): the precached app shell, an update that
    // waits for the person's click, and Background Sync of writes left unsynced (issues 18, 20).
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      // Registered by register-service-worker.ts, which offers the waiting update.
      injectRegister: false,
      manifest: false,
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg}'],
        maximumFileSizeToCacheInBytes: 5 * 1024 * 1024,
        rollupFormat: 'iife',
      },
    }),
  ],
});
