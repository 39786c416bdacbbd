/** The dashboard's only door into brain-store: the package's public entry, nothing internal. */
export * from '../../src/index.ts';
