/**
 * The brain-store command line as a function: each command parses its own options
 * (node:util parseArgs, strict) and has its own --help; a mistake or a failure is one line
 * on stderr and a non-zero exit code (2 for usage, 1 for everything else).
 */
import { isBrainStoreError } from '../src/index.ts';
import { CliError, CliFailure } from './cli-error.ts';
import type { CliOutput } from './cli-output.ts';
import { COMMAND_USAGE, USAGE, type CommandName } from './usage.ts';

const COMMANDS: Readonly<Record<CommandName, (argv: readonly string[], out: CliOutput) => Promise<void>>> = {
  start: async (argv, out) => (await import('./start.ts')).runStart(argv, (line) => out.write(`${line}\n`)),
  bot: async (argv) => (await import('./bot/bot-command.ts')).runBotCommand(argv),
  seed: async (argv, out) => (await import('./seed-command.ts')).runSeedCommand(argv, out),
  status: async (argv, out) => (await import('./status-command.ts')).runStatusCommand(argv, out),
  demo: async (argv) => (await import('./demo.ts')).runDemoCommand(argv),
  // The server modules (PGlite, pg, hono) load only for the commands that need them.
  serve: async (argv, out) => (await import('./server-commands.ts')).runServe(argv, out),
  migrate: async (argv, out) => (await import('./server-commands.ts')).runMigrate(argv, out),
  token: async (argv) => (await import('./server-commands.ts')).runToken(argv),
};

/**
 * Runs one command line; resolves with the exit code.
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], out: CliOutput = process.stdout, err: CliOutput = process.stderr): Promise<number> {
  const [command = 'help', ...rest] = argv;
  try {
    await dispatch(command, rest, out);
    return 0;
  } catch (error) {
    const { line, exitCode } = describe(error);
    const named = isCommand(command) ? ` ${command}` : '';
    const help = exitCode === 2 ? ` (see brain-store${named} --help)` : '';
    err.write(`brain-store${named}: ${line}${help}\n`);
    return exitCode;
  }
}

async function dispatch(command: string, argv: readonly string[], out: CliOutput): Promise<void> {
  if (command === '--version' || command === '-v') {
    out.write((await import('./package-version.ts')).versionLine());
    return;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    const topic = argv[0];
    out.write(topic !== undefined && isCommand(topic) ? COMMAND_USAGE[topic] : USAGE);
    return;
  }
  if (!isCommand(command)) throw new CliError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')}, help)`);
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(COMMAND_USAGE[command]);
    return;
  }
  await COMMANDS[command](argv, out);
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** One line for anything that went wrong; a stack only for what nobody anticipated. */
function describe(error: unknown): { line: string; exitCode: number } {
  // parseArgs reports bad options as TypeErrors with an ERR_PARSE_ARGS_* code; its first sentence is the point.
  if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    return {
      line: (error as Error).message
        .replace(/\s*\n\s*/g, ' ')
        .split('. ')[0]!
        .replace(/\.$/, ''),
      exitCode: 2,
    };
  }
  if (error instanceof CliError) return { line: error.message, exitCode: 2 };
  if (error instanceof CliFailure) return { line: error.message, exitCode: 1 };
  if (isBrainStoreError(error)) return { line: `${error.message} — ${error.fix}`, exitCode: 1 };
  return { line: error instanceof Error ? (error.stack ?? error.message) : String(error), exitCode: 1 };
}
