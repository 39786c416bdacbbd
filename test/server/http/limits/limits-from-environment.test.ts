import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessToken } from '../../../../src/server/auth/access-token.ts';
import { endpoints, MAX_BODY_HEADER } from '../../../../src/protocol/endpoints.ts';
import { CLIENT_HEADER } from '../../../../src/protocol/protocol-version.ts';
import { runCli, type CliProcess } from '../../../bin/cli-process.ts';

/**
 * Issue 23: the limits set by an operator reach the server. A real `brain-store serve`
 * process (embedded PGlite) with MAX_STREAMS_PER_SUBJECT=1 and MAX_BODY_BYTES=1MiB in its
 * environment, over real HTTP: a subject's second stream is refused 429 where the default
 * (10) would admit it, and every answer announces the lowered body limit.
 */
const SECRET = 'limits-from-environment-0123456789';

describe('limits from the environment of brain-store serve', () => {
  let serve: CliProcess;
  let url: string;
  const folder = mkdtempSync(join(tmpdir(), 'brain-store-limits-'));
  const opened: AbortController[] = [];
  beforeAll(async () => {
    serve = runCli(['serve'], {
      AUTH_SECRET: SECRET,
      DATA_DIR: join(folder, 'pglite'),
      PORT: '0',
      LOG_LEVEL: 'info',
      RATE_LIMIT: '0',
      MAX_STREAMS_PER_SUBJECT: '1',
      MAX_BODY_BYTES: '1MiB',
    });
    await serve.waitFor(() => serve.stdout.some((line) => line.includes('sync server listening')));
    const line = serve.stdout.find((candidate) => candidate.includes('sync server listening'))!;
    url = (JSON.parse(line) as { url: string }).url;
  }, 120_000);
  afterAll(async () => {
    for (const controller of opened) controller.abort();
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    rmSync(folder, { recursive: true, force: true });
  });

  it('MAX_STREAMS_PER_SUBJECT=1: the second stream of a subject is answered 429, another subject still streams', async () => {
    const token = (subject: string) => createAccessToken({ secret: SECRET, workspaces: ['w1'], ttlSeconds: 600, role: 'member', subject });
    const openStream = async (bearer: string, clientId: string) => {
      const controller = new AbortController();
      opened.push(controller);
      return fetch(url + endpoints.stream('brainActions'), {
        headers: { authorization: `Bearer ${bearer}`, [CLIENT_HEADER]: clientId },
        signal: controller.signal,
      });
    };
    const member = await token('member-1');
    expect((await openStream(member, 'first-tab')).status).toBe(200);
    const second = await openStream(member, 'second-tab');
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('30');
    expect((await openStream(await token('member-2'), 'other')).status).toBe(200);
  }, 60_000);

  it('MAX_BODY_BYTES=1MiB is the body limit the server announces', async () => {
    const answer = await fetch(url + endpoints.health);
    expect(answer.headers.get(MAX_BODY_HEADER)).toBe(String(1024 * 1024));
  });

  it('a bad limit stops serve before it opens anything: one line naming the variable, exit code 2', async () => {
    const bad = runCli(['serve'], { AUTH_SECRET: SECRET, DATA_DIR: join(folder, 'never'), MAX_STREAMS_PER_SUBJECT: 'none' });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr.filter(Boolean)).toEqual([
      expect.stringMatching(/^brain-store serve: MAX_STREAMS_PER_SUBJECT must be a whole number from 1 to 1000000 \(got "none"\)/),
    ]);
  }, 60_000);
});
