/**
 * The configuration `brain-store serve` and `brain-store start` share: the environment table
 * (src/server/config, docs/operations.md) with the same flags over it, parsed, printed by
 * --print-config and turned into startSyncServer options by the one code path below. Each
 * command adds only its own defaults (start: warn-level logs, its kept secret, its dashboard).
 */
import { resolve } from 'node:path';
import {
  ConfigError,
  parseServerConfig,
  printConfig,
  syncServerOptionsOf,
  type ConfigInput,
  type ServerConfig,
} from '../src/server/config/parse-server-config.ts';
import type { SyncServerOptions } from '../src/server/start-sync-server.ts';
import { CONFIG_VARIABLES, type ConfigVariable, type ConfigVariableName } from '../src/server/config/config-variables.ts';
import { CliError } from './cli-error.ts';

type Bare<Flag> = Flag extends `--${infer Name}` ? Name : never;
/** `port`, `max-connections` …: the flag of every variable that has one, without its dashes. */
type ServerFlag = Bare<Extract<(typeof CONFIG_VARIABLES)[number], { flag: string }>['flag']>;

/**
 * The flag of each variable that has one, from the one table (config-variables.ts): `--port`
 * → PORT, `--max-connections` → MAX_CONNECTIONS … (start maps --data-dir its own way: see start.ts).
 */
export const SERVER_FLAGS = Object.fromEntries(
  (CONFIG_VARIABLES as readonly ConfigVariable[]).flatMap((variable) =>
    variable.flag === undefined ? [] : [[variable.flag.slice(2), variable.name]],
  ),
) as Readonly<Record<ServerFlag, ConfigVariableName>>;

/** The flags both commands take over their variables (parseArgs option specs). */
export const SERVER_FLAG_OPTIONS = {
  ...Object.fromEntries(Object.keys(SERVER_FLAGS).map((flag) => [flag, { type: 'string' }])),
  'print-config': { type: 'boolean' },
} as { readonly [Flag in ServerFlag]: { readonly type: 'string' } } & { readonly 'print-config': { readonly type: 'boolean' } };

/** Flags given (and only those) by the variable each overrides. */
export function flagsOf(
  values: Record<string, string | boolean | undefined>,
  names: Record<string, string>,
): NonNullable<ConfigInput['flags']> {
  const flags: Record<string, string> = {};
  for (const [flag, variable] of Object.entries(names)) {
    const value = values[flag];
    if (typeof value === 'string') flags[variable] = value;
  }
  return flags;
}

/** The effective configuration; a bad value is one CliError line naming its variable (exit 2). */
export function configOf(input: ConfigInput): ServerConfig {
  try {
    return parseServerConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** --print-config's text (secrets redacted); a bad value fails as configOf does. */
export function printedConfig(input: ConfigInput): string {
  configOf(input);
  return printConfig(input);
}

/** The startSyncServer options of a configuration, its paths resolved against the working directory. */
export function serverOptionsOf(config: ServerConfig): SyncServerOptions {
  return {
    ...syncServerOptionsOf(config),
    ...(config.databaseUrl === undefined ? { dataDir: resolve(config.dataDir) } : {}),
    ...(config.dashboardDir === undefined ? {} : { dashboardDir: resolve(config.dashboardDir) }),
    shutdownGraceMs: config.shutdownGraceMs,
  };
}
