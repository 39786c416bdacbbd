import { describe } from 'vitest';
import { postgresState } from '../helpers/sync-server.ts';
import { runSyncServerContract } from './contract/run-sync-server-contract.ts';

const postgres = await postgresState();

describe.skipIf(!postgres.available)(`sync server on PostgreSQL${postgres.available ? '' : ` (SKIPPED: ${postgres.reason})`}`, () =>
  runSyncServerContract('postgres'),
);
