/** Defaults of `brain-store serve`, shared by the command and the usage text. */
export const DEFAULT_PORT = 8787;
export const DEFAULT_DATA_DIR = '.data/pglite';
