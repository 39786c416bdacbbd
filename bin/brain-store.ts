#!/usr/bin/env node
/** The `brain-store` executable: `brain-store <command> [options]` (see bin/cli.ts and bin/usage.ts). */
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2));
