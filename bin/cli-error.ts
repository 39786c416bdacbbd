/** A usage mistake: the CLI prints the message and the usage, and exits with code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
