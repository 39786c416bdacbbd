import type { TestBackend } from '../../helpers/sync-server.ts';
import { concurrencyContract } from './concurrency.contract.ts';
import { errorsContract } from './errors.contract.ts';
import { maintenanceContract } from './maintenance.contract.ts';
import { pushPullContract } from './push-pull.contract.ts';
import { rolesContract } from './roles.contract.ts';
import { streamContract } from './stream.contract.ts';
import { tenancyContract } from './tenancy.contract.ts';

/** The one contract every server backend passes. */
export function runSyncServerContract(backend: TestBackend): void {
  pushPullContract(backend);
  concurrencyContract(backend);
  tenancyContract(backend);
  errorsContract(backend);
  streamContract(backend);
  maintenanceContract(backend);
  rolesContract(backend);
}
