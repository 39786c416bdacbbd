/**
 * `.ci/pack-check`: what a stranger gets from npm. Builds and packs the three packages, installs
 * the tarballs into fresh projects outside the repository and checks them as users would use
 * them: a browser app (the client alone), a bot (client + Node storage) and a server
 * deployment (the server package and its command). Every check runs; any failure fails the
 * script with the list. PACK_CHECK_KEEP=1 keeps the temporary folder for a look.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BOT_FIXTURE, TYPES_FIXTURE } from './pack-check-fixtures.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const requireFromRepo = createRequire(join(repo, 'package.json'));
const work = mkdtempSync(join(tmpdir(), 'brain-store-pack-'));
const started = Date.now();
const failures: string[] = [];
const PACKAGES = ['client', 'node', 'server'] as const;
type PackageName = (typeof PACKAGES)[number];

/** Packages a browser app must never receive with the client (server, CLI, native, Node-only). */
const NOT_IN_A_CLIENT_TREE = [
  '@brain-store/server',
  '@brain-store/node',
  'better-sqlite3',
  '@types/better-sqlite3',
  '@electric-sql/pglite',
  'pg',
  'hono',
  '@hono/node-server',
  'pino',
  'prom-client',
  '@faker-js/faker',
  'cli-progress',
];

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  imports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
}

