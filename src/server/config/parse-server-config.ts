import type { LevelWithSilent } from 'pino';
import type { AuthOptions } from '../auth/create-token-verifier.ts';
import type { RateLimitOptions } from '../http/create-rate-limiter.ts';
import { DEFAULT_RETENTION, type ServerRetentionOptions } from '../maintenance/run-server-maintenance.ts';
import type { LimitOverrides } from '../http/limits/server-limits.ts';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from '../sql/sql-database.ts';
import type { SyncServerOptions } from '../start-sync-server.ts';
import { CONFIG_VARIABLES, type ConfigVariable, type ConfigVariableName } from './config-variables.ts';

/** The effective configuration of `brain-store serve` and `start`: environment, then flags over it. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl?: string;
  readonly directDatabaseUrl?: string;
  readonly dataDir: string;
  readonly auth: AuthOptions;
  readonly logLevel: LevelWithSilent;
  /** Empty: same origin only (no CORS headers). */
  readonly corsOrigins: readonly string[];
  readonly retention: Required<ServerRetentionOptions>;
  readonly rateLimit: RateLimitOptions | false;
  readonly metricsToken?: string;
  readonly dashboardDir?: string;
  readonly maintenanceIntervalMs: number;
  readonly shutdownGraceMs: number;
  /** PostgreSQL's statement_timeout for the server's queries, ms (0: none). */
  readonly statementTimeoutMs: number;
  /** The bounds set by the environment or flags (issue 23); the others keep ServerLimits' defaults. */
  readonly limits: LimitOverrides;
  /** false (--no-migrate): refuse to serve a database whose migrations are not all applied. */
  readonly migrate: boolean;
}

/** A bad value: `variable` names it; the message is the one line the operator reads. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ConfigInput {
  /** The environment (process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Flag values by the variable they override (e.g. `{ PORT: '9000' }` from --port 9000). */
  readonly flags?: Readonly<Partial<Record<ConfigVariableName, string>>>;
  /** --no-migrate. */
  readonly migrate?: boolean;
  /**
   * A command's own defaults where they differ from serve's (`start` logs at warn and serves
   * the dashboard it builds), used when neither a flag nor the environment sets the variable;
   * `note` says whose default it is in --print-config (`# default (note)`).
   */
  readonly defaults?: Readonly<Partial<Record<ConfigVariableName, { readonly value: string; readonly note: string }>>>;
}

type Source = 'default' | 'environment' | `flag ${string}` | `default (${string})`;

