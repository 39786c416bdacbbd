/** The CLI's help texts, kept apart from the commands so `--help` loads nothing heavy. */
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './server-defaults.ts';
import { DEFAULT_BOT_DATA } from './bot/bot-defaults.ts';
import { CONFIG_VARIABLES, type ConfigVariable } from '../src/server/config/config-variables.ts';

/** Flags each command describes in its own words above the table's. */
const DESCRIBED = new Set(['--port', '--host', '--data-dir', '--dashboard-dir']);

/**
 * The limits' flags of serve and start, from the one table (config-variables.ts): each with
 * its variable and default. A flag wins over its variable.
 */
function limitFlags(): string {
  const lines = (CONFIG_VARIABLES as readonly ConfigVariable[])
    .filter((variable) => variable.flag !== undefined && !DESCRIBED.has(variable.flag))
    .map((variable) => {
      const shown = variable.default.startsWith('(') ? variable.default.slice(1, -1) : variable.default;
      return `  ${`${variable.flag!} <value>`.padEnd(42)} ${variable.name} (default ${shown})`;
    });
  return `Limits (docs/limits.md; each flag wins over its variable; sizes 64KiB/8MiB, durations 10s/250ms):\n${lines.join('\n')}\n`;
}

export type CommandName = 'start' | 'bot' | 'seed' | 'status' | 'demo' | 'serve' | 'migrate' | 'token';

const SERVER = `http://127.0.0.1:${DEFAULT_PORT}`;

