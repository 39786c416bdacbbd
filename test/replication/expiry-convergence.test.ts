import { describe, expect, it } from 'vitest';
import { startTestServer, syncBackends } from '../helpers/sync-server.ts';
import { action, openSyncedStore, sync, firstMatching } from './sync-fixtures.ts';

let counter = 0;

/**
 * Issue #4: when three clients and the server instances expire the same action at once, the
 * result is one `expired` state with identical fields everywhere, and no conflict loop.
 */
describe.each(await syncBackends())('expiry convergence on %s', (backend) => {
  it('two instances and three clients expiring one action agree on identical fields', { timeout: 90_000 }, async () => {
    const ws = `converge-${backend}-${++counter}`;
    let t = Date.now();
    const clock = () => t;
    const one = await startTestServer({ backend, now: clock });
    const two = await startTestServer({ backend, now: clock });
    const token = await one.token([ws], 24 * 3600);
    const stores = await Promise.all([0, 1, 2].map(() => openSyncedStore({ now: clock })));
    const syncs = stores.map((store, i) => sync(store, { url: (i === 2 ? two : one).url, token }));
    const id = await stores[0]!.brainActions.createActionRecommendation(action(ws, { expires_at: t + 1_000 }));
    await syncs[0]!.awaitWrite(id);
    await Promise.all(
      stores.map((store) => firstMatching(store.brainActions.getActionsByPriority({ workspace_id: ws }).$, (l) => l.length === 1)),
    );

    t += 5_000; // past expires_at everywhere
    const expired = await Promise.all([
      ...stores.map((store) => store.brainActions.cleanupExpiredActions()),
      one.runMaintenance(),
      two.runMaintenance(),
    ]);
    expect(expired.slice(0, 3)).toEqual([1, 1, 1]);
    for (const s of syncs) s.resync();
    await Promise.all(syncs.map((s) => s.awaitInSync()));
    await Promise.all(syncs.map((s) => firstMatching(s.status$, (status) => status.state === 'idle' && status.pending === 0)));

    const views = await Promise.all(
      stores.map((store) => store.brainActions.getActionsByWorkspace({ workspace_id: ws, status: 'expired' }).exec()),
    );
    for (const view of views) expect(view).toEqual(views[0]);
    expect(views[0]).toHaveLength(1);
    expect(views[0]![0]).toMatchObject({ id, status: 'expired', status_at: views[0]![0]!.expires_at });
    const [row] = await one.sql.query<{ doc: Record<string, unknown> }>('SELECT doc FROM brain_store_documents WHERE id = $1', [id]);
    expect(row!.doc).toMatchObject({ status: 'expired', status_at: views[0]![0]!.expires_at });
    expect(await Promise.all(syncs.map((s) => new Promise((r) => s.rejected$.subscribe((l) => r(l.length)))))).toEqual([0, 0, 0]);
    await Promise.all([one.close(), two.close()]);
  });
});
