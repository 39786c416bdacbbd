import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardBuildReason } from '../../bin/dashboard-build.ts';

function file(path: string, mtimeSeconds: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
  utimesSync(path, mtimeSeconds, mtimeSeconds);
}

describe('npm start builds the dashboard only when needed (issue 8)', () => {
  it('missing → build; older than dashboard/ or src/ → build; newer than both → serve as is', () => {
    const root = mkdtempSync(join(tmpdir(), 'brain-store-dash-'));
    file(join(root, 'dashboard', 'index.html'), 1_000);
    file(join(root, 'dashboard', 'src', 'app.tsx'), 1_000);
    file(join(root, 'src', 'index.ts'), 1_000);
    expect(dashboardBuildReason({ root })).toBe('missing');

    file(join(root, 'dist', 'dashboard', 'index.html'), 2_000);
    expect(dashboardBuildReason({ root })).toBeUndefined();

    file(join(root, 'dashboard', 'src', 'app.tsx'), 3_000);
    expect(dashboardBuildReason({ root })).toBe('stale');
    file(join(root, 'dist', 'dashboard', 'index.html'), 4_000);
    file(join(root, 'src', 'index.ts'), 5_000);
    expect(dashboardBuildReason({ root })).toBe('stale');
  });

  it('an installed package without dashboard sources never builds', () => {
    const root = mkdtempSync(join(tmpdir(), 'brain-store-dash-'));
    file(join(root, 'dist', 'dashboard', 'index.html'), 1_000);
    expect(dashboardBuildReason({ root })).toBeUndefined();
  });
});
