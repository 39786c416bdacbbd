import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { createBrainStore, BrainStoreError, brainSummaries } from '../../src/index.ts';
import { toRxJsonSchema } from '../../src/collections/declare-collection.ts';
import { deriveJsonSchema } from '../../src/collections/derive-json-schema.ts';
import { brainSummaryDocumentSchema, type BrainSummaryDocument } from '../../src/collections/brain-summaries.ts';
import type { CollectionDeclaration } from '../../src/collections/declare-collection.ts';
import { scratchDir } from '../helpers/storages.ts';
import { summaryArgs } from '../queries/fixtures.ts';
import { makeCheckoutReachableByNobody } from '../helpers/reachable-by-nobody.ts';

const CHILD = fileURLToPath(new URL('./open-store-child.ts', import.meta.url));

/** Every file of the folder with a hash of its bytes: "nothing changed on disk" is this staying equal. */
function snapshot(folder: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((file) => [
        file,
        createHash('sha256')
          .update(readFileSync(join(folder, file)))
          .digest('hex'),
      ]),
  );
}

async function openError(path: string): Promise<BrainStoreError> {
  const error = await createBrainStore({ name: 'bad-input', path }).then(
    async (store) => {
      await store.close();
      throw new Error(`${path} opened`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BrainStoreError);
  return error as BrainStoreError;
}

interface ChildOutcome {
  opened: boolean;
  code?: string;
  parameters?: Record<string, unknown>;
  message?: string;
}

/** Runs open-store-child.ts; `hold` keeps it running (kill it), otherwise it exits after one line. */
function openInChild(path: string, options: { hold?: boolean; uid?: number } = {}): { outcome: Promise<ChildOutcome>; kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, ...(options.hold ? ['hold'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid, env: { ...process.env, HOME: '/tmp' } }),
  });
  const outcome = new Promise<ChildOutcome>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as ChildOutcome);
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) without an answer`)));
  });
  return { outcome, kill: () => child.kill('SIGKILL') };
}

describe('SQLite store: bad files and paths are a STORAGE_FILE error naming the file, and nothing changes on disk', () => {
  it('a folder that does not exist', async () => {
    const path = join(scratchDir(), 'missing', 'store.sqlite');
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORAGE_FILE', parameters: { path, reason: 'no-folder' } });
    expect(error.message).toContain(path);
    expect(existsSync(join(path, '..'))).toBe(false);
  });

  it('a folder this process may not write to (run as an unprivileged user when root)', { timeout: 60_000 }, async () => {
    const folder = join(scratchDir(), 'read-only');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder);
    chmodSync(folder, 0o555);
    chmodSync(join(folder, '..'), 0o755);
    const path = join(folder, 'store.sqlite');
    const asRoot = process.getuid?.() === 0;
    makeCheckoutReachableByNobody();
    const outcome = await openInChild(path, asRoot ? { uid: 65534 } : {}).outcome;
    expect(outcome).toMatchObject({ opened: false, code: 'STORAGE_FILE', parameters: { path, reason: 'not-writable' } });
    expect(outcome.message).toContain(folder);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('a file that is not a database', async () => {
    const folder = scratchDir();
    const path = join(folder, 'store.sqlite');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
    const before = snapshot(folder);
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORAGE_FILE', parameters: { path, reason: 'not-a-database' } });
    expect(error.message).toContain(path);
    expect(snapshot(folder)).toEqual(before);
  });

  it('a file whose storage layout is newer than this brain-store', async () => {
    const folder = scratchDir();
    const path = join(folder, 'store.sqlite');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    const before = snapshot(folder);
    const error = await openError(path);
    expect(error).toMatchObject({ code: 'STORAGE_FILE', parameters: { path, reason: 'newer-version' } });
    expect(error.message).toMatch(/upgrade brain-store/);
    expect(snapshot(folder)).toEqual(before);
  });

  it('a file holding a collection at a newer schema version', async () => {
    const folder = scratchDir();
    const path = join(folder, 'store.sqlite');
    const document = z.extend(brainSummaryDocumentSchema, { note: z.optional(z.string().check(z.maxLength(100))) });
    const newer: CollectionDeclaration<BrainSummaryDocument, unknown> = {
      ...brainSummaries,
      document,
      jsonSchema: toRxJsonSchema(deriveJsonSchema(document), {
        title: 'brainSummaries',
        version: 1,
        indexes: brainSummaries.jsonSchema.indexes as string[][],
      }),
      migrationStrategies: { 1: (doc: unknown) => doc },
    };
    const upgraded = await createBrainStore({ name: 'bad-input', path, collections: { brainSummaries: newer } });
    await upgraded.brainSummaries.createSummary(summaryArgs());
    await upgraded.close();
    const before = snapshot(folder);
    const error = await openError(path);
    expect(error).toMatchObject({
      code: 'STORAGE_FILE',
      parameters: { path, reason: 'newer-version', collection: 'brainSummaries', version: 1 },
    });
    expect(snapshot(folder)).toEqual(before);
  });

  it('a file another process has open: refused (one process per file), the other process unharmed', { timeout: 60_000 }, async () => {
    const folder = scratchDir();
    const path = join(folder, 'store.sqlite');
    const holder = openInChild(path, { hold: true });
    try {
      expect(await holder.outcome).toEqual({ opened: true });
      const before = snapshot(folder);
      const error = await openError(path);
      expect(error).toMatchObject({ code: 'STORAGE_FILE', parameters: { path, reason: 'in-use' } });
      expect(error.message).toMatch(/in use by another process/);
      expect(snapshot(folder)).toEqual(before);
    } finally {
      holder.kill();
    }
    // The lock dies with its process: the file opens again at once.
    const store = await createBrainStore({ name: 'bad-input', path });
    await store.close();
  });
});
