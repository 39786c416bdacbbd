import { request } from 'node:http';
import { afterAll, expect, it } from 'vitest';
import { createAccessToken } from '../../src/server/auth/access-token.ts';
import { createScratchPostgresDatabase, describeOnPostgres } from '../helpers/sync-server.ts';
import { action } from '../server/fixtures.ts';
import { runCli as runInProcess } from '../../bin/cli.ts';
import { runCli, type CliProcess } from './cli-process.ts';

/**
 * Issue 17 items 1–4 on a real `brain-store serve` process over PostgreSQL: configuration by
 * environment (one line naming a bad variable, --print-config redacted), migrations as a step
 * (--no-migrate refuses, migrate applies), probes, METRICS_TOKEN, request ids and access lines,
 * and SIGTERM: readyz 503 at once, an in-flight push finishes, a stream ends with a retry hint.
 */
const SECRET = 'operations-test-secret-0123456789';
const METRICS_TOKEN = 'scraper-token-0123456789abcdef';
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

/** A command line in this process (no tsx start-up: fast), with `env` set for its duration. */
async function run(args: readonly string[], env: Record<string, string>) {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  let out = '';
  let err = '';
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  try {
    const code = await runInProcess(args, { write: (text: string) => (out += text) }, { write: (text: string) => (err += text) });
    return { exited: code, stdout: lines(out), stderr: lines(err) };
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** The URL from serve's 'sync server listening' log line. */
async function listening(serve: CliProcess): Promise<string> {
  let url: string | undefined;
  await serve.waitFor(() => {
    for (const line of serve.stdout) {
      if (!line.includes('sync server listening')) continue;
      url = (JSON.parse(line) as { url: string }).url;
    }
    return url !== undefined;
  });
  return url!;
}

/** A POST whose body is sent in two parts: the second only when `finish()` is called. */
function slowPush(url: string, token: string, body: string) {
  const half = Math.floor(body.length / 2);
  let finish!: () => void;
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      `${url}/sync/brainActions/push`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { answered, finish: () => finish() };
}

await describeOnPostgres('brain-store serve in production (issue 17)', () => {
  it('a bad variable is one line naming it (exit 2); --print-config shows the effective values with secrets redacted', async () => {
    const bad = await run(['serve'], { AUTH_SECRET: SECRET, PORT: 'eighty' });
    expect(bad.exited).toBe(2);
    expect(bad.stderr).toEqual([expect.stringMatching(/^brain-store serve: PORT must be a whole number from 0 to 65535 \(got "eighty"\)/)]);

    const printed = await run(['serve', '--print-config', '--port', '9999'], {
      AUTH_SECRET: SECRET,
      DATABASE_URL: 'postgres://app:hunter2-password@db.internal:5432/brain',
      METRICS_TOKEN,
      CORS_ORIGINS: 'https://a.example.com, https://b.example.com',
      RETENTION_SUMMARIES: '90d',
    });
    expect(printed.exited).toBe(0);
    const text = printed.stdout.join('\n');
    expect(text).toContain('PORT=9999  # flag --port');
    expect(text).toContain('AUTH_SECRET=[redacted]  # environment');
    expect(text).toContain('METRICS_TOKEN=[redacted]');
    expect(text).toContain('DATABASE_URL=postgres://app:REDACTED@db.internal:5432/brain');
    expect(text).toContain('RETENTION_SUMMARIES=90d  # environment');
    expect(text).toContain('HOST=127.0.0.1  # default');
    for (const secret of [SECRET, METRICS_TOKEN, 'hunter2-password']) expect(text).not.toContain(secret);
  });

  it('--no-migrate refuses an unmigrated database; migrate --status and migrate apply once; then it serves', async () => {
    const scratch = await createScratchPostgresDatabase();
    drops.push(scratch.drop);
    const env = { AUTH_SECRET: SECRET, DATABASE_URL: scratch.url, PORT: '0', LOG_LEVEL: 'warn' };
    const refused = await run(['serve', '--no-migrate'], env);
    expect(refused.exited).toBe(1);
    expect(refused.stderr.join('\n')).toMatch(/lacks migration\(s\) 1 \(documents\).*run `brain-store migrate` first/);

    const status = await run(['migrate', '--status'], env);
    expect(status.exited).toBe(0);
    expect(status.stdout).toContain('  pending  1 documents');
    const migrate = await run(['migrate'], env);
    expect(migrate.exited).toBe(0);
    expect(migrate.stdout.join('\n')).toMatch(/applied 1, 2/);
    const again = await run(['migrate'], env);
    expect(again.exited).toBe(0);
    expect(again.stdout.join('\n')).toContain('up to date, nothing applied');

    const serve = runCli(['serve', '--no-migrate'], { ...env, LOG_LEVEL: 'info' });
    const url = await listening(serve);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  }, 120_000);

  it('probes, metrics for a static token, request ids in access lines; SIGTERM drains and exits', async () => {
    const scratch = await createScratchPostgresDatabase();
    drops.push(scratch.drop);
    const serve = runCli(['serve'], { AUTH_SECRET: SECRET, DATABASE_URL: scratch.url, PORT: '0', METRICS_TOKEN, LOG_LEVEL: 'info' });
    const url = await listening(serve);
    expect(await (await fetch(`${url}/livez`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ok: true });

    // Metrics: the static token reads them (with the process's default metrics); nothing else does.
    const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    const exposition = await metrics.text();
    expect(exposition).toContain('process_cpu_user_seconds_total');
    expect(exposition).toContain('nodejs_eventloop_lag_seconds');
    expect(exposition).toContain('brain_store_documents');
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    const operator = await createAccessToken({ secret: SECRET, workspaces: ['w'], ttlSeconds: 60, role: 'operator', subject: 'ops' });
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${operator}` } })).status).toBe(200);

    // A request id is taken (or made), returned, and in the request's access line.
    const taken = await fetch(`${url}/livez`, { headers: { 'x-request-id': 'lb-7f3a-0001' } });
    expect(taken.headers.get('x-request-id')).toBe('lb-7f3a-0001');
    const made = (await fetch(`${url}/livez`)).headers.get('x-request-id');
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    await serve.waitFor(() => serve.stdout.some((line) => line.includes('"requestId":"lb-7f3a-0001"')));
    const access = JSON.parse(serve.stdout.find((line) => line.includes('"requestId":"lb-7f3a-0001"'))!) as Record<string, unknown>;
    expect(access).toMatchObject({ level: 30, msg: 'request', method: 'GET', path: '/livez', status: 200 });

    // Shutdown: a stream open, a push half sent.
    const bot = await createAccessToken({ secret: SECRET, workspaces: ['w'], ttlSeconds: 600, role: 'bot', subject: 'bot' });
    const stream = await fetch(`${url}/sync/brainActions/stream`, { headers: { authorization: `Bearer ${bot}` } });
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    const doc = action('w', { created_at: Date.now(), reason: 'in flight during SIGTERM' });
    const push = slowPush(url, bot, JSON.stringify({ rows: [{ newDocumentState: doc, assumedMasterState: null }] }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    serve.child.kill('SIGTERM');
    // /readyz turns 503 at once (the listener stays open a moment for the load balancer to see it).
    let ready = 200;
    while (ready === 200) ready = (await fetch(`${url}/readyz`)).status;
    expect(ready).toBe(503);
    // The stream ends with a retry hint.
    let received = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value;
    }
    expect(received).toMatch(/retry: \d+\n\n$/);
    // The push that was in flight is answered and stored.
    push.finish();
    const answered = await push.answered;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toMatchObject({ conflicts: [], rejected: [] });
    expect(await serve.exited).toBe(0);
  });
});