export const COMMAND_USAGE: Readonly<Record<CommandName, string>> = {
  start: `Usage: brain-store start [options]     (what \`npm start\` runs)

Starts the sync server on embedded PGlite, the bot (a child process writing Brain analytics
through the server) and the dashboard the server serves (built first when missing or older
than dashboard/), then prints ONE URL to open: the dashboard, with a member token in the URL's
#fragment. Ctrl-C stops everything; the next start reuses the data.

It reads the configuration serve reads (the same variables and flags: docs/operations.md), with
defaults of its own: LOG_LEVEL warn, the dashboard it builds, and a signing secret kept beside
the PGlite folder when AUTH_SECRET is not set.

Options:
  --port <n>             Port (default ${DEFAULT_PORT}; 0 picks a free one). Env PORT.
  --host <addr>          Interface to listen on (default 127.0.0.1). Env HOST.
  --data-dir <dir>       Data folder (default .data): PGlite in <dir>/pglite (env DATA_DIR names
                         that PGlite folder; the rest is kept in its parent), the signing
                         secret in <dir>/auth-secret, the bot's store in <dir>/bot.sqlite.
  --memory               Keep everything in memory instead.
  --dashboard-dir <dir>  Serve this built dashboard instead of building dist/dashboard. Env DASHBOARD_DIR.
  --workspace <id>       The demo workspace (default demo).
  --rate <n>             The bot's action recommendations per minute (default 12).
  --duration <s>         Stop by itself after this many seconds.
  --no-build             Serve dist/dashboard as it is (no build even when missing or stale).
  --print-config         Print the effective configuration (secrets redacted) and exit.
  --help                 This text.

${limitFlags()}
Environment (every setting: docs/operations.md):
  AUTH_SECRET   Signs tokens (optional: otherwise one made on the first start and kept in
                <data-dir>/auth-secret, so links survive a restart; new each run with --memory).
  PORT, HOST, DATABASE_URL, LOG_LEVEL, CORS_ORIGINS, METRICS_TOKEN, RETENTION_*, RATE_LIMIT …
`,
  bot: `Usage: brain-store bot [options]

Writes Brain analytics like the real bot: a summary and a bulk of insights at start and once
per period (none when the period already has one, so a restart never duplicates it), and a
steady trickle of action recommendations; runs the expiry cleanup; syncs upstream (works with
the server down and catches up when it returns). Its store is durable: kill it at any moment,
start it again, and nothing it reported written is lost. Ctrl-C stops it cleanly.

Options:
  --server <url>          Sync server (default ${SERVER}).
  --workspace <id>        Workspace to write to (default demo).
  --token <jwt>           Access token (role bot); otherwise minted from AUTH_SECRET.
  --data <file>           The bot's SQLite file (default ${DEFAULT_BOT_DATA}); --memory keeps it in memory.
  --rate <n>              Action recommendations per minute (default 6; 0 for none).
  --summary-every <dur>   Summary period, e.g. 24h, 30m, 90s (default 24h).
  --seed <n>              Faker seed for repeatable content (default random, printed at start).
  --status-every <dur>    Without a terminal: a status line this often (default 10s).
  --log-writes            Print "wrote <collection> <id>" for every acknowledged write.
  --help                  This text.

Environment:
  AUTH_SECRET   Signs the bot's token when --token is not given (the server's secret).
`,
  seed: `Usage: brain-store seed --workspace <id> --actions <n> [options]

Bulk-loads <n> generated action recommendations into a workspace through the sync API (the
push endpoint, with a bot token), with a progress bar and the rate achieved.

Options:
  --workspace <id>   Workspace to load (required).
  --actions <n>      How many actions (required).
  --server <url>     Sync server (default ${SERVER}).
  --token <jwt>      Access token (role bot); otherwise minted from AUTH_SECRET.
  --batch <n>        Rows per push request (default 500, at most 1000).
  --seed <n>         Faker seed (default 1): the same seed loads the same content.
  --help             This text.
`,
  status: `Usage: brain-store status [options]

Prints the sync server's health, the documents per collection, the open change streams and
the push rows it refused since it started.

Options:
  --server <url>   Sync server (default ${SERVER}).
  --token <jwt>    Access token (role operator); otherwise minted from AUTH_SECRET.
  --help           This text.
`,
  demo: `Usage: brain-store demo [--step-ms 400]

A ~5 s live tour of the store on in-memory storage (no server): a simulated bot writes a
summary, insights and actions; live queries print on every change; then it exits.

Options:
  --step-ms <n>   Milliseconds between bot steps (default 400; 0 runs at full speed).
  --help          This text.
`,
  serve: `Usage: brain-store serve [options]

Runs the sync server until Ctrl-C or SIGTERM (then /readyz turns 503, streams end with a
retry hint, in-flight requests finish, and the process exits within 10 s). Logs are JSON
lines (pino), one access line per request with its x-request-id. Probes: /livez, /readyz.

Options:
  --port <n>             Port (default ${DEFAULT_PORT}; 0 picks a free one). Env PORT.
  --host <addr>          Interface to listen on (default 127.0.0.1). Env HOST.
  --data-dir <dir>       Embedded PGlite database directory (default ${DEFAULT_DATA_DIR}). Env DATA_DIR.
  --dashboard-dir <dir>  A built dashboard to serve at /. Env DASHBOARD_DIR.
  --no-migrate           Do not migrate at start; refuse a database lacking a migration
                         (run brain-store migrate once per deploy instead).
  --print-config         Print the effective configuration (secrets redacted) and exit.
  --help                 This text.

${limitFlags()}
Environment (every setting: docs/operations.md):
  AUTH_SECRET or JWKS_URL (+ JWT_ISSUER, JWT_AUDIENCE)   Token verification (one is required).
  DATABASE_URL           PostgreSQL instead of the embedded PGlite (may be a pooler).
  DATABASE_DIRECT_URL    A direct connection for LISTEN when DATABASE_URL is a pooler.
  LOG_LEVEL, CORS_ORIGINS, METRICS_TOKEN, RETENTION_*, RATE_LIMIT, RATE_LIMIT_WINDOW,
  MAINTENANCE_INTERVAL, SHUTDOWN_GRACE.
`,
  migrate: `Usage: brain-store migrate [--status] [--data-dir <dir>]

Applies the database migrations this version needs (once per deploy, before starting
instances with serve --no-migrate). Safe to run from several places at once: they take turns.

Options:
  --status           List applied and pending migrations; change nothing.
  --data-dir <dir>   Embedded PGlite database directory (default ${DEFAULT_DATA_DIR}). Env DATA_DIR.
  --help             This text.

Environment:
  DATABASE_URL, DATABASE_DIRECT_URL   PostgreSQL (the direct URL is used when given).
`,
  token: `Usage: brain-store token --workspace <id> [options]

Prints an access token signed with AUTH_SECRET.

Options:
  --workspace <id>   A workspace the token grants (repeat for several).
  --role <role>      bot | member | operator.
  --subject <name>   Who the token is for (required for members: their actioned_by).
  --ttl <seconds>    Lifetime (default 3600).
  --help             This text.
`,
};

export const USAGE = `Usage: brain-store <command> [options]     (brain-store <command> --help for its options)

Commands:
  start    What \`npm start\` runs: sync server, bot and dashboard; prints the one URL to open.
  bot      The bot: durable store, writes summaries, insights and actions, syncs upstream.
  seed     Bulk-load N actions into a workspace through the sync API.
  status   Server health, documents per collection, open streams, refused pushes.
  serve    Run the sync server only (configured by environment: docs/operations.md).
  migrate  Apply the database migrations (--status: list them).
  token    Print an access token.
  demo     A short store-only tour on memory storage (no server).
  help     This text (help <command>: that command's).

Options:
  -h, --help     This text.
  -v, --version  The version of @brain-store/server and the sync protocol it speaks.

Environment:
  AUTH_SECRET   Secret (≥ 16 characters) that signs and verifies tokens.
  DATABASE_URL  serve: a PostgreSQL instead of the embedded PGlite.

Installed by npm install @brain-store/server; without installing: npx @brain-store/server <command>
`;
