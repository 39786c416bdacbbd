import { describeOnPostgres } from '../helpers/sync-server.ts';
import { tenantIsolationContract } from './tenant-isolation.contract.ts';

await describeOnPostgres('tenant isolation on PostgreSQL', () => tenantIsolationContract('postgres'));
