/**
 * `brain-store status`: what an operator checks first — is the server up, how many documents
 * each collection holds, how many change streams are open, which pushes were refused.
 * Reads /healthz (open) and /metrics (an operator token: --token or minted from AUTH_SECRET).
 */
import type { CliOutput } from './cli-output.ts';
import { parseArgs } from 'node:util';
import { endpoints } from '../src/protocol/endpoints.ts';
import { authSecretFromEnv, serverOption } from './cli-options.ts';
import { mintToken } from './mint-token.ts';
import { DEFAULT_PORT } from './server-defaults.ts';
import { ServerRequestError, serverRequest } from './server-request.ts';

const COLLECTION_ORDER = ['brainSummaries', 'brainInsights', 'brainActions'];

export async function runStatusCommand(argv: readonly string[], out: CliOutput = process.stdout): Promise<void> {
  const { values } = parseArgs({ args: [...argv], strict: true, options: { server: { type: 'string' }, token: { type: 'string' } } });
  const server = serverOption(values.server, `http://127.0.0.1:${DEFAULT_PORT}`);
  const health = await serverRequest({ server, path: endpoints.health }).catch((error: unknown) => {
    // A 503 from /healthz is an answer: the server runs but its database does not.
    if (error instanceof ServerRequestError && / 503/.test(error.message))
      throw new ServerRequestError(`${server} is up but unhealthy: its database does not answer`);
    throw error;
  });
  await health.body?.cancel();
  const token = values.token ?? (await operatorToken());
  const metrics = parsePrometheus(await (await serverRequest({ server, path: endpoints.metrics, ...(token ? { token } : {}) })).text());

  const documents = new Map<string, { live: number; deleted: number }>();
  for (const sample of metrics.filter((s) => s.name === 'brain_store_documents')) {
    const collection = sample.labels['collection'] ?? '?';
    const entry = documents.get(collection) ?? { live: 0, deleted: 0 };
    entry[sample.labels['state'] === 'deleted' ? 'deleted' : 'live'] += sample.value;
    documents.set(collection, entry);
  }
  const names = [...new Set([...COLLECTION_ORDER, ...documents.keys()])];
  const streams = metrics.find((s) => s.name === 'brain_store_stream_clients')?.value ?? 0;
  const rejected = new Map<string, number>();
  for (const sample of metrics.filter((s) => s.name === 'brain_store_rejected_rows_total' && s.value > 0)) {
    const code = sample.labels['code'] ?? '?';
    rejected.set(code, (rejected.get(code) ?? 0) + sample.value);
  }

  const lines = [
    `server     ${server} — healthy`,
    'documents  ' +
      names
        .map((name) => {
          const count = documents.get(name) ?? { live: 0, deleted: 0 };
          return `${name} ${count.live}${count.deleted ? ` (+${count.deleted} deleted)` : ''}`;
        })
        .join(' · '),
    `streams    ${streams} connected`,
    `rejected   ${rejected.size === 0 ? 'none since start' : [...rejected].map(([code, n]) => `${code} ${n}`).join(' · ')}`,
  ];
  out.write(`${lines.join('\n')}\n`);
}

/** An operator token from AUTH_SECRET, or none (a server before roles answers /metrics anonymously). */
async function operatorToken(): Promise<string | undefined> {
  const secret = authSecretFromEnv();
  if (secret === undefined) return undefined;
  return mintToken({ secret, workspaces: ['*'], role: 'operator', subject: 'brain-store-status', ttlSeconds: 300 });
}

export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The Prometheus text format's samples (comments skipped; label values unescaped). */
export function parsePrometheus(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}