/** Parses every variable (flags over environment); the first bad one throws a ConfigError naming it. */
export function parseServerConfig(input: ConfigInput): ServerConfig {
  const raw = rawValues(input);
  const value = <T>(name: ConfigVariableName): T | undefined => {
    const entry = raw.get(name);
    if (entry === undefined) return undefined;
    const variable: ConfigVariable = CONFIG_VARIABLES.find((candidate) => candidate.name === name)!;
    const parsed = variable.schema.safeParse(entry.value);
    if (parsed.success) return parsed.data as T;
    const where = entry.source.startsWith('flag') ? `${variable.flag ?? name} (${name})` : name;
    const shown = variable.secret === true ? '' : ` (got "${entry.value}")`;
    throw new ConfigError(name, `${where} ${parsed.error.issues[0]?.message ?? 'is not valid'}${shown}`);
  };
  const jwksUrl = value<string>('JWKS_URL');
  const secret = value<string>('AUTH_SECRET');
  if (secret === undefined && jwksUrl === undefined) {
    throw new ConfigError('AUTH_SECRET', 'set AUTH_SECRET (at least 16 characters) or JWKS_URL — one of them verifies access tokens');
  }
  const issuer = value<string>('JWT_ISSUER');
  const audience = value<string>('JWT_AUDIENCE');
  if (jwksUrl !== undefined && (issuer === undefined || audience === undefined)) {
    throw new ConfigError(
      issuer === undefined ? 'JWT_ISSUER' : 'JWT_AUDIENCE',
      'JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE (tokens for another app are refused)',
    );
  }
  const directDatabaseUrl = value<string>('DATABASE_DIRECT_URL');
  const databaseUrl = value<string>('DATABASE_URL');
  if (directDatabaseUrl !== undefined && databaseUrl === undefined) {
    throw new ConfigError('DATABASE_DIRECT_URL', 'DATABASE_DIRECT_URL needs DATABASE_URL (it is the LISTEN session beside the pooled one)');
  }
  const requests = value<number>('RATE_LIMIT') ?? 3_000;
  const metricsToken = value<string>('METRICS_TOKEN');
  const dashboardDir = value<string>('DASHBOARD_DIR');
  return {
    port: value<number>('PORT') ?? 8_787,
    host: value<string>('HOST') ?? '127.0.0.1',
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(directDatabaseUrl === undefined ? {} : { directDatabaseUrl }),
    dataDir: value<string>('DATA_DIR') ?? '.data/pglite',
    auth: {
      ...(secret === undefined ? {} : { secret }),
      ...(jwksUrl === undefined ? {} : { jwks: jwksUrl.startsWith('file:') ? { file: new URL(jwksUrl).pathname } : { url: jwksUrl } }),
      ...(issuer === undefined ? {} : { issuer }),
      ...(audience === undefined ? {} : { audience }),
      claims: {
        workspaces: value<string>('JWT_WORKSPACES_CLAIM') ?? 'workspaces',
        role: value<string>('JWT_ROLE_CLAIM') ?? 'role',
        subject: value<string>('JWT_SUBJECT_CLAIM') ?? 'sub',
      },
    },
    logLevel: value<LevelWithSilent>('LOG_LEVEL') ?? 'info',
    corsOrigins: value<string[]>('CORS_ORIGINS') ?? [],
    retention: {
      actionsMs: retentionOf(value, 'RETENTION_ACTIONS', DEFAULT_RETENTION.actionsMs),
      summariesMs: retentionOf(value, 'RETENTION_SUMMARIES', DEFAULT_RETENTION.summariesMs),
      insightsMs: retentionOf(value, 'RETENTION_INSIGHTS', DEFAULT_RETENTION.insightsMs),
      tombstonesMs: retentionOf(value, 'RETENTION_TOMBSTONES', DEFAULT_RETENTION.tombstonesMs),
    },
    rateLimit: requests === 0 ? false : { requests, windowMs: value<number>('RATE_LIMIT_WINDOW') ?? 10_000 },
    ...(metricsToken === undefined ? {} : { metricsToken }),
    ...(dashboardDir === undefined ? {} : { dashboardDir }),
    maintenanceIntervalMs: value<number>('MAINTENANCE_INTERVAL') ?? 60_000,
    shutdownGraceMs: value<number>('SHUTDOWN_GRACE') ?? 6_000,
    statementTimeoutMs: value<number>('STATEMENT_TIMEOUT') ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    limits: definedOnly({
      maxBodyBytes: value<number>('MAX_BODY_BYTES'),
      maxPushRows: value<number>('MAX_PUSH_ROWS'),
      maxPageBytes: value<number>('MAX_PAGE_BYTES'),
      maxConnections: value<number>('MAX_CONNECTIONS'),
      maxStreamsPerSubject: value<number>('MAX_STREAMS_PER_SUBJECT'),
      maxStreamOwedBytes: value<number>('MAX_STREAM_OWED_BYTES'),
      maxInFlightPerSubject: value<number>('MAX_IN_FLIGHT_PER_SUBJECT'),
      maxUnauthenticatedPerAddress: value<number>('MAX_UNAUTHENTICATED_PER_ADDRESS'),
      headersTimeoutMs: value<number>('HEADERS_TIMEOUT'),
      bodyMinBytes: value<number>('BODY_MIN_BYTES'),
      bodyIntervalMs: value<number>('BODY_INTERVAL'),
      maxRowsPerSubject: value<number>('MAX_ROWS_PER_SUBJECT'),
      maxBytesPerSubject: value<number>('MAX_BYTES_PER_SUBJECT'),
      costWindowMs: value<number>('COST_WINDOW'),
    }),
    migrate: input.migrate ?? true,
  };
}

