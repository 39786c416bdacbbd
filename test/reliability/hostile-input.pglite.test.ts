import { hostileInputContract } from './hostile-input.contract.ts';

hostileInputContract('pglite');
