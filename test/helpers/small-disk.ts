import { execFileSync } from 'node:child_process';
import { skipReason } from './skip-or-fail.ts';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small filesystem of the test's own, to fill for real (issue 11: disk full): a tmpfs
 * mounted on a temp folder. Needs root (CAP_SYS_ADMIN); without it `refused` says why and the
 * caller skips loudly, or fails when CI=true (see `refusedOrThrow`).
 *
 * @example
 * const disk = await mountSmallDisk('160m');
 * if (disk.refused === undefined) { await disk.fillLeaving(70 * 2 ** 20); ...; await disk.unmount(); }
 */
export interface SmallDisk {
  /** The mount point (undefined when refused). */
  readonly path: string;
  /** Why no disk could be mounted, or undefined. */
  readonly refused: string | undefined;
  /** Writes (or rewrites) a ballast file so that `bytes` stay free. */
  fillLeaving(bytes: number): Promise<void>;
  /** Removes the ballast file. */
  free(): Promise<void>;
  /** Unmounts (lazily if busy) and removes the folder. */
  unmount(): Promise<void>;
}

export async function mountSmallDisk(size: string): Promise<SmallDisk> {
  const root = await mkdtemp(join(tmpdir(), 'brain-store-small-disk-'));
  const path = join(root, 'disk');
  await mkdir(path);
  const ballast = join(path, 'ballast');
  let refused: string | undefined;
  if (process.getuid?.() !== 0) refused = 'not root: mounting a tmpfs needs root';
  else {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'pipe' });
    } catch (error) {
      refused = `mount -t tmpfs refused: ${String((error as { stderr?: unknown }).stderr ?? error)}`;
    }
  }
  let mounted = refused === undefined;
  const lazyUnmount = (): void => {
    if (mounted) execFileSync('umount', ['-l', path], { stdio: 'ignore' });
  };
  // Never leave the mount behind, even when the file fails before its afterAll.
  if (mounted) process.once('exit', lazyUnmount);
  else await rm(root, { recursive: true, force: true });
  return {
    path,
    refused,
    async fillLeaving(bytes) {
      await rm(ballast, { force: true });
      const { bavail, bsize } = await statfs(path);
      await writeFile(ballast, Buffer.alloc(Math.max(0, bavail * bsize - bytes)));
    },
    free: () => rm(ballast, { force: true }),
    async unmount() {
      if (!mounted) return;
      try {
        execFileSync('umount', [path], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      }
      mounted = false;
      process.removeListener('exit', lazyUnmount);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** `refused` as a loud skip reason, or thrown when CI=true (skipping there would hide a failure). */
export function refusedOrThrow(disk: SmallDisk, what: string): string | undefined {
  if (disk.refused === undefined) return undefined;
  return skipReason({ available: false, reason: disk.refused }, what);
}