function definedOnly<T extends object>(values: T): T {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as T;
}

function retentionOf(
  value: <T>(name: ConfigVariableName) => T | undefined,
  name: ConfigVariableName,
  fallback: number | null,
): number | null {
  const parsed = value<number | null>(name);
  return parsed === undefined ? fallback : parsed;
}

/** The startSyncServer options of a configuration (paths resolved by the caller). */
export function syncServerOptionsOf(config: ServerConfig): SyncServerOptions {
  return {
    port: config.port,
    host: config.host,
    ...(config.databaseUrl === undefined ? { dataDir: config.dataDir } : { databaseUrl: config.databaseUrl }),
    ...(config.directDatabaseUrl === undefined ? {} : { directDatabaseUrl: config.directDatabaseUrl }),
    auth: config.auth,
    logLevel: config.logLevel,
    corsOrigin: config.corsOrigins,
    retention: config.retention,
    rateLimit: config.rateLimit,
    ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
    ...(config.dashboardDir === undefined ? {} : { dashboardDir: config.dashboardDir }),
    expiryIntervalMs: config.maintenanceIntervalMs,
    statementTimeoutMs: config.statementTimeoutMs,
    limits: config.limits,
    migrate: config.migrate,
  };
}

/**
 * `--print-config`: every variable with its effective value and where it came from, secrets
 * (and the password of a database URL) redacted. One `NAME=value  # source` line each.
 */
export function printConfig(input: ConfigInput): string {
  parseServerConfig(input);
  const raw = rawValues(input);
  const lines = (CONFIG_VARIABLES as readonly ConfigVariable[]).map((variable) => {
    const entry = raw.get(variable.name as ConfigVariableName);
    const source: Source = entry?.source ?? 'default';
    const shown = entry === undefined ? variable.default : redact(variable, entry.value);
    return `${variable.name}=${shown}  # ${source}`;
  });
  lines.push(
    `MIGRATE=${input.migrate === false ? 'no (--no-migrate: refuse an unmigrated database)' : 'yes (at start)'}  # ${input.migrate === false ? 'flag --no-migrate' : 'default'}`,
  );
  return `${lines.join('\n')}\n`;
}

function redact(variable: ConfigVariable, value: string): string {
  if (variable.secret !== true) return value;
  if (variable.name === 'DATABASE_URL' || variable.name === 'DATABASE_DIRECT_URL') {
    try {
      const url = new URL(value);
      if (url.password) url.password = 'REDACTED';
      return url.toString();
    } catch {
      return '[redacted]';
    }
  }
  return '[redacted]';
}

function rawValues(input: ConfigInput): Map<ConfigVariableName, { value: string; source: Source }> {
  const values = new Map<ConfigVariableName, { value: string; source: Source }>();
  for (const variable of CONFIG_VARIABLES as readonly ConfigVariable[]) {
    const name = variable.name as ConfigVariableName;
    const flag = input.flags?.[name];
    const env = input.env[name];
    if (flag !== undefined) values.set(name, { value: flag, source: `flag ${variable.flag ?? name}` });
    // An empty variable counts as unset (a shell's `AUTH_SECRET=` clears it).
    else if (env !== undefined && env !== '') values.set(name, { value: env, source: 'environment' });
    else {
      const fallback = input.defaults?.[name];
      if (fallback !== undefined) values.set(name, { value: fallback.value, source: `default (${fallback.note})` });
    }
  }
  return values;
}
