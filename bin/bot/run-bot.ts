/**
 * The bot's work loop, free of I/O choices: given a store, a clock (the store's), timers and
 * a seeded faker, it writes a summary and a bulk of insights at start and once per period
 * (unless the period already has one), and a steady trickle of action recommendations.
 * Every write goes through one queue, so stop() can wait for the write in flight.
 */
import type { Faker } from '@faker-js/faker';
import type { BrainStore } from '../../src/index.ts';
import { defaultScheduler, timerDelay, type ExpiryScheduler } from '../../src/store/scheduler.ts';
import { actionArgs, insightBatch, summaryArgs } from './brain-content.ts';
import { summaryDecision, summaryTypeFor } from './summary-decision.ts';

const DAY_MS = 86_400_000;
/** A failed summary cycle is tried again after this long (or the period, if shorter). */
const RETRY_MS = 60_000;

export interface BotWrite {
  readonly collection: 'brainSummaries' | 'brainInsights' | 'brainActions';
  /** Ids of documents the store has acknowledged (their write promise resolved). */
  readonly ids: readonly string[];
}

export interface RunBotOptions {
  readonly store: Pick<BrainStore, 'brainSummaries' | 'brainInsights' | 'brainActions' | 'now'>;
  readonly workspace: string;
  readonly faker: Faker;
  /** Summary cadence in ms (default 24 h). */
  readonly summaryEveryMs?: number;
  /** Action recommendations per minute (0: none). */
  readonly actionsPerMinute: number;
  readonly scheduler?: ExpiryScheduler;
  /** Awaited before the first summary decision (e.g. a first pull, bounded by a timeout). */
  readonly ready?: Promise<unknown>;
  readonly onWrite?: (write: BotWrite) => void;
  /** A failed write (the loop keeps going). */
  readonly onError?: (error: unknown) => void;
}

export interface RunningBot {
  /** Documents written so far. */
  readonly written: number;
  /** Resolves after the first summary decision (and its writes, if any). */
  readonly started: Promise<void>;
  /** Resolves when no write is queued or in flight (tests step the scheduler, then await this). */
  idle(): Promise<void>;
  /** Stops the timers and waits for the write in flight. */
  stop(): Promise<void>;
}

export function runBot(options: RunBotOptions): RunningBot {
  const { store, workspace, faker } = options;
  const scheduler = options.scheduler ?? defaultScheduler;
  const periodMs = options.summaryEveryMs ?? DAY_MS;
  const summaryType = summaryTypeFor(periodMs);
  const actionEveryMs = options.actionsPerMinute > 0 ? 60_000 / options.actionsPerMinute : undefined;
  const timers = new Set<unknown>();
  let stopped = false;
  let written = 0;
  let queue: Promise<void> = Promise.resolve();

  const report = (write: BotWrite) => {
    written += write.ids.length;
    options.onWrite?.(write);
  };
  /** Runs `job` after the previous one; its errors go to onError, never to the queue. */
  const enqueue = (job: () => Promise<void>): Promise<void> =>
    (queue = queue.then(() => (stopped ? undefined : job())).catch((error: unknown) => options.onError?.(error)));
  const after = (ms: number, job: () => void) => {
    if (stopped) return;
    const handle = scheduler.setTimeout(() => {
      timers.delete(handle);
      job();
    }, timerDelay(ms));
    timers.add(handle);
  };

  const summaryCycle = async (): Promise<void> => {
    // Until a decision and its writes succeed, look again soon rather than a period later.
    let nextAt = store.now() + Math.min(periodMs, RETRY_MS);
    try {
      const recent = await store.brainSummaries.getRecentSummaries({ workspace_id: workspace, days: periodMs / DAY_MS }).exec();
      const decision = summaryDecision(recent, summaryType, store.now(), periodMs);
      if (decision.due) {
        const summary = await store.brainSummaries.createSummary(summaryArgs(faker, workspace, summaryType));
        report({ collection: 'brainSummaries', ids: [summary] });
        const insights = await store.brainInsights.bulkCreateInsights({ insights: insightBatch(faker, workspace) });
        report({ collection: 'brainInsights', ids: insights });
      }
      nextAt = decision.nextAt;
    } finally {
      after(nextAt - store.now(), () => void enqueue(summaryCycle));
    }
  };
  const actionTick = async (): Promise<void> => {
    try {
      report({
        collection: 'brainActions',
        ids: [await store.brainActions.createActionRecommendation(actionArgs(faker, workspace, store.now()))],
      });
    } finally {
      if (actionEveryMs !== undefined) after(actionEveryMs, () => void enqueue(actionTick));
    }
  };

  const started = (async () => {
    await options.ready;
    await enqueue(summaryCycle);
    if (actionEveryMs !== undefined) after(actionEveryMs, () => void enqueue(actionTick));
  })();

  return {
    get written() {
      return written;
    },
    started,
    async idle() {
      await started.catch(() => undefined);
      // A job may enqueue the next one as it ends: wait until the queue stops changing.
      for (let seen = queue; ; seen = queue) {
        await seen;
        if (seen === queue) return;
      }
    },
    async stop() {
      stopped = true;
      for (const handle of timers) scheduler.clearTimeout(handle);
      timers.clear();
      await started.catch(() => undefined);
      await queue;
    },
  };
}
