/**
 * A minimal protocol client in its own process, for a test that SIGKILLs it mid-pull. It
 * pulls pages from the checkpoint saved in CHECKPOINT_FILE, appends each page's ids to
 * IDS_FILE and then saves the page's checkpoint (write + rename), as a store saves documents
 * and checkpoint together. Killed between the two, it pulls that page again (an idempotent
 * re-apply); it must never skip one. Exits 0 once a page comes back empty.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const url = process.env['URL']!;
const token = process.env['TOKEN']!;
const checkpointFile = process.env['CHECKPOINT_FILE']!;
const idsFile = process.env['IDS_FILE']!;
const batchSize = Number(process.env['BATCH'] ?? 7);

let checkpoint: unknown = existsSync(checkpointFile) ? JSON.parse(readFileSync(checkpointFile, 'utf8')) : null;
for (;;) {
  const response = await fetch(`${url}/sync/brainActions/pull`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ checkpoint, batchSize }),
  });
  if (response.status !== 200) throw new Error(`pull failed: ${response.status} ${await response.text()}`);
  const page = (await response.json()) as { documents: { id: string }[]; checkpoint: unknown };
  if (page.documents.length === 0) process.exit(0);
  appendFileSync(idsFile, page.documents.map((doc) => `${doc.id}\n`).join(''));
  writeFileSync(`${checkpointFile}.tmp`, JSON.stringify(page.checkpoint));
  renameSync(`${checkpointFile}.tmp`, checkpointFile);
  checkpoint = page.checkpoint;
}
