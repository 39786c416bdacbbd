import type { Hono } from 'hono';
import type { ServerHealth } from '../server-health.ts';

/**
 * /livez: the process answers (a load balancer restarts it otherwise). /readyz: this instance
 * should get traffic — migrations applied, database reachable, LISTEN connected and proven,
 * not shutting down; 503 with the reason otherwise. Both open (no token), like /healthz.
 */
export function registerProbes(app: Hono, health: ServerHealth): void {
  app.get('/livez', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const reason = await health.notReady();
    c.header('cache-control', 'no-store');
    return reason === undefined ? c.json({ ok: true }) : c.json({ ok: false, reason }, 503);
  });
}
