// How a `kassa` command fails on purpose: a message the operator can act on, and the exit code.

/** A mistake the operator can fix; printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
