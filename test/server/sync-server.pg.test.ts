import { describeOnPostgres } from '../helpers/sync-server.ts';
import { runSyncServerContract } from './contract/run-sync-server-contract.ts';

await describeOnPostgres('sync server on PostgreSQL', () => runSyncServerContract('postgres'));
