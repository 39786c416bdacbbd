/**
 * Reconnects across a server restart (issue 17.6): 300 live change streams against a real
 * `brain-store serve` process on PostgreSQL, which is SIGKILLed and started again on the same
 * port. The restarted server's access lines say when each stream came back; from them, the
 * peak reconnects in any one second and the spread. Twice per round, in this one process: the
 * streams' backoff drawing each wait as the whole window (`random = () => 1`: the fixed
 * exponential backoff clients had before the jitter) and uniformly within it (full jitter).
 */
import { randomBytes } from 'node:crypto';
import { createAccessToken } from '../src/server/auth/access-token.ts';
import { endpoints } from '../src/protocol/endpoints.ts';
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { info } from './lib/bench-module.ts';
import { loadNote } from './lib/load-note.ts';
import { median, percentile, round } from './lib/stats.ts';
import { admin, POSTGRES_URL, postgresUnavailable } from './lib/sync-server.ts';
import { freePort } from '../harness/free-port.ts';
import { startServe } from './reconnect/serve-process.ts';
import { openStreamFleet } from './reconnect/stream-fleet.ts';

const WORKSPACE = 'reconnect';
const STREAM_PATH = endpoints.stream('brainActions');

type Mode = 'fixed' | 'jitter';
const RANDOM: Record<Mode, () => number> = { fixed: () => 1, jitter: Math.random };

interface RestartRun {
  readonly mode: Mode;
  readonly clients: number;
  /** Server down: SIGKILL → the new process listening (ms). */
  readonly downMs: number;
  /** Most reconnects arriving at the server within any one second. */
  readonly peakPerSecond: number;
  /** Most reconnects the server answered within any one second (its throughput caps this). */
  readonly peakAnsweredPerSecond: number;
  /** Longest a reconnect waited for its answer (ms): the server's backlog in a burst. */
  readonly slowestAnswerMs: number;
  /** Most reconnects arriving within any 100 ms (the burst's sharpness). */
  readonly peakPer100Ms: number;
  /** 10th → 90th percentile of those (ms). */
  readonly spreadMs: number;
  /** Listening → the last stream back (ms). */
  readonly allBackMs: number;
  /** Network errors the streams met meanwhile (cut connections, refused connects). */
  readonly errors: number;
}

