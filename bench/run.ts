/**
 * `npm run bench [-- <group>…] [--quick] [--list]`
 *
 * Runs every `bench/<group>.bench.ts` (or the named ones) in this one process, prints a
 * table and writes bench/results.json and bench/RESULTS.md. Benchmarks measure; they
 * never fail the run for a missed target (the exit code is 1 only when one throws).
 * `--quick` shrinks sizes to check the harness and writes nothing.
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchContext, BenchModule, BenchResult } from './lib/bench-module.ts';
import { machineInfo } from './lib/machine.ts';
import { round } from './lib/stats.ts';
import { formatConsoleTable, mergeReport, readReport, REPORT_VERSION, writeReport, type GroupRun, type Report } from './lib/report.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SUFFIX = '.bench.ts';

/** The 1-minute load average, to one decimal. */
const loadAverage = () => round(loadavg()[0]!, 1);

async function loadModules(): Promise<BenchModule[]> {
  const files = readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith(SUFFIX))
    .sort();
  const modules: BenchModule[] = [];
  for (const file of files) {
    const loaded = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as { default?: BenchModule };
    if (!loaded.default) throw new Error(`${file} has no default export (a BenchModule)`);
    if (`${loaded.default.name}${SUFFIX}` !== file)
      throw new Error(`${file} exports group "${loaded.default.name}"; name the file after its group`);
    modules.push(loaded.default);
  }
  return modules;
}

function parseArgs(argv: readonly string[]) {
  const flags = new Set(argv.filter((arg) => arg.startsWith('--')));
  const unknown = [...flags].filter((flag) => !['--quick', '--list'].includes(flag));
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(', ')} (known: --quick, --list)`);
  return { groups: argv.filter((arg) => !arg.startsWith('--')), quick: flags.has('--quick'), list: flags.has('--list') };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const modules = await loadModules();
  if (args.list) {
    for (const module of modules) console.log(`${module.name.padEnd(16)} ${module.description}`);
    return 0;
  }
  const missing = args.groups.filter((group) => !modules.some((module) => module.name === group));
  if (missing.length > 0) {
    console.error(`no benchmark group ${missing.join(', ')}; groups: ${modules.map((module) => module.name).join(', ')}`);
    return 2;
  }
  const selected = args.groups.length > 0 ? modules.filter((module) => args.groups.includes(module.name)) : modules;

  const machine = machineInfo();
  const context: BenchContext = {
    quick: args.quick,
    log: (message) => process.stderr.write(`[bench] ${message}\n`),
    scale: (full, quick) => (args.quick ? quick : full),
  };
  const groups: Record<string, GroupRun> = {};
  const results: BenchResult[] = [];
  let failed = false;

  for (const module of selected) {
    const ranAt = new Date().toISOString();
    const start = performance.now();
    const loadAtStart = loadAverage();
    const finish = (outcome: GroupRun['outcome'], reason?: string): GroupRun => ({
      description: module.description,
      ranAt,
      durationMs: Math.round(performance.now() - start),
      outcome,
      ...(reason === undefined ? {} : { reason }),
      machine,
      loadAverage: { start: loadAtStart, end: loadAverage() },
    });
    const reason = await module.unavailable?.();
    if (reason !== undefined) {
      context.log(`${module.name}: skipped — ${reason}`);
      groups[module.name] = finish('unavailable', reason);
      continue;
    }
    context.log(`${module.name}: running`);
    try {
      const rows = await module.run(context);
      results.push(...rows.map((row) => ({ ...row, group: module.name })));
      groups[module.name] = finish('ran');
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      context.log(`${module.name}: failed — ${message}`);
      groups[module.name] = finish('error', message.split('\n')[0]);
      results.push({
        group: module.name,
        id: 'run',
        name: `${module.name} (whole group)`,
        subject: '-',
        value: null,
        unit: '',
        target: null,
        status: 'error',
        note: message.split('\n')[0] ?? '',
      });
    }
    context.log(`${module.name}: done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }

  console.log(`\n${formatConsoleTable(results)}\n`);
  if (args.quick) {
    console.log('(--quick: sizes reduced, nothing written)');
    return failed ? 1 : 0;
  }
  const current: Report = {
    version: REPORT_VERSION,
    generatedAt: new Date().toISOString(),
    command: ['npm run bench', ...(args.groups.length > 0 ? ['--', ...args.groups] : [])].join(' '),
    machine,
    node: process.version,
    groups,
    results,
  };
  const jsonPath = join(BENCH_DIR, 'results.json');
  const markdownPath = join(BENCH_DIR, 'RESULTS.md');
  writeReport(jsonPath, markdownPath, mergeReport(readReport(jsonPath), current));
  console.log(`wrote ${jsonPath} and ${markdownPath}`);
  return failed ? 1 : 0;
}

// Exit explicitly: open handles left by a storage must not keep the report from finishing.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
