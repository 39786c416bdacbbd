import { tenantIsolationContract } from './tenant-isolation.contract.ts';

tenantIsolationContract('pglite');
