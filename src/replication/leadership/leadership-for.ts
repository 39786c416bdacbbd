import { BehaviorSubject, map } from 'rxjs';
import type { RxDatabase } from 'rxdb';
import type { Leadership, LiveMode } from './leadership.ts';
import { browserTabEnvironment, tabLeadership, type TabEnvironment } from './tab-leadership.ts';

export interface LeadershipOptions {
  readonly beatMs?: number;
  readonly staleMs?: number;
  /** The browser pieces (tests); default the running page's, where it has Web Locks. */
  readonly environment?: TabEnvironment;
}

/**
 * The election for a store's replication: a store of its own (not multi-instance) always
 * leads; in a browser with Web Locks, the tab election that follows the tab in use; elsewhere
 * (a multi-instance store without Web Locks) RxDB's own election, which never hands over.
 */
export function leadershipFor(
  database: Pick<RxDatabase, 'name' | 'multiInstance' | 'waitForLeadership'>,
  options: LeadershipOptions = {},
): Leadership {
  if (!database.multiInstance) return fixedLeadership(true);
  const environment = options.environment ?? browserTabEnvironment();
  if (environment) return tabLeadership({ name: database.name, environment, ...pick(options) });
  const leading = new BehaviorSubject(false);
  database.waitForLeadership().then(
    () => !leading.closed && leading.next(true),
    () => undefined,
  );
  return {
    leading$: leading.asObservable(),
    live$: leading.pipe(map((lead): LiveMode => (lead ? 'stream' : 'off'))),
    isLeader: () => leading.value,
    stop: () => leading.complete(),
  };
}

function fixedLeadership(value: boolean): Leadership {
  const leading = new BehaviorSubject(value);
  return {
    leading$: leading.asObservable(),
    live$: leading.pipe(map((lead): LiveMode => (lead ? 'stream' : 'off'))),
    isLeader: () => value,
    stop: () => leading.complete(),
  };
}

function pick(options: LeadershipOptions): { beatMs?: number; staleMs?: number } {
  return {
    ...(options.beatMs !== undefined ? { beatMs: options.beatMs } : {}),
    ...(options.staleMs !== undefined ? { staleMs: options.staleMs } : {}),
  };
}
