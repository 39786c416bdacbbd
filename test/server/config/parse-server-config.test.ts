import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../../src/server/config/config-variables.ts';
import { DEFAULT_LIMITS } from '../../../src/server/http/limits/server-limits.ts';
import { ConfigError, parseServerConfig, printConfig, syncServerOptionsOf } from '../../../src/server/config/parse-server-config.ts';

const SECRET = 'a-secret-of-sixteen-or-more';
const parse = (env: Record<string, string>, flags: Record<string, string> = {}) =>
  parseServerConfig({ env: { AUTH_SECRET: SECRET, ...env }, flags });
const failure = (env: Record<string, string>, flags: Record<string, string> = {}) => {
  try {
    parse(env, flags);
  } catch (error) {
    if (error instanceof ConfigError) return { variable: error.variable, message: error.message };
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('the server configuration from the environment (issue 17.1)', () => {
  it('defaults, then environment, then flags over it', () => {
    const defaults = parse({});
    expect(defaults).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      logLevel: 'info',
      corsOrigins: [],
      migrate: true,
      shutdownGraceMs: 6_000,
    });
    expect(defaults.retention).toEqual({ actionsMs: 7 * 86_400_000, summariesMs: null, insightsMs: null, tombstonesMs: 30 * 86_400_000 });
    expect(defaults.rateLimit).toEqual({ requests: 3_000, windowMs: 10_000 });
    const configured = parse(
      {
        PORT: '9000',
        CORS_ORIGINS: 'https://a.example.com, https://b.example.com:8443',
        RETENTION_ACTIONS: 'off',
        RETENTION_INSIGHTS: '12h',
        RATE_LIMIT: '0',
        LOG_LEVEL: 'debug',
        DATABASE_URL: 'postgres://pooler:6432/db',
        DATABASE_DIRECT_URL: 'postgres://db:5432/db',
        JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
        JWT_ISSUER: 'https://idp.example.com/',
        JWT_AUDIENCE: 'brain-store',
        JWT_WORKSPACES_CLAIM: 'https://example.com/workspaces',
      },
      { PORT: '9100' },
    );
    expect(configured).toMatchObject({
      port: 9100,
      corsOrigins: ['https://a.example.com', 'https://b.example.com:8443'],
      retention: { actionsMs: null, insightsMs: 12 * 3_600_000 },
      rateLimit: false,
      logLevel: 'debug',
      databaseUrl: 'postgres://pooler:6432/db',
      directDatabaseUrl: 'postgres://db:5432/db',
      auth: {
        secret: SECRET,
        jwks: { url: 'https://idp.example.com/.well-known/jwks.json' },
        issuer: 'https://idp.example.com/',
        audience: 'brain-store',
        claims: { workspaces: 'https://example.com/workspaces', role: 'role', subject: 'sub' },
      },
    });
    expect(syncServerOptionsOf(configured)).toMatchObject({
      port: 9100,
      databaseUrl: 'postgres://pooler:6432/db',
      directDatabaseUrl: 'postgres://db:5432/db',
      corsOrigin: configured.corsOrigins,
    });
    expect(syncServerOptionsOf(configured)).not.toHaveProperty('dataDir');
  });

  it.each([
    [{ PORT: '70000' }, 'PORT', 'PORT must be a whole number from 0 to 65535 (got "70000")'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'LOG_LEVEL must be one of error, warn, info, debug, silent (got "loud")'],
    [{ RETENTION_ACTIONS: 'a week' }, 'RETENTION_ACTIONS', 'RETENTION_ACTIONS must be a duration such as 7d or 12h, or off (got "a week")'],
    [{ CORS_ORIGINS: 'https://a.example.com/app' }, 'CORS_ORIGINS', 'CORS_ORIGINS must be a comma-separated list of origins'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', 'DATABASE_URL must be a URL (postgres: or postgresql:)'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN', 'METRICS_TOKEN must be at least 16 characters'],
    [{ SHUTDOWN_GRACE: '30s' }, 'SHUTDOWN_GRACE', 'SHUTDOWN_GRACE must be at most 8s'],
    [{ JWKS_URL: 'https://idp.example.com/jwks' }, 'JWT_ISSUER', 'JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE'],
    [{ DATABASE_DIRECT_URL: 'postgres://db/x' }, 'DATABASE_DIRECT_URL', 'DATABASE_DIRECT_URL needs DATABASE_URL'],
    [
      { MAX_STREAMS_PER_SUBJECT: '0' },
      'MAX_STREAMS_PER_SUBJECT',
      'MAX_STREAMS_PER_SUBJECT must be a whole number from 1 to 1000000 (got "0")',
    ],
    [{ MAX_CONNECTIONS: 'lots' }, 'MAX_CONNECTIONS', 'MAX_CONNECTIONS must be a whole number from 1 to 10000000 (got "lots")'],
    [
      { MAX_BODY_BYTES: '8MB' },
      'MAX_BODY_BYTES',
      'MAX_BODY_BYTES must be a size in bytes such as 65536, 16KiB or 8MiB (from 64KiB to 256MiB) (got "8MB")',
    ],
    [{ MAX_BODY_BYTES: '1KiB' }, 'MAX_BODY_BYTES', 'MAX_BODY_BYTES must be from 64KiB to 256MiB (got "1KiB")'],
    [{ HEADERS_TIMEOUT: '10m' }, 'HEADERS_TIMEOUT', 'HEADERS_TIMEOUT must be from 1s to 5m (got "10m")'],
    [{ STATEMENT_TIMEOUT: '2h' }, 'STATEMENT_TIMEOUT', 'STATEMENT_TIMEOUT must be at most 1h (0: no limit) (got "2h")'],
    [{ BODY_INTERVAL: 'soon' }, 'BODY_INTERVAL', 'BODY_INTERVAL must be a duration such as 90s, 30m, 24h or 7d (got "soon")'],
  ])('a bad value is one line naming its variable: %o', (env, variable, message) => {
    const error = failure(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('\n');
  });

  it('the abuse bounds (issue 23): unset keeps the defaults, each variable sets its limit and reaches startSyncServer', () => {
    expect(parse({}).limits).toEqual({});
    expect(parse({}).statementTimeoutMs).toBe(15_000);
    expect(syncServerOptionsOf(parse({ STATEMENT_TIMEOUT: '2500ms' })).statementTimeoutMs).toBe(2_500);
    expect(parse({ STATEMENT_TIMEOUT: '0' }).statementTimeoutMs).toBe(0);
    const configured = parse({
      MAX_BODY_BYTES: '2MiB',
      MAX_PUSH_ROWS: '200',
      MAX_PAGE_BYTES: '512KiB',
      MAX_CONNECTIONS: '500',
      MAX_STREAMS_PER_SUBJECT: '1',
      MAX_STREAM_OWED_BYTES: '64KiB',
      MAX_IN_FLIGHT_PER_SUBJECT: '4',
      MAX_UNAUTHENTICATED_PER_ADDRESS: '20',
      HEADERS_TIMEOUT: '5s',
      BODY_MIN_BYTES: '1024',
      BODY_INTERVAL: '2s',
      MAX_ROWS_PER_SUBJECT: '5000',
      MAX_BYTES_PER_SUBJECT: '16MiB',
      COST_WINDOW: '1m',
    });
    const limits = {
      maxBodyBytes: 2 * 1024 * 1024,
      maxPushRows: 200,
      maxPageBytes: 512 * 1024,
      maxConnections: 500,
      maxStreamsPerSubject: 1,
      maxStreamOwedBytes: 64 * 1024,
      maxInFlightPerSubject: 4,
      maxUnauthenticatedPerAddress: 20,
      headersTimeoutMs: 5_000,
      bodyMinBytes: 1_024,
      bodyIntervalMs: 2_000,
      maxRowsPerSubject: 5_000,
      maxBytesPerSubject: 16 * 1024 * 1024,
      costWindowMs: 60_000,
    };
    expect(configured.limits).toEqual(limits);
    expect(syncServerOptionsOf(configured).limits).toEqual(limits);
    // Every field of ServerLimits has its variable.
    expect(Object.keys(limits).sort()).toEqual(Object.keys(DEFAULT_LIMITS).sort());
    const printed = printConfig({ env: { AUTH_SECRET: SECRET, MAX_STREAMS_PER_SUBJECT: '1' } }).split('\n');
    expect(printed).toContain('MAX_STREAMS_PER_SUBJECT=1  # environment');
    expect(printed).toContain('MAX_IN_FLIGHT_PER_SUBJECT=32  # default');
  });

  it('every limit has a flag from the same table, which wins over its variable and shows as the source', () => {
    const limitVariables = CONFIG_VARIABLES.filter((variable) => variable.name.startsWith('MAX_') || variable.name.startsWith('BODY_'));
    for (const variable of limitVariables) expect(variable).toHaveProperty('flag', `--${variable.name.toLowerCase().replaceAll('_', '-')}`);
    const configured = parseServerConfig({
      env: { AUTH_SECRET: SECRET, MAX_CONNECTIONS: '300', MAX_ROWS_PER_SUBJECT: '10' },
      flags: { MAX_CONNECTIONS: '500', COST_WINDOW: '30s' },
    });
    expect(configured.limits).toEqual({ maxConnections: 500, maxRowsPerSubject: 10, costWindowMs: 30_000 });
    const printed = printConfig({ env: { AUTH_SECRET: SECRET, MAX_CONNECTIONS: '300' }, flags: { MAX_CONNECTIONS: '500' } }).split('\n');
    expect(printed).toContain('MAX_CONNECTIONS=500  # flag --max-connections');
    expect(failure({}, { MAX_BYTES_PER_SUBJECT: '1TB' }).message).toBe(
      '--max-bytes-per-subject (MAX_BYTES_PER_SUBJECT) must be a size in bytes such as 65536, 16KiB or 8MiB (at most 1024GiB (0: no bound)) (got "1TB")',
    );
  });

  it('a bad flag names the flag; a secret is never echoed; no secret at all is one line too', () => {
    expect(failure({}, { PORT: 'x' }).message).toBe('--port (PORT) must be a whole number from 0 to 65535 (got "x")');
    expect(failure({ AUTH_SECRET: 'too-short' }).message).toBe('AUTH_SECRET must be at least 16 characters');
    expect(() => parseServerConfig({ env: {} })).toThrow(/set AUTH_SECRET \(at least 16 characters\) or JWKS_URL/);
    expect(() => parseServerConfig({ env: { AUTH_SECRET: '' } })).toThrow(ConfigError);
  });

  it('--print-config: every variable once, with its source, secrets redacted', () => {
    const text = printConfig({
      env: { AUTH_SECRET: SECRET, DATABASE_URL: 'postgres://u:p4ssw0rd@h/db', METRICS_TOKEN: 'metrics-token-0123456789' },
      flags: { HOST: '0.0.0.0' },
      migrate: false,
    });
    for (const variable of CONFIG_VARIABLES) expect(text).toMatch(new RegExp(`^${variable.name}=`, 'm'));
    expect(text).toContain('HOST=0.0.0.0  # flag --host');
    expect(text).toContain('AUTH_SECRET=[redacted]  # environment');
    expect(text).toContain('DATABASE_URL=postgres://u:REDACTED@h/db  # environment');
    expect(text).toContain('MIGRATE=no');
    for (const secret of [SECRET, 'p4ssw0rd', 'metrics-token-0123456789']) expect(text).not.toContain(secret);
  });

  it('docs/operations.md lists exactly these variables, with their flags and defaults', () => {
    const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| ([^|]*) \| ([^|]*) \|/gm)].map((match) => [
      match[1],
      match[2]!.trim(),
      match[3]!.trim(),
    ]);
    expect(rows).toEqual(
      CONFIG_VARIABLES.map((variable) => [variable.name, 'flag' in variable ? `\`${variable.flag}\`` : '', variable.default]),
    );
  });
});
