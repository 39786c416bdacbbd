/** The package's Preact hooks (`@brain-store/client/preact`), the dashboard's door to them. */
export { useObservable, useSyncStatus } from '../../src/hooks/preact.ts';
