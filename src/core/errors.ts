/**
 * Exit codes (DESIGN §8): 0 success, 1 the check said no, 2 could not run as asked.
 * Every error the user can cause is a PlanError; anything else is a bug and shows its stack.
 */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_CANNOT_RUN = 2;

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

export class PlanError extends Error {
  readonly exitCode: number;
  readonly location: ErrorLocation;

  constructor(message: string, exitCode: number = EXIT_CANNOT_RUN, options: { cause?: unknown } & ErrorLocation = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.location = { file: options.file, line: options.line, column: options.column };
  }

  /** `file:line:column: message`, the one line a user sees. */
  get oneLine(): string {
    const { file, line, column } = this.location;
    if (!file) return this.message;
    const where = [file, line, line !== undefined ? column : undefined].filter((p) => p !== undefined).join(':');
    return `${where}: ${this.message}`;
  }
}

/** Bad flags, arguments or combinations of them. */
export class UsageError extends PlanError {
  constructor(message: string, options: { cause?: unknown } & ErrorLocation = {}) {
    super(message, EXIT_CANNOT_RUN, options);
  }
}

/** A config or rulebook file that cannot be used. */
export class ConfigError extends PlanError {
  constructor(message: string, options: { cause?: unknown } & ErrorLocation = {}) {
    super(message, EXIT_CANNOT_RUN, options);
  }
}

/** The repository is not in a state we can work with: not a git repo, unknown plan, lock held. */
export class RepoError extends PlanError {
  constructor(message: string, options: { cause?: unknown } & ErrorLocation = {}) {
    super(message, EXIT_CANNOT_RUN, options);
  }
}
