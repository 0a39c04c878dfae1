export const ExitCode = {
  /** Every video succeeded or was skipped. */
  ok: 0,
  /** Anything unexpected. */
  error: 1,
  /** Unknown flag, missing file or folder, bad value: a one-line message names it. */
  usage: 2,
  /** The batch finished with failed or partial videos, or rejected URL lines. */
  incomplete: 3,
  /** The batch was cancelled (`vstream cancel`); running the same command again continues it. */
  cancelled: 4,
  /** Interrupted (Ctrl-C); running the same command again resumes. */
  interrupted: 130,
} as const;

/** An error the user can fix: printed as one line, without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.error,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}
