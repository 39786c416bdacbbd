import { describe } from 'vitest';
import { runSyncServerContract } from './contract/run-sync-server-contract.ts';

describe('sync server on PGlite', () => runSyncServerContract('pglite'));
