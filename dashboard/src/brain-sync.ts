/** The replication, loaded after the first render (deferred-sync.ts): the package's public entry. */
export { replicateBrainStore } from '../../src/index.ts';
