/**
 * Bytes a change stream kept under the budget for pokes and heartbeats once documents stop
 * (a poke or heartbeat is ~30 bytes: over a hundred of each fit).
 */
export const CONTROL_RESERVE_BYTES = 4 * 1024;

/**
 * What a change stream owes (issue 23, slow readers): the bytes written to it since its
 * client's last pull of the collection, the pull being the client's acknowledgement that it
 * read what came before. Node's `writableLength` could not tell a reader that stopped: the
 * kernel's send and receive buffers (auto-tuned to megabytes) took ~4 MB per stalled stream
 * before Node held a byte. What a stream owes bounds both, whatever the kernel's tuning.
 *
 * Documents go while they fit under `budget` less CONTROL_RESERVE_BYTES. Past that, the
 * stream sends one poke — the client pulls, which acknowledges — and nothing else but
 * heartbeats; a stream whose client has not pulled within `askWithinMs` of that poke, or
 * that would owe more than `budget` even for a poke or heartbeat, is to be closed (its client
 * reconnects and RESYNCs).
 *
 * @example
 * const owed = new OwedBytes(256 * 1024);
 * if (owed.admitsDocuments(frame.length)) write(frame), owed.sent(frame.length);
 */
export class OwedBytes {
  #owed = 0;
  /** A document frame was held back since the last acknowledgement: the next poke asks for a pull. */
  #full = false;
  /** When the poke asking for a pull went, while unanswered. */
  #askedAt: number | undefined;

  constructor(private readonly budget: number) {}

  /** Bytes written since the last acknowledgement. */
  get owed(): number {
    return this.#owed;
  }

  /** Whether a poke has asked for a pull that has not come yet (further pokes would add nothing). */
  get asking(): boolean {
    return this.#askedAt !== undefined;
  }

  /** Whether a frame of documents may go now; false holds it back (the client will pull it), and every later one until a pull. */
  admitsDocuments(bytes: number): boolean {
    if (!this.#full && this.#owed + bytes <= this.budget - CONTROL_RESERVE_BYTES) return true;
    this.#full = true;
    return false;
  }

  /** Whether a poke, heartbeat or RESYNC may go; false: the stream owes its whole budget, close it. */
  admitsControl(bytes: number): boolean {
    return this.#owed + bytes <= this.budget;
  }

  /** Counts a written frame. */
  sent(bytes: number): void {
    this.#owed += bytes;
    if (this.#owed > this.budget - CONTROL_RESERVE_BYTES) this.#full = true;
  }

  /** A poke went at `now`: when documents were held back, it is the one that asks for the acknowledging pull. */
  poked(now: number): void {
    if (this.#full && this.#askedAt === undefined) this.#askedAt = now;
  }

  /** Whether the asking poke has gone unanswered for `askWithinMs` or longer. */
  overdue(now: number, askWithinMs: number): boolean {
    return this.#askedAt !== undefined && now - this.#askedAt >= askWithinMs;
  }

  /** The client pulled: it has read everything written before. */
  acknowledge(): void {
    this.#owed = 0;
    this.#full = false;
    this.#askedAt = undefined;
  }
}
