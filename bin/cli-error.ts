/** A usage mistake: the CLI prints the message on one line and exits with code 2. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
}

/** A failure that is not a usage mistake (server unreachable, port taken): one line, exit code 1. */
export class CliFailure extends Error {
  override readonly name: string = 'CliFailure';
}
