import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fuzzSettings } from '../../helpers/fuzz-settings.ts';
import { startTestServer, syncBackends } from '../../helpers/sync-server.ts';
import { action, client } from '../../server/fixtures.ts';

const PULLER = fileURLToPath(new URL('./puller-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const KILLS = Number(process.env['CHAOS_KILLS'] ?? 2);

/**
 * Issue 11 §2: a client process SIGKILLed in the middle of a pull, while other clients keep
 * writing, resumes from its saved checkpoint and ends with every document: nothing skipped.
 */
describe.each(await syncBackends())('a client killed mid-pull (%s)', (backend) => {
  it(`resumes from its checkpoint with nothing skipped (${KILLS} kills while writes continue)`, async () => {
    const { seed } = fuzzSettings(`client SIGKILL mid-pull on ${backend}`, KILLS);
    let random = seed;
    const next = () => (random = (random * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const server = await startTestServer({ backend });
    const ws = `pulled-${backend}`;
    const token = await server.token([ws]);
    const writer = client(server.url, token);
    const dir = await mkdtemp(join(tmpdir(), 'brain-store-puller-'));
    const env = {
      ...process.env,
      URL: server.url,
      TOKEN: token,
      CHECKPOINT_FILE: join(dir, 'checkpoint.json'),
      IDS_FILE: join(dir, 'ids'),
      BATCH: '3',
    };
    const pulledSoFar = async () => (await stat(env.IDS_FILE).catch(() => ({ size: 0 }))).size;
    const written: string[] = [];
    const write = async (n: number) => {
      const rows = Array.from({ length: n }, () => ({ newDocumentState: action(ws, { created_at: Date.now() }) }));
      const response = await writer.push('brainActions', rows);
      expect(response.body).toEqual({ conflicts: [], rejected: [] });
      written.push(...rows.map((row) => row.newDocumentState.id));
    };
    const runPuller = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', PULLER], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
      return { child, exited, stderr: () => stderr };
    };
    try {
      await write(200);
      const kills: (number | string)[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const before = await pulledSoFar();
        const puller = runPuller();
        // Writes land while it pulls; once it has pulled a page, it is killed at a random moment.
        const writing = write(30);
        const deadline = Date.now() + 30_000;
        while ((await pulledSoFar()) === before && puller.child.exitCode === null && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await new Promise((resolve) => setTimeout(resolve, next() * 40));
        puller.child.kill('SIGKILL');
        kills.push(await puller.exited);
        await writing;
      }
      const last = runPuller();
      expect(await last.exited, last.stderr()).toBe(0);
      const seen = (await readFile(env.IDS_FILE, 'utf8')).split('\n').filter(Boolean);
      // Killed mid-pull, not before or after: every killed run had pulled something and more remained.
      expect(kills.every((exit) => exit === 'SIGKILL')).toBe(true);
      expect(new Set(seen)).toEqual(new Set(written));
      console.info(
        `[chaos] ${backend}: ${written.length} documents; puller exits ${JSON.stringify(kills)}; ${seen.length - written.length} re-pulled after kills, 0 skipped`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.close();
    }
  }, 180_000);
});
