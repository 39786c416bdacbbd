import { BehaviorSubject, combineLatest, distinctUntilChanged, map } from 'rxjs';
import type { Leadership, LiveMode } from './leadership.ts';

/** How often the replicating tab says it is alive, and whether it is visible (ms). */
const BEAT_MS = 1_000;
/** A visible tab takes over from a leader it has not heard from for this long (ms). */
const STALE_MS = 3_000;

/** What the tabs of one store tell each other about leadership. */
type LeadershipMessage =
  /** The leader is alive; `visible` says whether a person is looking at it. */
  | { readonly type: 'beat'; readonly from: string; readonly visible: boolean }
  /** The leader let go (frozen, leaving): any tab may take the lock now. */
  | { readonly type: 'released'; readonly from: string }
  /** A newcomer asks the leader to speak at once rather than at its next beat. */
  | { readonly type: 'who' };

/** The browser pieces the election uses; injectable so tests can drive them. */
export interface TabEnvironment {
  readonly locks: LockManager;
  readonly BroadcastChannel: typeof BroadcastChannel;
  /** Where visibilitychange, freeze and resume arrive. */
  readonly document: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>;
  /** Where pagehide and pageshow arrive. */
  readonly window: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  readonly now: () => number;
}

export interface TabLeadershipOptions {
  /** Names the lock and the channel: one election per store. */
  readonly name: string;
  readonly beatMs?: number;
  readonly staleMs?: number;
  readonly environment?: TabEnvironment;
}

/** The running browser's pieces, or undefined where there is no Web Locks API (then RxDB's election is used). */
export function browserTabEnvironment(): TabEnvironment | undefined {
  const scope = globalThis as {
    navigator?: { locks?: LockManager };
    document?: Document;
    window?: Window;
    BroadcastChannel?: typeof BroadcastChannel;
  };
  if (!scope.navigator?.locks || !scope.document || !scope.window || !scope.BroadcastChannel) return undefined;
  return {
    locks: scope.navigator.locks,
    BroadcastChannel: scope.BroadcastChannel,
    document: scope.document,
    window: scope.window,
    now: () => Date.now(),
  };
}

/** One held or queued lock request; `release` is set once the lock is granted. */
interface Grant {
  readonly controller: AbortController;
  readonly steal: boolean;
  release?: () => void;
}

/**
 * The election that keeps replication in the tab a person uses (issue 18; docs/multi-tab.md).
 * The replicating tab holds a Web Lock; every other live tab waits in the lock's queue, so
 * one tab always replicates while any lives. On top of the queue:
 * - a visible tab takes the lock (`steal`) from a leader that says it is hidden, that let go,
 *   or that has not beaten for `staleMs` (frozen or stuck in a long task) — the stuck tab
 *   learns it lost the lock when it wakes (its request rejects) and stops;
 * - a leader that is frozen or leaves (`freeze`, `pagehide`) lets go at once and leaves the
 *   queue, so no lock is granted to a tab that cannot run; `resume`/`pageshow` rejoin it.
 */