/** The largest number of sorted times within any window of `windowMs`. */
function peakWithin(sorted: readonly number[], windowMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

async function restartRun(
  mode: Mode,
  pauseMs: number,
  env: Readonly<Record<string, string>>,
  tokens: readonly string[],
  log: (line: string) => void,
): Promise<RestartRun> {
  const first = await startServe(env, STREAM_PATH);
  const fleet = openStreamFleet({ url: first.url, path: STREAM_PATH, tokens, random: RANDOM[mode] });
  try {
    await fleet.connected(1, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const killedAt = Date.now();
    await first.kill();
    // A restart that takes longer (a deploy pulling its image): the clients' windows grow meanwhile.
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const second = await startServe(env, STREAM_PATH);
    try {
      await fleet.connected(2, 120_000);
      const arrivals = second.streamOpens.map((open) => open.arrivedAt).sort((a, b) => a - b);
      const answers = second.streamOpens.map((open) => open.answeredAt).sort((a, b) => a - b);
      const afterListening = arrivals.map((at) => at - second.listeningAt);
      const run: RestartRun = {
        mode,
        clients: tokens.length,
        downMs: second.listeningAt - killedAt,
        peakPerSecond: peakWithin(arrivals, 1_000),
        peakPer100Ms: peakWithin(arrivals, 100),
        peakAnsweredPerSecond: peakWithin(answers, 1_000),
        slowestAnswerMs: Math.max(...second.streamOpens.map((open) => open.answeredAt - open.arrivedAt)),
        spreadMs: round(percentile(afterListening, 90) - percentile(afterListening, 10), 0),
        allBackMs: afterListening.at(-1) ?? 0,
        errors: fleet.errors,
      };
      log(
        `reconnect ${mode}, pause ${pauseMs} ms: down ${run.downMs} ms, peak ${run.peakPerSecond}/s (${run.peakPer100Ms} in 100 ms) arriving (${run.peakAnsweredPerSecond}/s answered, slowest answer ${run.slowestAnswerMs} ms), p10–p90 spread ${run.spreadMs} ms, all back ${run.allBackMs} ms after listening`,
      );
      return run;
    } finally {
      fleet.stop();
      await second.kill();
    }
  } finally {
    fleet.stop();
    await first.kill();
  }
}

function describeRuns(runs: readonly RestartRun[]): string {
  return runs
    .map(
      (run) =>
        `peak ${run.peakPerSecond}/s (${run.peakPer100Ms} within 100 ms) arriving (${run.peakAnsweredPerSecond}/s answered, slowest answer ${run.slowestAnswerMs} ms), p10–p90 ${run.spreadMs} ms, all back ${run.allBackMs} ms after listening (down ${run.downMs} ms)`,
    )
    .join('; ');
}

/** Restarted at once (a crash and a supervisor), and 5 s later (a deploy that first pulls an image). */
const SCENARIOS = [
  { key: 'restart', label: 'restarted at once', pauseMs: 0 },
  { key: 'restart-after-5s', label: 'restarted after 5 s', pauseMs: 5_000 },
] as const;

function scenarioRows(scenario: (typeof SCENARIOS)[number], clients: number, runs: Record<Mode, RestartRun[]>): BenchRow[] {
  const peak = (mode: Mode) => median(runs[mode].map((run) => run.peakPerSecond));
  const spread = (mode: Mode) => median(runs[mode].map((run) => run.spreadMs));
  const rows: BenchRow[] = [];
  for (const [mode, label] of [
    ['fixed', 'fixed backoff (before)'],
    ['jitter', 'full jitter (after)'],
  ] as const) {
    rows.push(
      info({
        id: `${scenario.key}.${mode}.peak`,
        name: `peak stream reconnects per second, ${clients} clients, server SIGKILLed and ${scenario.label}, ${label}`,
        subject: 'postgres',
        value: peak(mode),
        unit: '/s',
        note: `median of ${runs[mode].length} restarts: ${describeRuns(runs[mode])}` + loadNote(),
        details: { runs: runs[mode] },
      }),
      info({
        id: `${scenario.key}.${mode}.spread`,
        name: `spread of those reconnects (10th → 90th percentile), ${scenario.label}, ${label}`,
        subject: 'postgres',
        value: spread(mode),
        unit: 'ms',
        note: `from the restarted server listening to the last stream back: ${runs[mode].map((run) => run.allBackMs).join(', ')} ms`,
      }),
    );
  }
  rows.push(
    info({
      id: `${scenario.key}.peak-ratio`,
      name: `peak reconnects per second, ${scenario.label}: fixed backoff / full jitter`,
      subject: 'postgres',
      value: round(peak('fixed') / Math.max(1, peak('jitter')), 1),
      unit: '×',
      note: `${peak('fixed')}/s before, ${peak('jitter')}/s after, same process and machine`,
    }),
  );
  return rows;
}

const reconnect: BenchModule = {
  name: 'reconnect',
  description:
    'Issue 17.6: 300 live change streams (the client\'s own stream code and backoff, 1 s doubling to 30 s, all in one client process) against `brain-store serve` on PostgreSQL, SIGKILLed and started again on the same port, at once and after 5 s; a reconnect is the restarted server\'s access line for a stream (its time less the ms it took to answer: the arrival, which a server busy with the burst does not flatten). "fixed" waits the whole window every time, the backoff before the jitter; "jitter" a uniform random part of it (full jitter), in the same process. With the fixed backoff the clients that lost the server together retry together, so all 300 return in one burst at the first retry instant after the restart (peak 300/s, within ~0.3 s: the one client process spreads its burst that much), however long the outage; with full jitter they return spread over the window they have reached, so the peak drops more the longer the server was away (a 1–2 s window for a restart at once, 4–8 s after 5 s).',
  unavailable: postgresUnavailable,
  async run(context) {
    const clients = context.scale(300, 40);
    const rounds = context.scale(3, 1);
    const name = `brain_store_reconnect_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${name}`);
    try {
      const secret = randomBytes(24).toString('hex');
      const env = {
        AUTH_SECRET: secret,
        DATABASE_URL: `${POSTGRES_URL}/${name}`,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        RATE_LIMIT: '0',
      };
      // One subject per client: the server allows 10 streams per subject.
      const tokens = await Promise.all(
        Array.from({ length: clients }, (_, index) =>
          createAccessToken({ secret, workspaces: [WORKSPACE], ttlSeconds: 3_600, role: 'member', subject: `client-${index}` }),
        ),
      );
      const rows: BenchRow[] = [];
      for (const scenario of SCENARIOS) {
        const runs: Record<Mode, RestartRun[]> = { fixed: [], jitter: [] };
        for (let round = 0; round < rounds; round++) {
          // Alternating order, so neither mode always runs on a warmer machine.
          for (const mode of round % 2 === 0 ? (['fixed', 'jitter'] as const) : (['jitter', 'fixed'] as const)) {
            runs[mode].push(await restartRun(mode, scenario.pauseMs, env, tokens, context.log));
          }
        }
        rows.push(...scenarioRows(scenario, clients, runs));
      }
      return rows;
    } finally {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  },
};

export default reconnect;
