import { useCallback, useEffect, useState } from 'preact/hooks';

/**
 * What the person is looking at — tab, filters, search, sort, page — kept in the URL
 * fragment (`#tab=history&status=dismissed`), so it survives tab switches and reloads and a
 * link can be shared; the fragment never reaches the server. The access token also arrives
 * in the fragment; read-access.ts takes it out before this runs.
 */
export type TabId = 'actions' | 'history' | 'insights' | 'summaries';
export const TAB_IDS: readonly TabId[] = ['actions', 'history', 'insights', 'summaries'];

export interface ViewState {
  readonly tab: TabId;
  /** Queue: urgency filter ('' = all), search text, sort, page (1-based). */
  readonly urgency: string;
  readonly q: string;
  readonly sort: 'priority' | 'expiry';
  readonly page: number;
  /** History: status shown, page. */
  readonly status: string;
  readonly hpage: number;
  /** Insights: created today / this week / this month ('' = any). */
  readonly since: string;
}

const DEFAULTS: ViewState = { tab: 'actions', urgency: '', q: '', sort: 'priority', page: 1, status: 'actioned', hpage: 1, since: '' };

export function parseView(hash: string): ViewState {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const text = (key: keyof ViewState) => params.get(key) ?? (DEFAULTS[key] as string);
  const page = (key: 'page' | 'hpage') => {
    const value = Number(params.get(key));
    return Number.isInteger(value) && value >= 1 ? value : 1;
  };
  const tab = params.get('tab');
  return {
    tab: TAB_IDS.includes(tab as TabId) ? (tab as TabId) : 'actions',
    urgency: text('urgency'),
    q: text('q'),
    sort: params.get('sort') === 'expiry' ? 'expiry' : 'priority',
    page: page('page'),
    status: text('status'),
    hpage: page('hpage'),
    since: text('since'),
  };
}

export function formatView(view: ViewState): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS) as (keyof ViewState)[]) {
    if (view[key] !== DEFAULTS[key]) params.set(key, String(view[key]));
  }
  const text = params.toString();
  return text ? `#${text}` : '';
}

/** The view state and a setter that writes it to the URL (replaceState: no history entry per keystroke). */
export function useViewState(): [ViewState, (change: Partial<ViewState>) => void] {
  const [view, setView] = useState(() => parseView(window.location.hash));
  useEffect(() => {
    // Back/forward or a pasted link with other filters.
    const follow = () => setView(parseView(window.location.hash));
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  const update = useCallback((change: Partial<ViewState>) => {
    setView((current) => {
      const next = { ...current, ...change };
      const { pathname, search } = window.location;
      window.history.replaceState(window.history.state, '', `${pathname}${search}${formatView(next)}`);
      return next;
    });
  }, []);
  return [view, update];
}
