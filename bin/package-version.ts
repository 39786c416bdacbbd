/**
 * `brain-store --version`: the version of the package that ships the command
 * (@brain-store/server) and the sync protocol it speaks. Read from the package's own
 * package.json: dist/bin/ in the installed package, packages/server/ from this repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from '../src/protocol/protocol-version.ts';

export const SERVER_PACKAGE = '@brain-store/server';

/** The server package's name and version, found by walking up from this file. */
export function serverPackage(from: string = fileURLToPath(import.meta.url)): { name: string; version: string } {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    for (const file of [join(dir, 'package.json'), join(dir, 'packages', 'server', 'package.json')]) {
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === SERVER_PACKAGE && typeof manifest.version === 'string')
        return { name: SERVER_PACKAGE, version: manifest.version };
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of ${SERVER_PACKAGE} above ${from}`);
  }
}

/** One line: `brain-store 0.1.0 (@brain-store/server, sync protocol 2)`. */
export function versionLine(): string {
  return `brain-store ${serverPackage().version} (${SERVER_PACKAGE}, sync protocol ${PROTOCOL_VERSION})\n`;
}
