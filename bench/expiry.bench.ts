/**
 * Expiry (issue 4, item 6), on RxDB's memory storage and on Dexie over fake-indexeddb:
 * expiring 10k of 100k pending actions with cleanupExpiredActions (time, and documents read
 * — about the number expired when an index serves it), and the cost of one expiry timer
 * tick with 10k pending actions and none due (time and documents read).
 */
import type { BenchModule, BenchRow } from './lib/bench-module.ts';
import { CLIENT_STORAGES } from './lib/storages.ts';
import { benchExpireDue } from './expiry/expire-due.ts';
import { benchTimerTick } from './expiry/timer-tick.ts';

const expiry: BenchModule = {
  name: 'expiry',
  description:
    'Expiry on memory storage and Dexie (fake-indexeddb): cleanupExpiredActions expiring 10k of 100k (Dexie: 2k of 20k) — time and documents read; one expiry timer tick with 10k pending, none due — time and documents read.',
  async run(context) {
    const rows: BenchRow[] = [];
    for (const storage of [...CLIENT_STORAGES].reverse()) {
      rows.push(...(await benchExpireDue(context, storage)));
      rows.push(...(await benchTimerTick(context, storage)));
    }
    return rows;
  },
};

export default expiry;
