/**
 * Builds the workspace package in the current folder (`npm run build -w @brain-store/<name>`):
 * tsc compiles its part of src/ (and bin/) into its dist with declarations and source maps
 * that carry their sources; then the package's own step. Finally every bare import in dist
 * must be a declared dependency or peer, and nothing the package must not ship is there.
 *
 * - client: src/index.ts, both default storages, the hooks. No server, CLI or native code.
 *   First, the collections' generated JSON schemas must match their zod declarations.
 * - node: src/node/index.ts (the SQLite storage); the one client module it uses, the error
 *   class, is imported from @brain-store/client so `instanceof BrainStoreError` holds across
 *   both packages.
 * - server: src/server/index.ts and the CLI (bin/), self-contained, plus the dashboard build.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = process.cwd();
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')) as Manifest;
const name = manifest.name.replace('@brain-store/', '');
const dist = join(here, 'dist');
const require = createRequire(join(repo, 'package.json'));

// The collections' JSON schemas are generated from their zod declarations ahead of time (so the
// client ships no JSON-schema generator): a client built from a stale copy would validate wrongly.
if (name === 'client') {
  const { generatedSchemasAreCurrent } = await import('./generate-json-schemas.ts');
  if (!generatedSchemasAreCurrent()) {
    console.error('src/collections/json-schemas.generated.ts is stale: run `npm run generate:schemas`');
    process.exit(1);
  }
}

rmSync(dist, { recursive: true, force: true });
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.build.json')], { stdio: 'inherit', cwd: here });

// One changelog for the three packages (they are versioned together), shipped in each.
copyFileSync(join(repo, 'CHANGELOG.md'), join(here, 'CHANGELOG.md'));
if (name === 'node') importFromClient({ 'errors/brain-store-error': '@brain-store/client' });
if (name === 'server') await buildDashboard();
checkImports();
console.log(`${manifest.name}: built ${relative(repo, dist)}`);

/** Rewrites imports of shared client modules to the client package and drops the copies. */
function importFromClient(modules: Readonly<Record<string, string>>): void {
  for (const file of filesUnder(dist)) {
    if (!/\.(js|d\.ts)$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    const next = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\2/g, (whole, lead: string, quote: string, specifier: string) => {
      const target = relative(dist, resolve(dirname(file), specifier)).replace(/\.(js|ts|d\.ts)$/, '');
      const replacement = modules[target];
      return replacement ? `${lead}${quote}${replacement}${quote}` : whole;
    });
    if (next !== text) writeFileSync(file, next);
  }
  for (const module of Object.keys(modules)) {
    for (const suffix of ['.js', '.js.map', '.d.ts']) rmSync(join(dist, module + suffix), { force: true });
  }
}

/** The dashboard the server serves at `/` (`brain-store start`), built into dist/dashboard. */
async function buildDashboard(): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: join(repo, 'dashboard', 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir: join(dist, 'dashboard'), emptyOutDir: true },
  });
}

/** Every bare specifier in dist is a builtin, the package itself, or declared; no forbidden one. */
function checkImports(): void {
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), manifest.name]);
  const forbidden: RegExp = {
    client: /^(@electric-sql\/pglite|pg|hono|@hono\/.*|pino|prom-client|better-sqlite3|@faker-js\/.*|cli-progress|node:.*)$/,
    node: /^(@electric-sql\/pglite|pg|hono|@hono\/.*|pino|prom-client|@faker-js\/.*|cli-progress)$/,
    server: /^$/,
  }[name as 'client' | 'node' | 'server'];
  const problems: string[] = [];
  for (const file of filesUnder(dist)) {
    if (!/\.(js|d\.ts)$/.test(file) || file.includes(`${join(dist, 'dashboard')}`)) continue;
    // Comments (a JSDoc @example names other packages) are not imports.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const [, specifier] of text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)['"]([^'"]+)['"]/g)) {
      if (specifier === undefined || specifier.startsWith('.') || specifier.startsWith('#')) continue;
      const bare = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? specifier);
      const where = relative(here, file);
      if (forbidden.test(specifier)) problems.push(`${where}: imports ${specifier}, which ${manifest.name} must not ship`);
      if (specifier.startsWith('node:') || builtinModules.includes(bare)) continue;
      if (!declared.has(bare)) problems.push(`${where}: imports ${specifier}, not a dependency or peer of ${manifest.name}`);
    }
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
