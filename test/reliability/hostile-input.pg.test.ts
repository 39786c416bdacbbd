import { describeOnPostgres } from '../helpers/sync-server.ts';
import { hostileInputContract } from './hostile-input.contract.ts';

await describeOnPostgres('hostile input on PostgreSQL', () => hostileInputContract('postgres'));
