/**
 * `npm start` serves the dashboard from dist/dashboard and builds it first when it is
 * missing or older than its sources (dashboard/ and the library in src/ it bundles).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CliFailure } from './cli-error.ts';

export interface DashboardPaths {
  /** The package root (holds package.json, dashboard/, dist/). */
  readonly root: string;
}

export const dashboardSources = (root: string) => join(root, 'dashboard');
export const dashboardOutput = (root: string) => join(root, 'dist', 'dashboard');

/** Why a build is needed ('missing', 'stale'), or undefined when dist/dashboard is current or there are no sources. */
export function dashboardBuildReason({ root }: DashboardPaths): 'missing' | 'stale' | undefined {
  if (!existsSync(join(dashboardSources(root), 'index.html'))) return undefined;
  const built = join(dashboardOutput(root), 'index.html');
  if (!existsSync(built)) return 'missing';
  const builtAt = statSync(built).mtimeMs;
  const newest = Math.max(newestMtime(dashboardSources(root)), newestMtime(join(root, 'src')));
  return newest > builtAt ? 'stale' : undefined;
}

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.parentPath.includes('node_modules')) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Runs the Vite build (`npm run build:dashboard`); its output is shown only when it fails. */
export async function buildDashboard({ root }: DashboardPaths): Promise<void> {
  // vite's exports map hides bin/vite.js from resolve(); its package.json names it.
  const manifest = createRequire(join(root, 'package.json')).resolve('vite/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: { vite: string } };
  const vite = join(dirname(manifest), bin.vite);
  const child = spawn(process.execPath, [vite, 'build', '--config', join(dashboardSources(root), 'vite.config.ts'), '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    process.stderr.write(output);
    throw new CliFailure(`the dashboard build failed (exit ${code}); run npm run build:dashboard to see why`);
  }
}
