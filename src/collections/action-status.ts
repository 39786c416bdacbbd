import { laterSnooze, sameSnooze, withSnoozeOf, type SnoozeFields } from './action-snooze.ts';

/**
 * The action status state machine and its merge rule, shared by the client conflict
 * handler, the local writes and the server.
 *
 *   pending ──► actioned | dismissed | expired     (terminal states never change again)
 */
export const ACTION_STATUSES = ['pending', 'actioned', 'dismissed', 'expired'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];
export type TerminalStatus = Exclude<ActionStatus, 'pending'>;

/** Tie-break between two terminal states entered at the same millisecond. */
export const TERMINAL_ORDER: readonly TerminalStatus[] = ['actioned', 'dismissed', 'expired'];

export function canTransition(from: ActionStatus, to: ActionStatus): boolean {
  return from === 'pending' && to !== 'pending';
}

interface StatusFields extends SnoozeFields {
  readonly status: ActionStatus;
  /** When the current status was entered (created_at while pending). */
  readonly status_at: number;
}

/**
 * Which of two versions of one action wins. It is a join: commutative, associative and
 * idempotent on the status part, so every replica converges whatever the delivery order.
 * - a terminal status beats pending;
 * - between two terminal statuses the earlier transition wins, ties by TERMINAL_ORDER;
 * - two pending versions (e.g. a re-prioritisation): the master (server) version wins, but
 *   the snooze that stands is the later one of the two (action-snooze.ts): a snooze made on
 *   one client survives a bot's re-prioritisation on the server, and the reverse. The snooze
 *   part is a join too (a maximum in a total order), so it converges like the status part.
 * - the same terminal status at the same instant: the canonical JSON that sorts first wins,
 *   so even the non-status fields agree everywhere.
 */
export function mergeActionVersions<Doc extends StatusFields>(master: Doc, incoming: Doc): Doc {
  if (master.status === 'pending' && incoming.status === 'pending') {
    if (sameSnooze(master, incoming) || laterSnooze(master, incoming) === master) return master;
    // Neither version as it is, unless the incoming one differs only by its later snooze.
    const merged = withSnoozeOf(master, incoming);
    return canonicalJson(merged) === canonicalJson(incoming) ? incoming : merged;
  }
  if (master.status === 'pending') return incoming;
  if (incoming.status === 'pending') return master;
  if (master.status_at !== incoming.status_at) return master.status_at < incoming.status_at ? master : incoming;
  if (master.status !== incoming.status) {
    return TERMINAL_ORDER.indexOf(master.status) < TERMINAL_ORDER.indexOf(incoming.status) ? master : incoming;
  }
  return canonicalJson(master) <= canonicalJson(incoming) ? master : incoming;
}

/** JSON with sorted keys, for deterministic comparison. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
