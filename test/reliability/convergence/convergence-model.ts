/**
 * The reference model the convergence property compares every replica against. It encodes
 * the documented rules, not the implementation: an accepted status transition is final
 * unless another replica's transition happened earlier (the earliest `status_at` wins;
 * writers' clocks are kept distinct so no two transitions tie); a transition is only
 * accepted before the action's expiry, so it always beats expiry; an action nobody moved is
 * `expired` with `status_at = expires_at` once a cleanup ran past its expiry, else pending.
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
}

export class ConvergenceModel {
  private readonly actions = new Map<string, ModelAction>();
  readonly insights = new Set<string>();

  get actionIds(): string[] {
    return [...this.actions.keys()];
  }

  create(id: string, created_at: number, expires_at: number): void {
    if (this.actions.has(id)) throw new Error(`model: duplicate id ${id}`);
    this.actions.set(id, { created_at, expires_at, winner: undefined });
  }

  /** A transition a replica accepted locally at `status_at`. */
  transition(id: string, status: ModelStatus): void {
    const action = this.actions.get(id)!;
    if (status.status_at >= action.expires_at) throw new Error(`model: ${id} moved at or after its expiry`);
    if (!action.winner || status.status_at < action.winner.status_at) action.winner = status;
  }

  /** What every replica must hold once a cleanup has run everywhere at `now`. */
  expected(now: number): Map<string, ModelStatus> {
    const result = new Map<string, ModelStatus>();
    for (const [id, action] of this.actions) {
      result.set(
        id,
        action.winner ??
          (action.expires_at <= now
            ? { status: 'expired', status_at: action.expires_at }
            : { status: 'pending', status_at: action.created_at }),
      );
    }
    return result;
  }
}
