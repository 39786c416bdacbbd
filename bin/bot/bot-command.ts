/**
 * `brain-store bot`: the bot as a program. Its own durable store, replication upstream with a
 * bot token, the work loop (runBot), the expiry cleanup, one status line; runs with the server
 * down and catches up when it returns; SIGINT/SIGTERM stop it cleanly.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { faker } from '@faker-js/faker/locale/en';
import { filter, firstValueFrom } from 'rxjs';
import { replicateBrainStore, startExpiryCleanup, type SyncStatus } from '../../src/index.ts';
import { CliError } from '../cli-error.ts';
import { authSecretFromEnv, durationOption, numberOption, serverOption, wholeNumberOption } from '../cli-options.ts';
import { mintToken } from '../mint-token.ts';
import { DEFAULT_PORT } from '../server-defaults.ts';
import { DEFAULT_BOT_DATA, STOP_WITH_STDIN } from './bot-defaults.ts';
import { openBotStore } from './open-bot-store.ts';
import { runBot } from './run-bot.ts';
import { createStatusPrinter } from './status-line.ts';

const TOKEN_TTL_SECONDS = 24 * 3_600;

export async function runBotCommand(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      server: { type: 'string' },
      workspace: { type: 'string' },
      token: { type: 'string' },
      data: { type: 'string' },
      memory: { type: 'boolean' },
      rate: { type: 'string' },
      'summary-every': { type: 'string' },
      seed: { type: 'string' },
      'status-every': { type: 'string' },
      'log-writes': { type: 'boolean' },
    },
  });
  const url = serverOption(values.server, `http://127.0.0.1:${DEFAULT_PORT}`);
  const workspace = values.workspace ?? 'demo';
  const rate = numberOption('rate', values.rate, 6, 0);
  const summaryEveryMs = durationOption('summary-every', values['summary-every'], 86_400_000);
  const statusEveryMs = durationOption('status-every', values['status-every'], 10_000);
  const seed = wholeNumberOption('seed', values.seed, randomInt(1, 2 ** 31), 0);
  const getToken = tokenSource(values.token, workspace);

  faker.seed(seed);
  const store = await openBotStore({ path: values.memory ? undefined : (values.data ?? DEFAULT_BOT_DATA) });
  const out = (text: string) => void process.stdout.write(text);
  out(`brain-store bot: workspace "${workspace}", ${url}, seed ${seed}, ${rate}/min, summary every ${values['summary-every'] ?? '24h'}\n`);
  let status: SyncStatus = { state: 'syncing', pending: 0, lastSyncedAt: null };
  let rejected = 0;
  let written = 0;
  const printer = createStatusPrinter({
    write: out,
    isTTY: process.stdout.isTTY === true,
    intervalMs: statusEveryMs,
    now: store.now,
    read: () => ({ ...status, written, rejected }),
  });

  const sync = replicateBrainStore(store, { url, getToken, retryTime: 2_000 });
  const subscriptions = [
    sync.status$.subscribe((next) => {
      status = next;
      printer.update();
    }),
    sync.rejected$.subscribe((list) => {
      rejected = list.length;
      printer.update();
    }),
  ];
  const cleanup = startExpiryCleanup(store, { onError: (error) => printer.log(`expiry cleanup: ${String(error)}`) });
  // A first pull, when the server answers soon, lets another instance's summary of this
  // period count before deciding; offline the bot starts from its own store.
  const firstPull = Promise.race([sync.awaitInSync().catch(() => undefined), delay(3_000)]);
  const bot = runBot({
    store,
    workspace,
    faker,
    summaryEveryMs,
    actionsPerMinute: rate,
    ready: firstPull,
    onWrite: ({ collection, ids }) => {
      written += ids.length;
      if (values['log-writes']) for (const id of ids) printer.log(`wrote ${collection} ${id}`);
      printer.update();
    },
    onError: (error) => printer.log(`write failed: ${String(error)}`),
  });

  await waitForSignal();
  await bot.stop();
  cleanup.unsubscribe();
  // A clean stop hands over what it can: pending writes get a bounded chance to reach the
  // server (they are durable either way, and the next start pushes whatever is left).
  // Offline or failing, it stops at once.
  const unreachable = firstValueFrom(sync.status$.pipe(filter((status) => status.state === 'offline' || status.state === 'error')));
  await Promise.race([sync.awaitInSync().catch(() => undefined), unreachable, delay(STOP_FLUSH_MS)]);
  await sync.cancel();
  for (const subscription of subscriptions) subscription.unsubscribe();
  printer.stop();
  await store.close();
}

/** How long a clean stop waits for pending writes to reach the server. */
const STOP_FLUSH_MS = 10_000;

/** --token as given, or a bot token minted from AUTH_SECRET and renewed well before it expires. */
function tokenSource(token: string | undefined, workspace: string): () => Promise<string> {
  if (token !== undefined) return () => Promise.resolve(token);
  const secret = authSecretFromEnv();
  if (secret === undefined) throw new CliError("pass --token or set AUTH_SECRET (the server's secret) to mint a bot token");
  let current: { token: Promise<string>; renewAt: number } | undefined;
  return () => {
    if (!current || Date.now() >= current.renewAt) {
      current = {
        token: mintToken({ secret, workspaces: [workspace], role: 'bot', subject: 'brain-store-bot', ttlSeconds: TOKEN_TTL_SECONDS }),
        renewAt: Date.now() + (TOKEN_TTL_SECONDS * 1_000) / 2,
      };
    }
    return current.token;
  };
}

function waitForSignal(): Promise<void> {
  const watchStdin = process.env[STOP_WITH_STDIN] === '1';
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (watchStdin) {
        process.stdin.off('close', stop);
        process.stdin.pause();
      }
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (watchStdin) {
      process.stdin.once('close', stop);
      process.stdin.resume();
    }
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