const run = promisify(execFile);
async function sh(command: string, args: readonly string[], options: ExecFileOptions = {}): Promise<string> {
  try {
    const { stdout } = await run(command, [...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...options });
    return String(stdout);
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${String(stdout).slice(-4000)}\n${String(stderr).slice(-4000)}`, {
      cause: error,
    });
  }
}

/** One named check: passes, or its failure is recorded (and the script goes on). */
async function check(name: string, body: () => Promise<void> | void): Promise<void> {
  const at = Date.now();
  try {
    await body();
    console.log(`  ok   ${name} (${((Date.now() - at) / 1000).toFixed(1)} s)`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`${name}: ${message}`);
    console.log(`  FAIL ${name}\n${indent(message)}`);
  }
}
const indent = (text: string) => text.replace(/^/gm, '       ');
function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const manifests = Object.fromEntries(
  PACKAGES.map((name) => [name, readJson<Manifest>(join(repo, 'packages', name, 'package.json'))]),
) as Record<PackageName, Manifest>;
const rootManifest = readJson<Manifest>(join(repo, 'package.json'));
/** The repository's exact versions, so the fresh projects test what the repository's tests test. */
const pinned = { ...rootManifest.dependencies, ...rootManifest.devDependencies };
const pin = (name: string) => `${name}@${pinned[name] ?? 'latest'}`;

function writeProject(dir: string, extra: object = {}): void {
  const overrides = Object.fromEntries(
    [
      ...new Set(
        PACKAGES.flatMap((name) => [
          ...Object.keys(manifests[name].dependencies ?? {}),
          ...Object.keys(manifests[name].peerDependencies ?? {}),
        ]),
      ),
    ]
      .filter((name) => pinned[name] !== undefined)
      .map((name) => [name, pinned[name]]),
  );
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'pack-check-app', private: true, type: 'module', overrides, ...extra }, null, 2),
  );
}

async function install(dir: string, specs: readonly string[]): Promise<void> {
  // Scripts off: better-sqlite3 would compile for a minute; the fresh project reuses the binary
  // `npm ci` compiled for this machine (same version, pinned above).
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...specs], {
    cwd: dir,
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function targets(map: Manifest['exports']): string[] {
  return Object.values(map ?? {}).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
}

console.log(`pack-check in ${work}`);

// 1. Build and pack.
const packs = join(work, 'packs');
await Promise.all(PACKAGES.map((name) => sh('npm', ['run', 'build', '--silent', '--workspace', `@brain-store/${name}`], { cwd: repo })));
await sh('mkdir', ['-p', packs]);
const packed = JSON.parse(await sh('npm', ['pack', '--workspaces', '--pack-destination', packs, '--json', '--silent'], { cwd: repo })) as {
  name: string;
  filename: string;
  files: { path: string }[];
}[];
const tarball = (name: PackageName) => join(packs, packed.find((entry) => entry.name === `@brain-store/${name}`)!.filename);
console.log(`built and packed in ${((Date.now() - started) / 1000).toFixed(0)} s: ${packed.map((entry) => entry.filename).join(', ')}`);

// 2. Install: a browser app with the client alone; a bot + server project with all three.
const app = join(work, 'browser-app');
const full = join(work, 'bot-and-server');
await sh('mkdir', ['-p', app, full]);
writeProject(app);
writeProject(full);
await Promise.all([
  install(app, [tarball('client')]),
  install(full, [
    tarball('client'),
    tarball('node'),
    tarball('server'),
    pin('react'),
    pin('@types/react'),
    pin('preact'),
    pin('@types/node'),
  ]),
]);
const binary = 'build/Release/better_sqlite3.node';
await sh('mkdir', ['-p', join(full, 'node_modules/better-sqlite3/build/Release')]);
await sh('cp', [
  join(dirname(requireFromRepo.resolve('better-sqlite3/package.json')), binary),
  join(full, 'node_modules/better-sqlite3', binary),
]);
console.log(`installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);

// 3. The checks.
console.log('checks:');
const rootLicense = readFileSync(join(repo, 'LICENSE'), 'utf8');
for (const name of PACKAGES) {
  const installed = join(full, 'node_modules', '@brain-store', name);
  await check(`@brain-store/${name}: tarball holds dist, README, LICENSE, CHANGELOG and every export target`, () => {
    const files = packed.find((entry) => entry.name === `@brain-store/${name}`)!.files.map((file) => file.path);
    const extra = files.filter(
      (file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(file),
    );
    expect(extra.length === 0, `files outside dist: ${extra.join(', ')}`);
    for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) expect(files.includes(file), `no ${file}`);
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8') === rootLicense, 'LICENSE differs from the repository LICENSE');
    const sources = files.filter((file) => /\.(ts|tsx)$/.test(file) && !file.endsWith('.d.ts'));
    expect(sources.length === 0, `TypeScript sources shipped: ${sources.slice(0, 5).join(', ')}`);
    const manifest = manifests[name];
    const missing = [...targets(manifest.exports), ...targets(manifest.imports), ...Object.values(manifest.bin ?? {})]
      .filter((target) => target.startsWith('./'))
      .filter((target) => !files.includes(target.slice(2)));
    expect(missing.length === 0, `export/import/bin targets not in the tarball: ${missing.join(', ')}`);
  });
  await check(`@brain-store/${name}: every source map carries its sources (sourcesContent)`, () => {
    const maps = filesUnder(installed).filter((file) => file.endsWith('.map'));
    const bad = maps.filter((file) => {
      const map = readJson<{ sources: string[]; sourcesContent?: (string | null)[] }>(file);
      return map.sourcesContent?.length !== map.sources.length || map.sourcesContent.some((content) => typeof content !== 'string');
    });
    expect(bad.length === 0, `${bad.length} of ${maps.length} maps without sourcesContent, e.g. ${bad[0]}`);
  });
}

await check('browser app: the client alone installs no server, CLI, native or Node-only package', async () => {
  const tree = JSON.parse(await sh('npm', ['ls', '--all', '--json'], { cwd: app })) as { dependencies?: Record<string, unknown> };
  const names = new Set<string>();
  const walk = (deps: Record<string, unknown> | undefined) => {
    for (const [name, node] of Object.entries(deps ?? {}) as [string, { version?: string; dependencies?: Record<string, unknown> }][]) {
      // An optional peer that is not installed is listed without a version.
      if (node.version !== undefined) names.add(name);
      walk(node.dependencies);
    }
  };
  walk(tree.dependencies);
  const present = NOT_IN_A_CLIENT_TREE.filter((name) => names.has(name) || existsSync(join(app, 'node_modules', name)));
  expect(present.length === 0, `the client's install tree holds ${present.join(', ')}`);
  const native = filesUnder(join(app, 'node_modules')).filter((file) => file.endsWith('binding.gyp') || file.endsWith('.node'));
  expect(native.length === 0, `native code in the client's tree: ${native.slice(0, 5).join(', ')}`);
  expect(names.has('rxdb') && names.has('rxjs'), 'rxdb and rxjs (peers) were not installed with the client');
});

await check('browser app: ESM import and require() of the client; Node without @brain-store/node names it', async () => {
  writeFileSync(
    join(app, 'esm.mjs'),
    `import { createBrainStore, BrainStoreError, PROTOCOL_VERSION } from '@brain-store/client';
import manifest from '@brain-store/client/package.json' with { type: 'json' };
if (typeof createBrainStore !== 'function' || typeof PROTOCOL_VERSION !== 'number') throw new Error('exports missing');
try {
  await createBrainStore({ name: 'no-storage' });
  throw new Error('createBrainStore without storage and without @brain-store/node did not throw');
} catch (error) {
  if (!(error instanceof BrainStoreError) || error.code !== 'CONFIG' || !error.message.includes('npm install @brain-store/node')) throw error;
}
console.log(manifest.name);
`,
  );
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const client = require('@brain-store/client');\nif (typeof client.createBrainStore !== 'function') throw new Error('require gave no createBrainStore');\nconsole.log('required');\n`,
  );
  expect((await sh('node', ['esm.mjs'], { cwd: app })).trim() === '@brain-store/client', 'esm.mjs');
  expect((await sh('node', ['--no-warnings', 'cjs.cjs'], { cwd: app })).trim() === 'required', 'cjs.cjs');
});

await check('browser app: a browser bundle of the client holds no Node-only module', async () => {
  const esbuild = requireFromRepo('esbuild') as typeof import('esbuild');
  writeFileSync(
    join(app, 'main.js'),
    `import { createBrainStore, replicateBrainStore, startExpiryCleanup } from '@brain-store/client';\nconst store = await createBrainStore({ name: 'app' });\nstartExpiryCleanup(store);\nreplicateBrainStore(store, { url: location.origin, token: 't' });\n`,
  );
  const result = await esbuild.build({
    absWorkingDir: app,
    entryPoints: ['main.js'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const nodeOnly = inputs.filter((input) =>
    /^node:|node_modules\/(better-sqlite3|pg|@electric-sql|hono|@hono|pino|prom-client|ajv)\//.test(input),
  );
  expect(nodeOnly.length === 0, `Node-only or server modules in the browser bundle: ${nodeOnly.join(', ')}`);
  expect(
    inputs.some((input) => input.includes('default-storage-browser')),
    'the browser default storage was not chosen',
  );
  expect(!inputs.some((input) => input.includes('default-storage-node')), 'the Node default storage is in the browser bundle');
});

// The four compilations at once (each loads RxDB's declarations: the slowest checks).
writeFileSync(
  join(app, 'app.ts'),
  `import { createBrainStore, type BrainAction, type LiveQuery } from '@brain-store/client';
const store = await createBrainStore({ name: 'app' });
const queue: LiveQuery<BrainAction[]> = store.brainActions.getActionsByPriority({ workspace_id: 'w' });
export const first: Promise<BrainAction | undefined> = queue.exec().then((actions) => actions[0]);
`,
);
// rxdb's declarations use Symbol.asyncDispose: a browser project without @types/node needs esnext.disposable.
writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig('bundler', 'esnext', [], ['app.ts'], ['esnext.disposable']), null, 2));
writeFileSync(join(full, 'types.ts'), TYPES_FIXTURE);
await Promise.all([
  check('browser app: the client type-checks strictly alone (skipLibCheck false, no @types/node, bundler)', () => tsc(app)),
  // node16 resolution with module nodenext: under module node16, rxdb 17's own declarations
  // fail (TS1479, a CommonJS .d.ts importing ESM-only packages); TypeScript 5.8+ nodenext allows it.
  ...(
    [
      ['bundler', 'esnext'],
      ['node16', 'nodenext'],
      ['nodenext', 'nodenext'],
    ] as const
  ).map(([resolution, module]) => {
    writeFileSync(join(full, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig(resolution, module, ['node'], ['types.ts']), null, 2));
    return check(
      `bot and server: client, hooks, Node storage and server type-check strictly (skipLibCheck false, moduleResolution ${resolution})`,
      () => tsc(full, `tsconfig.${resolution}.json`),
    );
  }),
]);

await check('bot: ESM import and require() of every entry; the default store is durable SQLite; one BrainStoreError class', async () => {
  writeFileSync(join(full, 'bot.mjs'), BOT_FIXTURE);
  writeFileSync(
    join(full, 'cjs.cjs'),
    `for (const entry of ['@brain-store/client', '@brain-store/client/react', '@brain-store/client/preact', '@brain-store/node', '@brain-store/server']) {\n  if (Object.keys(require(entry)).length === 0) throw new Error('require(' + entry + ') is empty');\n}\nconsole.log('required');\n`,
  );
  expect((await sh('node', ['bot.mjs'], { cwd: full })).trim() === 'bot ok', 'bot.mjs');
  expect((await sh('node', ['--no-warnings', 'cjs.cjs'], { cwd: full })).trim() === 'required', 'cjs.cjs');
});

await check('server: the installed brain-store command answers --version, --help (also through npx) and mints a token', async () => {
  const bin = join(full, 'node_modules', '.bin', 'brain-store');
  const version = (await sh(bin, ['--version'], { cwd: full })).trim();
  const expected = `brain-store ${manifests.server.version} (@brain-store/server, sync protocol `;
  expect(version.startsWith(expected), `--version printed "${version}", expected "${expected}…"`);
  const help = await sh('npx', ['--no-install', 'brain-store', '--help'], { cwd: full });
  expect(help.startsWith('Usage: brain-store <command>'), `npx brain-store --help printed:\n${help.slice(0, 300)}`);
  const token = (
    await sh(bin, ['token', '--workspace', 'w', '--role', 'bot'], {
      cwd: full,
      env: { ...process.env, AUTH_SECRET: 'pack-check-secret-0123456789' },
    })
  ).trim();
  expect(/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token), `token printed "${token.slice(0, 80)}"`);
  expect(existsSync(join(full, 'node_modules/@brain-store/server/dist/dashboard/index.html')), 'the server package has no dashboard build');
});

await check('publint: every package', async () => {
  const publint = join(repo, 'node_modules', '.bin', 'publint');
  for (const name of PACKAGES) {
    const out = await sh(publint, ['--strict', join(full, 'node_modules', '@brain-store', name)], { cwd: full });
    expect(!/error|warning/i.test(out.replace(/All good!/, '')), `@brain-store/${name}:\n${out}`);
  }
});

function tsconfig(moduleResolution: string, module: string, types: string[], files: string[], lib: string[] = []) {
  return {
    compilerOptions: {
      target: 'es2022',
      module,
      moduleResolution,
      lib: ['es2023', 'dom', 'dom.iterable', ...lib],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      noEmit: true,
      jsx: 'react-jsx',
      types,
    },
    files,
  };
}

async function tsc(dir: string, project = 'tsconfig.json'): Promise<void> {
  const bin = join(dirname(requireFromRepo.resolve('typescript/package.json')), 'bin', 'tsc');
  await sh('node', [bin, '-p', project], { cwd: dir });
}

const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (process.env['PACK_CHECK_KEEP'] !== '1') rmSync(work, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(
    `\npack-check FAILED (${failures.length} of its checks, ${seconds} s):\n${failures.map((failure) => `- ${failure.split('\n')[0]}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(`pack-check passed in ${seconds} s`);
