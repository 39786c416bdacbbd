#!/usr/bin/env node
/**
 * The brain-store command line. Each command parses its own options (node:util parseArgs,
 * strict) and has its own --help; a mistake or a failure is one line on stderr and a
 * non-zero exit (2 for usage, 1 for everything else).
 */
import { isBrainStoreError } from '../src/index.ts';
import { CliError, CliFailure } from './cli-error.ts';
import { COMMAND_USAGE, USAGE, type CommandName } from './usage.ts';

const COMMANDS: Readonly<Record<CommandName, (argv: readonly string[]) => Promise<void>>> = {
  start: async (argv) => (await import('./start.ts')).runStart(argv),
  bot: async (argv) => (await import('./bot/bot-command.ts')).runBotCommand(argv),
  seed: async (argv) => (await import('./seed-command.ts')).runSeedCommand(argv),
  status: async (argv) => (await import('./status-command.ts')).runStatusCommand(argv),
  demo: async (argv) => (await import('./demo.ts')).runDemoCommand(argv),
  // The server modules (PGlite, pg, hono) load only for the commands that need them.
  serve: async (argv) => (await import('./server-commands.ts')).runServe(argv),
  token: async (argv) => (await import('./server-commands.ts')).runToken(argv),
};

async function main(command: string, argv: readonly string[]): Promise<void> {
  if (command === 'help' || command === '--help' || command === '-h') {
    const topic = argv[0];
    process.stdout.write(topic !== undefined && isCommand(topic) ? COMMAND_USAGE[topic] : USAGE);
    return;
  }
  if (!isCommand(command)) throw new CliError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')}, help)`);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(COMMAND_USAGE[command]);
    return;
  }
  await COMMANDS[command](argv);
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** One line for anything that went wrong; a stack only for what nobody anticipated. */
function describe(error: unknown): { line: string; exitCode: number } {
  // parseArgs reports bad options as TypeErrors with an ERR_PARSE_ARGS_* code; its first sentence is the point.
  if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
    return { line: `${(error as Error).message.split('. ')[0]!.replace(/\.$/, '')}`, exitCode: 2 };
  }
  if (error instanceof CliError) return { line: error.message, exitCode: 2 };
  if (error instanceof CliFailure) return { line: error.message, exitCode: 1 };
  if (isBrainStoreError(error)) return { line: `${error.message} — ${error.fix}`, exitCode: 1 };
  return { line: error instanceof Error ? (error.stack ?? error.message) : String(error), exitCode: 1 };
}

const [command = 'help', ...rest] = process.argv.slice(2);
main(command, rest).then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    const { line, exitCode } = describe(error);
    const help = exitCode === 2 ? ` (see brain-store ${isCommand(command) ? `${command} ` : ''}--help)` : '';
    process.stderr.write(`brain-store${isCommand(command) ? ` ${command}` : ''}: ${line}${help}\n`);
    process.exitCode = exitCode;
  },
);
