/**
 * The reference model the convergence property compares every replica against. It encodes
 * the documented rules, not the implementation:
 * - an accepted status transition is final unless another replica's transition happened
 *   earlier (the earliest `status_at` wins; writers' clocks are kept distinct so no two
 *   transitions tie); a transition is only accepted before the action's expiry, so it always
 *   beats expiry; an action nobody moved is `expired` with `status_at = expires_at` once a
 *   cleanup ran past its expiry, else pending;
 * - retention (README "Expiry and retention"): client and server purge by the same rule, a
 *   terminal action once `status_at < now - retention`, an insight once
 *   `created_at < now - retention`. A purge is an eviction, not a change of the shared data:
 *   once every side has run its purge at `now`, a purged document is on no replica (the
 *   server keeps a tombstone until `tombstonesMs`), and everything else is everywhere.
 */
export interface ModelStatus {
  readonly status: 'pending' | 'actioned' | 'dismissed' | 'expired';
  readonly status_at: number;
  readonly actioned_by?: string;
}

interface ModelAction {
  readonly created_at: number;
  readonly expires_at: number;
  winner: ModelStatus | undefined;
  /** The client whose transition is the winner. */
  winnerClient: number | undefined;
}

export class ConvergenceModel {
  private readonly actions = new Map<string, ModelAction>();
  /** Insight id → created_at. */
  readonly insights = new Map<string, number>();

  constructor(private readonly retentionMs: number) {}

  get actionIds(): string[] {
    return [...this.actions.keys()];
  }

  create(id: string, created_at: number, expires_at: number): void {
    if (this.actions.has(id)) throw new Error(`model: duplicate id ${id}`);
    this.actions.set(id, { created_at, expires_at, winner: undefined, winnerClient: undefined });
  }

  /** A transition client `c` accepted locally at `status_at`. */
  transition(id: string, status: ModelStatus, c: number): void {
    const action = this.actions.get(id)!;
    if (status.status_at >= action.expires_at) throw new Error(`model: ${id} moved at or after its expiry`);
    if (!action.winner || status.status_at < action.winner.status_at) {
      action.winner = status;
      action.winnerClient = c;
    }
  }

  /** Every action's state once a cleanup has run everywhere at `now` (purged or not). */
  states(now: number): Map<string, ModelStatus & { purged: boolean; winnerClient: number | undefined }> {
    const result = new Map<string, ModelStatus & { purged: boolean; winnerClient: number | undefined }>();
    for (const [id, action] of this.actions) {
      const state =
        action.winner ??
        (action.expires_at <= now
          ? { status: 'expired' as const, status_at: action.expires_at }
          : { status: 'pending' as const, status_at: action.created_at });
      result.set(id, {
        ...state,
        purged: state.status !== 'pending' && state.status_at < now - this.retentionMs,
        winnerClient: action.winnerClient,
      });
    }
    return result;
  }

  /** What every replica must hold once a cleanup (expiry and retention) has run everywhere at `now`. */
  expected(now: number): Map<string, ModelStatus> {
    const result = new Map<string, ModelStatus>();
    for (const [id, { purged, winnerClient: _c, ...status }] of this.states(now)) if (!purged) result.set(id, status);
    return result;
  }

  /** Insights not yet past their retention at `now`. */
  expectedInsights(now: number): Set<string> {
    return new Set([...this.insights].filter(([, created_at]) => created_at >= now - this.retentionMs).map(([id]) => id));
  }
}
