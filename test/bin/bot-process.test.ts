import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { freePort, runCli, type CliProcess } from './cli-process.ts';
import { until } from '../../harness/until.ts';

/** "wrote <collection> <id>" lines: the writes the bot was told succeeded. */
function acknowledged(processes: readonly CliProcess[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const process of processes) {
    for (const line of process.stdout) {
      const match = /^wrote (\w+) (\S+)$/.exec(line);
      if (match) ids.set(match[2]!, match[1]!);
    }
  }
  return ids;
}

async function serverDocuments(server: TestServer, workspace: string): Promise<{ collection: string; id: string }[]> {
  return server.sql.query<{ collection: string; id: string }>(
    'SELECT collection, id FROM brain_store_documents WHERE workspace_id = $1 AND NOT deleted',
    [workspace],
  );
}

function botArgs(url: string, workspace: string, data: string, statusEvery = '1h'): string[] {
  // --summary-every 1h: the restart happens within the period, so a second summary would be a duplicate.
  return [
    'bot',
    '--server',
    url,
    '--workspace',
    workspace,
    '--data',
    data,
    '--rate',
    '600',
    '--summary-every',
    '1h',
    '--status-every',
    statusEvery,
    '--log-writes',
    '--seed',
    '5',
  ];
}

const running: CliProcess[] = [];
afterEach(() => {
  for (const process of running.splice(0)) process.child.kill('SIGKILL');
});
function start(args: string[], env: Record<string, string>): CliProcess {
  const process = runCli(args, env);
  running.push(process);
  return process;
}

describe('brain-store bot as a process (issue 7: killed at any moment, it loses nothing)', () => {
  it('SIGKILLed while its writes are unpushed and restarted: the server ends with every acknowledged write, one summary, nothing extra', async () => {
    // The first run cannot reach the server, so everything it acknowledges exists only in its store when it is killed.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const secret = 'kill9-bot-test-secret-0123456789';
    const data = join(mkdtempSync(join(tmpdir(), 'brain-store-bot-')), 'bot.sqlite');
    const env = { AUTH_SECRET: secret };

    const first = start(botArgs(url, 'kill9', data), env);
    await first.waitFor(() => [...acknowledged([first]).values()].filter((c) => c === 'brainActions').length >= 8);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const beforeKill = acknowledged([first]);
    expect([...beforeKill.values()]).toContain('brainSummaries');

    const server = await startTestServer({ backend: 'pglite', port, authSecret: secret });
    const second = start(botArgs(url, 'kill9', data), env);
    await second.waitFor(() => acknowledged([second]).size >= 5);
    const all = acknowledged([first, second]);
    await until(
      async () => {
        const onServer = new Set((await serverDocuments(server, 'kill9')).map((doc) => doc.id));
        return [...all.keys()].every((id) => onServer.has(id));
      },
      'every acknowledged write of both bots on the server',
      { timeoutMs: 90_000 },
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const docs = await serverDocuments(server, 'kill9');
    const onServer = new Map(docs.map((doc) => [doc.id, doc.collection]));
    expect(onServer.size).toBe(docs.length);
    for (const [id, collection] of acknowledged([first, second])) expect(onServer.get(id)).toBe(collection);
    // The restart found the period's summary in its durable store: no duplicate.
    expect(docs.filter((doc) => doc.collection === 'brainSummaries')).toHaveLength(1);
    expect([...acknowledged([second]).values()]).not.toContain('brainSummaries');
    // At most the write in flight at the kill (one action, or a bulk of insights) is there unacknowledged.
    expect(docs.filter((doc) => !all.has(doc.id)).length).toBeLessThanOrEqual(6);
  }, 240_000);

  it('started while the server is down, it writes offline and catches up when the server comes up', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const data = join(mkdtempSync(join(tmpdir(), 'brain-store-bot-')), 'bot.sqlite');
    const secret = 'offline-bot-test-secret-0123456789';
    const bot = start(botArgs(url, 'late', data, '1s'), { AUTH_SECRET: secret });
    await bot.waitFor(() => acknowledged([bot]).size >= 10);

    const server = await startTestServer({ backend: 'pglite', port, authSecret: secret });
    await until(
      async () => {
        const onServer = new Set((await serverDocuments(server, 'late')).map((doc) => doc.id));
        return [...acknowledged([bot]).keys()].every((id) => onServer.has(id)) && acknowledged([bot]).size >= 12;
      },
      'the offline bot’s 12+ acknowledged writes on the server',
      { timeoutMs: 90_000 },
    );
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.stdout.some((line) => / · offline$/.test(line))).toBe(true);
  }, 240_000);
});
