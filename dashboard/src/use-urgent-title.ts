import { useEffect, useState } from 'preact/hooks';
import type { BrainStore } from './brain-store.ts';

const TITLE = 'Brain dashboard';

/**
 * New immediate actions counted in the page title — "(2) Brain dashboard" — so a background
 * tab shows them. "New" means arrived since the person last looked: the tab became visible,
 * or they pressed a key or clicked.
 */
export function useUrgentTitle(store: BrainStore, workspace: string): void {
  const [seenAt, setSeenAt] = useState(() => store.now());
  const [count, setCount] = useState(0);
  useEffect(() => {
    const seen = () => document.visibilityState === 'visible' && setSeenAt(store.now());
    document.addEventListener('visibilitychange', seen);
    document.addEventListener('keydown', seen);
    document.addEventListener('pointerdown', seen);
    return () => {
      document.removeEventListener('visibilitychange', seen);
      document.removeEventListener('keydown', seen);
      document.removeEventListener('pointerdown', seen);
    };
  }, [store]);
  useEffect(() => {
    const subscription = store.database.brainActions
      .find({
        selector: {
          workspace_id: workspace,
          status: 'pending',
          urgency: 'immediate',
          created_at: { $gt: seenAt },
          expires_at: { $gt: seenAt },
        },
        index: ['workspace_id', 'status', 'urgency', 'priority_rank', 'created_desc'],
      })
      .$.subscribe((docs) => setCount(docs.length));
    return () => subscription.unsubscribe();
  }, [store, workspace, seenAt]);
  useEffect(() => {
    document.title = count > 0 ? `(${count}) ${TITLE}` : TITLE;
  }, [count]);
}
