/**
 * `brain-store seed`: bulk-loads action recommendations into a workspace through the sync
 * API — the push endpoint with a bot token, exactly what a replicating bot sends — with a
 * progress bar and the rate achieved.
 */
import type { CliOutput } from './cli-output.ts';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { faker } from '@faker-js/faker/locale/en';
import { endpoints, MAX_PUSH_ROWS } from '../src/protocol/endpoints.ts';
import type { PushResponse } from '../src/protocol/messages.ts';
import { uuidV7 } from '../src/store/uuid-v7.ts';
import { descendingTime } from '../src/collections/fields.ts';
import { DEFAULT_ACTION_TTL_MS, type BrainActionDocument } from '../src/collections/brain-actions.ts';
import { actionArgs } from './bot/brain-content.ts';
import { CliError } from './cli-error.ts';
import { authSecretFromEnv, serverOption, wholeNumberOption } from './cli-options.ts';
import { mintToken } from './mint-token.ts';
import { DEFAULT_PORT } from './server-defaults.ts';
import { ServerRequestError, serverRequest } from './server-request.ts';

export async function runSeedCommand(argv: readonly string[], out: CliOutput = process.stdout): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      workspace: { type: 'string' },
      actions: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      batch: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const workspace = values.workspace;
  if (!workspace) throw new CliError('--workspace is required');
  if (values.actions === undefined) throw new CliError('--actions is required');
  const total = wholeNumberOption('actions', values.actions, 0, 1);
  const batch = wholeNumberOption('batch', values.batch, 500, 1);
  if (batch > MAX_PUSH_ROWS) throw new CliError(`--batch must be at most ${MAX_PUSH_ROWS}`);
  const server = serverOption(values.server, `http://127.0.0.1:${DEFAULT_PORT}`);
  const token = values.token ?? (await botToken(workspace));
  faker.seed(wholeNumberOption('seed', values.seed, 1, 0));

  await serverRequest({ server, path: endpoints.health });
  const bar = new cliProgress.SingleBar(
    { format: 'seed |{bar}| {value}/{total} actions · {rate} actions/s · eta {eta_formatted}', hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(total, 0, { rate: 0 });
  try {
    for (let done = 0; done < total;) {
      const size = Math.min(batch, total - done);
      const rows = Array.from({ length: size }, () => ({
        newDocumentState: { ...actionDocument(workspace), _deleted: false },
        assumedMasterState: null,
      }));
      const response = await serverRequest({ server, path: endpoints.push('brainActions'), token, body: { rows }, timeoutMs: 60_000 });
      const answer = (await response.json()) as PushResponse;
      const refused = answer.rejected[0];
      if (refused) throw new ServerRequestError(`the server refused ${answer.rejected.length} row(s): ${refused.code} ${refused.message}`);
      done += size;
      bar.update(done, { rate: Math.round(done / ((performance.now() - started) / 1000)) });
    }
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  out.write(`seeded ${total} actions into "${workspace}" in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} actions/s)\n`);
}

/** The stored form, as createActionRecommendation builds it (the server validates it against the same schema). */
function actionDocument(workspace_id: string): BrainActionDocument {
  const now = Date.now();
  const args = actionArgs(faker, workspace_id, now);
  return {
    ...args,
    id: uuidV7(),
    status: 'pending',
    status_at: now,
    created_at: now,
    expires_at: args.expires_at ?? now + DEFAULT_ACTION_TTL_MS,
    snoozed_until: 0,
    priority_rank: 100 - args.priority,
    created_desc: descendingTime(now),
  };
}

async function botToken(workspace: string): Promise<string> {
  const secret = authSecretFromEnv();
  if (secret === undefined) throw new CliError("pass --token or set AUTH_SECRET (the server's secret) to mint a bot token");
  return mintToken({ secret, workspaces: [workspace], role: 'bot', subject: 'brain-store-seed', ttlSeconds: 3_600 });
}
