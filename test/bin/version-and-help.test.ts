import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as runInProcess } from '../../bin/cli.ts';
import { serverPackage } from '../../bin/package-version.ts';
import { USAGE } from '../../bin/usage.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/protocol-version.ts';
import { runCli } from './cli-process.ts';

const SERVER_MANIFEST = new URL('../../packages/server/package.json', import.meta.url);
const VERSION = (JSON.parse(readFileSync(SERVER_MANIFEST, 'utf8')) as { version: string }).version;
const VERSION_LINE = `brain-store ${VERSION} (@brain-store/server, sync protocol ${PROTOCOL_VERSION})`;

async function run(args: readonly string[]) {
  let out = '';
  let err = '';
  const code = await runInProcess(args, { write: (text: string) => (out += text) }, { write: (text: string) => (err += text) });
  return { code, out, err };
}

describe('brain-store --version and a leading --help (issue 16)', () => {
  it('--version and -v print the server package version and the sync protocol, exit 0', async () => {
    for (const flag of ['--version', '-v']) {
      expect(await run([flag])).toEqual({ code: 0, out: `${VERSION_LINE}\n`, err: '' });
    }
  });

  it('--help and -h as the first argument print the overview, which lists both flags', async () => {
    for (const flag of ['--help', '-h']) {
      expect(await run([flag])).toEqual({ code: 0, out: USAGE, err: '' });
    }
    expect(USAGE).toMatch(/-v, --version/);
    expect(USAGE).toMatch(/-h, --help/);
  });

  it('the version comes from the package that ships the command (the installed layout: dist/bin)', () => {
    const root = mkdtempSync(join(tmpdir(), 'brain-store-version-'));
    try {
      mkdirSync(join(root, 'dist', 'bin'), { recursive: true });
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: '@brain-store/server', version: '7.8.9' }));
      // An unrelated package.json nearer the file (e.g. a "type": "module" marker) is skipped.
      writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
      expect(serverPackage(join(root, 'dist', 'bin', 'package-version.js'))).toEqual({ name: '@brain-store/server', version: '7.8.9' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the executable itself answers --version', async () => {
    const cli = runCli(['--version']);
    expect(await cli.exited).toBe(0);
    expect(cli.stdout).toEqual([VERSION_LINE]);
  }, 120_000);
});
