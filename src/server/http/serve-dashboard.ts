import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Context } from 'hono';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
/** Text worth compressing; images (png, ico) are compressed already. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.txt']);
/** Below this a compressed copy saves less than its headers cost. */
const MIN_COMPRESS_BYTES = 1_024;

/**
 * What a page holding an access token should say about itself: scripts only from this origin,
 * never inline (an injected script could read the token); no framing (Done and Dismiss must
 * not be clickjacked); no Referer to other sites; no type sniffing. Inline styles stay allowed
 * (the charts set style attributes; styles cannot read the token). The service worker and the
 * sync API are same-origin, hence `worker-src`/`connect-src 'self'`.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/**
 * The page and the service worker must be revalidated on every load, or a deploy never
 * reaches a browser; hashed assets under /assets/ never change under their name.
 */
function cacheControl(path: string): string {
  if (path.startsWith('/assets/')) return 'public, max-age=31536000, immutable';
  return 'no-cache';
}

type Encoding = 'br' | 'gzip' | 'identity';

/** One file, read and compressed once (again only when its size or mtime change). */
interface Prepared {
  readonly version: string;
  readonly tag: string;
  readonly bodies: Readonly<Partial<Record<Encoding, Buffer>>>;
}

/**
 * Serves the built dashboard (a Vite output folder) from `dir`: files by path, `/` as
 * index.html, anything outside `dir` not found. GET and HEAD only; the sync API is mounted
 * before it and keeps its own routes. Text files go out brotli- or gzip-compressed when the
 * browser accepts it — compressed once per file (at maximum quality, off the event loop) and
 * kept — with an ETag per encoding, answered 304 on a match.
 */
export function serveDashboard(dir: string) {
  const root = resolve(dir);
  const prepared = new Map<string, Promise<Prepared>>();

  const prepare = (file: string, version: string): Promise<Prepared> => {
    const cached = prepared.get(file);
    const fresh = (async (): Promise<Prepared> => {
      const known = await cached?.catch(() => undefined);
      if (known?.version === version) return known;
      const raw = await readFile(file);
      const tag = createHash('sha256').update(raw).digest('base64url').slice(0, 27);
      if (!COMPRESSIBLE.has(extname(file)) || raw.length < MIN_COMPRESS_BYTES) return { version, tag, bodies: { identity: raw } };
      const [br, gz] = await Promise.all([
        promisify(brotliCompress)(raw, {
          params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
        }),
        promisify(gzip)(raw, { level: constants.Z_BEST_COMPRESSION }),
      ]);
      return { version, tag, bodies: { identity: raw, br, gzip: gz } };
    })();
    prepared.set(file, fresh);
    return fresh;
  };

  return async function dashboardFile(c: Context): Promise<Response | undefined> {
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return undefined;
    }
    if (path === '/') path = '/index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep)) return undefined;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const { tag, bodies } = await prepare(file, `${info.size}:${info.mtimeMs}`);
    const encoding = chooseEncoding(c.req.header('accept-encoding'), bodies);
    const body = bodies[encoding]!;
    const etag = `"${tag}${encoding === 'identity' ? '' : `-${encoding}`}"`;
    const headers: Record<string, string> = {
      ...DASHBOARD_SECURITY_HEADERS,
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': cacheControl(path),
      etag,
      ...(bodies.br ? { vary: 'accept-encoding' } : {}),
    };
    if (matches(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });
    if (encoding !== 'identity') headers['content-encoding'] = encoding;
    headers['content-length'] = String(body.length);
    return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { headers });
  };
}

/** Brotli over gzip over none, as the request's Accept-Encoding allows (q=0 refuses). */
function chooseEncoding(header: string | undefined, bodies: Partial<Record<Encoding, Buffer>>): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (bodies.br && ok('br')) return 'br';
  if (bodies.gzip && ok('gzip')) return 'gzip';
  return 'identity';
}

function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim().replace(/^W\//, '');
    return value === etag || value === '*';
  });
}