export function tabLeadership(options: TabLeadershipOptions & { environment: TabEnvironment }): Leadership {
  const { name, environment: env } = options;
  const beatMs = options.beatMs ?? BEAT_MS;
  const staleMs = options.staleMs ?? STALE_MS;
  const id = globalThis.crypto.randomUUID();
  const channel = new env.BroadcastChannel(`brain-store-leadership:${name}`);
  const leading = new BehaviorSubject(false);
  /** Took over from a silent leader that may still hold its streams open (until it stands down). */
  const overlapping = new BehaviorSubject(false);
  let holding: Grant | undefined;
  let queued: Grant | undefined;
  /** Frozen or gone (pagehide): out of the election until it runs again. */
  let away = false;
  let stopped = false;
  // A newcomer gives the current leader `staleMs` to speak before judging it.
  let leader = { at: env.now(), visible: true, released: false };

  const visible = () => env.document.visibilityState === 'visible';
  const post = (message: LeadershipMessage) => {
    try {
      channel.postMessage(message);
    } catch {
      // The channel closed under a leaving page: the lock itself still tells the truth.
    }
  };

  function request(steal: boolean): void {
    if (stopped || away || holding) return;
    // One steal at a time; a steal replaces a queued request.
    if (queued && (!steal || queued.steal)) return;
    queued?.controller.abort();
    const grant: Grant = { controller: new AbortController(), steal };
    const fromSilent = steal && env.now() - leader.at > staleMs && !leader.released;
    queued = grant;
    const lockOptions: LockOptions = steal ? { steal: true } : { signal: grant.controller.signal };
    env.locks
      .request(
        `brain-store-leadership:${name}`,
        lockOptions,
        () =>
          new Promise<void>((release) => {
            if (queued === grant) queued = undefined;
            if (stopped || away) return release();
            grant.release = release;
            holding = grant;
            overlapping.next(fromSilent);
            leading.next(true);
            post({ type: 'beat', from: id, visible: visible() });
          }),
      )
      .catch(() => {
        // AbortError: a queued request we withdrew, or a held lock another tab took from us.
        if (queued === grant) queued = undefined;
        if (holding !== grant) return;
        holding = undefined;
        leading.next(false);
        // Standing down (woken from a long task, or handed over): the new leader may open its streams.
        post({ type: 'released', from: id });
        request(false);
      });
  }

  /** Lets go of the lock and the queue (frozen, leaving, stopping). */
  function letGo(): void {
    queued?.controller.abort();
    queued = undefined;
    const held = holding;
    if (!held) return;
    holding = undefined;
    leading.next(false);
    post({ type: 'released', from: id });
    held.release?.();
  }

  /** A visible tab takes over from a leader that is hidden, gone, or silent. */
  function judgeLeader(): void {
    if (stopped || away || holding || !visible()) return;
    if (leader.released || !leader.visible || env.now() - leader.at > staleMs) request(true);
  }

  channel.onmessage = (event: MessageEvent<LeadershipMessage>) => {
    const message = event.data;
    if (message.type === 'who') {
      if (holding) post({ type: 'beat', from: id, visible: visible() });
      return;
    }
    if (message.type === 'released' && holding) {
      // The tab this one took over from stands down: its streams are closed.
      overlapping.next(false);
      return;
    }
    leader = { at: env.now(), visible: message.type === 'beat' && message.visible, released: message.type === 'released' };
    judgeLeader();
  };

  const onVisibility = () => {
    // A leader going hidden says so at once: a visible tab then takes over.
    if (holding) post({ type: 'beat', from: id, visible: visible() });
    else judgeLeader();
  };
  const onLeave = () => {
    away = true;
    letGo();
  };
  const onReturn = () => {
    if (!away) return;
    away = false;
    request(false);
    judgeLeader();
  };
  const onPageShow = (event: Event) => {
    if ((event as PageTransitionEvent).persisted) onReturn();
  };
  env.document.addEventListener('visibilitychange', onVisibility);
  env.document.addEventListener('freeze', onLeave);
  env.document.addEventListener('resume', onReturn);
  env.window.addEventListener('pagehide', onLeave);
  env.window.addEventListener('pageshow', onPageShow);
  const timer = setInterval(() => {
    if (holding) post({ type: 'beat', from: id, visible: visible() });
    else judgeLeader();
  }, beatMs);

  request(false);
  post({ type: 'who' });

  return {
    leading$: leading.pipe(distinctUntilChanged<boolean>()),
    live$: combineLatest([leading, overlapping]).pipe(
      map(([lead, overlap]): LiveMode => (!lead ? 'off' : overlap ? 'poll' : 'stream')),
      distinctUntilChanged<LiveMode>(),
    ),
    isLeader: () => leading.value,
    stop: () => {
      if (stopped) return;
      letGo();
      stopped = true;
      clearInterval(timer);
      env.document.removeEventListener('visibilitychange', onVisibility);
      env.document.removeEventListener('freeze', onLeave);
      env.document.removeEventListener('resume', onReturn);
      env.window.removeEventListener('pagehide', onLeave);
      env.window.removeEventListener('pageshow', onPageShow);
      channel.close();
      leading.complete();
      overlapping.complete();
    },
  };
}
