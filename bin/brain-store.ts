#!/usr/bin/env node
/**
 * The brain-store command line: `start` (what `npm start` runs), `demo`, `serve`, `token`, `help`.
 * Each command parses its own options.
 */
import { parseArgs } from 'node:util';
import { isBrainStoreError } from '../src/index.ts';
import { CliError } from './cli-error.ts';
import { runDemo } from './demo.ts';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './server-defaults.ts';

const USAGE = `Usage: brain-store <command> [options]

Commands:
  start                 The main job (what \`npm start\` runs): the sync server on embedded PGlite, a bot
                        store writing analytics and a dashboard store showing them live through the
                        server; then the server keeps serving until Ctrl-C.
      --data-dir <dir>  PGlite directory (default ${DEFAULT_DATA_DIR}); --memory keeps it in memory.
      --duration <s>    Stop after this many seconds instead of waiting for Ctrl-C.
      --port <n>        Port (default ${DEFAULT_PORT}; 0 picks a free one).
  demo                  A ~5 s live demo on in-memory storage: a simulated bot writes a summary,
                        insights and actions; live queries print on every change; then it exits.
      --step-ms <n>     Milliseconds between bot steps (default 400; 0 runs at full speed).
  serve                 Run the sync server until Ctrl-C. Logs are JSON lines (pino).
      --port <n>        Port (default ${DEFAULT_PORT}; 0 picks a free one).
      --host <addr>     Interface to listen on (default 127.0.0.1).
      --data-dir <dir>  Embedded PGlite database directory (default ${DEFAULT_DATA_DIR}).
  token                 Print an access token for the sync server.
      --workspace <id>  A workspace the token grants (repeat for several).
      --ttl <seconds>   Lifetime (default 3600).
      --subject <name>  Who the token is for (shown in server logs).
  help                  Show this text.

Environment:
  AUTH_SECRET   Secret (≥ 16 characters) that signs tokens; serve and token need the same one.
  DATABASE_URL  serve: use this PostgreSQL instead of the embedded PGlite (--data-dir ignored).
`;

function demoOptions(argv: readonly string[]): { stepMs: number } {
  const { values } = parseArgs({ args: [...argv], strict: true, options: { 'step-ms': { type: 'string' } } });
  const stepMs = Number(values['step-ms'] ?? 400);
  if (!Number.isInteger(stepMs) || stepMs < 0) throw new CliError('--step-ms must be a whole number of milliseconds ≥ 0');
  return { stepMs };
}

async function main(argv: readonly string[]): Promise<void> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'start':
      return (await import('./start.ts')).runStart(rest);
    case 'demo':
      return runDemo(demoOptions(rest));
    // The server modules (PGlite, pg, hono) load only for the commands that need them.
    case 'serve':
      return (await import('./server-commands.ts')).runServe(rest);
    case 'token':
      return (await import('./server-commands.ts')).runToken(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new CliError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    // parseArgs reports bad options as TypeErrors with an ERR_PARSE_ARGS_* code.
    const usage = error instanceof CliError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    if (usage) process.stderr.write(`brain-store: ${(error as Error).message}\n\n${USAGE}`);
    else if (isBrainStoreError(error)) process.stderr.write(`brain-store: ${error.message}\n${error.fix}\n`);
    else process.stderr.write(`brain-store: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
