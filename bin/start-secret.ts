/**
 * The signing secret of `brain-store start`: AUTH_SECRET when set; else the one kept in the
 * data folder (`auth-secret`, made on the first start, readable by its owner only), so that a
 * dashboard link opened before a restart keeps working after it (issue 17). With --memory
 * nothing is kept, so a fresh secret per run.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliFailure } from './cli-error.ts';

export const SECRET_FILE = 'auth-secret';

export async function startSecret(options: { readonly env: string | undefined; readonly dataDir: string | undefined }): Promise<string> {
  if (options.env) return options.env;
  if (options.dataDir === undefined) return newSecret();
  const file = join(options.dataDir, SECRET_FILE);
  const kept = await readSecret(file);
  if (kept !== undefined) return kept;
  await mkdir(options.dataDir, { recursive: true });
  const secret = newSecret();
  // 'wx': two starts racing on one folder never overwrite each other's secret; the loser reads the winner's.
  const written = await writeFile(file, `${secret}\n`, { flag: 'wx', mode: 0o600 }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw new CliFailure(`cannot keep the signing secret in ${file}: ${error.message}`);
    },
  );
  return written ? secret : ((await readSecret(file)) ?? secret);
}

async function readSecret(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length < 16) throw new CliFailure(`${file} holds no usable secret (at least 16 characters): delete it to make a new one`);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof CliFailure) throw error;
    throw new CliFailure(`cannot read the signing secret in ${file}: ${(error as Error).message}`);
  }
}

function newSecret(): string {
  return randomBytes(24).toString('hex');
}
