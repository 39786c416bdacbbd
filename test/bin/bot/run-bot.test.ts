import { afterEach, describe, expect, it } from 'vitest';
import { Faker, base, en } from '@faker-js/faker';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, type BrainStore } from '../../../src/index.ts';
import type { ExpiryScheduler } from '../../../src/store/scheduler.ts';
import { runBot, type BotWrite, type RunningBot } from '../../../bin/bot/run-bot.ts';
import { uniqueName } from '../../helpers/storages.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 2, 9);

/** Timers driven by hand on the same clock the store reads: nothing here waits on real time. */
function manualClock() {
  let now = T0;
  let next = 0;
  const timers = new Map<number, { at: number; run: () => void }>();
  const scheduler: ExpiryScheduler = {
    setTimeout(run, ms) {
      next += 1;
      timers.set(next, { at: now + ms, run });
      return next;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  return {
    now: () => now,
    scheduler,
    pending: () => timers.size,
    /** Moves the clock to `to`, firing every timer due on the way in order, letting the bot's writes finish after each. */
    async advanceTo(to: number, bot: RunningBot) {
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].run();
        await bot.idle();
      }
      now = to;
    },
  };
}

const stores: BrainStore[] = [];
const bots: RunningBot[] = [];
afterEach(async () => {
  await Promise.all(bots.splice(0).map((bot) => bot.stop()));
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function setup(options: { rate?: number; periodMs?: number; seed?: number; clock?: ReturnType<typeof manualClock> } = {}) {
  const clock = options.clock ?? manualClock();
  const store = await createBrainStore({ name: uniqueName(), storage: getRxStorageMemory(), now: clock.now });
  stores.push(store);
  return { clock, store };
}

function start(
  store: BrainStore,
  clock: ReturnType<typeof manualClock>,
  options: { rate?: number; periodMs?: number; seed?: number } = {},
) {
  const writes: BotWrite[] = [];
  const bot = runBot({
    store,
    workspace: 'w1',
    faker: new Faker({ locale: [en, base], seed: options.seed ?? 7 }),
    summaryEveryMs: options.periodMs ?? DAY,
    actionsPerMinute: options.rate ?? 0,
    scheduler: clock.scheduler,
    onWrite: (write) => writes.push(write),
    onError: (error) => {
      throw error;
    },
  });
  bots.push(bot);
  return { bot, writes };
}

const summaries = (store: BrainStore) => store.brainSummaries.getSummariesByWorkspace({ workspace_id: 'w1', limit: 100 }).exec();
const count = (writes: readonly BotWrite[], collection: BotWrite['collection']) =>
  writes.filter((w) => w.collection === collection).reduce((n, w) => n + w.ids.length, 0);

describe('runBot (issue 7: the bot as a program)', () => {
  it('writes a daily summary and a bulk of insights at start, then once per day', async () => {
    const { clock, store } = await setup();
    const { bot, writes } = start(store, clock);
    await bot.started;
    expect(await summaries(store)).toHaveLength(1);
    expect((await summaries(store))[0]).toMatchObject({ summary_type: 'daily', trigger: 'cron', created_at: T0 });
    expect(count(writes, 'brainInsights')).toBeGreaterThanOrEqual(3);

    await clock.advanceTo(T0 + DAY, bot);
    expect(await summaries(store)).toHaveLength(1); // the day is not over yet: still inside the window
    await clock.advanceTo(T0 + DAY + 1_000, bot);
    expect(await summaries(store)).toHaveLength(2);
    await clock.advanceTo(T0 + 3 * DAY + 1_000, bot);
    expect(await summaries(store)).toHaveLength(4);
  });

  it('a restart within the day writes no second summary, and writes the next one when the day has passed', async () => {
    const { clock, store } = await setup();
    const first = start(store, clock);
    await first.bot.started;
    await first.bot.stop();
    const insightsBefore = count(first.writes, 'brainInsights');

    await clock.advanceTo(T0 + 5 * HOUR, first.bot);
    const second = start(store, clock);
    await second.bot.started;
    expect(await summaries(store)).toHaveLength(1);
    expect(count(second.writes, 'brainSummaries') + count(second.writes, 'brainInsights')).toBe(0);
    expect(insightsBefore).toBeGreaterThan(0);

    // Due exactly one period after the existing summary, not one period after the restart.
    await clock.advanceTo(T0 + DAY + 1, second.bot);
    expect(await summaries(store)).toHaveLength(2);
    expect((await summaries(store))[0]!.created_at).toBe(T0 + DAY + 1);
  });

  it('a summary of another kind (manual) does not count as the daily one', async () => {
    const { clock, store } = await setup();
    await store.brainSummaries.createSummary({
      workspace_id: 'w1',
      summary_text: 'asked for by hand',
      summary_type: 'manual',
      trigger: 'command',
      metrics: { newLeadsCount: 1, hotLeadsCount: 0, warmLeadsCount: 0, coldLeadsCount: 1 },
    });
    const { bot } = start(store, clock);
    await bot.started;
    expect((await summaries(store)).map((s) => s.summary_type).sort()).toEqual(['daily', 'manual']);
  });

  it('a configured period (30 min) writes scheduled summaries on that cadence', async () => {
    const { clock, store } = await setup();
    const { bot } = start(store, clock, { periodMs: 30 * 60_000 });
    await bot.started;
    await clock.advanceTo(T0 + 2 * HOUR + 10_000, bot);
    const all = await summaries(store);
    expect(all).toHaveLength(5);
    expect(new Set(all.map((s) => s.summary_type))).toEqual(new Set(['scheduled']));
  });

  it('trickles actions at --rate per minute, varied, and stops writing after stop()', async () => {
    const { clock, store } = await setup();
    const { bot, writes } = start(store, clock, { rate: 6 });
    await bot.started;
    await clock.advanceTo(T0 + 10 * 60_000, bot);
    expect(count(writes, 'brainActions')).toBe(60);
    const actions = await store.brainActions.getActionsByWorkspace({ workspace_id: 'w1', limit: 100 }).exec();
    expect(actions).toHaveLength(60);
    expect(new Set(actions.map((a) => a.contact_id)).size).toBe(60);
    expect(new Set(actions.map((a) => a.reason)).size).toBeGreaterThan(50);
    expect(new Set(actions.map((a) => a.urgency)).size).toBe(3);
    expect(new Set(actions.map((a) => a.action_type)).size).toBe(4);
    for (const action of actions) {
      const band = { immediate: [80, 100], today: [50, 89], this_week: [10, 59] }[action.urgency];
      expect(action.priority).toBeGreaterThanOrEqual(band[0]!);
      expect(action.priority).toBeLessThanOrEqual(band[1]!);
    }

    await bot.stop();
    expect(clock.pending()).toBe(0);
    await clock.advanceTo(T0 + 20 * 60_000, bot);
    expect(count(writes, 'brainActions')).toBe(60);
  });

  it('the same seed writes the same content (repeatable runs)', async () => {
    const contents = [];
    for (let run = 0; run < 2; run++) {
      const { clock, store } = await setup();
      const { bot } = start(store, clock, { rate: 60, seed: 42 });
      await bot.started;
      await clock.advanceTo(T0 + 10_000, bot);
      const actions = await store.brainActions.getActionsByWorkspace({ workspace_id: 'w1', limit: 100 }).exec();
      const summary = (await summaries(store))[0]!;
      contents.push({
        summary: summary.summary_text,
        actions: actions
          .map(({ contact_id, reason, priority, urgency }) => ({ contact_id, reason, priority, urgency }))
          .sort((a, b) => a.contact_id.localeCompare(b.contact_id)),
      });
    }
    expect(contents[0]!.actions).toHaveLength(10);
    expect(contents[1]).toEqual(contents[0]);
  });
});
