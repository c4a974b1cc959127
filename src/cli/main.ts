import { CommanderError } from 'commander';
import { EXIT_CANNOT_RUN, PlanError } from '../core/errors.js';
import { packageVersion } from '../io/package.js';
import { buildProgram, type ProgramState } from './program.js';

/**
 * The one top-level handler: runs the program, maps every error to an exit code and one line,
 * and is the only place that sets the process exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const state: ProgramState = { exitCode: 0, verbose: argv.includes('--verbose') };
  const program = buildProgram(packageVersion(), state);
  try {
    await program.parseAsync(argv as string[]);
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; every other parse failure is a usage error.
      return error.exitCode === 0 ? 0 : EXIT_CANNOT_RUN;
    }
    if (error instanceof PlanError) {
      process.stderr.write(`plan: ${error.oneLine}\n`);
      if (state.verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    const e = error as Error;
    process.stderr.write(`plan: internal error: ${e?.message ?? String(error)}\n`);
    process.stderr.write(state.verbose ? `${e?.stack ?? ''}\n` : 'plan: run again with --verbose for the stack trace, and please report it\n');
    return EXIT_CANNOT_RUN;
  }
}

process.exitCode = await main(process.argv);
