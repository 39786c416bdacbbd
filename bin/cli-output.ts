/** Where a command writes its output (process.stdout, or a buffer in tests). */
export interface CliOutput {
  write(text: string): unknown;
}
