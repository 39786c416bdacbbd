import { z } from 'zod';

/**
 * Every setting of `brain-store serve` (and `start`) that comes from the environment: its
 * variable, the flag that overrides it, its default, whether it is a secret (redacted by
 * --print-config) and what it does. docs/operations.md renders this table; a test checks
 * that the two agree.
 */
export interface ConfigVariable {
  readonly name: string;
  readonly flag?: string;
  readonly default: string;
  readonly secret?: boolean;
  readonly description: string;
  /** Parses the raw string; a zod error's first message becomes the one line the operator reads. */
  readonly schema: z.ZodType;
}

const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s", "30m", "24h", "7d", "250ms" (a bare number is seconds) → milliseconds. */
const duration = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)?$/, 'must be a duration such as 90s, 30m, 24h or 7d')
  .transform((value) => {
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value)!;
    return Math.round(Number(amount) * DURATION_MS[(unit ?? 's') as keyof typeof DURATION_MS]);
  });
/** A retention: a duration, or `off` (kept for ever). */
const retention = z.union([z.literal('off').transform(() => null), duration], {
  error: 'must be a duration such as 7d or 12h, or off',
});
const whole = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be a whole number from ${min} to ${max}`).max(max, `must be a whole number from ${min} to ${max}`));
const BYTE_UNITS = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const;
/** A size in bytes: a whole number, or with KiB, MiB or GiB ("16KiB", "8MiB"), within [min, max]. */
const bytes = (min: number, max: number, shown: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+(KiB|MiB|GiB)?$/, `must be a size in bytes such as 65536, 16KiB or 8MiB (${shown})`)
    .transform((value) => {
      const [, amount, unit] = /^(\d+)(KiB|MiB|GiB)?$/.exec(value)!;
      return Number(amount) * BYTE_UNITS[(unit ?? '') as keyof typeof BYTE_UNITS];
    })
    .pipe(z.number().min(min, `must be ${shown}`).max(max, `must be ${shown}`));
/** A duration within [minMs, maxMs]. */
const boundedDuration = (minMs: number, maxMs: number, shown: string) =>
  duration.pipe(z.number().min(minMs, `must be ${shown}`).max(maxMs, `must be ${shown}`));
const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL (${protocols.join(' or ')})`,
    );
