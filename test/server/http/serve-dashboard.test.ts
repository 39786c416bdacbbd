import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard } from '../../../src/server/http/serve-dashboard.ts';

/** Issue 17.7: the dashboard served like a production site, in-process (app.request, no port). */
let dir = '';
let app: Hono;
const script = `console.log(${JSON.stringify('brain '.repeat(4_000))});\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc.js"></script>');
  await writeFile(join(dir, 'assets', 'index-abc.js'), script);
  const dashboard = serveDashboard(dir);
  app = new Hono();
  app.on(['GET', 'HEAD'], '*', async (c, next) => (await dashboard(c)) ?? next());
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the dashboard served like a production site (issue 17.7)', () => {
  it('sends brotli or gzip as the browser accepts, each with its own ETag, and 304 on a match', async () => {
    const br = await app.request('/assets/index-abc.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('accept-encoding');
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(brBytes.length).toBeLessThan(script.length / 10);
    expect(brotliDecompressSync(brBytes).toString()).toBe(script);

    const gz = await app.request('/assets/index-abc.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(script);

    const plain = await app.request('/assets/index-abc.js', { headers: { 'accept-encoding': 'br;q=0, gzip;q=0' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(script);

    const tags = [br, gz, plain].map((response) => response.headers.get('etag'));
    expect(new Set(tags).size).toBe(3);
    const again = await app.request('/assets/index-abc.js', { headers: { 'accept-encoding': 'br', 'if-none-match': tags[0]! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await app.request('/assets/index-abc.js', { headers: { 'accept-encoding': 'br', 'if-none-match': tags[2]! } })).status).toBe(
      200,
    );
  });

  it('says what a page holding an access token should: CSP without inline script, no framing, no referrer, nosniff', async () => {
    const page = await app.request('/');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-cache');
  });
});
