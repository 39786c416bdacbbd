/**
 * Real-browser test support: find Debian's Chromium, launch it through playwright-core
 * (never downloading a browser), bundle a TypeScript entry for the page with vite, and serve
 * it from a throwaway HTTP server on 127.0.0.1. Browser tests and benchmarks share it (the
 * tests' skip-or-fail wrapper is `describeInChromium` in test/helpers/skip-or-fail.ts).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Where `apt-get install chromium` puts the browser; override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Flags that keep Chromium quiet and offline in a container (no sandbox, GPU, updates, sync). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** Whether Chromium is installed here (the `Requirement` shape of test/helpers/skip-or-fail.ts). */
export function chromiumStatus(): { readonly available: true } | { readonly available: false; readonly reason: string } {
  return existsSync(CHROMIUM_PATH)
    ? { available: true }
    : { available: false, reason: `no Chromium at ${CHROMIUM_PATH} (install it: apt-get install -y chromium)` };
}

export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** The profile directory; pass it to launchChromium again to reopen the same IndexedDB. */
  readonly userDataDir: string;
  /** Closes the browser; the profile stays on disk (removeProfile deletes it). */
  close(): Promise<void>;
  removeProfile(): Promise<void>;
}

/**
 * Launches headless Chromium with its own profile directory (fresh unless `userDataDir` is
 * given), so IndexedDB lives on disk and survives a relaunch.
 */
export async function launchChromium(options: { userDataDir?: string } = {}): Promise<LaunchedChromium> {
  const userDataDir = options.userDataDir ?? (await mkdtemp(join(tmpdir(), 'brain-store-chromium-')));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  return {
    context,
    userDataDir,
    close: () => context.close(),
    removeProfile: () => rm(userDataDir, { recursive: true, force: true }),
  };
}

export interface BundleOptions {
  /** The module to bundle (its exports go on `window[globalName]`). */
  readonly entry: string;
  readonly globalName: string;
  /** Output file name inside the output directory. Default `bundle.js`. */
  readonly fileName?: string;
}

export interface Bundle {
  readonly dir: string;
  readonly fileName: string;
  remove(): Promise<void>;
}

/** Bundles `entry` as one IIFE script (all dependencies inlined) into a temp directory. */
export async function bundleForBrowser(options: BundleOptions): Promise<Bundle> {
  const { build } = await import('vite');
  const dir = await mkdtemp(join(tmpdir(), 'brain-store-bundle-'));
  const fileName = options.fileName ?? 'bundle.js';
  await build({
    configFile: false,
    root: process.cwd(),
    mode: 'production',
    logLevel: 'silent',
    // Library mode leaves process.env alone; the page has no `process`.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: dir,
      emptyOutDir: true,
      minify: false,
      sourcemap: false,
      reportCompressedSize: false,
      target: 'es2022',
      lib: { entry: resolve(options.entry), name: options.globalName, formats: ['iife'], fileName: () => fileName },
    },
  });
  return { dir, fileName, remove: () => rm(dir, { recursive: true, force: true }) };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the files of `dir` on 127.0.0.1 at a free port; `pages` adds in-memory files
 * (e.g. an index.html that loads the bundle). Paths outside `dir` are 404.
 */
export async function serveStatic(dir: string, pages: Record<string, string> = {}): Promise<StaticServer> {
  const root = resolve(dir);
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    const page = pages[path === '/' ? '/index.html' : path];
    if (page !== undefined) return send(200, page, CONTENT_TYPES[extname(path) || '.html']);
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep)) return send(404, 'not found');
    readFile(file).then(
      (body) => send(200, body, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream'),
      () => send(404, 'not found'),
    );
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((error) => (error ? fail(error) : done()));
      }),
  };
}

/** A minimal page that loads one script. */
export function htmlPage(scriptSrc: string, title = 'brain-store test'): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><script src="${scriptSrc}"></script></body></html>`;
}

/**
 * The store's browser fixture (harness/browser-fixture-entry.ts: the public API on
 * `window.brainStore`) bundled and served at `url`; `close` stops the server and removes the
 * bundle.
 */
export async function serveBrowserFixture(): Promise<StaticServer> {
  const bundle = await bundleForBrowser({ entry: 'harness/browser-fixture-entry.ts', globalName: 'BrainStoreFixture' });
  const site = await serveStatic(bundle.dir, { '/index.html': htmlPage(`/${bundle.fileName}`) }).catch(async (error: unknown) => {
    await bundle.remove();
    throw error;
  });
  return {
    url: site.url,
    close: async () => {
      await site.close();
      await bundle.remove();
    },
  };
}

/** A non-persistent Chromium: each `newContext()` is a separate browser profile (its own IndexedDB). */
export async function launchChromiumBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}

/** Where the dashboard is built (package.json `build:dashboard`). */
export const DASHBOARD_DIR = resolve('dist/dashboard');

/**
 * Builds the dashboard with vite when dist/dashboard is missing or older than any file of
 * dashboard/ or src/ (the package code it bundles); returns its folder.
 */
export async function buildDashboard(): Promise<string> {
  const built = await stat(join(DASHBOARD_DIR, 'index.html')).catch(() => undefined);
  if (built && (await newestChange(['dashboard', 'src'])) <= built.mtimeMs) return DASHBOARD_DIR;
  const { build } = await import('vite');
  await build({ configFile: resolve('dashboard/vite.config.ts'), logLevel: 'error', mode: 'production' });
  return DASHBOARD_DIR;
}

async function newestChange(dirs: readonly string[]): Promise<number> {
  let newest = 0;
  for (const dir of dirs) {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}