const text = z.string().trim().min(1, 'must not be empty');
const origins = z
  .string()
  .trim()
  .transform((value) =>
    value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .refine(
    (list) => list.every((origin) => origin === '*' || /^https?:\/\/[^/\s]+$/.test(origin)),
    'must be a comma-separated list of origins such as https://app.example.com (scheme and host, no path), or *',
  );

export const CONFIG_VARIABLES = [
  { name: 'PORT', flag: '--port', default: '8787', description: 'Port to listen on (0: any free port).', schema: whole(0, 65_535) },
  {
    name: 'HOST',
    flag: '--host',
    default: '127.0.0.1',
    description: 'Address to listen on (0.0.0.0 or :: for every interface).',
    schema: text,
  },
  {
    name: 'DATABASE_URL',
    default: '(none: embedded PGlite)',
    secret: true,
    description: 'PostgreSQL connection string for queries (may go through a pooler in transaction mode).',
    schema: url(['postgres:', 'postgresql:']),
  },
  {
    name: 'DATABASE_DIRECT_URL',
    default: '(DATABASE_URL)',
    secret: true,
    description: 'A direct (unpooled) PostgreSQL connection for the LISTEN session, when DATABASE_URL goes through a pooler.',
    schema: url(['postgres:', 'postgresql:']),
  },
  {
    name: 'DATA_DIR',
    flag: '--data-dir',
    default: '.data/pglite',
    description: 'Where embedded PGlite keeps its files (ignored with DATABASE_URL).',
    schema: text,
  },
  {
    name: 'AUTH_SECRET',
    default: '(none)',
    secret: true,
    description: "Signs and verifies brain-store's own HS256 tokens; at least 16 characters. AUTH_SECRET or JWKS_URL is required.",
    schema: z.string().min(16, 'must be at least 16 characters'),
  },
  {
    name: 'JWKS_URL',
    default: '(none)',
    description: "An identity provider's key set (https URL, or file:// path): its RS/ES/EdDSA tokens are accepted too.",
    schema: url(['https:', 'http:', 'file:']),
  },
  { name: 'JWT_ISSUER', default: '(none)', description: "Required `iss` of the provider's tokens (required with JWKS_URL).", schema: text },
  {
    name: 'JWT_AUDIENCE',
    default: '(none)',
    description: "Required `aud` of the provider's tokens (required with JWKS_URL).",
    schema: text,
  },
  { name: 'JWT_WORKSPACES_CLAIM', default: 'workspaces', description: 'Claim holding the granted workspaces.', schema: text },
  { name: 'JWT_ROLE_CLAIM', default: 'role', description: 'Claim holding the role (bot, member, operator).', schema: text },
  { name: 'JWT_SUBJECT_CLAIM', default: 'sub', description: 'Claim holding the subject (recorded as actioned_by).', schema: text },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'error, warn, info (one access line per request) or debug; silent turns logs off.',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of error, warn, info, debug, silent',
    }),
  },
  {
    name: 'CORS_ORIGINS',
    default: '(none: same origin only)',
    description: 'Browser origins allowed to call the API from another site, comma-separated; * allows any.',
    schema: origins,
  },
  {
    name: 'RETENTION_ACTIONS',
    default: '7d',
    description: 'Terminal actions are purged this long after they ended (off: kept).',
    schema: retention,
  },
  {
    name: 'RETENTION_SUMMARIES',
    default: 'off',
    description: 'Summaries are purged this long after they were created.',
    schema: retention,
  },
  { name: 'RETENTION_INSIGHTS', default: 'off', description: 'Insights are purged this long after they were created.', schema: retention },
  {
    name: 'RETENTION_TOMBSTONES',
    default: '30d',
    description: 'Deleted documents are forgotten for good after this long.',
    schema: retention,
  },
  {
    name: 'RATE_LIMIT',
    flag: '--rate-limit',
    default: '3000',
    description: 'Requests per token per RATE_LIMIT_WINDOW (0 turns the limit off).',
    schema: whole(0, 10_000_000),
  },
  { name: 'RATE_LIMIT_WINDOW', flag: '--rate-limit-window', default: '10s', description: 'The window of RATE_LIMIT.', schema: duration },
  {
    name: 'STATEMENT_TIMEOUT',
    flag: '--statement-timeout',
    default: '15s',
    description:
      'PostgreSQL: the longest one statement of a request may run; past it the request is answered 503 and retried (0: no limit; migrations have none; PGlite has none).',
    schema: boundedDuration(0, 3_600_000, 'at most 1h (0: no limit)'),
  },
  // The bounds of issue 23 (ServerLimits, docs/limits.md): what a client sees past each is said there.
  {
    name: 'MAX_BODY_BYTES',
    flag: '--max-body-bytes',
    default: '8MiB',
    description: 'Largest request body (413 TOO_LARGE beyond); announced to clients, which split their pushes under it.',
    schema: bytes(64 * 1024, 256 * 1024 ** 2, 'from 64KiB to 256MiB'),
  },
  {
    name: 'MAX_PUSH_ROWS',
    flag: '--max-push-rows',
    default: '1000',
    description: 'Rows per push (413 TOO_LARGE beyond).',
    schema: whole(1, 100_000),
  },
  {
    name: 'MAX_PAGE_BYTES',
    flag: '--max-page-bytes',
    default: '4MiB',
    description: 'Bytes of documents per pull page, whatever its batchSize (a larger document still goes, alone).',
    schema: bytes(1024, 1024 ** 3, 'from 1KiB to 1GiB'),
  },
  {
    name: 'MAX_CONNECTIONS',
    flag: '--max-connections',
    default: '(open-file limit - 256, at least 64)',
    description: 'Open connections of the process; one more is answered 503 with Retry-After (never EMFILE). Keep it below `ulimit -n`.',
    schema: whole(1, 10_000_000),
  },
  {
    name: 'MAX_STREAMS_PER_SUBJECT',
    flag: '--max-streams-per-subject',
    default: '10',
    description: 'Change streams open at once per token subject and per token (429 beyond).',
    schema: whole(1, 1_000_000),
  },
  {
    name: 'MAX_STREAM_OWED_BYTES',
    flag: '--max-stream-owed-bytes',
    default: '256KiB',
    description: "Bytes a change stream may be sent since its client's last pull; a client that stops reading is disconnected past it.",
    schema: bytes(16 * 1024, 64 * 1024 ** 2, 'from 16KiB to 64MiB'),
  },
  {
    name: 'MAX_IN_FLIGHT_PER_SUBJECT',
    flag: '--max-in-flight-per-subject',
    default: '32',
    description: 'Sync requests of one subject being answered at once (429 beyond).',
    schema: whole(1, 1_000_000),
  },
  {
    name: 'MAX_UNAUTHENTICATED_PER_ADDRESS',
    flag: '--max-unauthenticated-per-address',
    default: '100',
    description:
      'Requests with a missing or refused token per client address and 10 s (429 beyond); behind a proxy all clients share its address.',
    schema: whole(1, 10_000_000),
  },
  {
    name: 'HEADERS_TIMEOUT',
    flag: '--headers-timeout',
    default: '10s',
    description: 'Time a connection has to send its request line and headers (then it is closed).',
    schema: boundedDuration(1_000, 300_000, 'from 1s to 5m'),
  },
  {
    name: 'BODY_MIN_BYTES',
    flag: '--body-min-bytes',
    default: '16KiB',
    description: 'Body progress: each BODY_INTERVAL of an upload must bring this much (else 400 and the connection closed).',
    schema: bytes(1, 1024 ** 3, 'from 1 to 1GiB'),
  },
  {
    name: 'BODY_INTERVAL',
    flag: '--body-interval',
    default: '10s',
    description: 'The interval of BODY_MIN_BYTES.',
    schema: boundedDuration(100, 300_000, 'from 100ms to 5m'),
  },
  {
    name: 'MAX_ROWS_PER_SUBJECT',
    flag: '--max-rows-per-subject',
    default: '500000',
    description:
      'Cost budget: rows a subject makes the server handle per COST_WINDOW (pushed, refused ones too, and pulled); 429 with Retry-After beyond (0: no bound).',
    schema: whole(0, 1_000_000_000),
  },
  {
    name: 'MAX_BYTES_PER_SUBJECT',
    flag: '--max-bytes-per-subject',
    default: '128MiB',
    description: 'Cost budget: bytes of request bodies and pulled documents per subject and COST_WINDOW; 429 beyond (0: no bound).',
    schema: bytes(0, 1024 ** 4, 'at most 1024GiB (0: no bound)'),
  },
  {
    name: 'COST_WINDOW',
    flag: '--cost-window',
    default: '10s',
    description: 'The window of MAX_ROWS_PER_SUBJECT and MAX_BYTES_PER_SUBJECT.',
    schema: boundedDuration(1_000, 3_600_000, 'from 1s to 1h'),
  },
  {
    name: 'METRICS_TOKEN',
    default: '(none: operator tokens only)',
    secret: true,
    description: 'Static bearer token a Prometheus scraper sends to read /metrics (operator JWTs keep working); at least 16 characters.',
    schema: z.string().min(16, 'must be at least 16 characters'),
  },
  {
    name: 'DASHBOARD_DIR',
    flag: '--dashboard-dir',
    default: '(none: API only)',
    description: 'A built dashboard (dist/dashboard) to serve at /.',
    schema: text,
  },
  {
    name: 'MAINTENANCE_INTERVAL',
    default: '60s',
    description: 'How often expiry and retention run.',
    schema: duration,
  },
  {
    name: 'SHUTDOWN_GRACE',
    default: '6s',
    description:
      'On SIGTERM: /readyz answers 503 for 1.5 s, then in-flight requests have this long before their connections are cut; the process is gone within 10 s whatever hangs.',
    schema: duration.refine((ms) => ms <= 8_000, 'must be at most 8s (the whole shutdown ends within 10 s)'),
  },
] as const satisfies readonly ConfigVariable[];

export type ConfigVariableName = (typeof CONFIG_VARIABLES)[number]['name'];
